"""Helpers for the upload tests: reading Server-Sent Events, and `serve` as a real process."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.integration.cli_helpers import CLI, REPO


@dataclass
class SseEvent:
    id: int | None = None
    event: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        import json

        return json.loads(self.data)


def sse_events(lines: Iterable[str]) -> Iterator[SseEvent]:
    """The events of a text/event-stream, one per blank-line-terminated block (blocks with
    only comments or a `retry:` are not events)."""
    event = SseEvent()
    fields = 0
    for line in lines:
        if line == "":
            if fields:
                yield event
            event, fields = SseEvent(), 0
        elif line.startswith(":"):
            event.comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "id":
                event.id, fields = int(value), fields + 1
            elif name == "event":
                event.event, fields = value, fields + 1
            elif name == "data":
                event.data, fields = event.data + value, fields + 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    process: subprocess.Popen[str]
    base: str

    def stop(self, sig: int = signal.SIGTERM) -> tuple[str, str]:
        """Signal it (unless it has ended) and wait for its end; its stdout and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.communicate(timeout=120)


def start_serve(env: dict[str, str]) -> Served:
    """`interview-graph serve` on a free port, once it answers /healthz."""
    port = free_port()
    process = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    while True:  # until it listens; a server that died instead fails the test
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(f"{base}/healthz", timeout=10).status_code == 200:
                return Served(process, base)
        except httpx.TransportError:
            time.sleep(0.2)


def upload_files(
    base: str, files: list[tuple[str, bytes]], project: str | None = None
) -> httpx.Response:
    return httpx.post(
        f"{base}/api/transcripts",
        files=[("files", (name, body)) for name, body in files],
        data={"project": project} if project else None,
        timeout=60,
    )


@contextmanager
def event_stream(
    base: str, job_id: str, last_event_id: int | None = None
) -> Iterator[Iterator[SseEvent]]:
    """The job's live event stream, open while the block runs."""
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    with httpx.stream(
        "GET", f"{base}/api/jobs/{job_id}/events", headers=headers, timeout=120
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield sse_events(response.iter_lines())


def take_until(events: Iterator[SseEvent], kind: str) -> list[SseEvent]:
    """The events up to the first of `kind` (inclusive)."""
    seen: list[SseEvent] = []
    for event in events:
        seen.append(event)
        if event.event == kind:
            return seen
    raise AssertionError(f"the stream ended without a {kind} event: {seen}")


def events_until(
    base: str, job_id: str, kind: str, last_event_id: int | None = None
) -> list[SseEvent]:
    """Read the job's live event stream until an event of `kind` (inclusive)."""
    with event_stream(base, job_id, last_event_id) as events:
        return take_until(events, kind)
