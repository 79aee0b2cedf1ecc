"""Shared set-up for the benchmark scripts: machine description, synthetic transcripts,
real services (Neo4j from Maven artifacts, PostgreSQL from Debian's packages)."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
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
    return f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, {cpu}, Python {platform.python_version()}"


def write_transcript(directory: Path, sentences: int, seed: int = 42) -> Path:
    from bench.transcript_gen import generate_transcript

    path = directory / f"bench-{sentences}.txt"
    path.write_text(generate_transcript(sentences, seed), encoding="utf-8")
    return path


@contextmanager
def neo4j_env() -> Iterator[dict[str, str]]:
    """NEO4J_* of an existing server, or a fresh one started from the Maven artifacts."""
    if os.environ.get("NEO4J_URI"):
        yield {k: v for k, v in os.environ.items() if k.startswith("NEO4J_")}
        return
    from services.neo4j_server import start_neo4j

    with tempfile.TemporaryDirectory(prefix="ig-bench-neo4j-") as tmp:
        server = start_neo4j(Path(tmp))
        try:
            yield {
                "NEO4J_URI": server.uri,
                "NEO4J_USER": server.user,
                "NEO4J_PASSWORD": server.password,
                "NEO4J_DATABASE": server.database,
            }
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
