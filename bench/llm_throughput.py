"""LLM analyzer throughput against the local scripted server with a fixed latency per call.

Measures sentences/s and calls/s at several concurrency levels, calls per sentence with and
without batching (--sentences-per-call), and a second run answered from the SQLite cache.
Targets: calls per sentence <= 1 (<= 0.2 with batches of 5+), calls/s at concurrency 32 at
least 80% of the ideal 32 / latency (one sentence per call), and zero calls on the second
run. The fake server runs in its own process, as a real API would.

Usage: python bench/llm_throughput.py [--latency 0.3] [--provider openai|anthropic]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine

from interview_graph.analysis.llm import LLMConfig, SQLiteAnalysisCache
from interview_graph.analysis.llm.anthropic_analyzer import AnthropicAnalyzer
from interview_graph.analysis.llm.base import LLMAnalyzer
from interview_graph.analysis.llm.openai_analyzer import OpenAIAnalyzer
from interview_graph.analysis.port import AnalysisRequest, ParsedSentence, SentenceFeatures
from interview_graph.domain.ids import sentence_id_for
from interview_graph.domain.model import Sentence

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class FakeServer:
    """The scripted LLM server in its own process (as a real API would be)."""

    port: int

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def calls(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as reply:
            return int(json.load(reply)["calls"])


@contextmanager
def fake_server(latency: float) -> Iterator[FakeServer]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.llm_fake_servers", str(latency)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield FakeServer(int(process.stdout.readline()))
    finally:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=30)


@dataclass(frozen=True)
class Scenario:
    name: str
    sentences: int
    concurrency: int
    per_call: int
    second_run: bool = False


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    seconds: float
    calls: int
    cache_hits: int
    analyses: int


def sentences(count: int, seed: str) -> list[ParsedSentence]:
    interview = f"bench-{seed}"
    return [
        ParsedSentence(
            Sentence(
                sentence_id_for(interview, n),
                interview,
                n,
                f"In run {seed}, sentence {n} is about the reporting workflow.",
                "Interviewer" if n % 7 == 0 else "Participant",
                None,
                None,
                n * 64,
                n * 64 + 60,
            ),
            SentenceFeatures(),
        )
        for n in range(count)
    ]


def make_analyzer(
    provider: str, server: FakeServer, cache: Path, concurrency: int, per_call: int
) -> LLMAnalyzer:
    config = LLMConfig(
        model="bench-model",
        concurrency=concurrency,
        sentences_per_call=per_call,
        timeout_seconds=30,
    )
    store = SQLiteAnalysisCache(cache)
    if provider == "anthropic":
        return AnthropicAnalyzer(
            config, api_key="bench-key", base_url=server.anthropic_base_url, cache=store
        )
    return OpenAIAnalyzer(config, api_key="bench-key", base_url=server.openai_base_url, cache=store)


async def run(provider: str, server: FakeServer, cache: Path, scenario: Scenario) -> Outcome:
    targets = sentences(scenario.sentences, seed=scenario.name.split("+")[0])
    analyzer = make_analyzer(provider, server, cache, scenario.concurrency, scenario.per_call)
    calls_before = server.calls
    started = time.perf_counter()
    try:
        result = await analyzer.analyze(AnalysisRequest(targets=targets))
    finally:
        await analyzer.aclose()
    seconds = time.perf_counter() - started
    assert server.calls - calls_before == result.usage.calls, "server and accounting disagree"
    return Outcome(
        scenario, seconds, result.usage.calls, result.usage.cache_hits, len(result.analyses)
    )


def scenarios() -> list[Scenario]:
    return [
        Scenario("c1", 20, 1, 1),
        Scenario("c8", 160, 8, 1),
        Scenario("c32", 640, 32, 1),
        Scenario("c8-batch5", 400, 8, 5),
        Scenario("c32-batch10", 3200, 32, 10),
        Scenario("c32+second-run", 640, 32, 1, second_run=True),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--provider", choices=("openai", "anthropic"), default="openai")
    args = parser.parse_args()
    print(f"# LLM analyzer throughput ({args.provider}, {args.latency * 1000:.0f} ms per call)")
    print(f"machine: {machine()}\n")
    print("| run | sentences | concurrency | per call | calls | calls/sentence | cache hits "
          "| seconds | sentences/s | calls/s | % of ideal calls/s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as folder, fake_server(args.latency) as server:
        cache = Path(folder) / "llm-cache.sqlite3"
        for scenario in scenarios():
            outcome = asyncio.run(run(args.provider, server, cache, scenario))
            failures += report(outcome, args.latency)
    print()
    print("targets: " + ("all met" if not failures else "MISSED: " + "; ".join(failures)))
    return 1 if failures else 0


def report(outcome: Outcome, latency: float) -> list[str]:
    s = outcome.scenario
    per_sentence = outcome.calls / s.sentences
    calls_rate = outcome.calls / outcome.seconds
    ideal = s.concurrency / latency
    share = 100 * calls_rate / ideal
    print(
        f"| {s.name} | {s.sentences} | {s.concurrency} | {s.per_call} | {outcome.calls} "
        f"| {per_sentence:.2f} | {outcome.cache_hits} | {outcome.seconds:.2f} "
        f"| {outcome.analyses / outcome.seconds:,.1f} | {calls_rate:.1f} "
        f"| {'' if s.second_run else f'{share:.0f}%'} |"
    )
    missed = []
    if outcome.analyses != s.sentences:
        missed.append(f"{s.name}: {s.sentences - outcome.analyses} sentences not analysed")
    if s.second_run:
        if outcome.calls:
            missed.append(f"{s.name}: {outcome.calls} calls on the second run (want 0)")
        return missed
    limit = 1.0 if s.per_call == 1 else (0.2 if s.per_call >= 5 else 1.0)
    if per_sentence > limit:
        missed.append(f"{s.name}: {per_sentence:.2f} calls/sentence (want <= {limit})")
    if s.concurrency == 32 and s.per_call == 1 and share < 80:  # the target is per-sentence calls
        missed.append(f"{s.name}: {share:.0f}% of ideal calls/s (want >= 80%)")
    return missed


if __name__ == "__main__":
    raise SystemExit(main())
