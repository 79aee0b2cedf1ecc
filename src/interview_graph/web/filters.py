"""The filter a page narrows sentences with, read from its query string: the API's sentence
filter (project, interview, speaker and the analysis labels), with times typed as a clock
(`12:30`) rather than milliseconds. Empty form fields mean "any"."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Annotated, Any

from fastapi import HTTPException, Query

from interview_graph.graph.port import SentenceFilter
from interview_graph.web.templating import clock

# The label fields a reader or a dashboard filters by, in the order forms show them.
LABELS: tuple[str, ...] = ("speaker", "function", "purpose", "topic", "keyword")

_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})\s*$|^\s*(\d+)\s*$")

Field = Annotated[str | None, Query(max_length=500)]


def parse_clock(text: str) -> int:
    """Milliseconds of `m:ss`, `h:mm:ss` or plain seconds; ValueError otherwise."""
    found = _CLOCK.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not a time: write it as m:ss, h:mm:ss or seconds")
    hours, minutes, seconds, plain = found.groups()
    if plain is not None:
        return int(plain) * 1000
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000


@dataclass(frozen=True, slots=True)
class PageFilter:
    project: str | None = None
    interview: str | None = None
    speaker: str | None = None
    function: str | None = None
    purpose: str | None = None
    topic: str | None = None
    keyword: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None

    def sentences(self) -> SentenceFilter:
        return SentenceFilter(
            self.project, self.interview, self.speaker, self.function, self.purpose,
            self.topic, self.keyword, self.from_ms, self.to_ms,
        )  # fmt: skip

    def labels(self) -> dict[str, str]:
        """The label fields that are set."""
        return {name: value for name in LABELS if (value := getattr(self, name)) is not None}

    def narrows(self) -> bool:
        """Whether it keeps fewer than all sentences of its scope (labels or times set)."""
        return bool(self.labels()) or self.from_ms is not None or self.to_ms is not None

    def scope(self) -> PageFilter:
        """Only the project and interview: what the form's choices are counted in."""
        return PageFilter(project=self.project, interview=self.interview)

    def with_(self, **changes: Any) -> PageFilter:
        return replace(self, **changes)

    def params(self) -> dict[str, str]:
        """The query string of a page with this filter (times as clocks)."""
        fields = {k: v for k, v in asdict(self).items() if k not in ("from_ms", "to_ms")}
        found = {k: str(v) for k, v in fields.items() if v is not None}
        if self.from_ms is not None:
            found["from_time"] = clock(self.from_ms)
        if self.to_ms is not None:
            found["to_time"] = clock(self.to_ms)
        return found

    def api_params(self) -> dict[str, str]:
        """The same filter as the API's query string."""
        return {k: str(v) for k, v in asdict(self).items() if v is not None}


def _set(value: str | None) -> str | None:
    return value if value else None


def page_filter(
    project: Field = None,
    interview: Field = None,
    speaker: Field = None,
    function: Field = None,
    purpose: Field = None,
    topic: Field = None,
    keyword: Field = None,
    from_time: Annotated[str | None, Query(max_length=20)] = None,
    to_time: Annotated[str | None, Query(max_length=20)] = None,
) -> PageFilter:
    try:
        from_ms = parse_clock(from_time) if from_time else None
        to_ms = parse_clock(to_time) if to_time else None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    if from_ms is not None and to_ms is not None and from_ms > to_ms:
        raise HTTPException(400, f"the range starts ({from_time}) after it ends ({to_time})")
    return PageFilter(
        _set(project), _set(interview), _set(speaker), _set(function), _set(purpose),
        _set(topic), _set(keyword), from_ms, to_ms,
    )  # fmt: skip
