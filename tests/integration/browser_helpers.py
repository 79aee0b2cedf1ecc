"""Driving the workbench in a real headless Chromium (Debian's `chromium` package, through
Playwright; no browser download) against a real `serve` process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.conftest import services_required
from tests.integration.cli_helpers import CLI, REPO

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("IG_SCREENSHOTS", REPO / "test-artifacts" / "screenshots"))

# What a page may add to the console: plotly.js's map stylesheet, inline text that the
# Content-Security-Policy blocks (no map is drawn), and plotly's notes about it.
ALLOWED_VIOLATION = ("style-src-elem", "/vendor/plotly.min.js")

# Records every Content-Security-Policy violation of a page (the init script runs through
# the browser's protocol, outside the page's policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push([e.effectiveDirective, e.sourceFile || "", e.sample || ""]);
});
"""


def chromium_path() -> str:
    """Debian's chromium binary; a missing browser fails the test command's run and skips
    a bare pytest run."""
    configured = os.environ.get("CHROMIUM_PATH")
    for candidate in (configured, *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    message = "chromium not installed (scripts/install-test-services.sh installs Debian's)"
    if services_required():
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """A real `interview-graph serve` on a free loopback port, until the block ends (its
    base URL)."""
    port = free_port()
    server = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:  # until it answers; a server that died instead fails the test
            assert server.poll() is None, server.communicate()
            try:
                get_json(f"{base}/healthz")
                break
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)


@dataclass
class Workbench:
    """One browser page on the served workbench, checked as it goes: no script error and no
    Content-Security-Policy violation beyond the allowed one, on every page it leaves."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.add_init_script(RECORD_VIOLATIONS)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str) -> Page:
        self.check()
        self.page.goto(self.base + path)
        self.ready()
        return self.page

    def ready(self) -> None:
        """The page's script has run (it marks the document)."""
        self.page.wait_for_selector("html[data-ready]", state="attached")

    def check(self) -> None:
        """The current page ran no script error and broke no policy."""
        assert self.errors == [], self.errors
        if not self.page.url.startswith(self.base):
            return
        violations = self.page.evaluate("window.__violations || []")
        unexpected = [v for v in violations if (v[0], v[1][len(self.base) :]) != ALLOWED_VIOLATION]
        assert unexpected == [], unexpected

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def accessible(self) -> None:
        """axe-core finds no serious or critical violation on the current page."""
        results = Axe().run(self.page)
        grave = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert grave == [], grave
