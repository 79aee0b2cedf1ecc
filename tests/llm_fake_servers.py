"""A scripted stand-in for the external LLM APIs: one local HTTP server on 127.0.0.1 that
speaks OpenAI Chat Completions (POST .../chat/completions) and Anthropic Messages
(POST .../v1/messages).

Only the provider's API is replaced; our analyzers, the official SDKs and their HTTP stack
run for real. Each request takes the next scripted action (for a target sentence, or in
arrival order), else a valid reply built by `expected_entry`, so tests can compare the graph
and the events with what the "model" said. Requests are recorded, with the number in flight.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from interview_graph.domain.model import PURPOSES, TOPICS

_TARGET = re.compile(r"^>>> #(\d+)", re.MULTILINE)

Entry = dict[str, Any]


def expected_entry(sentence_number: int) -> Entry:
    """The valid analysis the fake model gives target #n (deterministic, all labels allowed)."""
    n = sentence_number
    return {
        "id": n,
        "function_type": "interrogative" if n % 4 == 1 else "declarative",
        "structure_type": "complex" if n % 3 == 0 else "simple",
        "purpose": PURPOSES[n % len(PURPOSES)],
        "topic": TOPICS[n % len(TOPICS)],
        "broader_topic": TOPICS[(n // 5) % len(TOPICS)],
        "keywords": [f"kw{n}", "interview"],
        "domain_keywords": [f"term{n}"] if n % 2 == 0 else [],
        "confidence": 0.8,
    }


@dataclass(frozen=True)
class Action:
    """What the server does with one request."""

    status: int = 200
    raw_text: str | None = None  # a 200 whose text is exactly this (e.g. broken JSON)
    mutate: Callable[[Entry], None] | None = None  # applied to every valid entry
    drop_ids: bool = False  # a 200 with no entries at all
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "scripted error"
    hang_until_released: bool = False  # accept, say nothing until release_hung(), then close


def valid() -> Action:
    return Action()


def malformed_json() -> Action:
    return Action(raw_text='{"sentences": [{"id": 1, "purpose": ')


def missing_field(name: str) -> Action:
    return Action(mutate=lambda entry: entry.pop(name, None))


def bad_label(name: str, value: str) -> Action:
    return Action(mutate=lambda entry: entry.__setitem__(name, value))


def http_error(status: int, retry_after: str | None = None, message: str = "") -> Action:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Action(status=status, headers=headers, message=message or f"scripted {status}")


def hang_until_released() -> Action:
    return Action(hang_until_released=True)


@dataclass
class RecordedRequest:
    protocol: str  # openai | anthropic
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    target_ids: list[int]
    is_repair: bool
    status: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class FakeLLMServer:
    """Start with `with FakeLLMServer() as server:`; point OPENAI_BASE_URL at
    server.openai_base_url or ANTHROPIC_BASE_URL at server.anthropic_base_url."""

    def __init__(self, latency_seconds: float = 0.0) -> None:
        self.latency_seconds = latency_seconds
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        # Replies wait for a permit while held; None means they are not held.
        self._reply_permits: int | None = None
        self._changed = threading.Condition(self._lock)  # requests came, left, or were let go
        self._hung_released = threading.Event()
        self._queue: deque[Action] = deque()
        self._per_target: dict[int, deque[Action]] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ------------------------------------------------------------------------------

    def script(self, *actions: Action) -> None:
        """Actions for the next requests, in arrival order."""
        with self._lock:
            self._queue.extend(actions)

    def script_for(self, sentence_number: int, *actions: Action) -> None:
        """Actions for the next requests that contain target #n (before the general queue)."""
        with self._lock:
            self._per_target.setdefault(sentence_number, deque()).extend(actions)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queue.clear()
            self._per_target.clear()
            self.max_in_flight = 0

    @property
    def calls(self) -> int:
        return len(self.requests)

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    # -- holding replies, so tests can look at what is in flight without timing anything ------

    def hold_replies(self) -> None:
        """From now on every reply waits until the test lets it go (`release_replies`)."""
        with self._lock:
            self._reply_permits = 0

    def release_replies(self, count: int | None = None) -> None:
        """Let `count` held replies go, in no particular order; None lets all go, for good."""
        with self._lock:
            if count is None:
                self._reply_permits = None
            elif self._reply_permits is not None:
                self._reply_permits += count
            self._changed.notify_all()

    def wait_until(self, condition: Callable[[int, int], bool]) -> tuple[int, int]:
        """Block until condition(calls, answered) holds (requests received, requests done);
        returns (calls, in flight), read together."""
        with self._lock:
            self._changed.wait_for(
                lambda: condition(len(self.requests), len(self.requests) - self._in_flight)
            )
            return len(self.requests), self._in_flight

    def release_hung(self) -> None:
        """Close the connections of `hang_until_released` requests."""
        self._hung_released.set()

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeLLMServer:
        server = self

        class Handler(_Handler):
            fake = server

        httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release_replies()
        self.release_hung()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling (called from handler threads) -----------------------------------------

    def _next_action(self, target_ids: list[int]) -> Action:
        with self._lock:
            for number in target_ids:
                queue = self._per_target.get(number)
                if queue:
                    return queue.popleft()
            return self._queue.popleft() if self._queue else Action()

    def _enter(self, record: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self._changed.notify_all()

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._changed.notify_all()

    def _await_reply_permit(self) -> None:
        with self._lock:
            while self._reply_permits == 0:
                self._changed.wait()
            if self._reply_permits is not None:
                self._reply_permits -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once: no delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def do_GET(self) -> None:
        """GET /stats: the counters, for a server run in another process (benchmarks)."""
        fake = self.fake
        self._send(200, {"calls": fake.calls, "max_in_flight": fake.max_in_flight}, {})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        protocol = "anthropic" if self.path.rstrip("/").endswith("/messages") else "openai"
        first_user, turns = _first_user_text(protocol, body)
        record = RecordedRequest(
            protocol=protocol,
            path=self.path,
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
            target_ids=[int(n) for n in _TARGET.findall(first_user)],
            is_repair=turns > 1,
        )
        self.fake._enter(record)
        try:
            self._answer(record, self.fake._next_action(record.target_ids), len(first_user))
        finally:
            self.fake._leave()

    def _answer(self, record: RecordedRequest, action: Action, prompt_chars: int) -> None:
        if action.hang_until_released:
            self.fake._hung_released.wait()
            self.close_connection = True
            return
        self.fake._await_reply_permit()
        if self.fake.latency_seconds:
            time.sleep(self.fake.latency_seconds)
        if action.status != 200:
            record.status = action.status
            self._send(action.status, _error_body(record.protocol, action), action.headers)
            return
        text, payload = _reply_content(record.target_ids, action)
        record.status = 200
        record.prompt_tokens = max(1, prompt_chars // 4)
        record.completion_tokens = max(1, len(text) // 4)
        builder = _anthropic_reply if record.protocol == "anthropic" else _openai_reply
        self._send(200, builder(record, text, payload), {})

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _first_user_text(protocol: str, body: dict[str, Any]) -> tuple[str, int]:
    """The first user message's text and the number of user turns (2+ means a repair)."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    if not users:
        return "", 0
    content = users[0].get("content", "")
    if isinstance(content, list):
        content = " ".join(str(part.get("text", "")) for part in content)
    return str(content), len(users)


def _reply_content(target_ids: list[int], action: Action) -> tuple[str, dict[str, Any] | None]:
    if action.raw_text is not None:
        return action.raw_text, None
    entries = [] if action.drop_ids else [expected_entry(n) for n in target_ids]
    if action.mutate is not None:
        for entry in entries:
            action.mutate(entry)
    payload = {"sentences": entries}
    return json.dumps(payload), payload


def _openai_reply(record: RecordedRequest, text: str, _payload: Any) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{len(text)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": record.body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": record.prompt_tokens,
            "completion_tokens": record.completion_tokens,
            "total_tokens": record.prompt_tokens + record.completion_tokens,
        },
    }


def _anthropic_reply(record: RecordedRequest, text: str, payload: Any) -> dict[str, Any]:
    if payload is None:
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        stop = "end_turn"
    else:
        tool = record.body.get("tools", [{}])[0].get("name", "tool")
        content = [{"type": "tool_use", "id": "toolu_fake", "name": tool, "input": payload}]
        stop = "tool_use"
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": record.body.get("model", "fake"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": record.prompt_tokens,
            "output_tokens": record.completion_tokens,
        },
    }


def _error_body(protocol: str, action: Action) -> dict[str, Any]:
    if protocol == "anthropic":
        return {"type": "error", "error": {"type": "api_error", "message": action.message}}
    return {"error": {"message": action.message, "type": "api_error", "code": None}}


@contextmanager
def fake_llm_server(latency_seconds: float = 0.0) -> Iterator[FakeLLMServer]:
    with FakeLLMServer(latency_seconds) as server:
        yield server


def serve_forever_in_foreground(latency_seconds: float) -> None:
    """`python -m tests.llm_fake_servers LATENCY`: serve until stdin closes; prints the port.

    Benchmarks run the server in its own process so its work does not share our GIL, as a
    real API would not."""
    import sys

    with FakeLLMServer(latency_seconds) as server:
        print(server.port, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    import sys

    serve_forever_in_foreground(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
