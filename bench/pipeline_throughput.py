"""Benchmark (pipeline issue): sentences/s for analysis alone, the whole pipeline into
embedded FalkorDB and into Neo4j, and the batched writer against the plan's naive writer
(one transaction per sentence and one per analysis) into Neo4j, write only, same data.

Run: `./run shell bench/pipeline_throughput.py [--sentences 5000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, neo4j_env, table, write_transcript

from interview_graph import bootstrap
from interview_graph.analysis.port import AnalysisRequest
from interview_graph.domain.ids import project_id_for
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.pipeline.events_hook import NoEvents
from interview_graph.pipeline.readers import read_transcript
from interview_graph.pipeline.service import PipelineService
from interview_graph.settings import Settings

BATCH = 500


def no_events(*_args: object) -> NoEvents:
    return NoEvents()


async def analysis_alone(
    settings: Settings, path: Path, segmenter: Any, interview_id: str
) -> tuple[float, list[Sentence], list[Analysis]]:
    analyzer = bootstrap.build_analyzer(settings)
    transcript = read_transcript(path, max_bytes=2**30)
    started = time.perf_counter()
    sentences: list[Sentence] = []
    analyses: list[Analysis] = []
    for chunk in segmenter.iter_parsed(transcript, interview_id):
        analyses += (await analyzer.analyze(AnalysisRequest(targets=chunk))).analyses
        sentences += [p.sentence for p in chunk]
    return time.perf_counter() - started, sentences, analyses


async def whole_pipeline(settings: Settings, path: Path, segmenter: Any) -> tuple[float, int]:
    async with bootstrap.open_graph_store(settings) as graph:
        analyzer = bootstrap.build_analyzer(settings)
        service = PipelineService(graph, analyzer, segmenter, no_events, max_file_bytes=2**30)
        started = time.perf_counter()
        report = await service.process_file(path, "bench")
        elapsed = time.perf_counter() - started
    assert report.ok, report.error
    return elapsed, report.sentences


def interview_for(interview_id: str, filename: str) -> Interview:
    return Interview(
        interview_id=interview_id,
        project_id=project_id_for("bench"),
        project_name="bench",
        title=filename,
        source=filename,
        filename=filename,
        language="en",
        content_sha256="0" * 64,
        status=InterviewStatus.PROCESSING,
        created_at=datetime.now(UTC),
    )


async def batched_writer(
    settings: Settings, sentences: list[Sentence], analyses: list[Analysis]
) -> float:
    async with bootstrap.open_graph_store(settings) as graph:
        await graph.write_interview(interview_for(sentences[0].interview_id, "batched.txt"))
        started = time.perf_counter()
        for start in range(0, len(sentences), BATCH):
            await graph.write_sentences(sentences[start : start + BATCH], "batched.txt")
            await graph.write_analyses(analyses[start : start + BATCH])
        return time.perf_counter() - started


async def naive_writer(
    settings: Settings, sentences: list[Sentence], analyses: list[Analysis]
) -> float:
    """The plan's pattern: write_entry per sentence, write_result per analysis, each its own
    transaction (the adapter's own Cypher, one row at a time)."""
    async with bootstrap.open_graph_store(settings) as graph:
        await graph.write_interview(interview_for(sentences[0].interview_id, "naive.txt"))
        started = time.perf_counter()
        for sentence, analysis in zip(sentences, analyses, strict=True):
            await graph.write_sentences([sentence], "naive.txt")
            await graph.write_analyses([analysis])
        return time.perf_counter() - started


def row(name: str, count: int, seconds: float, baseline: float | None) -> tuple[str, ...]:
    ratio = f"{seconds / baseline:.2f}" if baseline else "-"
    return (name, str(count), f"{seconds:.2f}", f"{count / seconds:.0f}", ratio)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=5000)
    args = parser.parse_args()
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="ig-bench-") as tmp:
        tmp_dir = Path(tmp)
        path = write_transcript(tmp_dir, args.sentences)
        base = Settings(DATA_DIR=tmp_dir / "falkor")
        segmenter = bootstrap.build_segmenter(base)
        try:
            ids = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222")
            _, naive_sentences, naive_analyses = await analysis_alone(base, path, segmenter, ids[1])
            alone_s, sentences, analyses = await analysis_alone(base, path, segmenter, ids[0])
            n = len(sentences)
            rows.append(row("analysis alone (segment + analyze, 2 processes)", n, alone_s, alone_s))
            falkor_s, count = await whole_pipeline(base, path, segmenter)
            rows.append(row("whole pipeline -> FalkorDB (embedded)", count, falkor_s, alone_s))
            with neo4j_env() as env:
                neo = Settings(DATA_DIR=tmp_dir / "neo", GRAPH_BACKEND="neo4j", **env)
                neo_s, count = await whole_pipeline(neo, path, segmenter)
                rows.append(row("whole pipeline -> Neo4j", count, neo_s, alone_s))
                batched_s = await batched_writer(neo, sentences, analyses)
                rows.append(
                    row(f"batched writer -> Neo4j (UNWIND {BATCH}), write only", n, batched_s, None)
                )
                naive_s = await naive_writer(neo, naive_sentences, naive_analyses)
                rows.append(
                    row(
                        "naive writer -> Neo4j (1 tx per sentence + 1 per analysis), write only",
                        n,
                        naive_s,
                        None,
                    )
                )
        finally:
            segmenter.close()
    print(f"machine: {machine()}")
    print(table(rows, ("run", "sentences", "seconds", "sentences/s", "x analysis-alone")))
    print(f"batched vs naive writer (Neo4j, write only): {naive_s / batched_s:.1f}x faster")
    print(
        "graph write overhead over analysis alone: "
        f"FalkorDB {100 * (falkor_s / alone_s - 1):+.1f}%, "
        f"Neo4j {100 * (neo_s / alone_s - 1):+.1f}%"
    )


if __name__ == "__main__":
    asyncio.run(main())
