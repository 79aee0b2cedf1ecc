"""The EventStore contract, run against every backend on a real server.

A backend's test module subclasses `EventStoreContract` and implements three hooks:
`open_isolated_store()` (a fresh, empty store), `open_same_store(store)` (a second,
independent connection to the same store, for concurrency) and `unreachable_store()`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from interview_graph.domain.event_drafts import interview_created, sentence_created
from interview_graph.domain.events import (
    Actor,
    ActorType,
    AggregateType,
    DomainEvent,
    EventType,
    interview_stream,
    sentence_stream,
)
from interview_graph.domain.ids import sentence_id_for
from interview_graph.domain.model import Interview, InterviewStatus, Sentence
from interview_graph.events.port import (
    ANY,
    EXISTS,
    NO_STREAM,
    AppendRequest,
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    EventStoreClosedError,
    EventStoreUnavailableError,
)


def make_event(
    aggregate_id: str,
    *,
    event_type: str = "NoteTaken",
    data: dict[str, object] | None = None,
    aggregate_type: AggregateType = AggregateType.INTERVIEW,
) -> DomainEvent:
    """A generic event with a fresh id; unknown event types must round-trip untouched."""
    return DomainEvent(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        occurred_at=datetime.now(UTC),
        actor=Actor(actor_type=ActorType.HUMAN, user_id="u-1", display="Ana Müller"),
        correlation_id=str(uuid.uuid4()),
        causation_id=str(uuid.uuid4()),
        source="test",
        project_id=str(uuid.uuid4()),
        data=data if data is not None else {"n": 1},
    )


def new_stream() -> tuple[str, str]:
    aggregate_id = str(uuid.uuid4())
    return interview_stream(aggregate_id), aggregate_id


def sample_interview() -> Interview:
    return Interview(
        interview_id=str(uuid.uuid4()),
        project_id=str(uuid.uuid4()),
        project_name="Project ü",
        title="Kick-off",
        source="samples/a.txt",
        filename="a.txt",
        language="en",
        content_sha256="ab" * 32,
        status=InterviewStatus.PROCESSING,
        created_at=datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC),
        date="2024-05-01",
        participants=("Ana", "Bo"),
    )


def sample_sentence(interview: Interview, index: int) -> Sentence:
    return Sentence(
        sentence_id=sentence_id_for(interview.interview_id, index),
        interview_id=interview.interview_id,
        sequence_order=index,
        text=f"Sentence {index}.",
        speaker="Ana",
        start_ms=1000 * index,
        end_ms=1000 * index + 900,
        start_char=10 * index,
        end_char=10 * index + 9,
    )


def without_store_fields(event: DomainEvent) -> dict[str, object]:
    return event.model_dump(exclude={"version", "position"})


class EventStoreContract:
    """Subclass per backend; every test gets its own empty store."""

    async def open_isolated_store(self) -> EventStore:
        raise NotImplementedError

    async def open_same_store(self, store: EventStore) -> EventStore:
        raise NotImplementedError

    def unreachable_store(self) -> EventStore:
        raise NotImplementedError

    @pytest.fixture
    async def store(self) -> AsyncIterator[EventStore]:
        opened = await self.open_isolated_store()
        try:
            yield opened
        finally:
            await opened.close()

    # ------------------------------------------------------------ round trip

    async def test_round_trip_preserves_every_envelope_field(self, store: EventStore) -> None:
        interview = sample_interview()
        stream = interview_stream(interview.interview_id)
        occurred = datetime(2024, 5, 1, 14, 0, 0, 654321, tzinfo=timezone(timedelta(hours=2)))
        created = interview_created(
            interview,
            correlation_id=str(uuid.uuid4()),
            causation_id=str(uuid.uuid4()),
            actor=Actor(actor_type=ActorType.AI, user_id="model-7", display="Analyzer"),
            source="import",
            occurred_at=occurred,
        )
        other = make_event(interview.interview_id)
        position = await store.append(stream, [created, other], NO_STREAM)

        read = await store.read_stream(stream)
        assert [without_store_fields(e) for e in read] == [
            without_store_fields(created),
            without_store_fields(other),
        ]
        assert [e.version for e in read] == [0, 1]
        assert read[0].position is not None and read[1].position == position
        assert read[0].position < read[1].position
        assert read[0].occurred_at == occurred and read[0].occurred_at.tzinfo == UTC
        assert read[0].typed_data() == created.typed_data()
        assert read[1].typed_data() is None and read[1].data == {"n": 1}
        assert await store.current_version(stream) == 1
        assert await store.read_stream(stream, from_version=1) == [read[1]]

    async def test_missing_stream_reads_empty(self, store: EventStore) -> None:
        stream, _ = new_stream()
        assert await store.read_stream(stream) == []
        assert await store.current_version(stream) is None

    # ------------------------------------------------------------ expectations

    async def test_no_stream_expectation(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        await store.append(stream, [make_event(aggregate_id)], NO_STREAM)
        with pytest.raises(ConcurrencyError) as caught:
            await store.append(stream, [make_event(aggregate_id)], NO_STREAM)
        assert caught.value.stream == stream
        assert caught.value.expected == NO_STREAM and caught.value.actual == 0
        assert stream in str(caught.value) and "NO_STREAM" in str(caught.value)
        assert await store.current_version(stream) == 0

    async def test_exists_expectation(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        with pytest.raises(ConcurrencyError) as caught:
            await store.append(stream, [make_event(aggregate_id)], EXISTS)
        assert caught.value.actual is None and "no stream" in str(caught.value)
        assert await store.current_version(stream) is None
        await store.append(stream, [make_event(aggregate_id)], ANY)
        await store.append(stream, [make_event(aggregate_id)], EXISTS)
        assert await store.current_version(stream) == 1

    async def test_int_revision_expectation(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        with pytest.raises(ConcurrencyError):
            await store.append(stream, [make_event(aggregate_id)], 0)
        await store.append(stream, [make_event(aggregate_id), make_event(aggregate_id)], ANY)
        with pytest.raises(ConcurrencyError) as caught:
            await store.append(stream, [make_event(aggregate_id)], 0)
        assert caught.value.expected == 0 and caught.value.actual == 1
        assert "version 0" in str(caught.value) and "version 1" in str(caught.value)
        await store.append(stream, [make_event(aggregate_id)], 1)
        assert [e.version for e in await store.read_stream(stream)] == [0, 1, 2]

    async def test_any_expectation_always_appends(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        for _ in range(3):
            await store.append(stream, [make_event(aggregate_id)], ANY)
        assert await store.current_version(stream) == 2

    async def test_bad_arguments_are_rejected_before_writing(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        event = make_event(aggregate_id)
        with pytest.raises(ValueError, match="at least one event"):
            await store.append(stream, [], ANY)
        with pytest.raises(ValueError, match="same event id twice"):
            await store.append(stream, [event, event], ANY)
        with pytest.raises(ValueError, match="expected must be"):
            await store.append(stream, [event], -1)
        assert await store.current_version(stream) is None

    # ------------------------------------------------------------ concurrency

    async def test_concurrent_writers_same_revision_exactly_one_wins(
        self, store: EventStore
    ) -> None:
        other = await self.open_same_store(store)
        try:
            for round_number in range(5):
                stream, aggregate_id = new_stream()
                await store.append(stream, [make_event(aggregate_id)], NO_STREAM)
                batch_a = [make_event(aggregate_id, data={"w": "a", "i": i}) for i in range(3)]
                batch_b = [make_event(aggregate_id, data={"w": "b", "i": i}) for i in range(3)]
                results = await asyncio.gather(
                    store.append(stream, batch_a, 0),
                    other.append(stream, batch_b, 0),
                    return_exceptions=True,
                )
                errors = [r for r in results if isinstance(r, BaseException)]
                assert len(errors) == 1, f"round {round_number}: {results}"
                assert isinstance(errors[0], ConcurrencyError), errors[0]
                winner = batch_a if isinstance(results[1], BaseException) else batch_b
                recorded = await store.read_stream(stream)
                assert [e.event_id for e in recorded[1:]] == [e.event_id for e in winner]
                assert [e.version for e in recorded] == [0, 1, 2, 3]
        finally:
            await other.close()

    # ------------------------------------------------------------ idempotency

    async def test_re_append_of_same_ids_is_a_noop(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        events = [make_event(aggregate_id), make_event(aggregate_id)]
        position = await store.append(stream, events, NO_STREAM)
        await store.append(stream, [make_event(aggregate_id)], ANY)
        for expected in (ANY, NO_STREAM, EXISTS, 0, 7):
            assert await store.append(stream, events, expected) == position
        assert await store.append(stream, events[:1], 5) < position
        assert len(await store.read_stream(stream)) == 3

    async def test_builders_re_emit_same_fact_once(self, store: EventStore) -> None:
        interview = sample_interview()
        sentence = sample_sentence(interview, 3)
        stream = sentence_stream(sentence.sentence_id)
        first = sentence_created(
            sentence, project_id=interview.project_id, correlation_id=str(uuid.uuid4())
        )
        again = sentence_created(
            sentence, project_id=interview.project_id, correlation_id=str(uuid.uuid4())
        )
        assert first.event_id == again.event_id
        position = await store.append(stream, [first], NO_STREAM)
        assert await store.append(stream, [again], NO_STREAM) == position
        assert [e.correlation_id for e in await store.read_stream(stream)] == [first.correlation_id]

    async def test_partly_recorded_batch_is_refused(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        old = make_event(aggregate_id)
        await store.append(stream, [old], NO_STREAM)
        new = make_event(aggregate_id)
        with pytest.raises(DuplicateEventError, match=new.event_id):
            await store.append(stream, [old, new], ANY)
        assert [e.event_id for e in await store.read_stream(stream)] == [old.event_id]

    # ------------------------------------------------------------ append_batch

    async def test_append_batch_writes_many_streams(self, store: EventStore) -> None:
        interview = sample_interview()
        sentences = [sample_sentence(interview, i) for i in range(20)]
        requests = [
            AppendRequest(
                sentence_stream(s.sentence_id),
                [
                    sentence_created(
                        s, project_id=interview.project_id, correlation_id=str(uuid.uuid4())
                    )
                ],
                NO_STREAM,
            )
            for s in sentences
        ]
        positions = await store.append_batch(requests)
        assert len(positions) == 20 and positions == sorted(set(positions))
        for request, position in zip(requests, positions, strict=True):
            (recorded,) = await store.read_stream(request.stream)
            assert recorded.position == position and recorded.version == 0
        assert await store.append_batch(requests) == positions  # idempotent redelivery

    async def test_append_batch_same_stream_twice_sees_first_request(
        self, store: EventStore
    ) -> None:
        stream, aggregate_id = new_stream()
        first, second = make_event(aggregate_id), make_event(aggregate_id)
        await store.append_batch(
            [AppendRequest(stream, [first], NO_STREAM), AppendRequest(stream, [second], 0)]
        )
        assert [e.event_id for e in await store.read_stream(stream)] == [
            first.event_id,
            second.event_id,
        ]

    async def test_append_batch_with_one_bad_expectation_writes_nothing(
        self, store: EventStore
    ) -> None:
        if self.batch_is_atomic_across_streams:
            existing, existing_id = new_stream()
            await store.append(existing, [make_event(existing_id)], NO_STREAM)
            fresh = [new_stream() for _ in range(3)]
            requests = [AppendRequest(s, [make_event(a)], NO_STREAM) for s, a in fresh]
            requests.insert(2, AppendRequest(existing, [make_event(existing_id)], NO_STREAM))
            with pytest.raises(ConcurrencyError) as caught:
                await store.append_batch(requests)
            assert caught.value.stream == existing
            for stream, _ in fresh:
                assert await store.current_version(stream) is None
            assert await store.current_version(existing) == 0
        else:
            pytest.skip(f"{store.backend} appends a batch stream by stream (documented)")

    batch_is_atomic_across_streams = True
    shared_global_log = False  # True: other tests/runs write to the same global log

    # ------------------------------------------------------------ read_all

    async def test_read_all_order_and_filters(self, store: EventStore) -> None:
        start = await store.last_position()
        interview = sample_interview()
        correlation = str(uuid.uuid4())
        interview_events = [interview_created(interview, correlation_id=correlation)]
        sentences = [sample_sentence(interview, i) for i in range(3)]
        await store.append(interview_stream(interview.interview_id), interview_events)
        for s in sentences:
            event = sentence_created(s, project_id=interview.project_id, correlation_id=correlation)
            await store.append(sentence_stream(s.sentence_id), [event])
        note = make_event(interview.interview_id)
        await store.append(interview_stream(interview.interview_id), [note])

        mine = {interview_events[0].event_id, note.event_id}
        mine |= {
            e.event_id
            for s in sentences
            for e in await store.read_stream(sentence_stream(s.sentence_id))
        }

        def only_mine(events: list[DomainEvent]) -> list[DomainEvent]:
            return [e for e in events if e.event_id in mine]

        everything = only_mine(await store.read_all(start))
        positions = [e.position for e in everything]
        assert len(everything) == 5
        assert all(p is not None for p in positions)
        assert positions == sorted(set(positions))  # type: ignore[type-var]
        assert [e.event_type for e in everything] == [
            "InterviewCreated",
            "SentenceCreated",
            "SentenceCreated",
            "SentenceCreated",
            "NoteTaken",
        ]
        only_sentences = only_mine(await store.read_all(start, [EventType.SENTENCE_CREATED]))
        assert [e.aggregate_id for e in only_sentences] == [s.sentence_id for s in sentences]
        by_prefix = only_mine(await store.read_all(start, stream_prefix="Interview-"))
        assert [e.event_type for e in by_prefix] == ["InterviewCreated", "NoteTaken"]
        both = only_mine(await store.read_all(start, ["NoteTaken"], "Interview-"))
        assert [e.event_id for e in both] == [note.event_id]
        assert await store.read_all(event_types=[]) == []
        after_second = only_mine(await store.read_all(everything[1].position or 0))
        assert after_second == everything[2:]
        assert only_mine(await store.read_all(everything[-1].position or 0)) == []
        if not self.shared_global_log:
            assert await store.read_all(start) == everything
            assert await store.read_all(start, limit=2) == everything[:2]

    # ------------------------------------------------------------ subscribe

    async def test_subscribe_catches_up_then_delivers_new_events(self, store: EventStore) -> None:
        start = await store.last_position()
        stream, aggregate_id = new_stream()
        before = make_event(aggregate_id)
        await store.append(stream, [before])
        received: list[DomainEvent] = []
        got_first = asyncio.Event()
        got_all = asyncio.Event()

        async def consume() -> None:
            async for event in store.subscribe(start, stream_prefix=stream):
                received.append(event)
                got_first.set()
                if len(received) == 4:
                    got_all.set()
                    return

        task = asyncio.create_task(consume())
        try:
            await asyncio.wait_for(got_first.wait(), 10)
            later = [make_event(aggregate_id) for _ in range(3)]
            await store.append(stream, later[:2])
            await store.append(stream, later[2:])
            await asyncio.wait_for(got_all.wait(), 10)
        finally:
            task.cancel()
        assert [e.event_id for e in received] == [e.event_id for e in [before, *later]]

    async def test_subscriber_misses_nothing_under_concurrent_writers(
        self, store: EventStore
    ) -> None:
        """Global order is gap-safe: a live subscriber sees every commit exactly once."""
        writers = [await self.open_same_store(store) for _ in range(3)]
        per_writer = 40
        received: list[DomainEvent] = []
        done = asyncio.Event()
        start = await store.last_position()
        written: set[str] = set()

        async def consume() -> None:
            async for event in store.subscribe(start):
                if self.shared_global_log and event.event_id not in written:
                    continue
                received.append(event)
                if len(received) == per_writer * len(writers):
                    done.set()
                    return

        async def write(writer: EventStore) -> None:
            for _ in range(per_writer):
                stream, aggregate_id = new_stream()
                event = make_event(aggregate_id)
                written.add(event.event_id)
                await writer.append(stream, [event])

        task = asyncio.create_task(consume())
        try:
            await asyncio.gather(*(write(w) for w in writers))
            await asyncio.wait_for(done.wait(), 20)
        finally:
            task.cancel()
            for writer in writers:
                await writer.close()
        positions = [e.position for e in received]
        assert positions == sorted(set(positions))  # type: ignore[type-var]
        logged = [e.event_id for e in await store.read_all(start) if e.event_id in written]
        assert [e.event_id for e in received] == logged and len(logged) == len(written)

    async def test_subscribe_from_position_skips_earlier(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        first = await store.append(stream, [make_event(aggregate_id)])
        second = make_event(aggregate_id)
        await store.append(stream, [second])
        iterator = store.subscribe(first, stream_prefix=stream)
        event = await asyncio.wait_for(anext(iterator), 10)
        assert event.event_id == second.event_id
        await iterator.aclose()  # type: ignore[attr-defined]

    # ------------------------------------------------------------ payloads

    @pytest.mark.parametrize(
        "data",
        [
            {"text": "Grüße, 你好, مرحبا, 👩🏽‍💻, e\u0301, \u2028\u2029 \ufeff"},
            {"text": "quotes ' \" `, backslash \\ \\\\, percent %s %(x)s {x} ?, --; DROP"},
            {"text": "".join(chr(c) for c in range(32)) + "\x7f\u0085"},
            {"nested": {"list": [1, 2.5, None, True, "x"], "empty": {}, "big": 2**53 + 1}},
        ],
        ids=["unicode", "quotes", "control-chars", "nested"],
    )
    async def test_awkward_payloads_round_trip_exactly(
        self, store: EventStore, data: dict[str, object]
    ) -> None:
        start = await store.last_position()
        stream, aggregate_id = new_stream()
        event = make_event(aggregate_id, data=data)
        await store.append(stream, [event])
        (recorded,) = await store.read_stream(stream)
        assert recorded.data == data
        (from_all,) = await store.read_all(start, stream_prefix=stream)
        assert from_all.data == data

    async def test_one_megabyte_payload_round_trips(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        blob = ("abcdefghij" * 104_858)[:1_048_576]
        event = make_event(aggregate_id, data={"blob": blob, "tail": "ü\x00end"})
        await store.append(stream, [event])
        (recorded,) = await store.read_stream(stream)
        assert recorded.data == event.data and len(recorded.data["blob"]) == 1_048_576

    # ------------------------------------------------------------ failures

    async def test_closed_store_fails_with_clear_error(self) -> None:
        """A closed store refuses at once: it raises instead of trying to reconnect."""
        store = await self.open_isolated_store()
        await store.close()
        stream, aggregate_id = new_stream()
        with pytest.raises(EventStoreClosedError, match="closed"):
            await store.append(stream, [make_event(aggregate_id)])
        with pytest.raises(EventStoreClosedError):
            await store.read_stream(stream)

    async def test_unreachable_store_fails_with_clear_error(self) -> None:
        """Each backend gives up after its own connect timeout (`unreachable_store` sets a
        short one), so this returns; the test checks what fails, not how long it took."""
        store = self.unreachable_store()
        with pytest.raises(EventStoreUnavailableError) as caught:
            async with store:
                await store.current_version("Interview-x")
        assert "secret" not in str(caught.value)
