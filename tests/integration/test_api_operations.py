"""Operating the API: /metrics, access logs, request ids, CORS, the local /docs, and the real
`serve` process with several workers, with tokens, and refusing to start without users."""

from __future__ import annotations

import json
import logging
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from interview_graph.api.app import create_app
from interview_graph.logs import JsonFormatter
from interview_graph.settings import Settings
from tests.integration.api_helpers import (
    access_lines,
    fetch,
    fetch_raw,
    free_port,
    wait_until_serving,
)
from tests.integration.cli_helpers import CLI, SAMPLES, base_env, run_cli

SAMPLE = SAMPLES / "pricing-call.md"
SENTENCES_ROUTE = "/api/interviews/{interview_id}/sentences"


@dataclass
class Served:
    client: TestClient
    data: Path
    interview_id: str


def settings_for(data: Path, **values: Any) -> Settings:
    return Settings(DATA_DIR=data, GRAPH_BACKEND="falkordb", **values)


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data directory holding one processed interview, and its id."""
    data = tmp_path_factory.mktemp("operations") / "data"
    done = run_cli(["process", str(SAMPLE), "--json"], base_env(data))
    assert done.returncode == 0, done.stderr
    return data, done.json()["files"][0]["interview_id"]


@pytest.fixture(scope="module")
def served(processed: tuple[Path, str]) -> Iterator[Served]:
    data, interview_id = processed
    with TestClient(create_app(settings_for(data))) as client:
        yield Served(client, data, interview_id)


# ---------------------------------------------------------------- /metrics


def samples(client: TestClient, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of one metric name, by their sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == name
    }


def count_of(found: dict[tuple[tuple[str, str], ...], float], **labels: str) -> float:
    return found.get(tuple(sorted(labels.items())), 0.0)


def test_metrics_count_requests_per_route_template_method_and_status_class(
    served: Served,
) -> None:
    client = served.client
    before = samples(client, "http_requests_total")
    for _ in range(2):
        assert client.get("/api/interviews").status_code == 200
    for missing in ("aaa", "bbb", "ccc"):
        assert client.get(f"/api/interviews/{missing}/sentences").status_code == 404
    assert client.get(f"/api/interviews/{served.interview_id}/sentences").status_code == 200
    for nowhere in ("/nowhere/1", "/nowhere/2"):
        assert client.get(nowhere).status_code == 404
    after = samples(client, "http_requests_total")

    def added(**labels: str) -> float:
        return count_of(after, **labels) - count_of(before, **labels)

    assert added(method="GET", route="/api/interviews", status="2xx") == 2
    assert added(method="GET", route=SENTENCES_ROUTE, status="4xx") == 3
    assert added(method="GET", route=SENTENCES_ROUTE, status="2xx") == 1
    assert added(method="GET", route="(unmatched)", status="4xx") == 2
    routes = {dict(labels)["route"] for labels in after}
    assert not any(re.search("aaa|nowhere|" + served.interview_id, route) for route in routes)

    durations = samples(client, "http_request_duration_seconds_count")
    assert count_of(durations, method="GET", route=SENTENCES_ROUTE, status="2xx") >= 1
    buckets = samples(client, "http_request_duration_seconds_bucket")
    assert count_of(
        buckets, method="GET", route=SENTENCES_ROUTE, status="4xx", le="+Inf"
    ) == count_of(after, method="GET", route=SENTENCES_ROUTE, status="4xx")


def test_metrics_include_the_dual_write_and_llm_families(served: Served) -> None:
    text = served.client.get("/metrics").text
    for family in ("events_emitted_total", "outbox_pending_events", "llm_calls_total"):
        assert f"# TYPE {family.removesuffix('_total')}" in text, family


# ---------------------------------------------------------------- access log, request id


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def access_log() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("interview_graph.access")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_each_request_is_one_json_access_line(served: Served, access_log: Lines) -> None:
    path = f"/api/interviews/{served.interview_id}/sentences"
    response = served.client.get(path, params={"limit": 2, "secret": "do-not-log-me"})
    assert response.status_code == 200
    (line,) = access_log.lines
    assert line["logger"] == "interview_graph.access" and line["level"] == "info"
    assert {key: line[key] for key in ("method", "route", "path", "status", "user")} == {
        "method": "GET",
        "route": SENTENCES_ROUTE,
        "path": path,
        "status": 200,
        "user": "-",
    }
    assert line["request_id"] == response.headers["x-request-id"]
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["client"] == "testclient" and "ts" in line
    assert "do-not-log-me" not in json.dumps(line)


def test_a_request_id_is_kept_when_well_formed_and_made_otherwise(
    served: Served, access_log: Lines
) -> None:
    kept = served.client.get("/healthz", headers={"X-Request-ID": "proxy-42.a_b"})
    assert kept.headers["x-request-id"] == "proxy-42.a_b"
    for bad in ("has space", "x" * 65, "quote\"'"):
        made = served.client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch("[0-9a-f]{16}", made.headers["x-request-id"]), bad
    ids = {served.client.get("/api/stats").headers["x-request-id"] for _ in range(20)}
    assert len(ids) == 20
    assert access_log.lines[0]["request_id"] == "proxy-42.a_b"


def test_the_access_log_can_be_turned_off(processed: tuple[Path, str], access_log: Lines) -> None:
    settings = settings_for(processed[0], API_ACCESS_LOG=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/stats").status_code == 200
    assert access_log.lines == []


# ---------------------------------------------------------------- CORS


def preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/api/interviews",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_no_cors_by_default(served: Served) -> None:
    origin = "https://evil.example"
    assert "access-control-allow-origin" not in preflight(served.client, origin).headers
    plain = served.client.get("/api/interviews", headers={"Origin": origin})
    assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers


def test_cors_for_the_configured_origins_only(processed: tuple[Path, str]) -> None:
    allowed = "https://research.example"
    settings = settings_for(processed[0], CORS_ORIGINS=f" {allowed} , http://localhost:5173")
    with TestClient(create_app(settings)) as client:
        granted = preflight(client, allowed)
        assert granted.status_code == 200
        assert granted.headers["access-control-allow-origin"] == allowed
        assert "authorization" in granted.headers["access-control-allow-headers"].lower()
        simple = client.get("/api/interviews", headers={"Origin": allowed})
        assert simple.headers["access-control-allow-origin"] == allowed
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
        stranger = "https://evil.example"
        assert "access-control-allow-origin" not in preflight(client, stranger).headers
        other = client.get("/api/interviews", headers={"Origin": stranger})
        assert "access-control-allow-origin" not in other.headers


# ---------------------------------------------------------------- /docs


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_docs_load_only_assets_the_app_serves(served: Served) -> None:
    page = served.client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    links = Links()
    links.feed(page.text)
    assert len(links.urls) == 3
    assert "//" not in page.text.replace("://", "")  # no protocol-relative URL
    assert not re.search(r"https?://", page.text)  # nothing from another origin
    assert "url: '/openapi.json'" in page.text
    expected = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in links.urls:
        assert url.startswith("/static/docs/"), url
        asset = served.client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(expected[Path(url).suffix])
        assert len(asset.content) > 500
    assert served.client.get("/static/docs/index.html").status_code == 404
    assert served.client.get("/static/docs/..%2F..%2F__init__.py").status_code == 404
    assert served.client.get("/openapi.json").json()["info"]["title"] == "interview-graph"


# ---------------------------------------------------------------- the real process


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def start_serve(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    server = subprocess.Popen(
        [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(server, base)
    return server, base


def stop(server: subprocess.Popen[str]) -> str:
    """SIGTERM, and the server's stderr once it has exited."""
    server.send_signal(signal.SIGTERM)
    _, stderr = server.communicate(timeout=60)
    assert server.returncode in (0, -signal.SIGTERM), stderr
    return stderr


def test_serve_with_two_workers_sums_their_metrics_and_stops_on_sigterm(
    processed: tuple[Path, str], tmp_path: Path
) -> None:
    env = base_env(processed[0])
    server, base = start_serve(env, "--workers", "2")
    try:
        workers = [pid for pid in children_of(server.pid) if "spawn_main" in _cmdline(pid)]
        assert len(workers) == 2
        metrics_dir = Path(environment_of(workers[0])["PROMETHEUS_MULTIPROC_DIR"])
        assert metrics_dir.is_dir()
        for _ in range(30):
            status, listing = fetch(f"{base}/api/interviews")
            assert status == 200 and len(listing["interviews"]) == 1
        status, body, _ = fetch_raw(f"{base}/metrics")
        assert status == 200
        requests = {
            (sample.labels["route"], sample.labels["status"]): sample.value
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples
            if sample.name == "http_requests_total"
        }
        assert requests[("/api/interviews", "2xx")] == 30  # both workers' counts, summed
        assert set(workers) <= graph_users(env)  # each worker opened the embedded graph
    finally:
        stderr = stop(server)
    assert stderr.count("Application shutdown complete") == 2  # each worker shut down cleanly
    assert {line["route"] for line in access_lines(stderr)} >= {"/api/interviews", "/metrics"}
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists(), f"worker {pid} outlived the server"
    assert not metrics_dir.exists()
    assert graph_users(env).isdisjoint(workers)  # and closed it


def graph_users(env: dict[str, str]) -> set[int]:
    """The processes using the embedded graph server."""
    status = run_cli(["graph", "status", "--json"], env)
    assert status.returncode == 0, status.stderr
    return {user["pid"] for user in status.json()["users"]}


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_serve_with_auth_on_loopback_needs_a_token(processed: tuple[Path, str]) -> None:
    env = base_env(processed[0])
    added = run_cli(["users", "add", "auditor", "--role", "viewer"], env)
    token = added.stdout.strip()
    server, base = start_serve(env, "--auth")
    try:
        assert fetch(f"{base}/api/stats")[0] == 401
        assert fetch(f"{base}/api/stats?token={token}")[0] == 401
        assert fetch(f"{base}/api/stats", {"Authorization": f"Bearer {token}"})[0] == 200
        assert fetch(f"{base}/healthz")[0] == 200
    finally:
        stderr = stop(server)
        run_cli(["users", "remove", "auditor"], env)
    assert "tokens required" in stderr
    lines = access_lines(stderr)
    assert {(line["route"], line["status"], line["user"]) for line in lines} >= {
        ("/api/stats", 401, "-"),
        ("/api/stats", 200, "auditor"),
    }
    assert token not in stderr


def test_serve_without_the_access_log_writes_none(processed: tuple[Path, str]) -> None:
    server, base = start_serve(base_env(processed[0]), "--no-access-log")
    try:
        assert fetch(f"{base}/api/stats")[0] == 200
    finally:
        stderr = stop(server)
    assert access_lines(stderr) == []
    assert "no login needed" in stderr


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--host", "0.0.0.0"], "0.0.0.0 is reachable from other machines"),
        (["--host", "192.0.2.1", "--workers", "2"], "192.0.2.1 is reachable"),
        (["--auth"], "--auth asks for tokens"),
    ],
)
def test_serve_refuses_to_require_tokens_nobody_has(
    tmp_path: Path, args: list[str], why: str
) -> None:
    refused = run_cli(["serve", *args], base_env(tmp_path / "data"))
    assert refused.returncode == 2
    message = " ".join(refused.stderr.split())
    assert "refusing to serve" in message and why in message
    assert "interview-graph users add NAME --role admin" in message


def test_serve_refuses_api_auth_without_users(tmp_path: Path) -> None:
    refused = run_cli(["serve"], base_env(tmp_path / "data", API_AUTH="true"))
    assert refused.returncode == 2
    assert "API_AUTH asks for tokens" in " ".join(refused.stderr.split())
