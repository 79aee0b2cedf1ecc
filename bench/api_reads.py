"""Benchmark (API reads): a real `interview-graph serve` on a generated corpus, loaded by an
HTTP client on the same machine.

The corpus is built as `embedded_scale.py` builds it (one generated transcript analysed
offline for real, written again under each interview's ids): INTERVIEWS interviews of
SENTENCES analysed sentences, in the embedded FalkorDB or in Neo4j (`--backend`).

The load generator is a small asyncio HTTP/1.1 client (keep-alive connections, a request in
flight per connection) rather than httpx: it spends a few tens of microseconds per request, so
most of the two cores stay with the server. Each scenario runs for `--seconds` after a warm-up
and reports requests/s, the latency seen by the client (p50/p95) and the CPU each request
cost the API processes, the graph server and the load generator (from /proc):

* `smallest read`: the docs' favicon, a file the app serves behind the viewer role: next to
  nothing but the HTTP server, FastAPI and (in `full`) the token check, access line and
  request metrics, so `full` minus `bare` is their cost per request;
* `interviews`: `GET /api/interviews` (the first page of 100 interviews with their counts);
* `1,000 sentences`: one interview's 1,000 sentences with analyses, one request at a time (the
  latency is the server's time plus a loopback round trip), and the server's own mean time
  from /metrics where it counts;
* `mixed`: a read mix (pages of 100 sentences at random places, interview details, the
  listing, the stats), CONNECTIONS requests in flight.

Twice: `bare` (no tokens, no access log, no request metrics) and `full` (every request with
a token, a JSON access line each into a file, request metrics), so their ratio is what the
three cost.

Run: `./run shell bench/api_reads.py [--backend falkordb|neo4j] [--interviews 100]
[--sentences 1000] [--workers 2] [--connections 16] [--seconds 15] [--data-dir DIR]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_neo4j, cpu_seconds, machine, settle, table
from bench.embedded_scale import BUILT_MARKER, build

CLI = Path(sys.executable).with_name("interview-graph")
SENTENCES_PAGE = "/api/interviews/{}/sentences?limit=1000"


# ---------------------------------------------------------------- the load generator


class Connection:
    """One keep-alive HTTP/1.1 connection: a request, its whole response, the next."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        return cls(reader, writer)

    async def get(self, path: str, headers: bytes) -> tuple[int, bytes]:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n".encode() + headers + b"\r\n")
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length)
        return status, body

    def close(self) -> None:
        self.writer.close()


@dataclass
class Run:
    requests: int = 0
    latencies_s: list[float] = field(default_factory=list)
    seconds: float = 0.0
    api_cpu_s: float = 0.0
    graph_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    def row(self, name: str, server_mean: str = "–") -> tuple[str, ...]:
        ordered = sorted(self.latencies_s)
        p50 = ordered[len(ordered) // 2] * 1000
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000
        return (
            name,
            f"{self.requests / self.seconds:,.0f}",
            f"{p50:.1f}",
            f"{p95:.1f}",
            f"{self.api_cpu_s / self.requests * 1000:.2f}",
            f"{self.graph_cpu_s / self.requests * 1000:.2f}",
            f"{self.client_cpu_s / self.requests * 1000:.2f}",
            server_mean,
        )


Paths = Callable[[random.Random], str]


@dataclass(frozen=True)
class Pids:
    api: list[int]  # serve and its workers
    graph: list[int]  # the graph server (FalkorDB's redis-server or Neo4j's JVM)


async def load(
    port: int, headers: bytes, paths: Paths, connections: int, seconds: float, pids: Pids
) -> Run:
    """`connections` clients asking for `paths` back to back for `seconds`."""
    opened = [await Connection.open(port) for _ in range(connections)]
    run = Run()
    deadline = time.perf_counter() + seconds

    async def client(connection: Connection, seed: int) -> None:
        chooser = random.Random(seed)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, body = await connection.get(paths(chooser), headers)
            if status != 200:
                raise SystemExit(f"the server answered {status}: {body[:300]!r}")
            run.latencies_s.append(time.perf_counter() - started)
            run.requests += 1

    api_cpu, graph_cpu, client_cpu = cpu_seconds(pids.api), cpu_seconds(pids.graph), _own_cpu_s()
    started = time.perf_counter()
    await asyncio.gather(*(client(c, seed) for seed, c in enumerate(opened)))
    run.seconds = time.perf_counter() - started
    run.api_cpu_s = cpu_seconds(pids.api) - api_cpu
    run.graph_cpu_s = cpu_seconds(pids.graph) - graph_cpu
    run.client_cpu_s = _own_cpu_s() - client_cpu
    for connection in opened:
        connection.close()
    return run


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- the server


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    headers: bytes

    def pids(self, graph_pid: int | None) -> Pids:
        children = [
            int(entry.name)
            for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and _parent(int(entry.name)) == self.process.pid
        ]
        return Pids([self.process.pid, *children], [graph_pid] if graph_pid else [])


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


@contextlib.contextmanager
def serving(env: dict[str, str], workers: int, full: bool, logs: Path) -> Iterator[Server]:
    """`serve` bare (no tokens, access log or request metrics) or full (all three)."""
    env = dict(env)
    headers = b""
    user = f"bench-{os.getpid()}"
    if full:
        token = _cli(["users", "add", user], env).strip()
        headers = f"Authorization: Bearer {token}\r\n".encode()
        env.update(API_ACCESS_LOG="true", API_METRICS="true")
    else:
        env.update(API_ACCESS_LOG="false", API_METRICS="false")
    port = _free_port()
    args = ["serve", "--port", str(port), "--workers", str(workers), *(["--auth"] if full else [])]
    with (logs / f"serve-{'full' if full else 'bare'}.log").open("wb") as log:
        process = subprocess.Popen([str(CLI), *args], env=env, stdout=log, stderr=log)
        try:
            _wait_until_ready(process, port, headers)
            yield Server(process, port, headers)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
            if full:
                _cli(["users", "remove", user], env)


def _wait_until_ready(process: subprocess.Popen[bytes], port: int, headers: bytes) -> None:
    async def ready() -> bool:
        try:
            connection = await Connection.open(port)
        except OSError:
            return False
        try:
            return (await connection.get("/readyz", headers))[0] == 200
        finally:
            connection.close()

    while not asyncio.run(ready()):
        if process.poll() is not None:
            raise SystemExit(f"serve exited with {process.returncode}; see its log")
        time.sleep(0.3)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`interview-graph {' '.join(args)}` failed: {done.stderr[-2000:]}")
    return done.stdout


# ---------------------------------------------------------------- scenarios


async def fetch_json(port: int, path: str, headers: bytes) -> object:
    connection = await Connection.open(port)
    try:
        status, body = await connection.get(path, headers)
    finally:
        connection.close()
    if status != 200:
        raise SystemExit(f"{path}: {status} {body[:300]!r}")
    return json.loads(body)


def server_mean_ms(text: str, route: str) -> tuple[float, float]:
    """The sum and count of http_request_duration_seconds for one route template."""
    total = count = 0.0
    for line in text.splitlines():
        if f'route="{route}"' in line and 'status="2xx"' in line:
            if line.startswith("http_request_duration_seconds_sum"):
                total += float(line.rsplit(" ", 1)[1])
            elif line.startswith("http_request_duration_seconds_count"):
                count += float(line.rsplit(" ", 1)[1])
    return total, count


async def metrics_text(server: Server) -> str:
    connection = await Connection.open(server.port)
    try:
        return (await connection.get("/metrics", server.headers))[1].decode()
    finally:
        connection.close()


async def scenarios(
    server: Server, pids: Pids, options: argparse.Namespace, full: bool
) -> list[tuple[str, ...]]:
    listing = await fetch_json(server.port, "/api/interviews?limit=1000", server.headers)
    ids = [row["interview_id"] for row in listing["interviews"]]  # type: ignore[index]
    sentences = options.sentences

    def favicon(_: random.Random) -> str:
        return "/static/docs/favicon-32x32.png"

    def interviews(_: random.Random) -> str:
        return "/api/interviews"

    def thousand(chooser: random.Random) -> str:
        return SENTENCES_PAGE.format(chooser.choice(ids))

    def mixed(chooser: random.Random) -> str:
        roll = chooser.random()
        interview = chooser.choice(ids)
        if roll < 0.5:
            start = chooser.randrange(0, max(1, sentences - 100))
            return f"/api/interviews/{interview}/sentences?from={start}&limit=100"
        if roll < 0.75:
            return f"/api/interviews/{interview}"
        if roll < 0.9:
            return "/api/interviews?limit=20"
        return "/api/stats"

    mode = "full" if full else "bare"
    rows = []
    warm: list[tuple[Paths, int]] = [(interviews, 4), (thousand, 2), (mixed, options.connections)]
    for paths, connections in warm:
        await load(server.port, server.headers, paths, connections, 2.0, pids)
    before = await metrics_text(server) if full else ""
    one_at_a_time = await load(server.port, server.headers, thousand, 1, options.seconds, pids)
    mean = "–"
    if full:
        route = "/api/interviews/{interview_id}/sentences"
        sum0, count0 = server_mean_ms(before, route)
        sum1, count1 = server_mean_ms(await metrics_text(server), route)
        mean = f"{(sum1 - sum0) / (count1 - count0) * 1000:.1f} ms"
    rows.append(one_at_a_time.row(f"{mode}: 1,000 sentences, 1 connection", mean))
    for name, paths, connections in [
        ("smallest read (the docs' favicon)", favicon, options.connections),
        ("interviews", interviews, options.connections),
        ("1,000 sentences", thousand, 4),
        ("mixed reads", mixed, options.connections),
    ]:
        run = await load(server.port, server.headers, paths, connections, options.seconds, pids)
        rows.append(run.row(f"{mode}: {name}, {connections} connections"))
    return rows


# ---------------------------------------------------------------- main


def corpus(options: argparse.Namespace, env: dict[str, str], data_dir: Path) -> None:
    """Builds the corpus in the configured graph unless this data directory has it."""
    if (data_dir / BUILT_MARKER).exists() and options.backend == "falkordb":
        return
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        print(f"building {options.interviews} interviews x {options.sentences} sentences")
        seconds = asyncio.run(build(data_dir, options.interviews, options.sentences))
        print(f"built in {seconds:.0f} s", flush=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure(options: argparse.Namespace, env: dict[str, str], data_dir: Path) -> None:
    corpus(options, env, data_dir)
    if options.build_only:
        return
    graph_pid = _graph_pid(env, options.neo4j_pid)
    rows: list[tuple[str, ...]] = []
    for full in (False, True):
        settle(graph_pid)
        with serving(env, options.workers, full, data_dir) as server:
            time.sleep(1.0)
            pids = server.pids(graph_pid)
            rows += asyncio.run(scenarios(server, pids, options, full))
    header = ("run", "req/s", "p50 ms", "p95 ms", "CPU ms/req: API", "graph", "client")
    print(table(rows, (*header, "server's mean (/metrics)")))


def _graph_pid(env: dict[str, str], neo4j_pid: int | None) -> int | None:
    if env.get("GRAPH_BACKEND") == "neo4j":
        return neo4j_pid
    _cli(["stats"], env)  # starts the embedded server if it is not running
    status = json.loads(_cli(["graph", "status", "--json"], env))
    pid = status.get("pid")
    return int(pid) if pid else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("falkordb", "neo4j"), default="falkordb")
    parser.add_argument("--interviews", type=int, default=100)
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--data-dir", type=Path, default=None, help="Keeps a FalkorDB corpus.")
    parser.add_argument("--build-only", action="store_true", help="Build the corpus and stop.")
    options = parser.parse_args()
    print(machine())
    print(
        f"{options.backend}, {options.interviews * options.sentences:,} sentences, "
        f"serve --workers {options.workers}"
    )
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NEO4J_", "GRAPH_", "API_", "DATA_DIR"))
    }
    with tempfile.TemporaryDirectory(prefix="ig-bench-api-") as scratch:
        data_dir = options.data_dir or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**base, "DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING",
               "FALKORDB_IDLE_SECONDS": "600"}  # fmt: skip
        options.neo4j_pid = None
        if options.backend == "neo4j":
            with bench_neo4j() as (neo4j_env, pid):
                options.neo4j_pid = pid
                measure(options, {**env, **neo4j_env, "GRAPH_BACKEND": "neo4j"}, data_dir)
        else:
            measure(options, {**env, "GRAPH_BACKEND": "falkordb"}, data_dir)
            _cli(["graph", "stop", "--wait"], env)


if __name__ == "__main__":
    main()
