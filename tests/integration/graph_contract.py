"""The GraphStore contract: every backend must pass these tests against a real server.

Subclasses provide the `store` fixture: an opened store on an empty graph with its schema.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from interview_graph.domain.ids import (
    analysis_id_for,
    interview_id_for,
    project_id_for,
    sentence_id_for,
)
from interview_graph.domain.model import (
    Analysis,
    Interview,
    InterviewStatus,
    Sentence,
    TopicMention,
)
from interview_graph.graph.export import INTERVIEW_LABELS, SHARED_LABELS, to_jsonl_line
from interview_graph.graph.port import (
    FACET_DIMENSIONS,
    FacetCount,
    Facets,
    GraphStore,
    GraphStoreError,
    SentenceFilter,
    SentencePlace,
)

TRICKY_TEXTS: tuple[str, ...] = (
    "She said \"quote\" and 'single' `backtick` $param {map: 1} \\ backslash",
    "line one\nline two\r\n\ttabbed",
    "unicode: café naïve 漢字 😀 \u200b zero-width, RTL שלום",
    "MATCH (n) DETACH DELETE n; RETURN 1 // CREATE INDEX } ) ]",
    "",
)


def make_interview(project: str = "Acme", sha: str = "a" * 64, title: str = "Kickoff") -> Interview:
    project_id = project_id_for(project)
    return Interview(
        interview_id=interview_id_for(project_id, sha),
        project_id=project_id,
        project_name=project,
        title=title,
        source="transcript",
        filename=f"{title.lower()}.txt",
        language="en",
        content_sha256=sha,
        status=InterviewStatus.PROCESSING,
        created_at=datetime(2024, 5, 17, 9, 30, 0, 123000, tzinfo=UTC),
        date="2024-05-16",
        participants=("Ana", "Bo"),
    )


def make_sentences(interview: Interview, count: int, texts: Sequence[str] = ()) -> list[Sentence]:
    sentences = []
    for order in range(count):
        text = texts[order] if order < len(texts) else f"Sentence number {order}."
        sentences.append(
            Sentence(
                sentence_id=sentence_id_for(interview.interview_id, order),
                interview_id=interview.interview_id,
                sequence_order=order,
                text=text,
                speaker="Ana" if order % 2 == 0 else "Bo",
                start_ms=order * 1000,
                end_ms=order * 1000 + 900,
                start_char=order * 20,
                end_char=order * 20 + len(text),
            )
        )
    return sentences


def make_analysis(
    sentence: Sentence, model: str = "offline", version: str = "1", variant: int = 0
) -> Analysis:
    """Labels depend on the sentence order and the variant, so re-analyses really differ."""
    n = sentence.sequence_order + variant
    return Analysis(
        analysis_id=analysis_id_for(sentence.sentence_id, model, version),
        sentence_id=sentence.sentence_id,
        interview_id=sentence.interview_id,
        sequence_order=sentence.sequence_order,
        model=model,
        model_version=version,
        function_type=("declarative", "interrogative")[n % 2],
        structure_type=("simple", "complex", "compound")[n % 3],
        purpose=("Statement", "Query", "Answer", "Musing")[n % 4],
        topics=(TopicMention("goals", 1), TopicMention(f"topic-{n % 5}", 3)),
        overall_keywords=(f"kw-{n % 7}", "shared", f"kw-{(n + 1) % 7}"),
        domain_keywords=(f"domain-{variant}",) if n % 2 else (),
        confidence={
            "function": 0.9,
            "structure": 0.75,
            "purpose": 0.6125,
            "topics": 0.5,
            "keywords": 0.33,
            "domain_keywords": 0.8,
        },
        created_at=datetime(2024, 5, 17, 10, 0, tzinfo=UTC),
    )


async def write_all(
    store: GraphStore,
    interview: Interview,
    sentences: Sequence[Sentence],
    analyses: Sequence[Analysis] = (),
    batch: int = 500,
) -> None:
    await store.write_interview(interview)
    for start in range(0, len(sentences), batch):
        await store.write_sentences(sentences[start : start + batch], interview.filename)
    for start in range(0, len(analyses), batch):
        await store.write_analyses(analyses[start : start + batch])


async def export_lines(store: GraphStore, interview_id: str | None = None) -> list[str]:
    return [to_jsonl_line(record) async for record in store.export(interview_id)]


async def follows_pairs(store: GraphStore, interview_id: str) -> set[tuple[int, int]]:
    """(from order, to order) of every FOLLOWS relationship of the interview."""
    order_of: dict[str, int] = {}
    pairs = []
    async for record in store.export(interview_id):
        if record["kind"] == "node" and record["label"] == "Sentence":
            order_of[record["key"]] = record["properties"]["sequence_order"]
        elif record["kind"] == "relationship" and record["type"] == "FOLLOWS":
            pairs.append((record["start"][1], record["end"][1]))
    return {(order_of[start], order_of[end]) for start, end in pairs}


def expected_facets(
    rows: Sequence[tuple[str, Sentence, Analysis | None]], wanted: SentenceFilter, limit: int
) -> Facets:
    """The facets computed the plain way, from the rows written (project, sentence, its
    one analysis or None)."""

    def keeps(project: str, s: Sentence, a: Analysis | None) -> bool:
        checks = [
            wanted.project in (None, project),
            wanted.interview_id in (None, s.interview_id),
            wanted.speaker in (None, s.speaker),
            wanted.from_ms is None or (s.end_ms or s.start_ms or 0) >= wanted.from_ms,
            wanted.to_ms is None or (s.start_ms or 0) <= wanted.to_ms,
        ]
        if any(v is not None for v in (wanted.function, wanted.purpose, wanted.topic)) or (
            wanted.keyword is not None
        ):
            if a is None:
                return False
            checks += [
                wanted.function in (None, a.function_type),
                wanted.purpose in (None, a.purpose),
                wanted.topic in (None, *[t.name for t in a.topics if t.level == 1]),
                wanted.keyword in (None, *a.overall_keywords, *a.domain_keywords),
            ]
        return all(checks)

    chosen = [(s, a) for project, s, a in rows if keeps(project, s, a)]
    values: dict[str, list[list[str | None]]] = {
        "speaker": [[s.speaker] for s, _ in chosen],
        "function": [[a.function_type] for _, a in chosen if a],
        "structure": [[a.structure_type] for _, a in chosen if a],
        "purpose": [[a.purpose] for _, a in chosen if a],
        "topic": [[t.name for t in a.topics if t.level == 1] for _, a in chosen if a],
        "keyword": [list(set(a.overall_keywords)) for _, a in chosen if a],
    }
    counts = {}
    for dimension, per_sentence in values.items():
        tally: dict[str | None, int] = {}
        for sentence_values in per_sentence:
            for value in sentence_values:
                tally[value] = tally.get(value, 0) + 1
        top = sorted(tally.items(), key=lambda item: (-item[1], item[0] or ""))[:limit]
        counts[dimension] = [FacetCount(value, n) for value, n in top]
    return Facets(total=len(chosen), counts=counts)


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {name: count for name, count in counts.items() if count}


class GraphStoreContract:
    """Behaviour every GraphStore backend must show; subclass and provide `store`."""

    @pytest.fixture
    def store(self) -> Any:
        raise NotImplementedError("subclasses provide an opened store on an empty graph")

    async def test_ensure_schema_is_idempotent(self, store: GraphStore) -> None:
        await store.ensure_schema()
        await store.ensure_schema()
        interview = make_interview()
        await write_all(store, interview, make_sentences(interview, 3))
        await store.ensure_schema()
        assert nonzero(await store.stats()) == {
            "Project": 1, "Interview": 1, "Sentence": 3, "SourceFile": 1,
            "CONTAINS_INTERVIEW": 1, "HAS_SENTENCE": 3, "PART_OF_FILE": 3, "FOLLOWS": 2,
        }  # fmt: skip

    async def test_round_trip_is_exact(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 12)
        analyses = [make_analysis(s) for s in sentences]
        await write_all(store, interview, sentences, analyses, batch=5)

        assert await store.get_interview(interview.interview_id) == interview
        views = await store.get_sentences(interview.interview_id)
        assert [v.sentence for v in views] == sentences
        assert [v.analyses for v in views] == [(a,) for a in analyses]

    async def test_sentences_read_page_by_page(self, store: GraphStore) -> None:
        interview = make_interview()
        other = make_interview(sha="b" * 64, title="Other")
        sentences = make_sentences(interview, 12)
        analyses = [make_analysis(s) for s in sentences]
        await write_all(store, interview, sentences, analyses, batch=5)
        await write_all(store, other, make_sentences(other, 4))

        pages = [
            await store.get_sentences(interview.interview_id, start, 5) for start in (0, 5, 10)
        ]
        assert [[v.sentence for v in page] for page in pages] == [
            sentences[0:5], sentences[5:10], sentences[10:12],
        ]  # fmt: skip
        assert [v.analyses for page in pages for v in page] == [(a,) for a in analyses]
        assert await store.get_sentences(interview.interview_id, 12, 5) == []
        assert [v.sentence for v in await store.get_sentences(interview.interview_id, 7)] == (
            sentences[7:]
        )

    async def test_unknown_interview_reads_empty(self, store: GraphStore) -> None:
        assert await store.get_interview("no-such-interview") is None
        assert await store.get_sentences("no-such-interview") == []
        assert await store.list_interviews() == []

    async def test_interview_ids_with_prefix(self, store: GraphStore) -> None:
        interviews = [make_interview(sha=char * 64, title=f"Call {char}") for char in "abcd"]
        for interview in interviews:
            await store.write_interview(interview)
        ids = sorted(i.interview_id for i in interviews)
        one = ids[1]

        assert await store.interview_ids_with_prefix(one, 10) == [one]
        assert await store.interview_ids_with_prefix(one[:8], 10) == [one]
        assert await store.interview_ids_with_prefix("", 10) == ids
        assert await store.interview_ids_with_prefix("", 3) == ids[:3]
        shared = [i for i in ids if i[0] == one[0]]
        assert await store.interview_ids_with_prefix(one[0], 10) == shared
        assert await store.interview_ids_with_prefix("zz", 10) == []
        assert await store.interview_ids_with_prefix("' OR 1=1 //", 10) == []

    async def test_rewriting_the_same_data_changes_nothing(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 20)
        analyses = [make_analysis(s) for s in sentences]
        await write_all(store, interview, sentences, analyses, batch=7)
        first_export, first_stats = await export_lines(store), await store.stats()

        await write_all(store, interview, sentences, analyses, batch=7)
        await write_all(store, interview, sentences, analyses, batch=20)

        assert await export_lines(store) == first_export
        assert await store.stats() == first_stats
        assert first_stats["Sentence"] == 20 and first_stats["Analysis"] == 20
        assert first_stats["MENTIONS_OVERALL_KEYWORD"] == 60

    async def test_a_half_written_interview_is_completed_exactly(self, store: GraphStore) -> None:
        """A crashed run left some sentences and analyses of the batches (others missing);
        re-processing writes the mix of new and existing rows into exactly the clean graph."""
        interview = make_interview()
        sentences = make_sentences(interview, 20)
        analyses = [make_analysis(s) for s in sentences]
        await write_all(store, interview, sentences, analyses, batch=8)
        clean_export, clean_stats = await export_lines(store), await store.stats()
        await store.delete_interview(interview.interview_id)

        await store.write_interview(interview)
        await store.write_sentences(sentences[2:5] + sentences[11:12], interview.filename)
        await store.write_analyses([analyses[3], analyses[11]])
        await write_all(store, interview, sentences, analyses, batch=8)

        assert await export_lines(store) == clean_export
        assert await store.stats() == clean_stats
        assert await follows_pairs(store, interview.interview_id) == {
            (n, n - 1) for n in range(1, 20)
        }

    async def test_a_batch_repeating_an_id_writes_it_once(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 4)
        analyses = [make_analysis(s) for s in sentences]
        await store.write_interview(interview)
        await store.write_sentences([*sentences, sentences[1]], interview.filename)
        await store.write_analyses([*analyses, analyses[2]])
        counts = await store.stats()
        assert (counts["Sentence"], counts["Analysis"], counts["FOLLOWS"]) == (4, 4, 3)
        assert counts["HAS_SENTENCE"] == 4 and counts["HAS_ANALYSIS"] == 4

    async def test_label_confidences_reach_their_relationships(self, store: GraphStore) -> None:
        """Analyzers key the label confidences by field name (function_type, structure_type)."""
        interview = make_interview()
        [sentence] = make_sentences(interview, 1)
        analysis = replace(
            make_analysis(sentence), confidence={"function_type": 0.25, "structure_type": 0.5}
        )
        await write_all(store, interview, [sentence], [analysis])
        confidences = {
            record["type"]: record["properties"].get("confidence")
            async for record in store.export()
            if record["kind"] == "relationship"
        }
        assert confidences["HAS_FUNCTION"] == 0.25 and confidences["HAS_STRUCTURE"] == 0.5
        [view] = await store.get_sentences(interview.interview_id)
        assert view.analyses == (analysis,)

    async def test_created_at_is_set_on_create_only(self, store: GraphStore) -> None:
        interview = make_interview()
        await store.write_interview(interview)
        later = replace(interview, created_at=datetime(2030, 1, 1, tzinfo=UTC), title="Renamed")
        await store.write_interview(later)
        stored = await store.get_interview(interview.interview_id)
        assert stored == replace(later, created_at=interview.created_at)

    async def test_follows_chain_spans_batches_in_any_order(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 10)
        await store.write_interview(interview)
        await store.write_sentences(sentences[0:4], interview.filename)
        await store.write_sentences(sentences[7:10], interview.filename)  # out of order
        await store.write_sentences(sentences[4:7], interview.filename)

        assert await follows_pairs(store, interview.interview_id) == {
            (n, n - 1) for n in range(1, 10)
        }
        assert (await store.stats())["FOLLOWS"] == 9

    async def test_reanalysis_leaves_no_stale_relationships(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 6)
        await write_all(store, interview, sentences, [make_analysis(s) for s in sentences])
        changed = [
            replace(
                make_analysis(s, variant=1),
                topics=(TopicMention("strategy", 2),),
                overall_keywords=("only-one",),
                confidence={"function": 0.1},
            )
            for s in sentences
        ]
        await store.write_analyses(changed)
        after_reanalysis = await export_lines(store)

        views = await store.get_sentences(interview.interview_id)
        assert [v.analyses for v in views] == [(a,) for a in changed]

        # A graph that only ever saw the new labels holds exactly the same facts.
        await store.delete_interview(interview.interview_id)
        await write_all(store, interview, sentences, changed)
        assert await export_lines(store) == after_reanalysis
        counts = await store.stats()
        assert counts["MENTIONS_TOPIC"] == 6 and counts["Topic"] == 1
        assert counts["MENTIONS_OVERALL_KEYWORD"] == 6 and counts["Keyword"] == 1

    async def test_second_model_adds_a_second_analysis(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 4)
        first = [make_analysis(s) for s in sentences]
        second = [make_analysis(s, model="llm", version="2024-05", variant=3) for s in sentences]
        await write_all(store, interview, sentences, first)
        await store.write_analyses(second)

        views = await store.get_sentences(interview.interview_id)
        assert [v.analyses for v in views] == [
            (b, a) for a, b in zip(first, second, strict=True)
        ]  # ordered by model name: "llm" < "offline"
        counts = await store.stats()
        assert counts["Analysis"] == 8 and counts["HAS_ANALYSIS"] == 8
        assert counts["HAS_FUNCTION"] == 8

    async def test_finish_interview_prunes_and_sets_status(self, store: GraphStore) -> None:
        interview = make_interview()
        old = make_sentences(interview, 10)
        await write_all(store, interview, old, [make_analysis(s, variant=2) for s in old])
        new = make_sentences(interview, 6, texts=[f"Re-segmented {n}" for n in range(6)])
        new_analyses = [make_analysis(s) for s in new]
        await write_all(store, interview, new, new_analyses)
        await store.finish_interview(interview.interview_id, 6, InterviewStatus.COMPLETED)
        pruned_export = await export_lines(store)

        views = await store.get_sentences(interview.interview_id)
        assert [v.sentence for v in views] == new
        assert [v.analyses for v in views] == [(a,) for a in new_analyses]
        assert await follows_pairs(store, interview.interview_id) == {
            (n, n - 1) for n in range(1, 6)
        }
        stored = await store.get_interview(interview.interview_id)
        assert stored is not None and stored.status is InterviewStatus.COMPLETED

        await store.delete_interview(interview.interview_id)
        await write_all(store, interview, new, new_analyses)
        await store.finish_interview(interview.interview_id, 6, InterviewStatus.COMPLETED)
        assert await export_lines(store) == pruned_export  # no orphans left by the pruning

    async def test_finish_unknown_interview_is_an_error(self, store: GraphStore) -> None:
        with pytest.raises(GraphStoreError, match="no-such-interview"):
            await store.finish_interview("no-such-interview", 0, InterviewStatus.FAILED)

    async def test_sentences_of_unwritten_interview_are_rejected(self, store: GraphStore) -> None:
        interview = make_interview()
        with pytest.raises(GraphStoreError, match="write_interview must come first"):
            await store.write_sentences(make_sentences(interview, 2), interview.filename)

    async def test_analyses_of_missing_sentences_are_rejected(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 4)
        analyses = [make_analysis(s) for s in sentences]
        await write_all(store, interview, sentences[:3])
        with pytest.raises(GraphStoreError, match=r"1 analysis\(es\) refer to sentences"):
            await store.write_analyses(analyses)

        await store.write_sentences(sentences[3:], interview.filename)
        await store.write_analyses(analyses)
        written = await export_lines(store)
        await store.delete_interview(interview.interview_id)
        await write_all(store, interview, sentences, analyses)
        assert await export_lines(store) == written

    async def test_parameter_values_round_trip(self, store: GraphStore) -> None:
        """Values that stress how parameters are encoded: escapes at the ends of strings,
        long lists (written in one go), integers beyond double precision, tiny floats."""
        texts = ["ends with \\", '\\"', '"quoted"', "tab\tnew\nline", "é 漢 😀", "a`b`c"]
        interview = replace(make_interview(), participants=tuple(texts * 3), date="\\")
        sentences = make_sentences(interview, len(texts), texts)
        sentences[0] = replace(sentences[0], start_ms=2**53 + 1, end_ms=-(2**40))
        analyses = [
            replace(
                make_analysis(s),
                overall_keywords=tuple(f"{text}{n}" for n in range(12)),
                topics=tuple(TopicMention(f"{text} topic {n}", n) for n in range(10)),
                confidence={"function": 1e-20, "topics": 123456.789012345, "keywords": 0.0},
            )
            for s, text in zip(sentences, texts, strict=True)
        ]
        await write_all(store, interview, sentences, analyses, batch=4)
        await store.write_analyses(analyses[:2])  # the MERGE path too

        assert await store.get_interview(interview.interview_id) == interview
        views = await store.get_sentences(interview.interview_id)
        assert [v.sentence for v in views] == sentences
        assert [v.analyses for v in views] == [(a,) for a in analyses]

    async def test_delete_interview_leaves_no_orphans(self, store: GraphStore) -> None:
        keep = make_interview(project="Keep", sha="b" * 64, title="Keep")
        gone = make_interview(project="Gone", sha="c" * 64, title="Gone")
        keep_sentences, gone_sentences = make_sentences(keep, 5), make_sentences(gone, 8)
        await write_all(store, keep, keep_sentences, [make_analysis(s) for s in keep_sentences])
        only_keep = await export_lines(store)
        only_keep_stats = await store.stats()
        await write_all(
            store, gone, gone_sentences, [make_analysis(s, variant=9) for s in gone_sentences]
        )

        await store.delete_interview(gone.interview_id)

        assert await export_lines(store) == only_keep
        assert await store.stats() == only_keep_stats
        await store.delete_interview(keep.interview_id)
        assert nonzero(await store.stats()) == {}

    async def test_export_of_one_interview_is_its_subgraph(self, store: GraphStore) -> None:
        first = make_interview(sha="d" * 64, title="First")
        second = make_interview(sha="e" * 64, title="Second")  # same project
        first_sentences = make_sentences(first, 7)
        await write_all(store, first, first_sentences, [make_analysis(s) for s in first_sentences])
        alone = await export_lines(store)
        second_sentences = make_sentences(second, 4)
        await write_all(
            store, second, second_sentences, [make_analysis(s, variant=5) for s in second_sentences]
        )

        assert await export_lines(store, first.interview_id) == alone
        everything = await export_lines(store)
        assert set(alone) < set(everything)
        second_only = await export_lines(store, second.interview_id)
        assert set(alone) | set(second_only) == set(everything)
        assert len(everything) == len(set(everything))

    async def test_export_order_is_canonical(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 9)
        await write_all(store, interview, sentences, [make_analysis(s) for s in sentences])
        other = make_interview(sha="b" * 64, title="Other")
        other_sentences = make_sentences(other, 4)
        await write_all(store, other, other_sentences, [make_analysis(s) for s in other_sentences])
        records = [record async for record in store.export()]

        shared = [r for r in records if r["kind"] == "node" and r["label"] in SHARED_LABELS]
        assert records[: len(shared)] == shared
        assert [(n["label"], n["key"]) for n in shared] == sorted(
            (n["label"], n["key"]) for n in shared
        )
        blocks = {}  # interview id -> its records, as its scoped export gives them
        for interview_id in sorted([interview.interview_id, other.interview_id]):
            scoped = [record async for record in store.export(interview_id)]
            used = [r for r in scoped if r["kind"] == "node" and r["label"] in SHARED_LABELS]
            assert scoped[: len(used)] == used and set(map(str, used)) <= set(map(str, shared))
            blocks[interview_id] = scoped[len(used) :]
        assert records[len(shared) :] == [r for block in blocks.values() for r in block]
        for block in blocks.values():
            nodes = [r for r in block if r["kind"] == "node"]
            rels = [r for r in block if r["kind"] == "relationship"]
            assert block == nodes + rels and {n["label"] for n in nodes} == set(INTERVIEW_LABELS)
            assert [(n["label"], n["key"]) for n in nodes] == sorted(
                (n["label"], n["key"]) for n in nodes
            )
            assert [(r["type"], r["start"][1], r["end"][1]) for r in rels] == sorted(
                (r["type"], r["start"][1], r["end"][1]) for r in rels
            )
        assert all("created_at" not in r["properties"] for r in records)
        assert all(list(r["properties"]) == sorted(r["properties"]) for r in records)

    async def test_tricky_strings_round_trip(self, store: GraphStore) -> None:
        interview = replace(
            make_interview(title=TRICKY_TEXTS[0]),
            participants=TRICKY_TEXTS[1:4],
            date=TRICKY_TEXTS[3],
            project_name=TRICKY_TEXTS[2],
        )
        sentences = make_sentences(interview, len(TRICKY_TEXTS), TRICKY_TEXTS)
        analyses = [
            replace(
                make_analysis(s),
                overall_keywords=(text, "$x", "`tick`"),
                domain_keywords=(text + "!",),
                topics=(TopicMention(text or "empty", 1),),
                purpose=text or "Statement",
            )
            for s, text in zip(sentences, TRICKY_TEXTS, strict=True)
        ]
        await write_all(store, interview, sentences, analyses, batch=2)

        assert await store.get_interview(interview.interview_id) == interview
        views = await store.get_sentences(interview.interview_id)
        assert [v.sentence for v in views] == sentences
        assert [v.analyses for v in views] == [(a,) for a in analyses]

    async def test_control_characters_round_trip(self, store: GraphStore) -> None:
        """Characters that text formats escape as \\uXXXX (and separators JSON leaves raw)."""
        texts = ["bell\x07 nul-free \x01\x1f del\x7f", "line\u2028sep\u2029para \\u0041 literal"]
        interview = make_interview()
        sentences = make_sentences(interview, 2, texts)
        analyses = [
            replace(make_analysis(s), overall_keywords=(text, "plain"), purpose=text)
            for s, text in zip(sentences, texts, strict=True)
        ]
        await write_all(store, interview, sentences, analyses)
        views = await store.get_sentences(interview.interview_id)
        assert [v.sentence for v in views] == sentences
        assert [v.analyses for v in views] == [(a,) for a in analyses]

    async def test_long_sentence_round_trips(self, store: GraphStore) -> None:
        interview = make_interview()
        long_text = ("word é " * 3000)[:20_000]
        sentences = make_sentences(interview, 2, [long_text, "short"])
        await write_all(store, interview, sentences)
        views = await store.get_sentences(interview.interview_id)
        assert views[0].sentence.text == long_text and len(views[0].sentence.text) == 20_000

    async def test_nulls_round_trip(self, store: GraphStore) -> None:
        interview = replace(make_interview(), date=None, participants=())
        sentence = replace(
            make_sentences(interview, 1)[0], speaker=None, start_ms=None, end_ms=None
        )
        analysis = replace(
            make_analysis(sentence),
            topics=(),
            overall_keywords=(),
            domain_keywords=(),
            confidence={},
            created_at=None,
        )
        await write_all(store, interview, [sentence], [analysis])
        assert await store.get_interview(interview.interview_id) == interview
        views = await store.get_sentences(interview.interview_id)
        assert views[0].sentence == sentence
        assert views[0].analyses == (analysis,)

    async def test_stats_and_list_interviews_count(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 5)
        await write_all(store, interview, sentences, [make_analysis(s) for s in sentences[:3]])
        counts = await store.stats()
        assert counts["Sentence"] == 5 and counts["Analysis"] == 3
        assert counts["HAS_SENTENCE"] == 5 and counts["FOLLOWS"] == 4
        assert counts["MENTIONS_TOPIC"] == 6 and counts["Topic"] == 4  # goals + topic-0..2

        [summary] = await store.list_interviews()
        assert summary.interview_id == interview.interview_id
        assert (summary.project_name, summary.title) == ("Acme", "Kickoff")
        assert (summary.sentence_count, summary.analysis_count) == (5, 3)
        assert summary.status == "processing"
        assert summary.created_at == "2024-05-17T09:30:00.123000+00:00"
        assert await store.interview_summary(interview.interview_id) == summary
        assert await store.interview_summary("no-such-interview") is None

    async def test_projects_count_their_interviews_and_sentences(self, store: GraphStore) -> None:
        first, second = make_interview(), make_interview(sha="b" * 64, title="Second")
        elsewhere = make_interview(project="Zeta", sha="c" * 64)
        for interview, count in ((first, 3), (second, 4), (elsewhere, 2)):
            await write_all(store, interview, make_sentences(interview, count))
        projects = await store.list_projects()
        assert [(p.name, p.interview_count, p.sentence_count) for p in projects] == [
            ("Acme", 2, 7),
            ("Zeta", 1, 2),
        ]
        assert projects[0].project_id == first.project_id

    async def test_a_sentence_is_located_by_its_id(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 6)
        await write_all(store, interview, sentences)
        place = await store.locate_sentence(sentences[4].sentence_id)
        assert place == SentencePlace(interview.interview_id, 4)
        assert await store.locate_sentence("no-such-sentence") is None

    async def test_orders_in_time_are_those_said_in_the_range(self, store: GraphStore) -> None:
        interview = make_interview()  # sentence n: n*1000 .. n*1000+900 ms
        await write_all(store, interview, make_sentences(interview, 10))
        in_time = store.orders_in_time
        assert await in_time(interview.interview_id, 2000, 4500) == (2, 4)
        assert await in_time(interview.interview_id, 2950, 3100) == (3, 3)  # overlap counts
        assert await in_time(interview.interview_id, 2950, 2990) is None  # between two
        assert await in_time(interview.interview_id, 0, 10**9) == (0, 9)
        assert await in_time("no-such-interview", 0, 10**9) is None

    async def test_facets_count_the_filtered_sentences(self, store: GraphStore) -> None:
        first, second = make_interview(), make_interview(project="Zeta", sha="b" * 64)
        kept: list[tuple[str, Sentence, Analysis | None]] = []
        for interview, count in ((first, 14), (second, 9)):
            sentences = make_sentences(interview, count)
            analyses = [make_analysis(s, variant=count) for s in sentences[:-2]]
            await write_all(store, interview, sentences, analyses)
            by_id = {a.sentence_id: a for a in analyses}
            kept += [(interview.project_name, s, by_id.get(s.sentence_id)) for s in sentences]
        filters = [
            SentenceFilter(),
            SentenceFilter(project="Acme"),
            SentenceFilter(interview_id=second.interview_id, speaker="Bo"),
            SentenceFilter(function="interrogative", purpose="Query"),
            SentenceFilter(keyword="domain-14"),
            SentenceFilter(keyword="kw-3", topic="goals", project="Zeta"),
            SentenceFilter(from_ms=2950, to_ms=6000),
            SentenceFilter(project="nope"),
        ]
        for wanted in filters:
            facets = await store.facet_counts(wanted, FACET_DIMENSIONS, limit=3)
            assert facets == expected_facets(kept, wanted, limit=3), wanted
        with pytest.raises(ValueError, match="unknown dimensions"):
            await store.facet_counts(SentenceFilter(), ["colour"], limit=3)

    async def test_batch_write_throughput(self, store: GraphStore) -> None:
        """5,000 sentences + 5,000 analyses in batches of 500; prints the rate (-s shows it)."""
        interview = make_interview()
        sentences = make_sentences(interview, 5000)
        analyses = [make_analysis(s) for s in sentences]
        started = time.perf_counter()
        await write_all(store, interview, sentences, analyses, batch=500)
        elapsed = time.perf_counter() - started
        counts = await store.stats()
        assert counts["Sentence"] == 5000 and counts["Analysis"] == 5000
        assert counts["FOLLOWS"] == 4999
        print(
            f"\n[{store.backend}] 5000 sentences + 5000 analyses in {elapsed:.2f}s: "
            f"{5000 / elapsed:.0f} sentences(+analysis)/s"
        )

    async def test_empty_ids_are_refused_before_the_database(self, store: GraphStore) -> None:
        interview = make_interview()
        with pytest.raises(ValueError, match="interview_id"):
            await store.write_interview(replace(interview, interview_id=""))
        await store.write_interview(interview)
        sentence = replace(make_sentences(interview, 1)[0], sentence_id="")
        with pytest.raises(ValueError, match="sentence_id"):
            await store.write_sentences([sentence], interview.filename)
        assert (await store.stats())["Sentence"] == 0

    async def test_existing_ids_reports_what_the_graph_holds(self, store: GraphStore) -> None:
        interview = make_interview()
        sentences = make_sentences(interview, 3)
        await write_all(store, interview, sentences[:2], [make_analysis(sentences[0])])
        ids = [s.sentence_id for s in sentences]
        assert await store.existing_ids("Sentence", ids) == set(ids[:2])
        assert await store.existing_ids("Interview", [interview.interview_id, "x"]) == {
            interview.interview_id
        }
        analysis_ids = [make_analysis(s).analysis_id for s in sentences]
        assert await store.existing_ids("Analysis", analysis_ids) == {analysis_ids[0]}
        assert await store.existing_ids("Sentence", []) == set()
