"""Shared set-up for the benchmark scripts: machine description, synthetic transcripts,
real services (Neo4j from Maven artifacts, PostgreSQL from Debian's packages)."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "scripts"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, {cpu}, Python {platform.python_version()}, "
        f"reference loop {reference_loop_s():.2f} s"
    )


def reference_loop_s() -> float:
    """Seconds for a fixed pure-Python loop (best of 3): the machine's speed at this moment.

    The project machine is a shared virtual one whose speed drifts by a third within an hour;
    printed beside a benchmark's figures it tells a slow phase from a slow change.
    """
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        sum(i * i for i in range(10**7))
        timings.append(time.perf_counter() - started)
    return min(timings)


def settle(
    pid: int | None, *, idle_share: float = 0.1, window_s: float = 0.5, timeout_s: float = 30.0
) -> None:
    """Wait until a server process is idle: below `idle_share` of a core over `window_s`.

    After a burst of writes (or a wipe) Neo4j keeps digesting them in the background for a
    few seconds; a step timed meanwhile measures that work too, on the same two cores.
    """
    if pid is None:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        used = cpu_seconds([pid])
        time.sleep(window_s)
        if cpu_seconds([pid]) - used < idle_share * window_s:
            return


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of other processes, from /proc; 0 for any that is gone."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def write_transcript(directory: Path, sentences: int, seed: int = 42) -> Path:
    from bench.transcript_gen import generate_transcript

    path = directory / f"bench-{sentences}.txt"
    path.write_text(generate_transcript(sentences, seed), encoding="utf-8")
    return path


# Benchmarks measure Neo4j as a deployment runs it: the full JIT (the test suite's throwaway
# servers stop at C1, see services.neo4j_server), on a server that has already served this
# application's writes. C2 compiles in the background for the first tens of thousands of
# written sentences; these untimed warm-up interviews (5,000 sentences each, written through
# the application's graph store, then deleted) let it finish before anything is timed.
WARM_UP_INTERVIEWS = 4
WARM_UP_SENTENCES = 5000


@contextmanager
def bench_neo4j() -> Iterator[tuple[dict[str, str], int | None]]:
    """NEO4J_* and the JVM's pid (None for an existing server, given by NEO4J_URI) of a
    warmed-up, full-JIT server started from the Maven artifacts."""
    if os.environ.get("NEO4J_URI"):
        yield {k: v for k, v in os.environ.items() if k.startswith("NEO4J_")}, None
        return
    from services.neo4j_server import FULL_JIT, start_neo4j
    from services.neo4j_server import WARM_UP_SENTENCES as SERVER_WARM_UP

    warm_up = (SERVER_WARM_UP, *[WARM_UP_SENTENCES] * WARM_UP_INTERVIEWS)
    with tempfile.TemporaryDirectory(prefix="ig-bench-neo4j-") as tmp:
        server = start_neo4j(Path(tmp), extra_jvm_options=FULL_JIT, warm_up_sentences=warm_up)
        try:
            env = {
                "NEO4J_URI": server.uri,
                "NEO4J_USER": server.user,
                "NEO4J_PASSWORD": server.password,
                "NEO4J_DATABASE": server.database,
            }
            yield env, server.process.pid
        finally:
            server.stop()


@contextmanager
def postgres_url() -> Iterator[str]:
    if os.environ.get("EVENT_STORE_URL", "").startswith("postgresql://"):
        yield os.environ["EVENT_STORE_URL"]
        return
    from services.postgres_server import start_postgres

    with tempfile.TemporaryDirectory(prefix="ig-bench-pg-") as tmp:
        server = start_postgres(Path(tmp))
        try:
            yield server.url
        finally:
            server.stop()


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True))]
    lines.append("-|-".join("-" * w for w in widths))
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)
