"""The HTTP API through its ASGI app on both graphs, and once as a real `serve` process."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from interview_graph.api.app import create_app
from interview_graph.settings import Settings
from tests.conftest import graph_overrides
from tests.integration.api_helpers import access_lines, fetch, free_port, wait_until_serving
from tests.integration.cli_helpers import CLI, SAMPLES, base_env, run_cli

FILES = [SAMPLES / "pricing-call.md", SAMPLES / "reporting-workflow.vtt"]


@dataclass
class Served:
    client: TestClient
    env: dict[str, str]
    files: list[dict[str, Any]]  # `process --json`'s per-file results


@pytest.fixture(scope="module", params=["falkordb", "neo4j"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("api") / "data"
    overrides = graph_overrides(request, request.param)
    env = base_env(data, **overrides, ENABLE_EVENT_SOURCING="true")
    processed = run_cli(["process", *map(str, FILES), "--project", "demo", "--json"], env)
    assert processed.returncode == 0, processed.stderr
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**overrides, "DATA_DIR": str(data)}.items():
            patch.setenv(key, value)
        with TestClient(create_app(Settings())) as client:
            yield Served(client, env, processed.json()["files"])


def get(served: Served, path: str, expected: int = 200, **params: Any) -> Any:
    response = served.client.get(path, params=params)
    assert response.status_code == expected, response.text
    return response.json()


def test_interviews_come_in_pages_that_join_up(served: Served) -> None:
    whole = get(served, "/api/interviews")
    assert whole["next_cursor"] is None
    assert {row["interview_id"] for row in whole["interviews"]} == {
        f["interview_id"] for f in served.files
    }
    first = get(served, "/api/interviews", limit=1)
    second = get(served, "/api/interviews", limit=1, cursor=first["next_cursor"])
    assert first["interviews"] + second["interviews"] == whole["interviews"]
    assert second["next_cursor"] is None
    assert get(served, "/api/interviews", status="completed") == whole
    assert get(served, "/api/interviews", project="nope")["interviews"] == []
    assert "cursor" in get(served, "/api/interviews", 400, cursor="nope")["detail"]
    get(served, "/api/interviews", 422, limit=0)


def test_one_interview_has_its_metadata_and_counts(served: Served) -> None:
    for result in served.files:
        detail = get(served, f"/api/interviews/{result['interview_id']}")
        assert detail["sentence_count"] == result["sentences"] > 0
        assert detail["analysis_count"] == result["analyses"]
        assert detail["interview"]["project_name"] == "demo"
        assert detail["interview"]["source"] == Path(result["path"]).name
    missing = get(served, "/api/interviews/no-such-interview", 404)
    assert missing == {"detail": "no interview no-such-interview in the graph"}


def test_sentences_in_pages_are_what_show_prints(served: Served) -> None:
    interview_id = served.files[0]["interview_id"]
    shown = run_cli(["show", interview_id, "--all", "--json"], served.env)
    assert shown.returncode == 0, shown.stderr
    pages, start = [], 0
    while start is not None:
        page = get(served, f"/api/interviews/{interview_id}/sentences", limit=3, **{"from": start})
        pages.append(page)
        start = page["next_from"]
    assert len(pages) > 2
    assert [s for page in pages for s in page["sentences"]] == shown.json()["sentences"]
    beyond = get(served, f"/api/interviews/{interview_id}/sentences", **{"from": 10**6})
    assert (beyond["sentences"], beyond["next_from"]) == ([], None)
    get(served, "/api/interviews/no-such-interview/sentences", 404)
    get(served, f"/api/interviews/{interview_id}/sentences", 422, limit=10**6)


def test_projects_count_what_they_hold(served: Served) -> None:
    [project] = get(served, "/api/projects")["projects"]
    assert project["name"] == "demo"
    assert project["interview_count"] == len(served.files)
    assert project["sentence_count"] == sum(f["sentences"] for f in served.files)


def test_sentences_in_a_time_range_are_those_said_then(served: Served) -> None:
    vtt = next(f for f in served.files if f["path"].endswith(".vtt"))
    path = f"/api/interviews/{vtt['interview_id']}/sentences"
    every = get(served, path, limit=1000)["sentences"]
    timed = [s for s in every if s["start_ms"] is not None]
    middle = timed[len(timed) // 2]
    from_ms, to_ms = middle["start_ms"], middle["start_ms"] + 20_000
    expected = [
        s for s in timed if s["start_ms"] <= to_ms and (s["end_ms"] or s["start_ms"]) >= from_ms
    ]
    assert expected
    pages, start = [], 0
    while start is not None:
        page = get(served, path, from_ms=from_ms, to_ms=to_ms, limit=2, **{"from": start})
        pages.extend(page["sentences"])
        start = page["next_from"]
    assert pages == expected
    assert get(served, path, from_ms=10**9)["sentences"] == []
    get(served, "/api/interviews/no-such-interview/sentences", 404, from_ms=0)


def test_a_sentence_comes_with_its_neighbours(served: Served) -> None:
    interview_id = served.files[0]["interview_id"]
    every = get(served, f"/api/interviews/{interview_id}/sentences", limit=1000)["sentences"]
    one = get(served, f"/api/sentences/{every[5]['sentence_id']}", context=2)
    assert (one["sentence"], one["before"], one["after"]) == (every[5], every[3:5], every[6:8])
    first = get(served, f"/api/sentences/{every[0]['sentence_id']}", context=3)
    assert (first["before"], first["after"]) == ([], every[1:4])
    assert one["interview_id"] == interview_id
    get(served, "/api/sentences/no-such-sentence", 404)


def test_the_event_log_reads_in_pages_with_filters(served: Served) -> None:
    interview_id = served.files[0]["interview_id"]
    everything, after = [], 0
    while after is not None:
        page = get(served, "/api/events", limit=50, after=after)
        everything.extend(page["events"])
        after = page["next_after"]
    listed = run_cli(["events", "list", "--json"], served.env)
    assert everything == listed.json()

    history = get(served, f"/api/interviews/{interview_id}/history", limit=1000)
    own = run_cli(["events", "list", "--interview", interview_id, "--json"], served.env).json()
    assert history["events"] == own and own
    assert {e["data"].get("interview_id", e["aggregate_id"]) for e in own} == {interview_id}

    created = get(served, "/api/events", type="InterviewCreated")["events"]
    assert {e["aggregate_id"] for e in created} == {f["interview_id"] for f in served.files}
    stream = own[0]["aggregate_type"] + "-" + own[0]["aggregate_id"]
    assert {e["event_id"] for e in get(served, "/api/events", stream=stream)["events"]} >= {
        own[0]["event_id"]
    }
    run = get(served, "/api/events", correlation=own[0]["correlation_id"], limit=1000)["events"]
    assert run and {e["correlation_id"] for e in run} == {own[0]["correlation_id"]}
    get(served, "/api/interviews/no-such-interview/history", 404)


def test_stats_health_and_the_openapi_document(served: Served) -> None:
    stats = run_cli(["stats", "--json"], served.env)
    assert get(served, "/api/stats") == stats.json()
    assert get(served, "/healthz") == {"status": "ok"}
    assert get(served, "/readyz") == {"status": "ready"}
    paths = get(served, "/openapi.json")["paths"]
    assert {"/api/interviews", "/api/interviews/{interview_id}/sentences", "/api/stats"} <= set(
        paths
    )
    assert "swagger-ui" in served.client.get("/docs").text


def test_serve_answers_http_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    assert run_cli(["process", str(FILES[0]), "--json"], env).returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(server, base)
        assert fetch(f"{base}/healthz") == (200, {"status": "ok"})
        status, listing = fetch(f"{base}/api/interviews")
        assert status == 200 and len(listing["interviews"]) == 1
        assert fetch(f"{base}/api/interviews/nope")[0] == 404
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    # A graceful stop: the app's shutdown ran (closing the graph); uvicorn then ends by the
    # signal it was sent, as a process stopped by SIGTERM does.
    assert "Application shutdown complete" in stderr
    assert server.returncode in (0, -signal.SIGTERM), stderr
    assert {"route": "/api/interviews", "status": 200} in [
        {"route": line["route"], "status": line["status"]} for line in access_lines(stderr)
    ]


def test_serve_refuses_an_address_beyond_loopback(tmp_path: Path) -> None:
    refused = run_cli(["serve", "--host", "0.0.0.0"], base_env(tmp_path / "data"))
    assert refused.returncode == 2
    assert "refusing to serve on 0.0.0.0" in refused.stderr


def test_facets_count_by_every_dimension_for_a_filter(served: Served) -> None:
    everything = get(served, "/api/facets", limit=1000)
    assert everything["total"] == sum(f["sentences"] for f in served.files)
    assert set(everything["facets"]) == {
        "speaker", "function", "structure", "purpose", "topic", "keyword",
    }  # fmt: skip
    functions = everything["facets"]["function"]
    assert sum(f["sentences"] for f in functions) == sum(f["analyses"] for f in served.files)
    counts = [f["sentences"] for f in functions]
    assert counts == sorted(counts, reverse=True)

    interview_id = served.files[0]["interview_id"]
    sentences = get(served, f"/api/interviews/{interview_id}/sentences", limit=1000)["sentences"]
    speaker = next(s["speaker"] for s in sentences if s["speaker"])
    narrowed = get(served, "/api/facets", interview=interview_id, speaker=speaker, by="function")
    assert list(narrowed["facets"]) == ["function"]
    assert narrowed["total"] == sum(1 for s in sentences if s["speaker"] == speaker)
    top = functions[0]["value"]
    only = get(served, "/api/facets", function=top, by="function")
    assert only["facets"]["function"] == [{"value": top, "sentences": functions[0]["sentences"]}]
    get(served, "/api/facets", 422, by="colour")
    get(served, "/api/facets", 400, from_ms=10, to_ms=5)
