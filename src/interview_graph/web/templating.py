"""Rendering pages: one Jinja2 environment with autoescaping on for every template, so
transcript text, names and labels are always escaped; templates never mark data `|safe`.
Every page is answered with the headers of `headers.py`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from interview_graph.web.assets import PLOTLY_URL, STATIC_URL
from interview_graph.web.headers import PAGE_HEADERS

# Colours a label can take (the stylesheet defines .c0 ... .c11): a label's colour is the
# same on every page and in every interview.
PALETTE_SIZE = 12


def clock(milliseconds: int | None) -> str:
    """12:05 or 1:02:05; empty for a sentence without a time."""
    if milliseconds is None:
        return ""
    seconds = milliseconds // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def colour(value: str | None) -> int:
    """The palette index of a label, from a digest of its text (stable across runs)."""
    digest = hashlib.blake2s((value or "").encode(), digest_size=2).digest()
    return int.from_bytes(digest, "big") % PALETTE_SIZE


def query(params: Mapping[str, Any], **changes: Any) -> str:
    """`?a=1&b=2` of the set values (None and "" left out), after applying `changes`."""
    merged = {**params, **changes}
    kept = {key: value for key, value in merged.items() if value not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


def segment(value: str) -> str:
    """A value as one URL path segment."""
    return quote(value, safe="")


_environment = Environment(
    loader=PackageLoader("interview_graph.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters.update(clock=clock, colour=colour, segment=segment)
_environment.globals.update(query=query, STATIC_URL=STATIC_URL, PLOTLY_URL=PLOTLY_URL)


def render(template: str, context: Mapping[str, Any], status_code: int = 200) -> HTMLResponse:
    html = _environment.get_template(template).render(context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
