"""Start a real Neo4j 5 Community server (built from Maven Central) for tests and local use.

The server is the embedded DBMS run by `scripts/neo4j` (see `Neo4jLauncher.java`): Bolt only,
on 127.0.0.1, auth enabled for user `neo4j` with the fixed local password below. The JVM is
a child of this process and reads its stdin: if this process dies, the pipe closes and the
server stops, so no stray JVM is left behind.

Run `python scripts/services/neo4j_server.py` to get one in the foreground; it prints the
`NEO4J_*` variables to export and stops on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from neo4j import GraphDatabase
from neo4j.exceptions import ServiceUnavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
LAUNCHER_DIR = REPO_ROOT / "scripts" / "neo4j"
BUILD_SCRIPT = LAUNCHER_DIR / "build.sh"
TARGET_DIR = LAUNCHER_DIR / "target"
LAUNCHER_CLASS = "interviewgraph.neo4j.Neo4jLauncher"

USER = "neo4j"
# Local-only credential for throwaway servers bound to 127.0.0.1; not a secret.
PASSWORD = "interview-graph-local"
DATABASE = "neo4j"

# Sized for a small machine shared with PostgreSQL and FalkorDB. C1-only JIT: measured on 2
# cores, the first 5,000 sentences written to a fresh server cost the JVM about 9 s of CPU with
# C1 against 16 s with the full JIT (C2 compiling), and C2 only pays back after some 20,000
# sentences (then about 2-3 s per 5,000 instead of 3-4 s). Test runs and benchmarks use a fresh,
# short-lived server, so they get C1; the long-running server of `main()` adds FULL_JIT.
# The 64 MiB page cache holds the whole store of these runs (about 1 MB per 1,000 sentences
# with their analyses), so a larger one measured no difference.
FULL_JIT: tuple[str, ...] = ("-XX:TieredStopAtLevel=4",)

JVM_OPTIONS: tuple[str, ...] = (
    "-Xms256m",
    "-Xmx1g",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow",
    "-Dfile.encoding=UTF-8",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)

READY_LINE = re.compile(r"^READY (bolt://\S+)", re.MULTILINE)
STOP_TIMEOUT_S = 60.0
LOG_TAIL_LINES = 40


@dataclass
class Neo4jServer:
    """A running server; `stop()` shuts it down and waits for the JVM to exit."""

    uri: str
    user: str
    password: str
    database: str
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False, compare=False)

    def stop(self) -> None:
        """Ask for a clean shutdown (checkpoint, close stores); kill only if it hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()


WARM_UP_SENTENCES = 3000
WARM_UP_BATCH = 300


def start_neo4j(
    work_dir: Path,
    timeout_s: float = 180.0,
    *,
    extra_jvm_options: Sequence[str] = (),
    warm_up_sentences: Sequence[int] = (WARM_UP_SENTENCES,),
) -> Neo4jServer:
    """Start a server with its data and log under `work_dir`; return once Bolt answers and
    it has written and deleted one synthetic interview per entry of `warm_up_sentences`, of
    that many sentences (see `warm_up_server`).

    The launcher binds a free port itself and reports it, so parallel starts cannot race
    for the same port. Raises RuntimeError (with the end of the log) if it fails or times out.
    """
    java, classpath, cds_options = ensure_built()
    work_dir.mkdir(parents=True, exist_ok=True)
    log_path = work_dir / "neo4j.log"
    command = [
        str(java),
        *JVM_OPTIONS,
        *cds_options,
        *extra_jvm_options,
        "-cp",
        classpath,
        LAUNCHER_CLASS,
        "--home",
        str(work_dir / "neo4j-home"),
        "--port",
        "0",
        "--password",
        PASSWORD,
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # terminal Ctrl-C reaches us only; we stop it cleanly
        )
    try:
        uri = _wait_until_ready(process, log_path, timeout_s)
    except BaseException:
        Neo4jServer("", USER, PASSWORD, DATABASE, log_path, process).stop()
        raise
    server = Neo4jServer(uri, USER, PASSWORD, DATABASE, log_path, process)
    try:
        # In a thread of its own: the caller may itself be running an event loop.
        with ThreadPoolExecutor(max_workers=1) as thread:
            for sentences in warm_up_sentences:
                thread.submit(asyncio.run, warm_up_server(server, sentences)).result()
    except BaseException:
        server.stop()
        raise
    return server


async def warm_up_server(server: Neo4jServer, sentences: int = WARM_UP_SENTENCES) -> None:
    """Write a synthetic interview through the application's own graph store, then delete it.

    A fresh JVM runs interpreted code and plans every statement on first use: measured on 2
    cores, the first 5,000 sentences written to a fresh server cost it about 9 s of CPU, the
    next 5,000 about 3-4 s. Paying that here, at start-up (a few seconds), gives tests and
    benchmarks the server a long-running one would be, with the write statements' plans in
    its query cache. The graph is left empty (ids, not data, are used up).
    """
    from interview_graph.domain.model import InterviewStatus
    from interview_graph.graph.neo4j_store import Neo4jGraphStore

    interview, rows, analyses = _synthetic_interview(sentences)
    async with Neo4jGraphStore(server.uri, server.user, server.password, server.database) as g:
        await g.ensure_schema()
        await g.write_interview(interview)
        for start in range(0, len(rows), WARM_UP_BATCH):
            await g.write_sentences(rows[start : start + WARM_UP_BATCH], interview.filename)
            await g.write_analyses(analyses[start : start + WARM_UP_BATCH])
        await g.write_analyses(analyses[:WARM_UP_BATCH])  # the MERGE path of re-processing
        await g.finish_interview(interview.interview_id, len(rows), InterviewStatus.COMPLETED)
        await g.delete_interview(interview.interview_id)


def _synthetic_interview(count: int) -> tuple[Any, list[Any], list[Any]]:
    """An interview with `count` sentences and analyses shaped like the offline analyzer's."""
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

    project_id = project_id_for("neo4j-warm-up")
    interview_id = interview_id_for(project_id, "0" * 64)
    interview = Interview(
        interview_id=interview_id, project_id=project_id, project_name="neo4j-warm-up",
        title="warm-up", source="warm-up", filename="warm-up.txt", language="en",
        content_sha256="0" * 64, status=InterviewStatus.PROCESSING,
        created_at=datetime.now(UTC),
    )  # fmt: skip
    sentences = [
        Sentence(
            sentence_id=sentence_id_for(interview_id, n),
            interview_id=interview_id,
            sequence_order=n,
            text=f"Warm-up sentence {n} about topic {n % 7}.",
            speaker="Speaker",
            start_ms=None,
            end_ms=None,
            start_char=40 * n,
            end_char=40 * n + 36,
        )
        for n in range(count)
    ]
    analyses = [
        Analysis(
            analysis_id=analysis_id_for(s.sentence_id, "warm-up", "1"),
            sentence_id=s.sentence_id,
            interview_id=interview_id,
            sequence_order=s.sequence_order,
            model="warm-up",
            model_version="1",
            function_type=("declarative", "interrogative")[n % 2],
            structure_type=("simple", "complex")[n % 2],
            purpose=f"purpose-{n % 9}",
            topics=(TopicMention(f"topic-{n % 11}", 1), TopicMention(f"topic-{n % 5}", 3)),
            overall_keywords=(f"keyword-{n % 40}", f"keyword-{n % 13}"),
            domain_keywords=(f"domain-{n % 14}",),
            confidence={"topics": 0.5, "purpose": 0.7},
        )
        for n, s in enumerate(sentences)
    ]
    return interview, sentences, analyses


def ensure_built() -> tuple[Path, str, list[str]]:
    """Run build.sh (a no-op when up to date).

    Returns the java binary, the classpath, and the option that loads the class-data-sharing
    archive when the build recorded one (a third faster start-up).
    """
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"building the Neo4j launcher with {BUILD_SCRIPT} failed "
            f"(exit {result.returncode}); it needs mvn and a JDK 17 on this machine:\n"
            f"{_tail(result.stdout + result.stderr)}"
        )
    java_home = Path((TARGET_DIR / "java-home.txt").read_text(encoding="utf-8").strip())
    dependencies = (TARGET_DIR / "classpath.txt").read_text(encoding="utf-8").strip()
    classpath = f"{TARGET_DIR / 'neo4j-launcher.jar'}:{dependencies}"
    archive = TARGET_DIR / "neo4j-launcher.jsa"
    cds_options = [f"-XX:SharedArchiveFile={archive}"] if archive.is_file() else []
    return java_home / "bin" / "java", classpath, cds_options


def _wait_until_ready(process: subprocess.Popen[bytes], log_path: Path, timeout_s: float) -> str:
    """Wait for the READY line, then for a Bolt login that works; return the bolt URI."""
    deadline = time.monotonic() + timeout_s
    uri: str | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Neo4j exited with code {process.returncode} while starting; the end of "
                f"its log {log_path} says why:\n{_tail(_read(log_path))}"
            )
        if uri is None:
            match = READY_LINE.search(_read(log_path))
            uri = match.group(1) if match else None
        if uri is not None and _bolt_login_works(uri):
            return uri
        time.sleep(0.2)
    raise RuntimeError(
        f"Neo4j did not accept Bolt connections within {timeout_s:.0f}s (a busy machine may "
        f"need a larger timeout_s); the end of its log {log_path}:\n{_tail(_read(log_path))}"
    )


def _bolt_login_works(uri: str) -> bool:
    """False while the port is not answering yet; a failed login is raised, not retried."""
    with GraphDatabase.driver(uri, auth=(USER, PASSWORD)) as driver:
        try:
            driver.verify_connectivity()
        except (ServiceUnavailable, OSError):
            return False
    return True


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _tail(text: str) -> str:
    return "\n".join(text.splitlines()[-LOG_TAIL_LINES:])


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run a server in the foreground for manual use until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=REPO_ROOT / ".services" / "neo4j",
        help="data and log directory, kept between runs (default: .services/neo4j)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    started = time.monotonic()
    server = start_neo4j(args.work_dir, extra_jvm_options=FULL_JIT)  # later flag wins
    elapsed_s = time.monotonic() - started
    # KEY=value lines, ready for a .env file or `export`.
    print(f"# Neo4j is up after {elapsed_s:.1f}s; log: {server.log_path}")
    print("GRAPH_BACKEND=neo4j")
    print(f"NEO4J_URI={server.uri}")
    print(f"NEO4J_USER={server.user}")
    print(f"NEO4J_PASSWORD={server.password}")
    print(f"NEO4J_DATABASE={server.database}")
    print("# Ctrl-C stops it.", flush=True)
    try:
        exit_code = server.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()
    print(f"Neo4j exited on its own with code {exit_code}; see {server.log_path}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
