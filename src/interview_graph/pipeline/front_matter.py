"""Optional YAML front matter at the top of a transcript: title, date, participants, project,
language. A block that is opened but never closed, or is not a mapping, is an error."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from interview_graph.domain.model import TranscriptMeta
from interview_graph.pipeline.errors import TranscriptError

_FRONT_OPEN = re.compile(r"---[ \t]*\r?\n")
_FRONT_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)


def front_matter(path: Path, text: str) -> tuple[TranscriptMeta, int]:
    opening = _FRONT_OPEN.match(text)
    if opening is None:
        return TranscriptMeta(), 0
    closing = _FRONT_CLOSE.search(text, opening.end())
    if closing is None:
        raise TranscriptError(
            path, "front matter opened with '---' on line 1 is never closed; add a '---' line"
        )
    block = text[opening.end() : closing.start()]
    try:
        data = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 2}" if mark is not None else "the front matter"
        problem = getattr(exc, "problem", None) or str(exc)
        raise TranscriptError(
            path, f"invalid YAML front matter at {line}: {problem}; fix or remove it"
        ) from exc
    if not isinstance(data, dict):
        raise TranscriptError(
            path, "front matter must be a YAML mapping (title:, date:, participants:, project:)"
        )
    return _meta_from(path, data), closing.end()


def _meta_from(path: Path, data: dict[str, Any]) -> TranscriptMeta:
    participants = data.get("participants") or ()
    if isinstance(participants, str):
        participants = [name.strip() for name in participants.split(",") if name.strip()]
    if not isinstance(participants, list | tuple):
        raise TranscriptError(path, "front matter 'participants' must be a list of names")
    return TranscriptMeta(
        title=_scalar(data.get("title")),
        date=_scalar(data.get("date")),
        participants=tuple(str(name) for name in participants),
        project=_scalar(data.get("project")),
        language=_scalar(data.get("language")) or "en",
    )


def _scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
