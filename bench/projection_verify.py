"""Benchmark (projection issue): rebuild events/s and verify sentences/s, FalkorDB and Neo4j.

Generated transcripts (default 3 x 2,000 sentences) are processed with dual-write on into the
embedded FalkorDB and the SQLite event store. Then, each timed on its own:
  * rebuild: the whole log projected into an empty FalkorDB graph and an empty Neo4j database
    (checkpointed batches, as `interview-graph rebuild` does); the export must equal the source;
  * verify: the log compared with the graph, on the FalkorDB source and on the Neo4j rebuild.
Targets: rebuild >= 5,000 events/s, verify >= 5,000 sentences/s.
Run: `./run shell bench/projection_verify.py [--sentences 2000 --files 3 --repeat 5 --warm-up 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, bench_neo4j, machine, settle, table, write_transcript

from interview_graph import bootstrap
from interview_graph.graph.export import to_jsonl_line
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.falkordb_store import FalkorDBGraphStore
from interview_graph.graph.neo4j_store import Neo4jGraphStore
from interview_graph.graph.port import GraphStore
from interview_graph.projection.port import ProjectionGraph
from interview_graph.projection.projector import ProjectionReport, Projector
from interview_graph.projection.verify import VerifyReport, verify
from interview_graph.settings import Settings

TARGET_EVENTS_PER_S = 5000.0
TARGET_SENTENCES_PER_S = 5000.0


def process(data_dir: Path, files: list[Path]) -> None:
    cli = Path(sys.executable).with_name("interview-graph")
    env = {"DATA_DIR": str(data_dir), "NLP_PROCESSES": "2", "PATH": str(cli.parent)}
    subprocess.run(
        [str(cli), "process", *map(str, files), "--events", "--json"],
        env=env, cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip


async def export_lines(graph: GraphStore) -> list[str]:
    return [to_jsonl_line(record) async for record in graph.export()]


class Timed(Protocol):
    @property
    def seconds(self) -> float: ...


T = TypeVar("T", bound=Timed)


async def timed(repeat: int, run: Callable[[], Awaitable[T]]) -> list[T]:
    """`repeat` results of `run`, fastest first."""
    results = [await run() for _ in range(repeat)]
    return sorted(results, key=lambda r: r.seconds)


def rate_row(step: str, size: str, rates: list[float], unit: str, target: float) -> tuple[str, ...]:
    """Best and median of the runs; the verdict goes by the median, which a lucky run cannot
    carry (single runs here vary by a quarter)."""
    median = statistics.median(rates)
    verdict = f"{'ok' if median >= target else 'BELOW'} (target {target:,.0f})"
    return (step, size, f"{max(rates):,.0f}", f"{median:,.0f} {unit}", verdict)


async def rebuild_into(
    settings: Settings, target: ProjectionGraph, repeat: int, warm_up: int, server_pid: int | None
) -> list[ProjectionReport]:
    """`repeat` timed rebuilds, after `warm_up` untimed ones: the projection's own
    statements are new to a server that has so far served only the pipeline's."""
    store = await bootstrap.open_event_store(settings)
    try:

        async def once() -> ProjectionReport:
            await target.wipe()
            await target.ensure_schema()
            settle(server_pid)  # the wipe's aftermath is not the projection's work
            return await Projector(store, target).catch_up()

        for _ in range(warm_up):
            await once()
        return await timed(repeat, once)
    finally:
        await store.close()


async def verify_on(
    settings: Settings, graph: GraphStore, repeat: int, server_pid: int | None
) -> list[VerifyReport]:
    store = await bootstrap.open_event_store(settings)
    try:

        async def once() -> VerifyReport:
            settle(server_pid)
            return await verify(store, graph)

        reports = await timed(repeat, once)
    finally:
        await store.close()
    for report in reports:
        if not report.ok:
            raise SystemExit(
                f"verify found {len(report.differences)} differences: the bench is void"
            )
    return reports


async def measure(
    data_dir: Path, neo4j: dict[str, str], neo4j_pid: int | None, repeat: int, warm_up: int
) -> list[tuple[str, ...]]:
    """Every timed step starts once the Neo4j server is idle (bench.common.settle), so no
    step pays for the background work of the one before."""
    settings = Settings(DATA_DIR=data_dir)
    server = EmbeddedFalkorDB(settings.falkordb_dir)
    rows: list[tuple[str, ...]] = []
    async with (
        FalkorDBGraphStore(server, settings.falkordb_graph) as source,
        FalkorDBGraphStore(server, "bench_rebuilt") as falkordb_target,
        Neo4jGraphStore(
            neo4j["NEO4J_URI"], neo4j["NEO4J_USER"], neo4j["NEO4J_PASSWORD"],
            neo4j.get("NEO4J_DATABASE", "neo4j"),
        ) as neo4j_target,
    ):  # fmt: skip
        expected = await export_lines(source)
        for backend, target in (("falkordb", falkordb_target), ("neo4j", neo4j_target)):
            reports = await rebuild_into(settings, target, repeat, warm_up, neo4j_pid)
            if await export_lines(target) != expected:
                raise SystemExit(f"the {backend} rebuild does not export like the source")
            rows.append(
                rate_row(
                    f"rebuild -> {backend}", f"{reports[0].events} events",
                    [r.events_per_second for r in reports], "events/s", TARGET_EVENTS_PER_S,
                )
            )  # fmt: skip
        for backend, graph in (("falkordb", source), ("neo4j", neo4j_target)):
            checks = await verify_on(settings, graph, repeat, neo4j_pid)
            rows.append(
                rate_row(
                    f"verify ({backend})", f"{checks[0].sentences} sentences",
                    [c.sentences_per_second for c in checks], "sentences/s",
                    TARGET_SENTENCES_PER_S,
                )
            )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sentences", type=int, default=2000, help="sentences per file")
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per step")
    parser.add_argument("--warm-up", type=int, default=2, help="untimed rebuilds first")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="ig-bench-projection-") as tmp,
        bench_neo4j() as (neo4j, neo4j_pid),
    ):
        root = Path(tmp)
        files = []
        for seed in range(1, args.files + 1):  # one folder each: the file name is per size
            (root / f"seed-{seed}").mkdir()
            files.append(write_transcript(root / f"seed-{seed}", args.sentences, seed=seed))
        started = time.perf_counter()
        process(root / "data", files)
        print(f"processed {args.files} x {args.sentences} sentences in "
              f"{time.perf_counter() - started:.1f} s (dual-write on)")  # fmt: skip
        before = machine()
        rows = asyncio.run(measure(root / "data", neo4j, neo4j_pid, args.repeat, args.warm_up))
    print(f"before: {before}\nafter:  {machine()}")
    print(table(rows, ("step", "size", "best", "median", "verdict (median)")))


if __name__ == "__main__":
    main()
