"""The workbench's files: its own stylesheet and scripts (shipped in this package, under
static/) and the charting library, served from the installed `plotly` package itself, so no
copy of it lives in this repository and nothing is loaded from a CDN."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from fastapi.staticfiles import StaticFiles

STATIC_URL = "/static"
PLOTLY_URL = "/vendor/plotly.min.js"


def static_files() -> StaticFiles:
    """The app mounts this at STATIC_URL."""
    return StaticFiles(packages=[("interview_graph.web", "static")])


@cache
def plotly_js() -> Path:
    """plotly.js as the `plotly` package ships it (found without importing the package)."""
    spec = importlib.util.find_spec("plotly")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path
    raise FileNotFoundError(
        "plotly.js was not found in the installed `plotly` package; "
        "reinstall interview-graph (pip install -e .) to restore its dependencies"
    )
