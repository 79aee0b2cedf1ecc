"""The workbench in headless Chromium: how soon a long transcript is readable, and how long
a click from one page to the next takes.

Usage: python bench/workbench.py [rounds]   (default 7)

Processes a generated 1,000-sentence interview (and the samples) into a fresh data
directory, starts `interview-graph serve` on 127.0.0.1 and drives Debian's chromium through
Playwright (CHROMIUM_PATH to use another binary). Each figure is the median of `rounds`
loads in a fresh browser context (no cache):

* first sentences painted: when the reader's first sentence is on screen, from the Element
  Timing mark the reader puts on it, for the workbench's reader (the first page of 100
  sentences, the rest on demand) and for the naive page that renders all 1,000 at once
  (`?size=1000`), and their ratio;
* page to page: from the click on a link to the next page's script having run (the
  dashboard: to its charts drawn), with the server's share (request to first byte). The
  first dashboard of a context loads plotly.js (4.8 MB) cold; the second finds it in the
  browser's cache (the workbench serves it cacheable for a day).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, table
from bench.transcript_gen import generate_transcript
from playwright.sync_api import Browser, Page, sync_playwright
from tests.integration.browser_helpers import chromium_path, get_json, serving
from tests.integration.cli_helpers import base_env, run_cli, sample_files

SENTENCES = 1000

FIRST_SENTENCE = """
new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const found = list.getEntries().find((e) => e.identifier === "first-sentence");
    if (found) resolve(found.renderTime || found.loadTime);
  }).observe({ type: "element", buffered: true });
})
"""
SERVER_SHARE = """
(() => { const n = performance.getEntriesByType("navigation")[0];
         return n.responseStart - n.requestStart; })()
"""


def first_sentence_ms(browser: Browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    painted = float(page.evaluate(FIRST_SENTENCE))
    context.close()
    return painted


def click_to_ready(page: Page, click: Callable[[], None], ready: str) -> tuple[float, float]:
    """Milliseconds from a click to the next page's `ready` selector, and the server's
    share of it (request to first byte)."""
    started = time.perf_counter()
    with page.expect_navigation():
        click()
    page.wait_for_selector(ready, state="attached")
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, float(page.evaluate(SERVER_SHARE))


def navigations(
    browser: Browser, base: str, interview_id: str
) -> dict[str, list[tuple[float, float]]]:
    """One round of clicks through the pages a researcher walks."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/")
    page.wait_for_selector("html[data-ready]", state="attached")
    ready = "html[data-ready]"
    steps: dict[str, tuple[float, float]] = {}
    steps["projects → interviews"] = click_to_ready(
        page, lambda: page.locator(".card a").first.click(), ready
    )
    steps["interviews → reader"] = click_to_ready(
        page, lambda: page.locator(f'a[href="/interviews/{interview_id}"]').first.click(), ready
    )
    steps["reader → history"] = click_to_ready(
        page, lambda: page.get_by_role("link", name="History", exact=True).click(), ready
    )
    steps["history → dashboard (charts drawn)"] = click_to_ready(
        page,
        lambda: page.get_by_role("link", name="Dashboard", exact=True).last.click(),
        "html[data-charts]",
    )
    steps["dashboard → reader"] = click_to_ready(
        page, lambda: page.get_by_role("link", name="Transcript", exact=True).click(), ready
    )
    steps["reader → dashboard again (plotly.js cached)"] = click_to_ready(
        page,
        lambda: page.get_by_role("link", name="Dashboard", exact=True).last.click(),
        "html[data-charts]",
    )
    context.close()
    return {name: [value] for name, value in steps.items()}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    print(f"machine: {machine()}")
    print("load average before: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        transcript = work / "long-interview.txt"
        transcript.write_text(generate_transcript(SENTENCES))
        env = base_env(work / "data")
        files = [str(transcript), *map(str, sample_files())]
        processed = run_cli(["process", *files, "--project", "bench", "--json"], env, timeout=900)
        assert processed.returncode == 0, processed.stderr
        long_one = next(f for f in processed.json()["files"] if f["path"] == str(transcript))
        interview_id = long_one["interview_id"]
        with serving(env) as base, sync_playwright() as playwright:
            assert get_json(f"{base}/api/interviews/{interview_id}")["sentence_count"] == SENTENCES
            browser = playwright.chromium.launch(executable_path=chromium_path())
            reader = f"{base}/interviews/{interview_id}"
            first_sentence_ms(browser, reader)  # warm the server's caches and the browser
            paged, naive = [], []
            for _ in range(rounds):  # interleaved, so a slow phase hits both alike
                paged.append(first_sentence_ms(browser, reader))
                naive.append(first_sentence_ms(browser, reader + "?size=1000"))
            clicks: dict[str, list[tuple[float, float]]] = {}
            navigations(browser, base, interview_id)  # warm-up round
            for _ in range(rounds):
                for name, values in navigations(browser, base, interview_id).items():
                    clicks.setdefault(name, []).extend(values)
            browser.close()
    print("load average after: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    paged_ms, naive_ms = statistics.median(paged), statistics.median(naive)
    print(f"\nFirst sentences painted, {SENTENCES}-sentence interview, median of {rounds}:")
    print(table(
        [("reader (first page of 100)", f"{paged_ms:.0f}", f"{min(paged):.0f}"),
         ("naive (all 1,000 at once)", f"{naive_ms:.0f}", f"{min(naive):.0f}"),
         ("naive / reader", f"{naive_ms / paged_ms:.1f}×", "")],
        ("page", "median ms", "best ms"),
    ))  # fmt: skip
    print(f"\nPage to page (click to the next page ready), median of {rounds}:")
    print(table(
        [(name, f"{statistics.median(v[0] for v in values):.0f}",
          f"{statistics.median(v[1] for v in values):.0f}")
         for name, values in clicks.items()],
        ("click", "median ms", "server ms"),
    ))  # fmt: skip


if __name__ == "__main__":
    main()
