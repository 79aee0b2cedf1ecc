"""Uploads processed as jobs, through the ASGI app on real stores (FalkorDB with events on,
Neo4j once), and once across real `serve` processes stopped and killed mid-job."""

from __future__ import annotations

import asyncio
import hashlib
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from interview_graph.api.app import create_app
from interview_graph.domain.ids import interview_id_for, project_id_for
from interview_graph.jobs.port import FINAL_STATUSES
from interview_graph.pipeline.interview_lock import InterviewLocks
from interview_graph.settings import Settings
from tests.conftest import graph_overrides
from tests.integration.cli_helpers import SAMPLES, base_env, run_cli
from tests.integration.upload_helpers import (
    SseEvent,
    event_stream,
    events_until,
    sse_events,
    start_serve,
    take_until,
    upload_files,
)

MAX_FILES = 4
LIMITS = {"MAX_FILE_MB": "1", "MAX_UPLOAD_FILES": str(MAX_FILES)}
PRICING = SAMPLES / "pricing-call.md"
REPORTING = SAMPLES / "reporting-workflow.vtt"
STORED_NAME = re.compile(r"[0-9a-f]{64}\.[a-z]+")


@dataclass
class App:
    client: TestClient
    data: Path
    env: dict[str, str]  # the CLI's environment on the same data directory and graph


@contextmanager
def running_app(data: Path, **overrides: str) -> Iterator[App]:
    env = base_env(data, **overrides)
    with pytest.MonkeyPatch.context() as patch:
        for key in ("GRAPH_BACKEND", "ENABLE_EVENT_SOURCING", "EVENT_STORE_URL", "MAX_FILE_MB"):
            patch.delenv(key, raising=False)
        settings = {"DATA_DIR": str(data), "NLP_PROCESSES": "2", "FALKORDB_IDLE_SECONDS": "0"}
        for key, value in {**settings, **overrides}.items():
            patch.setenv(key, value)
        with TestClient(create_app(Settings())) as client:
            yield App(client, data, env)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app on the embedded FalkorDB, events on, with small limits."""
    data = tmp_path_factory.mktemp("uploads") / "data"
    with running_app(data, ENABLE_EVENT_SOURCING="true", **LIMITS) as served:
        yield served


def upload(
    app: App, files: list[tuple[str, bytes]], project: str | None = None, expected: int = 202
) -> Any:
    response = app.client.post(
        "/api/transcripts",
        files=[("files", (name, body)) for name, body in files],
        data={"project": project} if project is not None else None,
    )
    assert response.status_code == expected, response.text
    return response


def events(app: App, job_id: str, last_event_id: int | None = None) -> list[SseEvent]:
    """The job's whole event stream: it ends with the job's final event, so reading it all
    waits for the job to end."""
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    response = app.client.get(f"/api/jobs/{job_id}/events", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return list(sse_events(response.text.splitlines()))


def finished_job(app: App, accepted: Any) -> dict[str, Any]:
    body = accepted.json()
    stream = events(app, body["job_id"])
    assert stream[-1].event in FINAL_STATUSES
    job = app.client.get(body["status_url"])
    assert job.status_code == 200, job.text
    result: dict[str, Any] = job.json()
    return result


def cli_json(args: list[str], env: dict[str, str]) -> Any:
    done = run_cli([*args, "--json"], env)
    assert done.returncode in (0, 1), done.stderr
    return done.json()


@contextmanager
def interview_held(data: Path, project: str, body: bytes) -> Iterator[None]:
    """Hold the interview's lock as another run would: a job reaching the file waits."""
    interview_id = interview_id_for(project_id_for(project), hashlib.sha256(body).hexdigest())
    locks = InterviewLocks(data / "locks" / "interviews")
    lock = asyncio.run(locks.acquire(interview_id, Path("another run")))
    try:
        yield
    finally:
        lock.release()


# ---------------------------------------------------------------------------- processing


def test_an_upload_is_processed_as_process_would(app: App, tmp_path: Path) -> None:
    accepted = upload(app, [(p.name, p.read_bytes()) for p in (PRICING, REPORTING)], "demo")
    body = accepted.json()
    assert set(body) == {"job_id", "status", "status_url", "events_url"}
    assert body["status"] == "queued"
    assert accepted.headers["location"] == body["status_url"] == f"/api/jobs/{body['job_id']}"
    assert body["events_url"] == f"/api/jobs/{body['job_id']}/events"

    job = finished_job(app, accepted)
    assert (job["status"], job["attempts"], job["error"]) == ("completed", 1, None)
    assert [(f["name"], f["status"]) for f in job["files"]] == [
        ("pricing-call.md", "done"),
        ("reporting-workflow.vtt", "done"),
    ]
    # The same interviews, counts and graph as `interview-graph process` of the same files.
    elsewhere = base_env(tmp_path / "cli")
    processed = cli_json(["process", str(PRICING), str(REPORTING), "--project", "demo"], elsewhere)
    assert [(f["interview_id"], f["sentences"], f["analyses"]) for f in job["files"]] == [
        (f["interview_id"], f["sentences"], f["analyses"]) for f in processed["files"]
    ]
    listed = app.client.get("/api/interviews", params={"project": "demo"}).json()["interviews"]
    assert {(row["filename"], row["status"]) for row in listed} == {
        ("pricing-call.md", "completed"),
        ("reporting-workflow.vtt", "completed"),
    }
    for file in job["files"]:
        detail = app.client.get(f"/api/interviews/{file['interview_id']}").json()
        assert detail["interview"]["source"] == file["name"]
        assert detail["sentence_count"] == file["sentences"] > 0
    for file in job["files"]:
        args = ["export", "--interview", file["interview_id"], "--format", "jsonl"]
        exported = [run_cli(args, env) for env in (app.env, elsewhere)]
        assert exported[0].returncode == 0, exported[0].stderr
        assert exported[0].stdout == exported[1].stdout

    # Events on: the job's facts reach the event log, which agrees with the graph.
    assert run_cli(["outbox", "flush"], app.env).returncode == 0
    verified = run_cli(["verify", "--json"], app.env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    logged = cli_json(["events", "list", "--interview", job["files"][0]["interview_id"]], app.env)
    assert "InterviewCreated" in str(logged)


def test_the_event_stream_tells_each_step_and_resumes_from_last_event_id(app: App) -> None:
    accepted = upload(app, [("call.vtt", REPORTING.read_bytes())], "stream")
    job_id = accepted.json()["job_id"]
    stream = events(app, job_id)
    assert [event.id for event in stream] == list(range(1, len(stream) + 1))
    kinds = [event.event for event in stream]
    assert kinds[:3] == ["queued", "started", "file_started"]
    assert "file_progress" in kinds
    assert kinds[-2:] == ["file_done", "completed"]
    final = stream[-1].json()
    assert (final["kind"], final["seq"], final["data"]["files_done"]) == (
        "completed",
        len(stream),
        1,
    )
    analysed = [e.json()["data"]["sentences"] for e in stream if e.event == "file_progress"]
    assert analysed == sorted(analysed) and analysed[-1] == stream[-2].json()["data"]["sentences"]

    resumed = events(app, job_id, last_event_id=2)
    assert [(e.id, e.event, e.data) for e in resumed] == [
        (e.id, e.event, e.data) for e in stream[2:]
    ]
    past_the_end = app.client.get(
        f"/api/jobs/{job_id}/events", headers={"Last-Event-ID": str(len(stream))}
    )
    assert (past_the_end.status_code, past_the_end.text) == (204, "")
    missing = app.client.get("/api/jobs/no-such-job/events")
    assert missing.status_code == 404 and "no job no-such-job" in missing.json()["detail"]
    for bad_id in ("x", "-1", str(2**64)):
        refused = app.client.get(f"/api/jobs/{job_id}/events", headers={"Last-Event-ID": bad_id})
        assert refused.status_code == 422, refused.text


def test_bad_files_fail_alone_with_the_error_the_cli_gives(app: App, tmp_path: Path) -> None:
    bad = {
        "empty.txt": b"",
        "blank.txt": b"  \n\t\n",
        "binary.txt": b"\x00\x01\x02PK binary",
        "latin1.txt": "Interviewer: caf\u00e9?\nP1: oui\n".encode("latin-1"),
        "broken.vtt": b"WEBVTT\n\n00:00:xx.000 --> 00:00:02.000\nhello\n",
        "big.txt": b"Interviewer: words.\n" * 60_000,  # 1.2 MB, over MAX_FILE_MB=1
    }
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, body in bad.items():
        (folder / name).write_bytes(body)
    names = list(bad)
    first = upload(
        app,
        [("good.txt", (SAMPLES / "field-notes.txt").read_bytes())]
        + [(name, bad[name]) for name in names[:3]],
        "bad",
    )
    second = upload(app, [(name, bad[name]) for name in names[3:]] + [("notes.docx", b"PK")], "bad")
    files = finished_job(app, first)["files"] + finished_job(app, second)["files"]

    assert [(f["name"], f["status"]) for f in files] == [("good.txt", "done")] + [
        (name, "failed") for name in [*names, "notes.docx"]
    ]
    cli = cli_json(
        ["process", *(str(folder / name) for name in names)], base_env(tmp_path / "cli", **LIMITS)
    )
    cli_errors = {Path(f["path"]).name: f["error"] for f in cli["files"]}
    for file in files[1:-1]:
        said_by_cli = cli_errors[file["name"]].replace(str(folder / file["name"]), file["name"])
        assert file["error"] == said_by_cli
        assert file["error"].startswith(f"{file['name']}: ")
    assert "over the limit of 1.0 MB" in files[-2]["error"]
    assert files[-1]["error"] == (
        "notes.docx: .docx files are not supported yet; save it as plain text (.txt) or subtitles"
    )
    stored = {p.name for p in (app.data / "uploads").iterdir()}
    assert hashlib.sha256(bad["big.txt"]).hexdigest() + ".txt" not in stored  # never kept


def test_names_that_look_like_paths_are_stored_by_hash_and_shown_sanitized(app: App) -> None:
    sent = [
        ("../../etc/passwd.md", PRICING.read_bytes()),
        ("..\\..\\evil.vtt", REPORTING.read_bytes()),
    ]
    job = finished_job(app, upload(app, sent, "traversal"))
    assert [(f["name"], f["status"]) for f in job["files"]] == [
        ("passwd.md", "done"),
        ("evil.vtt", "done"),
    ]
    for file, (_, body) in zip(job["files"], sent, strict=True):
        sha = hashlib.sha256(body).hexdigest()
        assert file["sha256"] == sha
        assert (app.data / "uploads" / f"{sha}{Path(file['name']).suffix}").read_bytes() == body
        detail = app.client.get(f"/api/interviews/{file['interview_id']}").json()
        assert (detail["interview"]["filename"], detail["interview"]["source"]) == (
            file["name"],
            file["name"],
        )
    uploads = list((app.data / "uploads").iterdir())
    assert all(STORED_NAME.fullmatch(p.name) for p in uploads), uploads
    root = app.data.parent
    assert not [p for p in root.rglob("*") if p.name in ("passwd.md", "evil.vtt", "etc")]


def test_a_file_whose_stored_upload_is_gone_fails_alone_with_the_reason(app: App) -> None:
    held, second = PRICING.read_bytes(), (SAMPLES / "support-tooling.srt").read_bytes()
    with interview_held(app.data, "gone", held):  # the job waits at its first file
        accepted = upload(app, [("first.md", held), ("second.srt", second)], "gone")
        (app.data / "uploads" / f"{hashlib.sha256(second).hexdigest()}.srt").unlink()
    job = finished_job(app, accepted)
    assert job["status"] == "completed"
    assert [(f["name"], f["status"]) for f in job["files"]] == [
        ("first.md", "done"),
        ("second.srt", "failed"),
    ]
    assert job["files"][1]["error"].startswith("second.srt: its stored upload (")
    assert "is no longer in the upload folder" in job["files"][1]["error"]


# ---------------------------------------------------------------------------- refusals


def job_count(app: App) -> int:
    listed = app.client.get("/api/jobs", params={"limit": 100}).json()
    return len(listed["jobs"])


def test_requests_beyond_the_limits_are_refused_whole_with_json(app: App) -> None:
    before = job_count(app)
    small = (SAMPLES / "field-notes.txt").read_bytes()
    too_many = [("files", (f"f{i}.txt", small)) for i in range(MAX_FILES + 1)]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"files": too_many}, 413, f"too many files: at most {MAX_FILES} per upload"),
        ({"files": [("files", ("huge.txt", b"x" * (6 << 20)))]}, 413, "the upload is larger"),
        ({"files": [("project", (None, "nothing"))]}, 422, "no file in the upload"),
        ({"files": [("files", (None, "not a file"))]}, 422, "`files` must be file parts"),
        ({"files": [("other", ("b.txt", small))]}, 422, "unknown form field 'other'"),
        (
            {"files": [("files", ("a.txt", small)), ("project", (None, "p" * 201))]},
            422,
            "`project` is longer than 200",
        ),
        ({"json": {"files": ["a"]}}, 415, "send the files as multipart/form-data"),
        (
            {
                "content": b"--x\r\nnot a part",
                "headers": {"content-type": "multipart/form-data; boundary=x"},
            },
            400,
            "",
        ),
    ]
    for request, status, detail in cases:
        response = app.client.post("/api/transcripts", **request)
        assert response.status_code == status, (request.keys(), response.text)
        assert detail in response.json()["detail"]
    assert job_count(app) == before  # nothing was queued
    assert not list((app.data / "uploads").glob("*.part"))  # nothing half-written is left


def test_jobs_are_listed_newest_first_and_unknown_ids_are_404(app: App) -> None:
    ids = [upload(app, [(f"n{i}.txt", b"")], "listing").json()["job_id"] for i in range(3)]
    for job_id in ids:
        events(app, job_id)
    first = app.client.get("/api/jobs", params={"limit": 2}).json()
    assert [job["job_id"] for job in first["jobs"]] == ids[::-1][:2]
    second = app.client.get("/api/jobs", params={"limit": 2, "cursor": first["next_cursor"]})
    assert second.json()["jobs"][0]["job_id"] == ids[0]
    failed_only = app.client.get("/api/jobs", params={"status": "failed"}).json()["jobs"]
    assert all(job["status"] == "failed" for job in failed_only)
    job = app.client.get(f"/api/jobs/{ids[0]}").json()
    assert job["totals"] == {
        "files": 1,
        "files_done": 0,
        "files_failed": 1,
        "files_pending": 0,
        "sentences": 0,
        "analyses": 0,
    }
    assert app.client.get("/api/jobs/nope").json() == {
        "detail": "no job nope; `GET /api/jobs` lists the jobs"
    }
    assert app.client.get("/api/jobs", params={"cursor": "nope"}).status_code == 400
    assert app.client.get("/api/jobs", params={"status": "odd"}).status_code == 422
    paths = app.client.get("/openapi.json").json()["paths"]
    assert "multipart/form-data" in paths["/api/transcripts"]["post"]["requestBody"]["content"]
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/events"} <= set(paths)


# ---------------------------------------------------------------------------- Neo4j


def test_an_upload_into_neo4j(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    with running_app(tmp_path / "data", **graph_overrides(request, "neo4j")) as neo4j_app:
        accepted = upload(neo4j_app, [("notes from call.txt", PRICING.read_bytes())], "neo")
        job = finished_job(neo4j_app, accepted)
        assert [(f["name"], f["status"]) for f in job["files"]] == [("notes from call.txt", "done")]
        listed = neo4j_app.client.get("/api/interviews").json()["interviews"]
        assert [(row["filename"], row["project_name"]) for row in listed] == [
            ("notes from call.txt", "neo")
        ]
        assert listed[0]["sentence_count"] == job["files"][0]["sentences"] > 0


# ---------------------------------------------------------------------------- restarts


def test_a_restart_mid_job_loses_nothing(tmp_path: Path) -> None:
    """A job is held at its file (another run holds the interview), the server stopped
    (SIGTERM: the job goes back to the queue), the next server killed (SIGKILL: the job is
    left running under a dead owner); the one after that finishes it."""
    data = tmp_path / "data"
    env = base_env(data)
    body = REPORTING.read_bytes()
    with interview_held(data, "restart", body):
        first = start_serve(env)
        try:
            accepted = upload_files(first.base, [("call.vtt", body)], "restart")
            assert accepted.status_code == 202, accepted.text
            job_id = accepted.json()["job_id"]
            with event_stream(first.base, job_id) as live:
                seen = take_until(live, "file_waiting")
                # Stopped while a client follows the job: its stream ends (it would resume
                # from its last id) instead of holding up the shutdown.
                first.process.send_signal(signal.SIGTERM)
                assert list(live) == []
            _, stderr = first.process.communicate(timeout=120)
        except BaseException:
            first.stop(signal.SIGKILL)
            raise
        assert "Application shutdown complete" in stderr
        assert first.process.returncode in (0, -signal.SIGTERM), stderr

        second = start_serve(env)
        try:
            after_restart = events_until(second.base, job_id, "file_waiting", seen[-1].id)
            assert [e.event for e in after_restart] == [
                "requeued",
                "started",
                "file_started",
                "file_waiting",
            ]
            assert "the worker stopped" in after_restart[0].json()["message"]
            running = httpx.get(f"{second.base}/api/jobs/{job_id}", timeout=30).json()
            assert (running["status"], running["attempts"]) == ("running", 1)
        finally:
            second.stop(signal.SIGKILL)
        seen += after_restart

    third = start_serve(env)
    try:
        rest = events_until(third.base, job_id, "completed", seen[-1].id)
        assert rest[0].event == "requeued" and "stopped before it ended" in rest[0].data
        assert [e.event for e in rest][-2:] == ["file_done", "completed"]
        job = httpx.get(f"{third.base}/api/jobs/{job_id}", timeout=30).json()
        assert (job["status"], job["attempts"]) == ("completed", 2)
        assert [(f["name"], f["status"]) for f in job["files"]] == [("call.vtt", "done")]
        listed = httpx.get(f"{third.base}/api/interviews", timeout=30).json()["interviews"]
        assert [row["filename"] for row in listed] == ["call.vtt"]
        every = [e.id for e in seen + rest]
        assert every == list(range(1, len(every) + 1))  # nothing skipped or repeated
    finally:
        _, stderr = third.stop(signal.SIGTERM)
    assert "Application shutdown complete" in stderr
