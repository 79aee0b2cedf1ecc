"""Benchmark (search): the latency of a search on a corpus of at least 100,000 sentences, on
the embedded FalkorDB and on Neo4j, beside a naive scan of every sentence.

The corpus is `--interviews` copies of one generated transcript of `--sentences` sentences,
segmented and analysed for real once (bench.embedded_scale's template and copies), written by
the graph store as `process` writes. Each sentence of a copy gets one more word drawn from a
synthetic vocabulary of 30,000 words with Zipf-distributed frequencies, so the corpus holds
words of every frequency: the template's (in a good share of all sentences) down to words
found once or twice.

Each kind of search (common, rare, two words, phrase, prefix, and a common word with each
filter) runs `--rounds` times after one warm-up, in this process as the API runs it: parsing,
the index query, the verification of candidates and the highlights of one page of 20 hits.
Printed per kind: how many sentences hold the searched word(s), p50 and p95 in milliseconds.
The naive peer finds the first page by `toLower(s.text) CONTAINS $word` over every sentence
(no index), in the same order.

Run: `./run shell bench/search.py [--backend falkordb|neo4j|both] [--interviews 20]
[--sentences 5000] [--rounds 50] [--data-dir DIR]` (Neo4j is started from the Maven artifacts,
as the other benchmarks do, unless NEO4J_URI names one; a given DIR keeps FalkorDB's corpus
for the next run).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_neo4j, machine, settle, table
from bench.embedded_scale import BUILT_MARKER, analysed_template, interview_copy, write_copies

from interview_graph import bootstrap
from interview_graph.domain.model import Analysis, Sentence
from interview_graph.graph.cypher.search import CANDIDATE_COLUMNS, RANK
from interview_graph.graph.port import SentenceFilter
from interview_graph.search.port import SearchQuery
from interview_graph.search.words import words
from interview_graph.settings import Settings

VOCABULARY = 30_000
ZIPF_EXPONENT = 1.05
SEED = 7
PAGE = 20
NAIVE_ROUNDS = 5
NAIVE = f"""
MATCH (s:Sentence) WHERE toLower(s.text) CONTAINS $word
WITH s, 0.0 AS score ORDER BY {RANK} LIMIT {PAGE + 1}
MATCH (p:Project)-[:CONTAINS_INTERVIEW]->(i:Interview)-[:HAS_SENTENCE]->(s)
RETURN {", ".join(CANDIDATE_COLUMNS)}
"""


def synthetic_words(count: int, rng: random.Random) -> list[str]:
    """Pronounceable words of three syllables, all different."""
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    found: dict[str, None] = {}
    while len(found) < count:
        found["".join(rng.choice(syllables) for _ in range(3))] = None
    return list(found)


@dataclass
class Corpus:
    template: tuple[list[Sentence], list[Analysis]]
    vocabulary: list[str]
    extra: dict[int, list[str]] = field(default_factory=dict)  # copy -> word per sentence

    def vary(self, number: int, sentences: list[Sentence]) -> list[Sentence]:
        """A copy's sentences, each with its extra word before its final punctuation."""
        return [
            dataclasses.replace(s, text=f"{s.text[:-1]} {word}{s.text[-1]}")
            for s, word in zip(sentences, self.extra[number], strict=True)
        ]


def make_corpus(template: tuple[list[Sentence], list[Analysis]], copies: int) -> Corpus:
    rng = random.Random(SEED)
    vocabulary = synthetic_words(VOCABULARY, rng)
    weights = [1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(VOCABULARY)]
    per_copy = len(template[0])
    corpus = Corpus(template, vocabulary)
    for number in range(copies):
        corpus.extra[number] = rng.choices(vocabulary, weights, k=per_copy)
    return corpus


@dataclass(frozen=True)
class Kind:
    name: str
    query: SearchQuery


def kinds(corpus: Corpus, first_interview: str) -> list[Kind]:
    counts = Counter(word for extra in corpus.extra.values() for word in extra)
    rare = min(word for word, count in counts.items() if count == 2)
    middling = corpus.vocabulary[40]
    analyses = corpus.template[1]
    topic = Counter(t.name for a in analyses for t in a.topics).most_common(1)[0][0]

    def query(text: str, **filters: Any) -> SearchQuery:
        return SearchQuery(text, SentenceFilter(**filters), limit=PAGE)

    return [
        Kind("very common word", query("the")),
        Kind("common word", query("report")),
        Kind("rare word (2 sentences)", query(rare)),
        Kind("two words", query("report spreadsheet")),
        Kind("phrase", query('"sales team"')),
        Kind("prefix", query("dash*")),
        Kind("prefix of synthetic words", query(f"{middling[:3]}*")),
        Kind("common word + speaker", query("report", speaker="Participant")),
        Kind("common word + interview", query("report", interview_id=first_interview)),
        Kind("common word + function", query("report", function="interrogative")),
        Kind("common word + topic", query("report", topic=topic)),
        Kind("common word + project", query("report", project="scale")),
        Kind("common word + time range", query("report", from_ms=600_000, to_ms=1_200_000)),
        Kind("rare word + speaker", query(rare, speaker="Participant")),
    ]


def holding(corpus: Corpus, query: SearchQuery, key_counts: Counter[str], total: int) -> str:
    """The share of sentences holding the search's first word (for one-word searches)."""
    parsed = [w.key for w in words(query.text)]
    if len(parsed) != 1 or query.text.endswith("*"):
        return "–"
    return f"{key_counts[parsed[0]] / total:.2%}"


def sentence_key_counts(corpus: Corpus) -> tuple[Counter[str], int]:
    """In how many sentences each word is (each sentence counted once per word)."""
    counts: Counter[str] = Counter()
    total = 0
    for number in corpus.extra:
        for sentence in corpus.vary(number, corpus.template[0]):
            counts.update({w.key for w in words(sentence.text)})
            total += 1
    return counts, total


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples) * 1000, cuts[18] * 1000


async def measure(graph: Any, corpus: Corpus, rounds: int) -> list[tuple[str, ...]]:
    search = bootstrap.sentence_search(graph)
    first = interview_copy(0, *corpus.template)[0].interview_id
    key_counts, total = sentence_key_counts(corpus)
    rows: list[tuple[str, ...]] = []
    for kind in kinds(corpus, first):
        page = await search.search(kind.query)  # warm-up
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            await search.search(kind.query)
            timings.append(time.perf_counter() - started)
        p50, p95 = percentiles(timings)
        shown = kind.query.text + "".join(
            f" {name}={value}"
            for name, value in dataclasses.asdict(kind.query.filter).items()
            if value is not None
        )
        rows.append(
            (kind.name, shown[:60], holding(corpus, kind.query, key_counts, total),
             str(len(page.hits)), f"{p50:.1f}", f"{p95:.1f}")
        )  # fmt: skip
    for word in ("the", "report", min(w for w, c in key_counts.items() if c == 2)):
        timings = []
        for _ in range(NAIVE_ROUNDS):
            started = time.perf_counter()
            await graph._run_one(NAIVE, {"word": word}, write=False, operation="naive search")
            timings.append(time.perf_counter() - started)
        p50, p95 = percentiles(timings)
        rows.append(
            (f"naive scan: {word}", "toLower(s.text) CONTAINS $word", "–", "–",
             f"{p50:.1f}", f"{p95:.1f}")
        )  # fmt: skip
    return rows


@contextmanager
def backend_settings(backend: str, kept: Path | None) -> Iterator[tuple[Settings, int | None]]:
    """Settings for a fresh graph of the backend (FalkorDB: in `kept`, when given, which
    keeps it for the next run), and the server's pid to settle on."""
    if backend == "falkordb":
        with tempfile.TemporaryDirectory(prefix="ig-bench-search-") as scratch:
            data = kept or Path(scratch)
            data.mkdir(parents=True, exist_ok=True)
            yield Settings(DATA_DIR=data, FALKORDB_IDLE_SECONDS=0), None
        return
    with (
        tempfile.TemporaryDirectory(prefix="ig-bench-search-") as data,
        bench_neo4j() as (
            env,
            pid,
        ),
    ):
        yield Settings(DATA_DIR=Path(data), GRAPH_BACKEND="neo4j", **env), pid


async def run_backend(
    backend: str, corpus: Corpus, copies: int, rounds: int, kept: Path | None
) -> None:
    written = len(corpus.template[0]) * copies
    with backend_settings(backend, kept) as (settings, pid):
        bootstrap.ensure_data_dir(settings)
        built = settings.data_dir / BUILT_MARKER
        async with bootstrap.open_graph_store(settings) as graph:
            if not built.exists():
                started = time.perf_counter()
                await write_copies(graph, copies, corpus.template, corpus.vary)
                seconds = time.perf_counter() - started
                print(f"{backend}: wrote {written:,} sentences in {seconds:.0f} s")
                if kept is not None:
                    built.write_text(f"{copies} x {len(corpus.template[0])}\n")
            settle(pid)
            rows = await measure(graph, corpus, rounds)
    header = ("search", "query", "sentences holding it", "hits", "p50 ms", "p95 ms")
    print(f"\n{backend}, {written:,} sentences, {rounds} rounds per search")
    print(table(rows, header))


async def main_async(options: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ig-bench-search-") as work:
        template = await analysed_template(options.sentences, Path(work))
    corpus = make_corpus(template, options.interviews)
    backends = ("falkordb", "neo4j") if options.backend == "both" else (options.backend,)
    for backend in backends:
        await run_backend(backend, corpus, options.interviews, options.rounds, options.data_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("falkordb", "neo4j", "both"), default="both")
    parser.add_argument("--interviews", type=int, default=20)
    parser.add_argument("--sentences", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help="FalkorDB: build the corpus here once and search it again on the next runs.",
    )  # fmt: skip
    options = parser.parse_args()
    print(machine())
    asyncio.run(main_async(options))
    print(machine())


if __name__ == "__main__":
    main()
