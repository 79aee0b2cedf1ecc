"""What the API records about each request, and /metrics that shows it.

`RequestObserver` is a pure ASGI middleware (no request objects, one timer per request),
outside everything else, so it sees every request, routed or not. It

* gives each request an id, returned as `X-Request-ID` (an incoming well-formed
  `X-Request-ID`, e.g. from a proxy, is kept so the two logs join up);
* counts it and times it in `http_requests_total` / `http_request_duration_seconds`, by the
  matched route's template (`/api/interviews/{interview_id}`, or `(unmatched)`), the method
  and the status class, so no client can create new series by inventing paths;
* logs it as one JSON line on the `interview_graph.access` logger (stderr): method, route,
  path (never the query string, where secrets end up), status, duration_ms, client address,
  user ("-" without a token) and request id.

Both are recorded when the response's last part is handed to the server, before the client
can have it: a client that has read a response will find it counted.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import MutableMapping
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interview_graph import metrics
from interview_graph.api.auth import user_name

ACCESS_LOGGER = "interview_graph.access"
REQUEST_ID_HEADER = b"x-request-id"
UNMATCHED = "(unmatched)"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_GOOD_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_MAX_LOGGED_PATH = 512

_access_log = logging.getLogger(ACCESS_LOGGER)

metrics_router = APIRouter(tags=["operations"])


@metrics_router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
async def prometheus_metrics() -> Response:
    """Request counts and latencies per route, the dual-write and LLM metrics."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


class RequestObserver:
    def __init__(self, app: ASGIApp, *, count: bool = True, log: bool = True) -> None:
        self.app = app
        self.count = count
        self.log = log
        self._series: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 500
        recorded = False

        async def observed_send(message: Message) -> None:
            nonlocal status, recorded
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)],
                }
            elif not message.get("more_body", False) and not recorded:
                recorded = True
                self._record(scope, status, started, request_id)
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            if not recorded:  # an exception, or a client gone before the end
                self._record(scope, status, started, request_id)

    def _record(self, scope: Scope, status: int, started: float, request_id: bytes) -> None:
        seconds = time.perf_counter() - started
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = route_template(scope)
        status_class = f"{status // 100}xx"
        if self.count:
            requests, duration = self._series_for(method, route, status_class)
            requests.inc()
            duration.observe(seconds)
        if self.log and _access_log.isEnabledFor(logging.INFO):
            _log_access(scope, method, route, status, seconds, request_id)

    def _series_for(self, method: str, route: str, status_class: str) -> tuple[Counter, Histogram]:
        key = (method, route, status_class)
        series = self._series.get(key)
        if series is None:
            series = (
                metrics.HTTP_REQUESTS.labels(method, route, status_class),
                metrics.HTTP_REQUEST_DURATION.labels(method, route, status_class),
            )
            self._series[key] = series
        return series


def route_template(scope: MutableMapping[str, Any]) -> str:
    """The matched route's path template, `(unmatched)` when no route matched."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED


def _request_id(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _GOOD_REQUEST_ID.fullmatch(value):
            return bytes(value)
    return secrets.token_hex(8).encode("ascii")


def _log_access(
    scope: Scope, method: str, route: str, status: int, seconds: float, request_id: bytes
) -> None:
    path = scope["path"][:_MAX_LOGGED_PATH]
    client = scope.get("client")
    _access_log.info(
        "%s %s %d",
        method,
        path,
        status,
        extra={
            "method": method,
            "route": route,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": client[0] if client else "-",
            "user": user_name(scope),
            "request_id": request_id.decode("ascii"),
        },
    )


def enable_access_log() -> None:
    """Access lines are INFO records: shown whatever LOG_LEVEL says for the rest."""
    _access_log.setLevel(logging.INFO)
