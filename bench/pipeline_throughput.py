"""Benchmark (pipeline issue): sentences/s for analysis alone, the whole pipeline into
embedded FalkorDB and into Neo4j, and the batched writer against the plan's naive writer
(one transaction per sentence and one per analysis) into Neo4j, write only, same data.

Analysis alone and the two pipelines run interleaved (alone, FalkorDB, alone, Neo4j, ...,
alone; each pipeline run into a new project, so it writes new nodes), and every pipeline run
is compared with the mean of the analysis-alone runs just before and after it: on a shared
machine the load changes from minute to minute. The tables give medians. Each run also
reports CPU seconds of this process, the segmentation workers and the graph server. The
machine's cores are busy during analysis, so every CPU second spent writing costs wall time:
"write CPU" (this process's CPU over analysis alone's, plus the graph server's) is the figure
the write path is tuned by; the workers do the same work either way and are left out of it.

Run: `./run shell bench/pipeline_throughput.py [--sentences 5000] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_neo4j, cpu_seconds, machine, table, write_transcript

from interview_graph import bootstrap
from interview_graph.analysis.port import AnalysisRequest
from interview_graph.domain.ids import project_id_for
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.port import GraphStore
from interview_graph.pipeline.events_hook import NoEvents
from interview_graph.pipeline.readers import read_transcript
from interview_graph.pipeline.service import PipelineService
from interview_graph.settings import Settings

BATCH = 500


def no_events(*_args: object) -> NoEvents:
    return NoEvents()


@dataclass
class Run:
    """One timed run: wall seconds and CPU seconds of this process, workers, graph server."""

    seconds: float = 0.0
    main_cpu: float = 0.0
    worker_cpu: float = 0.0
    server_cpu: float | None = None
    count: int = 0


@contextmanager
def timed(run: Run, workers: list[int], server: list[int] | None) -> Iterator[None]:
    started, main, work = time.perf_counter(), time.process_time(), cpu_seconds(workers)
    served = cpu_seconds(server) if server is not None else 0.0
    yield
    run.seconds = time.perf_counter() - started
    run.main_cpu = time.process_time() - main
    run.worker_cpu = cpu_seconds(workers) - work
    if server is not None:
        run.server_cpu = cpu_seconds(server) - served


async def analysis_alone(
    settings: Settings, path: Path, segmenter: Any, interview_id: str
) -> tuple[Run, list[Sentence], list[Analysis]]:
    analyzer = bootstrap.build_analyzer(settings)
    transcript = read_transcript(path, max_bytes=2**30)
    sentences: list[Sentence] = []
    analyses: list[Analysis] = []
    run = Run()
    with timed(run, segmenter.worker_pids(), None):
        for chunk in segmenter.iter_parsed(transcript, interview_id):
            analyses += (await analyzer.analyze(AnalysisRequest(targets=chunk))).analyses
            sentences += [p.sentence for p in chunk]
    run.count = len(sentences)
    return run, sentences, analyses


async def whole_pipeline(
    graph: GraphStore, path: Path, segmenter: Any, project: str, server: list[int] | None
) -> Run:
    analyzer = bootstrap.build_analyzer(Settings())
    service = PipelineService(graph, analyzer, segmenter, no_events, max_file_bytes=2**30)
    run = Run()
    with timed(run, segmenter.worker_pids(), server):
        report = await service.process_file(path, project)
    assert report.ok, report.error
    run.count = report.sentences
    return run


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


def median(values: list[float]) -> float:
    return statistics.median(values)


def mean_run(first: Run, second: Run) -> Run:
    return Run(
        seconds=(first.seconds + second.seconds) / 2,
        main_cpu=(first.main_cpu + second.main_cpu) / 2,
        worker_cpu=(first.worker_cpu + second.worker_cpu) / 2,
        count=first.count,
    )


def write_cpu(run: Run, baseline: Run) -> float:
    return run.main_cpu - baseline.main_cpu + (run.server_cpu or 0.0)


def cpu_row(name: str, runs: list[Run], baselines: list[Run] | None) -> tuple[str, ...]:
    server = [r.server_cpu for r in runs if r.server_cpu is not None]
    writes = [write_cpu(r, b) for r, b in zip(runs, baselines or [], strict=False)]
    return (
        name,
        f"{median([r.main_cpu for r in runs]):.2f}",
        f"{median([r.worker_cpu for r in runs]):.2f}",
        f"{median(server):.2f}" if server else "-",
        f"{median(writes):+.2f}" if writes else "-",
    )


def server_pid(falkordb_dir: Path) -> list[int] | None:
    """The embedded FalkorDB server's pid (from its pid file), for its CPU time."""
    try:
        return [int(EmbeddedFalkorDB(falkordb_dir).pid_path.read_text().strip())]
    except (OSError, ValueError):
        return None


async def rounds_of_runs(
    graphs: tuple[GraphStore, GraphStore],
    servers: tuple[list[int] | None, list[int] | None],
    path: Path,
    segmenter: Any,
    rounds: int,
) -> dict[str, list[Run]]:
    """Alone, FalkorDB, alone, Neo4j, ... for `rounds` rounds, then alone once more; both
    graph servers run (idle) throughout. "<kind>_baseline": the mean of the analysis-alone
    runs either side of each pipeline run."""
    runs: dict[str, list[Run]] = {"alone": [], "falkordb": [], "neo4j": []}

    async def alone() -> Run:
        interview_id = f"{len(runs['alone']):08d}-3333-4333-8333-333333333333"
        run, _, _ = await analysis_alone(Settings(), path, segmenter, interview_id)
        runs["alone"].append(run)
        return run

    await alone()
    for n in range(rounds):
        project = f"bench-round-{n}"  # a new project: new interview, sentence and analysis ids
        for kind, graph, server in zip(("falkordb", "neo4j"), graphs, servers, strict=True):
            runs[kind].append(await whole_pipeline(graph, path, segmenter, project, server))
            before, after = runs["alone"][-1], await alone()
            runs[f"{kind}_baseline"] = [*runs.get(f"{kind}_baseline", []), mean_run(before, after)]
        print(
            f"round {n + 1}/{rounds}: FalkorDB {runs['falkordb'][-1].seconds:.2f}s, "
            f"Neo4j {runs['neo4j'][-1].seconds:.2f}s, analysis alone "
            + ", ".join(f"{r.seconds:.2f}s" for r in runs["alone"][-3:]),
            flush=True,
        )
    return runs


async def measure(
    path: Path, tmp_dir: Path, segmenter: Any, rounds: int, *, naive: bool
) -> tuple[dict[str, list[Run]], float, float | None]:
    """(runs by kind, batched writer seconds, naive writer seconds if run)."""
    ids = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222")
    base = Settings(DATA_DIR=tmp_dir / "falkor")
    _, naive_sentences, naive_analyses = await analysis_alone(base, path, segmenter, ids[1])
    _, sentences, analyses = await analysis_alone(base, path, segmenter, ids[0])
    with bench_neo4j() as (env, neo4j_pid):
        neo4j_pids = None if neo4j_pid is None else [neo4j_pid]
        neo = Settings(DATA_DIR=tmp_dir / "neo", GRAPH_BACKEND="neo4j", **env)
        async with (
            bootstrap.open_graph_store(base) as falkor_graph,
            bootstrap.open_graph_store(neo) as neo_graph,
        ):
            runs = await rounds_of_runs(
                (falkor_graph, neo_graph),
                (server_pid(base.falkordb_dir), neo4j_pids),
                path,
                segmenter,
                rounds,
            )
        batched_s = await batched_writer(neo, sentences, analyses)
        naive_s = await naive_writer(neo, naive_sentences, naive_analyses) if naive else None
    return runs, batched_s, naive_s


def report(
    runs: dict[str, list[Run]], batched_s: float, naive_s: float | None, rounds: int
) -> None:
    n = runs["alone"][0].count
    alone_s = median([r.seconds for r in runs["alone"]])
    rows = [row("analysis alone (segment + analyze, 2 processes)", n, alone_s, alone_s)]
    ratios: dict[str, float] = {}
    for kind, name in (("falkordb", "FalkorDB (embedded)"), ("neo4j", "Neo4j")):
        pairs = zip(runs[kind], runs[f"{kind}_baseline"], strict=True)
        ratios[kind] = median([r.seconds / b.seconds for r, b in pairs])
        seconds = median([r.seconds for r in runs[kind]])
        cells = row(f"whole pipeline -> {name}", runs[kind][0].count, seconds, None)
        rows.append((*cells[:4], f"{ratios[kind]:.2f}"))
    rows.append(row(f"batched writer -> Neo4j (UNWIND {BATCH}), write only", n, batched_s, None))
    if naive_s is not None:
        naive = "naive writer -> Neo4j (1 tx per sentence + 1 per analysis), write only"
        rows.append(row(naive, n, naive_s, None))
    print(f"machine: {machine()}")
    print(
        f"medians of {rounds} rounds; x analysis-alone: a pipeline run over the mean of the "
        "analysis-alone runs either side of it"
    )
    print(table(rows, ("run", "sentences", "seconds", "sentences/s", "x analysis-alone")))
    cpu_rows = [
        cpu_row("analysis alone", runs["alone"], None),
        cpu_row("whole pipeline -> FalkorDB", runs["falkordb"], runs["falkordb_baseline"]),
        cpu_row("whole pipeline -> Neo4j", runs["neo4j"], runs["neo4j_baseline"]),
    ]
    header = ("CPU seconds (medians)", "this process", "workers", "graph server", "write CPU")
    print(table(cpu_rows, header))
    if naive_s is not None:
        print(f"batched vs naive writer (Neo4j, write only): {naive_s / batched_s:.1f}x faster")
    falkor, neo = (100 * (ratios[kind] - 1) for kind in ("falkordb", "neo4j"))
    print(f"graph write overhead over analysis alone: FalkorDB {falkor:+.1f}%, Neo4j {neo:+.1f}%")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-naive", action="store_true", help="skip the naive writer (about a minute)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ig-bench-") as tmp:
        tmp_dir = Path(tmp)
        path = write_transcript(tmp_dir, args.sentences)
        segmenter = bootstrap.build_segmenter(Settings(DATA_DIR=tmp_dir / "falkor"))
        try:
            runs, batched_s, naive_s = await measure(
                path, tmp_dir, segmenter, args.rounds, naive=not args.no_naive
            )
        finally:
            segmenter.close()
    report(runs, batched_s, naive_s, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
