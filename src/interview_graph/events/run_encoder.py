"""RunEncoder: the events of one file run, straight into the stores' JSON form.

The pipeline makes two events per sentence from domain values that are already validated,
and it shares the CPU with the parser, so the dual-write encodes without pydantic: one
string format and one orjson dump per event.

It cannot drift from the validated path, because it owns no envelope of its own. For each
kind of event (type, aggregate type, with or without a cause) it builds one event with the
domain's envelope builder (`build_event`, fully validated) and encodes it with the codec,
with marker values in the four places that differ between events of that kind: the event
id, the aggregate id, occurred_at and the causation id. The document is cut at the markers
into a template; each event fills in its own values. The data is the draft's own JSON-form
dict, dumped as the codec dumps it. So every event it writes is byte for byte what
`codec.encode(build_event(draft, ...))` writes.

The values filled in need no JSON escaping: ids are canonical UUID strings (from
domain/ids and domain/events) and occurred_at is an ISO timestamp.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Final

from interview_graph.domain.event_drafts import EventDraft, build_event, json_occurred_at
from interview_graph.domain.events import Actor, AggregateType, EventType
from interview_graph.events import codec
from interview_graph.events.port import EncodedEvent

# Valid UUIDs that no uuid4/uuid5 can equal (their version digit is 0), and a moment no run
# happens at, so each marker stands for one slot of the template and nothing else.
_MARKER_MOMENT: Final = datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
_MARKERS: Final = (
    "00000000-0000-0000-0000-0000000e7e01",  # event_id
    "00000000-0000-0000-0000-0000000e7e02",  # aggregate_id
    json_occurred_at(_MARKER_MOMENT),  # occurred_at
    "00000000-0000-0000-0000-0000000e7e04",  # causation_id
)

_TemplateKey = tuple[EventType, AggregateType, bool]
_EVENT_ID, _AGGREGATE_ID, _OCCURRED_AT, _CAUSATION_ID = range(4)  # the markers' order
# Where each per-event slot's value sits in the (event_id, aggregate_id, causation_id) tuple
# that encode_all formats; occurred_at is filled in once per graph write instead.
_VALUE_INDEX = {_EVENT_ID: 0, _AGGREGATE_ID: 1, _CAUSATION_ID: 2}


_Render = Callable[[tuple[str, str, str | None]], str]


class _Template:
    """A metadata document cut at the markers: `pieces[i]` comes before `slots[i]`'s value,
    the last piece after the last value."""

    __slots__ = ("event_type", "pieces", "slots")

    def __init__(self, event_type: str, pieces: list[str], slots: list[int]) -> None:
        self.event_type = event_type
        self.pieces = pieces
        self.slots = slots

    def at(self, moment: str) -> _Render:
        """This document with occurred_at filled in, as a function of the values of the other
        slots: (event_id, aggregate_id, causation_id) -> metadata JSON."""
        pieces = [self.pieces[0]]
        picked: list[int] = []
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            if slot == _OCCURRED_AT:
                pieces[-1] += moment + piece
            else:
                picked.append(_VALUE_INDEX[slot])
                pieces.append(piece)
        return _renderer(pieces, picked)


def _renderer(pieces: list[str], picked: list[int]) -> _Render:
    """`pieces` joined with the picked values between them. Closures for the two shapes the
    envelope has (two ids; two ids and the cause twice) keep it to one join per event."""
    join = "".join
    if len(picked) == 2:
        p0, p1, p2 = pieces
        i0, i1 = picked
        return lambda v: join((p0, v[i0], p1, v[i1], p2))  # type: ignore[arg-type]
    if len(picked) == 4:
        p0, p1, p2, p3, p4 = pieces
        i0, i1, i2, i3 = picked
        return lambda v: join((p0, v[i0], p1, v[i1], p2, v[i2], p3, v[i3], p4))  # type: ignore[arg-type]
    slots = list(zip(picked, pieces[1:], strict=True))

    def render(values: tuple[str, str, str | None]) -> str:
        parts = [pieces[0]]
        for index, piece in slots:
            parts += (values[index] or "", piece)
        return join(parts)

    return render


class RunEncoder:
    """Encodes the events of one run (one actor, correlation id, project and source)."""

    def __init__(
        self, *, actor: Actor, correlation_id: str, project_id: str, source: str = "pipeline"
    ) -> None:
        self._actor = actor
        self._correlation_id = correlation_id
        self._project_id = project_id
        self._source = source
        self._templates: dict[_TemplateKey, _Template] = {}

    def encode(self, draft: EventDraft, occurred_at: datetime) -> EncodedEvent:
        (event,) = self.encode_all((draft,), occurred_at)
        return event

    def encode_all(self, drafts: Iterable[EventDraft], occurred_at: datetime) -> list[EncodedEvent]:
        """The drafts' events, all written at `occurred_at` (one graph write's moment).
        The template is looked up again only when the kind of event changes."""
        moment = json_occurred_at(occurred_at)
        correlation_id = self._correlation_id
        dumps = codec.dumps_json_data
        encoded: list[EncodedEvent] = []
        append = encoded.append
        kind: _TemplateKey | None = None
        type_name, render = "", _renderer([""], [])
        for draft in drafts:
            event_id, event_type, aggregate_type, aggregate_id, causation_id, data = draft
            if kind is None or (
                event_type is not kind[0]
                or aggregate_type is not kind[1]
                or (causation_id is not None) is not kind[2]
            ):
                kind = (event_type, aggregate_type, causation_id is not None)
                template = self._templates.get(kind) or self._template_for(kind, draft)
                type_name, render = template.event_type, template.at(moment)
            metadata = render((event_id, aggregate_id, causation_id))
            append(EncodedEvent(event_id, type_name, correlation_id, metadata, dumps(data)))
        return encoded

    def _template_for(self, kind: _TemplateKey, draft: EventDraft) -> _Template:
        """Cut the template of this kind of event from the validated envelope's document."""
        marked = draft._replace(
            event_id=_MARKERS[_EVENT_ID],
            aggregate_id=_MARKERS[_AGGREGATE_ID],
            causation_id=_MARKERS[_CAUSATION_ID] if draft.causation_id is not None else None,
        )
        prototype = build_event(
            marked,
            project_id=self._project_id,
            correlation_id=self._correlation_id,
            actor=self._actor,
            source=self._source,
            occurred_at=_MARKER_MOMENT,
        )
        metadata_json, _ = codec.encode(prototype)
        template = _cut(prototype.event_type, metadata_json)
        self._templates[kind] = template
        return template


def _cut(event_type: str, document: str) -> _Template:
    """Cut `document` at every marker, remembering which slot each one is."""
    found = sorted(
        (position, slot)
        for slot, marker in enumerate(_MARKERS)
        for position in _positions(document, marker)
    )
    slots = [slot for _, slot in found]
    if not {_EVENT_ID, _AGGREGATE_ID, _OCCURRED_AT} <= set(slots):
        raise RuntimeError(f"the {event_type} envelope does not hold its ids and time: {document}")
    pieces: list[str] = []
    last = 0
    for position, slot in found:
        pieces.append(document[last:position])
        last = position + len(_MARKERS[slot])
    pieces.append(document[last:])
    return _Template(event_type, pieces, slots)


def _positions(document: str, marker: str) -> list[int]:
    positions = []
    start = document.find(marker)
    while start != -1:
        positions.append(start)
        start = document.find(marker, start + len(marker))
    return positions
