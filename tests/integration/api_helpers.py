"""Talking HTTP to a real `serve` process, and walking the app's routes."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """Status and JSON body of a GET."""
    status, body, _ = fetch_raw(url, headers)
    return status, json.loads(body)


def fetch_raw(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
    """Status, body and headers of a GET."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def wait_until_serving(server: subprocess.Popen[str], base: str) -> None:
    """Until /healthz answers; a server that died instead fails the test with its output."""
    while True:
        assert server.poll() is None, server.communicate()
        try:
            fetch(f"{base}/healthz")
            return
        except (ConnectionError, urllib.error.URLError):
            time.sleep(0.2)


def app_routes(app: FastAPI) -> Iterator[tuple[str, set[str], Any]]:
    """Every route of the app (those of included routers too): its path template, its
    methods and the route itself."""
    from fastapi import routing

    routes: Any = (
        routing.iter_route_contexts(app.routes)
        if hasattr(routing, "iter_route_contexts")
        else app.routes
    )
    for route in routes:
        yield route.path_format, set(route.methods or ()), route


def access_lines(stderr: str) -> list[dict[str, Any]]:
    """The access log's JSON lines among a server's stderr."""
    return [json.loads(line) for line in stderr.splitlines() if '"interview_graph.access"' in line]
