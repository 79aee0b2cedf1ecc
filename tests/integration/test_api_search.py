"""Search through the HTTP API's ASGI app on both graphs, and the same search on the CLI:
pages, filters, highlights, Cypher-looking and quote-heavy text found verbatim, and a search
that cannot be read answered with 400 (never 500)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from interview_graph.api.app import create_app
from interview_graph.search.words import words
from interview_graph.settings import Settings
from tests.conftest import graph_overrides
from tests.integration.cli_helpers import SAMPLES, base_env, run_cli

TRICKY = """Ana: She said "quote" and 'single' `backtick` $param {map: 1} \\ backslash.
Bo: MATCH (n) DETACH DELETE n RETURN n.
Ana: We typed '); DROP TABLE sentences; -- into the search box.
Bo: The {braces} and (parens) and "double quotes" were fine.
Ana: Don\u2019t worry, the café's naïve forecast was off by 3.5 points.
"""


@dataclass
class Served:
    client: TestClient
    env: dict[str, str]
    files: dict[str, str]  # file name -> interview id


@pytest.fixture(scope="module", params=["falkordb", "neo4j"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("api-search")
    tricky = root / "tricky.txt"
    tricky.write_text(TRICKY, encoding="utf-8")
    files = [SAMPLES / "onboarding-interview.txt", SAMPLES / "reporting-workflow.vtt", tricky]
    overrides = graph_overrides(request, request.param)
    env = base_env(root / "data", **overrides)
    processed = run_cli(["process", *map(str, files), "--project", "demo", "--json"], env)
    assert processed.returncode == 0, processed.stderr
    ids = {f["path"].rsplit("/", 1)[-1]: f["interview_id"] for f in processed.json()["files"]}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**overrides, "DATA_DIR": str(root / "data")}.items():
            patch.setenv(key, value)
        with TestClient(create_app(Settings())) as client:
            yield Served(client, env, ids)


def search(served: Served, expected: int = 200, **params: Any) -> Any:
    response = served.client.get("/api/search", params=params)
    assert response.status_code == expected, response.text
    return response.json()


def sentences_of(served: Served, name: str) -> list[dict[str, Any]]:
    interview_id = served.files[name]
    page = served.client.get(f"/api/interviews/{interview_id}/sentences", params={"limit": 1000})
    assert page.status_code == 200, page.text
    sentences: list[dict[str, Any]] = page.json()["sentences"]
    return sentences


def keys(text: str) -> set[str]:
    return {w.key for w in words(text)}


def test_hits_hold_their_sentence_and_the_spans_of_its_matched_words(served: Served) -> None:
    found = search(served, q="report")
    assert found["next_cursor"] is None and len(found["hits"]) >= 3
    for hit in found["hits"]:
        assert [hit["text"][a:b].lower() for a, b in hit["highlights"]] and all(
            hit["text"][a:b].lower() == "report" for a, b in hit["highlights"]
        )
        assert hit["project_name"] == "demo"
        assert hit["interview_id"] in served.files.values()
    scores = [hit["score"] for hit in found["hits"]]
    assert scores == sorted(scores, reverse=True)
    [phrase] = search(served, q='"brand guidelines"')["hits"]
    assert phrase["interview_id"] == served.files["onboarding-interview.txt"]
    assert phrase["speaker"] == "Tomas" and phrase["start_ms"] is not None


def test_pages_join_up(served: Served) -> None:
    whole = search(served, q="the", limit=100)
    assert whole["next_cursor"] is None and len(whole["hits"]) > 20
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = search(served, q="the", limit=7, **({"cursor": cursor} if cursor else {}))
        pages += page["hits"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == whole["hits"]


def test_filters_narrow_the_hits(served: Served) -> None:
    everything = search(served, q="the", limit=100)["hits"]
    onboarding = served.files["onboarding-interview.txt"]
    only = search(served, q="the", limit=100, interview=onboarding)["hits"]
    assert only == [hit for hit in everything if hit["interview_id"] == onboarding]
    tomas = search(served, q="the", limit=100, speaker="Tomas")["hits"]
    assert tomas and all(hit["speaker"] == "Tomas" for hit in tomas)
    early = search(served, q="the", limit=100, from_ms=30_000, to_ms=90_000)["hits"]
    assert early and all(
        hit["start_ms"] <= 90_000 and (hit["end_ms"] or hit["start_ms"]) >= 30_000 for hit in early
    )
    assert search(served, q="the", project="demo", limit=100)["hits"] == everything
    assert search(served, q="the", project="nope")["hits"] == []
    # An analysis label narrows to the sentences whose analysis has it.
    labelled = sentences_of(served, "onboarding-interview.txt")
    label = labelled[0]["analyses"][0]["function_type"]
    same = {s["sequence_order"] for s in labelled if s["analyses"][0]["function_type"] == label}
    by_label = search(served, q="the", limit=100, interview=onboarding, function=label)["hits"]
    assert {hit["sequence_order"] for hit in by_label} == {
        hit["sequence_order"] for hit in only if hit["sequence_order"] in same
    }


def test_cypher_looking_and_quote_heavy_text_is_found_verbatim(served: Served) -> None:
    tricky = sentences_of(served, "tricky.txt")
    onboarding = sentences_of(served, "onboarding-interview.txt")
    quoted = [s for s in onboarding if '"brand guidelines"' in s["text"]]
    assert len(tricky) >= 5 and quoted
    for sentence in [*tricky, *quoted]:
        if sentence["text"].count('"') % 2:
            continue  # a lone quote is an unbalanced phrase (tested below)
        hits = search(served, q=sentence["text"], limit=100)["hits"]
        found = [hit for hit in hits if hit["sentence_id"] == sentence["sentence_id"]]
        assert found, sentence["text"]
        highlighted = " ".join(sentence["text"][a:b] for a, b in found[0]["highlights"])
        assert keys(highlighted) == keys(sentence["text"])
    for text in ("MATCH (n) DETACH DELETE n", "'); DROP TABLE", "{braces} (parens)", "café's"):
        assert search(served, q=text)["hits"], text


@pytest.mark.parametrize(
    "q", ["", "   ", "!!!", '"brand guidelines', "*", "p*", "a*b", "x" * 600, "\\", "\x00"]
)
def test_a_search_that_cannot_be_read_is_a_400(served: Served, q: str) -> None:
    refused = search(served, 400, q=q)
    assert isinstance(refused["detail"], str) and len(refused["detail"]) > 20


def test_bad_parameters(served: Served) -> None:
    assert "cursor" in search(served, 400, q="report", cursor="nope")["detail"]
    assert "10,000" in search(served, 400, q="report", cursor="10001")["detail"]
    search(served, 422)  # no q
    search(served, 422, q="report", limit=0)
    search(served, 422, q="report", limit=101)
    search(served, 422, q="report", from_ms=-1)
    assert "is after to_ms" in search(served, 400, q="x", from_ms=11, to_ms=10)["detail"]
    assert "/api/search" in served.client.get("/openapi.json").json()["paths"]


def test_the_cli_prints_the_same_page(served: Served) -> None:
    printed = run_cli(["search", "the", "--limit", "2", "--json"], served.env)
    assert printed.returncode == 0, printed.stderr
    assert printed.json() == search(served, q="the", limit=2)
    cursor = printed.json()["next_cursor"]
    following = run_cli(["search", "the", "--limit", "2", "--cursor", cursor, "--json"], served.env)
    assert following.json() == search(served, q="the", limit=2, cursor=cursor)
    prefix = served.files["onboarding-interview.txt"][:6]
    narrowed = run_cli(["search", "the", "--interview", prefix, "--json"], served.env)
    assert narrowed.returncode == 0, narrowed.stderr
    assert {hit["interview_id"] for hit in narrowed.json()["hits"]} == {
        served.files["onboarding-interview.txt"]
    }


def test_the_cli_exit_codes(served: Served) -> None:
    table = run_cli(["search", "report", "--limit", "1"], {**served.env, "COLUMNS": "80"})
    assert table.returncode == 0 and "report" in table.stdout and "--cursor 1" in table.stdout
    nothing = run_cli(["search", "zebra"], served.env)
    assert nothing.returncode == 0 and "no sentence matches 'zebra'" in nothing.stderr
    for args in (
        ['"unbalanced'],
        ["*"],
        ["x", "--from-ms", "6", "--to-ms", "5"],
        ["x", "--cursor", "z"],
    ):
        refused = run_cli(["search", *args], served.env)
        assert refused.returncode == 2, (args, refused.stderr)
        assert "error:" in refused.stderr and "Traceback" not in refused.stderr
    missing = run_cli(["search", "x", "--interview", "ffffffff"], served.env)
    assert missing.returncode == 1 and "no interview id starts with 'ffffffff'" in missing.stderr
