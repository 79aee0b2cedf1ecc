"""Events as the history pages list them: when, what (in words), who, and where to look."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from interview_graph.domain.events import AggregateType, DomainEvent

# Quoted sentence text is cut here; the sentence's own page has all of it.
QUOTE_LENGTH = 140


@dataclass(frozen=True, slots=True)
class EventRow:
    position: int | None
    occurred_at: str  # ISO 8601, for <time datetime>
    when: str  # as people read it, in UTC
    event_type: str
    what: str
    who: str
    sentence_id: str | None  # the sentence the event is about, if any
    sentence_number: int | None  # its number (1 is the first), when the event says it
    correlation_id: str
    event_id: str


def _quote(text: str) -> str:
    cut = text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1] + "…"
    return f"“{cut}”"


def _interview_created(data: dict[str, Any]) -> str:
    project = data.get("project_name") or data.get("project_id")
    return f"Interview “{data.get('title')}” created from {data.get('filename')} in {project}"


def _status_changed(data: dict[str, Any]) -> str:
    reason = f" ({data['reason']})" if data.get("reason") else ""
    return f"Status {data.get('from_status') or 'none'} → {data.get('to_status')}{reason}"


def _sentence_created(data: dict[str, Any]) -> str:
    speaker = data.get("speaker") or "no speaker"
    return f"Sentence #{int(data.get('index', 0)) + 1} ({speaker}): {_quote(str(data.get('text')))}"


def _analysis_generated(data: dict[str, Any]) -> str:
    labels = data.get("classification") or {}
    topics = [t.get("name") for t in data.get("topics", ()) if t.get("level") == 1]
    said = [labels.get("purpose"), labels.get("function_type"), *topics]
    return (
        f"Sentence #{int(data.get('sentence_index', 0)) + 1} analysed by "
        f"{data.get('model')} {data.get('model_version')}: {' · '.join(filter(None, said))}"
    )


_DESCRIBE: dict[str, Callable[[dict[str, Any]], str]] = {
    "InterviewCreated": _interview_created,
    "InterviewStatusChanged": _status_changed,
    "SentenceCreated": _sentence_created,
    "AnalysisGenerated": _analysis_generated,
}


def _what(event: DomainEvent) -> str:
    describe = _DESCRIBE.get(event.event_type)
    if describe is None or not event.is_known:
        return f"{event.event_type} (fields: {', '.join(sorted(event.data)) or 'none'})"
    return describe(event.data)


def _who(event: DomainEvent) -> str:
    actor = event.actor
    if actor.display:
        return actor.display
    return f"{actor.actor_type.value} · {actor.user_id}" if actor.user_id else actor.actor_type


def _number(data: dict[str, Any]) -> int | None:
    index = data.get("index", data.get("sentence_index"))
    return int(index) + 1 if isinstance(index, int) else None


def event_rows(events: Sequence[DomainEvent]) -> list[EventRow]:
    return [
        EventRow(
            position=event.position,
            occurred_at=event.occurred_at.isoformat(),
            when=event.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            event_type=event.event_type,
            what=_what(event),
            who=_who(event),
            sentence_id=(
                event.aggregate_id if event.aggregate_type == AggregateType.SENTENCE else None
            ),
            sentence_number=_number(event.data),
            correlation_id=event.correlation_id,
            event_id=event.event_id,
        )
        for event in events
    ]
