"""The ProjectionTarget contract: every graph backend the projection writes to must pass these
tests against a real server.

Subclasses provide the `target` fixture: an opened projection target on an empty graph with
its schema. The reference for "the same graph" is the pipeline's own write path (the
GraphStore port) on the same target, so a projected graph is checked against what
processing the files would have written, through the canonical export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.graph.port import GraphStoreError
from interview_graph.projection.port import ProjectionBatch, ProjectionCheckpoint, ProjectionGraph
from tests.integration.graph_contract import (
    TRICKY_TEXTS,
    export_lines,
    make_analysis,
    make_interview,
    make_sentences,
    nonzero,
    write_all,
)

NAME = "contract"


def story() -> tuple[list[Interview], list[Sentence], list[Analysis]]:
    """Two interviews, one with tricky texts and a sentence without speaker or times."""
    first = make_interview(project="Acme", sha="1" * 64, title="First")
    second = make_interview(project="Acme", sha="2" * 64, title="Second")
    first_sentences = make_sentences(first, 9, TRICKY_TEXTS)
    first_sentences[2] = replace(first_sentences[2], speaker=None, start_ms=None, end_ms=None)
    sentences = [*first_sentences, *make_sentences(second, 6)]
    analyses = [make_analysis(s, variant=s.sequence_order % 3) for s in sentences]
    return [first, second], sentences, analyses


def completed(interviews: Sequence[Interview]) -> dict[str, InterviewStatus]:
    return {i.interview_id: InterviewStatus.COMPLETED for i in interviews}


async def pipeline_export(target: ProjectionGraph) -> list[str]:
    """The story as the pipeline writes it (then the target is emptied again)."""
    interviews, sentences, analyses = story()
    for interview in interviews:
        own = [s for s in sentences if s.interview_id == interview.interview_id]
        ids = {s.sentence_id for s in own}
        await write_all(target, interview, own, [a for a in analyses if a.sentence_id in ids], 4)
        await target.finish_interview(interview.interview_id, len(own), InterviewStatus.COMPLETED)
    lines = await export_lines(target)
    await target.wipe()
    await target.ensure_schema()
    return lines


async def apply(
    target: ProjectionGraph,
    position: int,
    interviews: Sequence[Interview] = (),
    sentences: Sequence[Sentence] = (),
    analyses: Sequence[Analysis] = (),
    statuses: dict[str, InterviewStatus] | None = None,
    name: str = NAME,
) -> None:
    batch = ProjectionBatch(
        interviews=list(interviews),
        sentences=list(sentences),
        analyses=list(analyses),
        statuses=statuses or {},
    )
    await target.apply_projection_batch(batch, ProjectionCheckpoint(name=name, position=position))


class ProjectionTargetContract:
    """Behaviour every projection target must show; subclass and provide `target`."""

    @pytest.fixture
    def target(self) -> Any:
        raise NotImplementedError("subclasses provide an opened target on an empty graph")

    async def test_one_batch_builds_the_graph_the_pipeline_writes(
        self, target: ProjectionGraph
    ) -> None:
        expected = await pipeline_export(target)
        interviews, sentences, analyses = story()
        await apply(target, 40, interviews, sentences, analyses, completed(interviews))

        assert await export_lines(target) == expected
        assert len(expected) > 100
        views = await target.get_sentences(interviews[0].interview_id)
        assert [v.sentence for v in views] == sentences[:9]

    async def test_batches_cut_anywhere_build_the_same_graph(self, target: ProjectionGraph) -> None:
        """Cuts between a sentence and its neighbour (FOLLOWS across batches) and between a
        sentence and its analysis (the parent is found in the graph, not the batch)."""
        expected = await pipeline_export(target)
        interviews, sentences, analyses = story()
        await apply(target, 5, interviews[:1], sentences[:4])
        await apply(target, 9, interviews[1:], sentences[4:11], analyses[:2])
        await apply(target, 20, (), sentences[11:], analyses[2:], completed(interviews))

        assert await export_lines(target) == expected

    async def test_the_checkpoint_moves_with_each_batch_and_per_name(
        self, target: ProjectionGraph
    ) -> None:
        interviews, sentences, _ = story()
        assert await target.read_checkpoint(NAME) is None
        await apply(target, 3, interviews[:1])
        assert await target.read_checkpoint(NAME) == 3
        await apply(target, 8, (), sentences[:9])
        assert await target.read_checkpoint(NAME) == 8
        assert await target.read_checkpoint("another") is None
        await apply(target, 2, interviews[1:], name="another")
        assert (await target.read_checkpoint(NAME), await target.read_checkpoint("another")) == (
            8,
            2,
        )

    async def test_replaying_batches_changes_nothing(self, target: ProjectionGraph) -> None:
        interviews, sentences, analyses = story()
        await apply(target, 10, interviews, sentences[:8], analyses[:5])
        await apply(target, 20, (), sentences[8:], analyses[5:], completed(interviews))
        first_export, first_stats = await export_lines(target), await target.stats()

        await apply(target, 20, interviews, sentences, analyses, completed(interviews))
        await apply(target, 20, (), sentences[8:], analyses[5:], completed(interviews))

        assert await export_lines(target) == first_export
        assert await target.stats() == first_stats
        assert await target.read_checkpoint(NAME) == 20

    async def test_the_last_status_of_a_batch_wins(self, target: ProjectionGraph) -> None:
        interviews, _, _ = story()
        first = interviews[0]
        await apply(target, 1, [first], statuses={first.interview_id: InterviewStatus.FAILED})
        stored = await target.get_interview(first.interview_id)
        assert stored is not None and stored.status == InterviewStatus.FAILED
        await apply(target, 2, statuses={first.interview_id: InterviewStatus.COMPLETED})
        stored = await target.get_interview(first.interview_id)
        assert stored is not None and stored.status == InterviewStatus.COMPLETED

    async def test_a_batch_without_its_parents_is_refused_whole(
        self, target: ProjectionGraph
    ) -> None:
        """Sentences of an interview the graph has never seen, with their analyses: nothing
        is written and the checkpoint stays, so no fact is skipped silently."""
        interviews, sentences, analyses = story()
        await apply(target, 4, interviews[:1])
        orphans = [s for s in sentences if s.interview_id == interviews[1].interview_id]
        with pytest.raises(GraphStoreError, match=r"position 12 refers to interviews"):
            await apply(target, 12, (), orphans, analyses[-len(orphans) :])
        assert nonzero(await target.stats()) == {"Project": 1, "Interview": 1,
                                                 "CONTAINS_INTERVIEW": 1}  # fmt: skip
        assert await target.read_checkpoint(NAME) == 4

    async def test_an_analysis_without_its_sentence_is_refused(
        self, target: ProjectionGraph
    ) -> None:
        interviews, sentences, analyses = story()
        await apply(target, 6, interviews, sentences[:3])
        with pytest.raises(GraphStoreError, match=r"sentences \["):
            await apply(target, 7, (), (), analyses[3:5])
        assert (await target.stats())["Analysis"] == 0
        assert await target.read_checkpoint(NAME) == 6

    async def test_wipe_empties_the_graph_and_its_checkpoints(
        self, target: ProjectionGraph
    ) -> None:
        interviews, sentences, analyses = story()
        await apply(target, 30, interviews, sentences, analyses, completed(interviews))
        await target.wipe()
        assert nonzero(await target.stats()) == {}
        assert await target.read_checkpoint(NAME) is None
