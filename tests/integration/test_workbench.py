"""The workbench in a real headless Chromium against a real `serve` on processed samples
(and a transcript full of markup and Cypher): lists, the reader, its filters and links, the
dashboards' bars, the history pages, escaping, the Content-Security-Policy, accessibility.
Each page's screenshot is saved under test-artifacts/screenshots (IG_SCREENSHOTS)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.integration.browser_helpers import (
    SCREENSHOTS,
    Workbench,
    chromium_path,
    get_json,
    serving,
)
from tests.integration.cli_helpers import REPO, base_env, run_cli, sample_files

HOSTILE = REPO / "tests" / "data" / "hostile-transcript.txt"


@dataclass(frozen=True)
class Served:
    base: str
    ids: dict[str, str]  # file name -> interview id

    def api(self, path: str) -> Any:
        return get_json(self.base + path)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("workbench") / "data"
    env = base_env(data, ENABLE_EVENT_SOURCING="true")
    files = [*map(str, sample_files()), str(HOSTILE)]
    processed = run_cli(["process", *files, "--project", "demo", "--json"], env)
    assert processed.returncode == 0, processed.stderr
    ids = {Path(f["path"]).name: f["interview_id"] for f in processed.json()["files"]}
    with serving(env) as base:
        yield Served(base, ids)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"workbench screenshots: {SCREENSHOTS}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def bench(browser: Browser, served: Served) -> Iterator[Workbench]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    workbench = Workbench(context.new_page(), served.base)
    yield workbench
    workbench.check()
    context.close()


def sentence_numbers(page: Page) -> list[int]:
    return [int(n[1:]) for n in page.locator("#turns .s .n").all_inner_texts()]


def test_projects_and_interviews_are_listed(bench: Workbench, served: Served) -> None:
    page = bench.open("/")
    card = page.locator(".card", has_text="demo")
    expect(card).to_contain_text(f"{len(served.ids)} interviews")
    bench.screenshot("projects")
    bench.accessible()
    card.get_by_role("link", name="Interviews").click()
    bench.ready()
    rows = page.locator("table.listing tbody tr")
    expect(rows).to_have_count(len(served.ids))
    vtt = rows.filter(has_text="reporting-workflow.vtt")
    expect(vtt).to_contain_text("Dana Okafor, Luis Romero")
    expect(vtt).to_contain_text("completed")
    listed = served.api("/api/interviews?project=demo")["interviews"]
    counts = {row["filename"]: str(row["sentence_count"]) for row in listed}
    expect(vtt.locator("td.num").first).to_have_text(counts["reporting-workflow.vtt"])
    bench.screenshot("interviews")
    bench.accessible()


def test_the_reader_filters_by_purpose(bench: Workbench, served: Served) -> None:
    interview_id = served.ids["reporting-workflow.vtt"]
    page = bench.open("/interviews?project=demo")
    page.get_by_role("link", name="reporting-workflow", exact=True).click()
    bench.ready()
    every = served.api(f"/api/interviews/{interview_id}/sentences?limit=1000")["sentences"]
    assert sentence_numbers(page) == [s["sequence_order"] + 1 for s in every]
    expect(page.locator(".s .t").first).to_have_text("0:01")
    bench.screenshot("reader")
    bench.accessible()

    page.get_by_role("combobox", name="Purpose").select_option("Query")
    page.get_by_role("button", name="Apply").click()
    bench.ready()
    assert parse_qs(urlparse(page.url).query)["purpose"] == ["Query"]
    queries = [s for s in every if s["analyses"][0]["purpose"] == "Query"]
    assert queries and sentence_numbers(page) == [s["sequence_order"] + 1 for s in queries]
    expect(page.locator("#turns .chip-purpose")).to_have_text(["Query"] * len(queries))
    page.get_by_role("radio", name="Topic").check()  # colour by topic, in place
    expect(page.locator(".reader")).to_have_class(re.compile(r"\bcolour-topic\b"))
    expect(page.locator(".legend-topic")).to_be_visible()
    bench.screenshot("reader-filtered")


def test_a_sentence_has_its_own_address_and_jumps_land_on_it(
    bench: Workbench, served: Served
) -> None:
    interview_id = served.ids["reporting-workflow.vtt"]
    every = served.api(f"/api/interviews/{interview_id}/sentences?limit=1000")["sentences"]
    chosen = every[40]
    page = bench.open(f"/interviews/{interview_id}/sentences/{chosen['sentence_id']}")
    target = page.locator(f"#s-{chosen['sentence_id']}")
    expect(target).to_have_class(re.compile(r"\bis-target\b"))
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    expect(target.locator(".text")).to_have_text(chosen["text"])

    page.get_by_role("textbox", name="Jump to").fill("#12")
    page.get_by_role("textbox", name="Jump to").press("Enter")
    bench.ready()
    assert page.url.endswith(f"/sentences/{every[11]['sentence_id']}")
    expect(page.locator(f"#s-{every[11]['sentence_id']}")).to_be_focused()
    page.keyboard.press("j")  # the next sentence, by keyboard
    expect(page.locator(f"#s-{every[12]['sentence_id']}")).to_be_focused()

    # The sentence being said at 1:00 (or the first one after it).
    at_minute = next(s for s in every if (s["end_ms"] or s["start_ms"] or 0) >= 60_000)
    page.get_by_role("textbox", name="Jump to").fill("1:00")
    page.get_by_role("textbox", name="Jump to").press("Enter")
    bench.ready()
    expect(page.locator(".s.is-target")).to_have_id(f"s-{at_minute['sentence_id']}")
    page.get_by_role("textbox", name="Jump to").fill("#9999")
    page.get_by_role("textbox", name="Jump to").press("Enter")
    bench.ready()
    expect(page.locator(".notice")).to_contain_text("no sentence #9999")


def test_long_transcripts_load_page_by_page(bench: Workbench, served: Served) -> None:
    interview_id = served.ids["pricing-call.md"]
    total = served.api(f"/api/interviews/{interview_id}")["sentence_count"]
    assert total > 25
    page = bench.open(f"/interviews/{interview_id}?size=10")
    assert sentence_numbers(page) == list(range(1, 11))
    more = page.get_by_role("link", name="More sentences")
    more.click()  # appended in place: the page stays, its first sentences too
    expect(page.locator("#turns .s")).to_have_count(20)
    assert sentence_numbers(page) == list(range(1, 21))
    for loaded in range(30, total + 10, 10):
        more.focus()
        page.keyboard.press("Enter")  # by keyboard: focus moves to the first new sentence
        expect(page.locator("#turns .s")).to_have_count(min(loaded, total))
        expect(page.locator(f"#turns .s >> nth={loaded - 10}")).to_be_focused()
        if loaded >= total:
            break
    expect(page.locator(".pager.end")).to_have_text("End of the transcript.")
    assert sentence_numbers(page) == list(range(1, total + 1))


def test_a_chart_bar_opens_the_sentences_behind_it(bench: Workbench, served: Served) -> None:
    page = bench.open("/dashboard?project=demo")
    page.wait_for_selector("html[data-charts]", state="attached")
    bench.screenshot("dashboard")
    bench.accessible()
    purposes = served.api("/api/facets?project=demo&by=purpose")["facets"]["purpose"]
    smallest = purposes[-1]
    click_bar(page, "purpose", len(purposes) - 1)
    bench.ready()
    query = parse_qs(urlparse(page.url).query)
    assert urlparse(page.url).path == "/sentences"
    assert (query["project"], query["purpose"]) == (["demo"], [smallest["value"]])
    expect(page.locator(".s")).to_have_count(min(smallest["sentences"], 100))
    expect(page.locator(".chip-purpose", has_text=smallest["value"]).first).to_be_visible()
    bench.screenshot("sentences")
    bench.accessible()

    interview_id = served.ids["support-tooling.srt"]
    page = bench.open(f"/dashboard?interview={interview_id}")
    page.wait_for_selector("html[data-charts]", state="attached")
    speakers = served.api(f"/api/facets?interview={interview_id}&by=speaker")["facets"]
    click_bar(page, "speakers", 0)
    bench.ready()
    top = speakers["speaker"][0]
    assert urlparse(page.url).path == f"/interviews/{interview_id}"
    expect(page.locator("#turns .s")).to_have_count(top["sentences"])
    expect(page.locator("#turns .speaker").first).to_have_text(top["value"])
    bench.screenshot("dashboard-interview-bar")


def click_bar(page: Page, chart: str, index: int) -> None:
    """Hover a bar of a chart until its label shows, then click it (plotly.js takes clicks
    on the plot area over the bars, by position)."""
    bar = page.locator(f'[data-plot="{chart}"] .bars .point path').nth(index)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.locator(f'[data-plot="{chart}"] .hoverlayer .hovertext').wait_for()
    with page.expect_navigation():
        page.mouse.down()
        page.mouse.up()


def test_history_says_who_did_what_when(bench: Workbench, served: Served) -> None:
    interview_id = served.ids["support-tooling.srt"]
    page = bench.open(f"/interviews/{interview_id}/history")
    rows = page.locator("table.events tbody tr")
    expect(rows.first).to_contain_text("Interview “support-tooling” created")
    expect(rows.first).to_contain_text("system · pipeline")
    recorded = served.api(f"/api/interviews/{interview_id}/history")["events"]
    expect(rows).to_have_count(len(recorded))
    bench.screenshot("history")
    bench.accessible()

    page.get_by_role("link", name="History of sentence 3", exact=True).first.click()
    bench.ready()
    kinds = page.locator("table.events .type").all_inner_texts()
    assert kinds == ["SentenceCreated", "AnalysisGenerated"]
    expect(page.locator(".s .n")).to_have_text("#3")
    bench.screenshot("sentence-history")
    bench.accessible()


def test_markup_in_a_transcript_shows_literally_and_runs_nothing(
    bench: Workbench, served: Served
) -> None:
    interview_id = served.ids[HOSTILE.name]
    title = "<script>document.title='pwned'</script> Fish &amp; Chips"
    for path in (
        f"/interviews/{interview_id}",
        f"/dashboard?interview={interview_id}",
        f"/interviews/{interview_id}/history",
        "/interviews?project=demo",
    ):
        page = bench.open(path)
        if "dashboard" in path:
            page.wait_for_selector("html[data-charts]", state="attached")
        assert title in page.title() or path.startswith("/interviews?")
        assert page.evaluate("window.__pwned") is None
        assert page.locator("main img, main script:not([type='application/json'])").count() == 0
        text = page.locator("main").inner_text()
        assert title in text
        if not path.startswith(("/dashboard", "/interviews?")):
            for said in (
                "<script>window.__pwned = 1</script>",
                "&amp; and &lt;b&gt;not bold&lt;/b&gt;",
                '<img src=x onerror="window.__pwned=2">',
                "MATCH (n) DETACH",
            ):
                assert said in text, said
    response = page.request.get(f"{served.base}/interviews/{interview_id}")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    page = bench.open(f"/interviews/{interview_id}")
    bench.screenshot("hostile-transcript")
