"""Benchmark (embedded graph at scale): the embedded FalkorDB holding a million analysed
sentences, as the CLI meets it.

Builds (once per data directory) a graph of INTERVIEWS interviews of SENTENCES analysed
sentences each: one generated transcript is segmented and analysed offline for real, and its
sentences and analyses are written again under each interview's ids through the store's batch
writer (what `process` writes, without re-analysing the same text 200 times). Then reports:

* the snapshot the idle shutdown leaves (its size, the log beside it, the time to write it);
* a cold start: the first command after the server stopped (`interviews`, wall time);
* warm commands on the running server: `interviews`, `stats`, the first page of `show`,
  each a whole CLI process (median of 5), beside `graph status` (the CLI's own start-up,
  which every command pays) and beside the unpaged read (`show --all`) as the naive peer;
* the server's memory (resident and peak) and the CLI's peak memory for `show --all` and a
  streamed `export` of one interview.

Run: `./run shell bench/embedded_scale.py [--interviews 200] [--sentences 5000]
[--data-dir DIR]` (a given DIR keeps the built graph for the next run).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, table, write_transcript

from interview_graph import bootstrap
from interview_graph.analysis.port import AnalysisRequest
from interview_graph.domain.ids import (
    analysis_id_for,
    interview_id_for,
    project_id_for,
    sentence_id_for,
)
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.graph.port import GraphStore
from interview_graph.pipeline.readers import read_transcript
from interview_graph.settings import Settings

BATCH = 500
PROJECT = "scale"
CLI = Path(sys.executable).with_name("interview-graph")
BUILT_MARKER = "bench-built.json"


def cli_env(data_dir: Path, idle_seconds: str = "600") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "GRAPH_"))}
    env.update(
        {"DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING", "FALKORDB_IDLE_SECONDS": idle_seconds}
    )
    return env


def run_cli(args: Sequence[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds and stdout of one CLI process; fails loudly."""
    started = time.perf_counter()
    done = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"`interview-graph {' '.join(args)}` failed: {done.stderr[-2000:]}")
    return seconds, done.stdout


def peak_rss_mib(args: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one CLI process (its output discarded)."""
    started = time.perf_counter()
    child = subprocess.Popen([str(CLI), *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"`interview-graph {' '.join(args)}` failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


async def analysed_template(sentences: int, work: Path) -> tuple[list[Sentence], list[Analysis]]:
    """One generated transcript, segmented and analysed offline for real."""
    settings = Settings(DATA_DIR=work / "template")
    segmenter = bootstrap.build_segmenter(settings)
    analyzer = bootstrap.build_analyzer(settings)
    path = write_transcript(work, sentences)
    template_sentences: list[Sentence] = []
    template_analyses: list[Analysis] = []
    try:
        transcript = read_transcript(path, max_bytes=2**30)
        for chunk in segmenter.iter_parsed(transcript, "template"):
            request = AnalysisRequest(targets=chunk)
            template_analyses += (await analyzer.analyze(request)).analyses
            template_sentences += [parsed.sentence for parsed in chunk]
    finally:
        segmenter.close()
    return template_sentences, template_analyses


def interview_copy(
    number: int, sentences: list[Sentence], analyses: list[Analysis]
) -> tuple[Interview, list[Sentence], list[Analysis]]:
    project_id = project_id_for(PROJECT)
    interview_id = interview_id_for(project_id, f"{number:064d}")
    filename = f"interview-{number:04d}.txt"
    interview = Interview(
        interview_id=interview_id, project_id=project_id, project_name=PROJECT,
        title=f"Interview {number:04d}", source=filename, filename=filename, language="en",
        content_sha256=f"{number:064d}", status=InterviewStatus.PROCESSING,
        created_at=datetime.now(UTC),
    )  # fmt: skip
    copied_sentences = [
        dataclasses.replace(
            s,
            interview_id=interview_id,
            sentence_id=sentence_id_for(interview_id, s.sequence_order),
        )
        for s in sentences
    ]
    copied_analyses = []
    for sentence, analysis in zip(copied_sentences, analyses, strict=True):
        copied_analyses.append(
            dataclasses.replace(
                analysis,
                interview_id=interview_id,
                sentence_id=sentence.sentence_id,
                analysis_id=analysis_id_for(
                    sentence.sentence_id, analysis.model, analysis.model_version
                ),
            )
        )
    return interview, copied_sentences, copied_analyses


# Turns one interview copy's sentences (by the copy's number) into the ones written.
VaryCopy = Callable[[int, list[Sentence]], list[Sentence]]


async def write_copies(
    graph: GraphStore,
    interviews: int,
    template: tuple[list[Sentence], list[Analysis]],
    vary: VaryCopy | None = None,
) -> None:
    """`interviews` copies of the template, each written as `process` writes a file."""
    for number in range(interviews):
        interview, copied, analyses = interview_copy(number, *template)
        if vary is not None:
            copied = vary(number, copied)
        await graph.write_interview(interview)
        for start in range(0, len(copied), BATCH):
            await graph.write_sentences(copied[start : start + BATCH], interview.filename)
            await graph.write_analyses(analyses[start : start + BATCH])
        await graph.finish_interview(interview.interview_id, len(copied), InterviewStatus.COMPLETED)
        if number % 20 == 19:
            print(f"  built {number + 1}/{interviews} interviews", flush=True)


async def build(data_dir: Path, interviews: int, sentences: int) -> float:
    """Writes the graph; returns seconds spent writing (the template's analysis excluded)."""
    with tempfile.TemporaryDirectory(prefix="ig-scale-") as work:
        template = await analysed_template(sentences, Path(work))
    settings = Settings(DATA_DIR=data_dir, FALKORDB_IDLE_SECONDS=600)
    started = time.perf_counter()
    async with bootstrap.open_graph_store(settings) as graph:
        await graph.ensure_schema()
        await write_copies(graph, interviews, template)
    seconds = time.perf_counter() - started
    (data_dir / BUILT_MARKER).write_text(
        json.dumps({"interviews": interviews, "sentences": sentences})
    )
    return seconds


def status(env: dict[str, str]) -> dict[str, object]:
    _, out = run_cli(["graph", "status", "--json"], env)
    parsed: dict[str, object] = json.loads(out)
    return parsed


def server_memory_mib(pid: int) -> tuple[float, float]:
    """Resident and peak resident MiB of the server process."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def median_of(args: Sequence[str], env: dict[str, str], times: int = 5) -> float:
    return statistics.median(run_cli(args, env)[0] for _ in range(times))


def measure(data_dir: Path) -> list[tuple[str, str]]:
    env = cli_env(data_dir)
    figures: list[tuple[str, str]] = []
    started = time.perf_counter()
    run_cli(["graph", "stop", "--wait"], env)
    figures.append(
        (
            "idle shutdown with snapshot (graph stop --wait), s",
            f"{time.perf_counter() - started:.1f}",
        )
    )
    stopped = status(env)
    figures.append(("snapshot, MiB", f"{int(stopped['snapshot_bytes']) / 2**20:.0f}"))  # type: ignore[call-overload]
    figures.append(("log beside it, MiB", f"{int(stopped['log_bytes']) / 2**20:.1f}"))  # type: ignore[call-overload]
    cold, out = run_cli(["interviews", "--json"], env)
    figures.append(("cold start: first `interviews` after a stop, s", f"{cold:.1f}"))
    interview_id = json.loads(out)[0]["interview_id"]
    running = status(env)
    rss, _ = server_memory_mib(int(running["pid"]))  # type: ignore[call-overload]
    figures.append(
        ("warm `graph status` (CLI start-up), s", f"{median_of(['graph', 'status'], env):.2f}")
    )
    figures.append(("warm `interviews`, s", f"{median_of(['interviews'], env):.2f}"))
    figures.append(("warm `stats`, s", f"{median_of(['stats'], env):.2f}"))
    figures.append(
        ("warm `show ID` (first page), s", f"{median_of(['show', interview_id], env):.2f}")
    )
    paged, paged_peak = peak_rss_mib(["show", interview_id, "--all", "--json"], env)
    figures.append(("`show ID --all --json` (pages of 100), s", f"{paged:.2f}"))
    whole, whole_peak = peak_rss_mib(
        ["show", interview_id, "--all", "--json", "--limit", "1000000"], env
    )
    figures.append(("naive peer: the same in one read, s", f"{whole:.2f}"))
    exported, export_peak = peak_rss_mib(["export", "--interview", interview_id], env)
    figures.append(("streamed `export --interview ID`, s", f"{exported:.2f}"))
    figures.append(
        (
            "CLI peak memory: paged / one read / export, MiB",
            f"{paged_peak:.0f} / {whole_peak:.0f} / {export_peak:.0f}",
        )
    )
    after_rss, after_peak = server_memory_mib(int(running["pid"]))  # type: ignore[call-overload]
    figures.append(("server resident after cold start, MiB", f"{rss:.0f}"))
    figures.append(
        ("server resident / peak after the reads, MiB", f"{after_rss:.0f} / {after_peak:.0f}")
    )
    run_cli(["graph", "stop", "--wait"], env)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--sentences", type=int, default=5000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--build-only", action="store_true", help="Build the graph and stop.")
    options = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="ig-scale-data-") as scratch:
        data_dir = options.data_dir or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        total = options.interviews * options.sentences
        if not (data_dir / BUILT_MARKER).exists():
            print(f"building {options.interviews} interviews x {options.sentences} sentences")
            seconds = asyncio.run(build(data_dir, options.interviews, options.sentences))
            print(
                f"built {total:,} analysed sentences in {seconds:.0f} s ({total / seconds:,.0f}/s)"
            )
        if options.build_only:
            return
        figures = measure(data_dir)
    print(table([(name, value) for name, value in figures], ("figure", "value")))


if __name__ == "__main__":
    main()
