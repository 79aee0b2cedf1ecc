"""Benchmark (API issue, uploads as jobs): N generated transcripts processed through the job
path (`POST /api/transcripts` to a real `serve`, followed to the job's `completed` event) and
through `interview-graph process`, in the same run, and the latency from a POST to its 202.

Each round, on fresh data directories and the embedded FalkorDB:
  process     `interview-graph process DIR` as a user runs it; timed by its own clock
              (`totals.seconds`, from opening the graph: the segmentation workers start and
              load their model inside it), and as the whole command (interpreter start-up too);
  job, cold   a `serve` just started (untimed), then the same files in one upload: from the
              POST to the final event, so the workers' start and model load are inside it, as
              in `process`; then the one-file POSTs on the idle server (their jobs run too);
  job, warm   the same server, N new files (other seeds): the steady state of a server.
The ratio is job throughput over `process`'s own; rounds are interleaved, the tables give
medians. Latency: the N-file POST (stored and queued, then 202), and a one-file POST while the
server is idle and while it processes the warm batch (median of LATENCY_SAMPLES).

Run: `./run shell bench/uploads.py [--files 20] [--sentences 500] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import cpu_seconds, machine, table
from bench.transcript_gen import generate_transcript

CLI = Path(sys.executable).with_name("interview-graph")
LATENCY_SAMPLES = 10
SMALL = "Interviewer: How do you share the report?\nP1: We export it every Friday.\n"


@dataclass
class Round:
    process_s: float = 0.0  # process's own clock
    process_command_s: float = 0.0
    cold_s: float = 0.0
    warm_s: float = 0.0
    process_cpu: float = 0.0  # the command and its segmentation workers
    cold_cpu: float = 0.0  # the server and its workers, from the POST to the final event
    warm_cpu: float = 0.0
    sentences: int = 0
    batch_post_s: float = 0.0
    idle_post_s: list[float] = field(default_factory=list)
    busy_post_s: list[float] = field(default_factory=list)


def write_files(folder: Path, count: int, sentences: int, first_seed: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for index in range(count):
        path = folder / f"interview-{first_seed + index:03d}.txt"
        path.write_text(generate_transcript(sentences, first_seed + index), encoding="utf-8")
        paths.append(path)
    return paths


def env_for(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPH_", "NEO4J_"))}
    env.update(DATA_DIR=str(data), FALKORDB_IDLE_SECONDS="0", LOG_LEVEL="WARNING")
    env.pop("ENABLE_EVENT_SOURCING", None)
    return env


def run_process(folder: Path, data: Path) -> tuple[float, float, float, int]:
    """(own seconds, command seconds, CPU seconds, sentences) of `process` over the folder.
    Its CPU is the command's and its workers' (reaped by it, so counted in its children's)."""
    cpu_before = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [str(CLI), "process", str(folder), "--project", "bench", "--json"],
        env=env_for(data),
        capture_output=True,
        text=True,
        check=False,
    )
    command_s = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    totals = json.loads(done.stdout)["totals"]
    cpu = children_cpu() - cpu_before
    return float(totals["seconds"]), command_s, cpu, int(totals["sentences"])


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live children (the segmentation workers)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return cpu_seconds([pid, *children])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(data: Path) -> Iterator[tuple[httpx.Client, int]]:
    """A client of a `serve` on the data directory (one connection, reused: timing a new
    client per request would time its set-up)."""
    port = free_port()
    server = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port)],
        env=env_for(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            assert server.poll() is None, server.communicate()
            try:
                if httpx.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=600) as client:
            yield client, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=120)


def post(
    client: httpx.Client, paths: list[Path] | None = None, small: str | None = None
) -> tuple[str, float]:
    """(job id, seconds from sending the POST to its 202)."""
    if paths is not None:
        files = [("files", (p.name, p.read_bytes())) for p in paths]
    else:
        files = [("files", ("small.txt", (small or SMALL).encode()))]
    started = time.perf_counter()
    response = client.post("/api/transcripts", files=files, data={"project": "bench"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"]), elapsed


def follow(client: httpx.Client, job_id: str) -> dict[str, object]:
    """Wait for the job's final event; the job."""
    with client.stream("GET", f"/api/jobs/{job_id}/events") as response:
        for line in response.iter_lines():
            if line in ("event: completed", "event: failed"):
                break
    job: dict[str, object] = client.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "completed", job
    return job


def timed_job(client: httpx.Client, pid: int, paths: list[Path]) -> tuple[float, float, float, int]:
    """(seconds from POST to the final event, its CPU seconds, POST to 202, sentences)."""
    cpu_before = tree_cpu(pid)
    started = time.perf_counter()
    job_id, post_s = post(client, paths)
    job = follow(client, job_id)
    elapsed, cpu = time.perf_counter() - started, tree_cpu(pid) - cpu_before
    totals = job["totals"]
    assert isinstance(totals, dict) and totals["files_done"] == len(paths), job
    return elapsed, cpu, post_s, int(totals["sentences"])


def one_round(work: Path, index: int, files: int, sentences: int) -> Round:
    folder = work / f"round{index}"
    cold_files = write_files(folder / "cold", files, sentences, 1000 * index)
    warm_files = write_files(folder / "warm", files, sentences, 1000 * index + 500)
    result = Round()
    process = run_process(folder / "cold", folder / "process-data")
    result.process_s, result.process_command_s, result.process_cpu, result.sentences = process
    with serving(folder / "serve-data") as (client, pid):
        cold = timed_job(client, pid, cold_files)
        result.cold_s, result.cold_cpu, result.batch_post_s, job_sentences = cold
        assert job_sentences == result.sentences, (job_sentences, result.sentences)
        idle = [post(client, small=SMALL) for _ in range(LATENCY_SAMPLES)]
        result.idle_post_s = [seconds for _, seconds in idle]
        for job_id, _ in idle:  # processed before the warm batch is timed
            follow(client, job_id)
        busy: list[float] = []
        base = str(client.base_url)
        sampler = threading.Thread(target=lambda: busy.extend(busy_posts(base)))
        cpu_before = tree_cpu(pid)
        started = time.perf_counter()
        job_id, _ = post(client, warm_files)
        sampler.start()
        follow(client, job_id)
        result.warm_s = time.perf_counter() - started
        sampler.join()
        result.warm_cpu = tree_cpu(pid) - cpu_before
        result.busy_post_s = busy
    return result


def busy_posts(base: str) -> list[float]:
    """One-file POSTs, a few tenths of a second apart, while the server processes a batch."""
    samples = []
    with httpx.Client(base_url=base, timeout=600) as client:
        for index in range(LATENCY_SAMPLES):
            samples.append(post(client, small=SMALL + f"P1: sample {index}.\n")[1])
            time.sleep(0.2)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--sentences", type=int, default=500, help="per file")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="ig-bench-uploads-") as tmp:
        rounds = [one_round(Path(tmp), i, args.files, args.sentences) for i in range(args.rounds)]
    print_results(rounds, args.files)


def print_results(rounds: list[Round], files: int) -> None:
    sentences = rounds[0].sentences
    own = statistics.median(r.process_s for r in rounds)
    own_cpu = statistics.median(r.process_cpu for r in rounds)

    def row(label: str, seconds: list[float], cpu: list[float] | None) -> tuple[str, ...]:
        s = statistics.median(seconds)
        cpu_s = f"{statistics.median(cpu):.1f}" if cpu else "-"
        cpu_ratio = f"{statistics.median(cpu) / own_cpu:.2f}" if cpu else "-"
        return (
            label,
            f"{s:.2f}",
            f"{files / s:.2f}",
            f"{sentences / s:,.0f}",
            f"{own / s:.2f}",
            cpu_s,
            cpu_ratio,
        )

    print(f"\n{files} files, {sentences:,} sentences per path, {len(rounds)} rounds (medians)")
    print(
        table(
            [
                row("process (its own clock)", [r.process_s for r in rounds], None),
                row(
                    "process (whole command)",
                    [r.process_command_s for r in rounds],
                    [r.process_cpu for r in rounds],
                ),
                row(
                    "job, cold server (POST to final event)",
                    [r.cold_s for r in rounds],
                    [r.cold_cpu for r in rounds],
                ),
                row(
                    "job, warm server (POST to final event)",
                    [r.warm_s for r in rounds],
                    [r.warm_cpu for r in rounds],
                ),
            ],
            ("path", "seconds", "files/s", "sentences/s", "× process", "CPU s", "CPU × process"),
        )
    )
    idle = [s for r in rounds for s in r.idle_post_s]
    busy = [s for r in rounds for s in r.busy_post_s]
    batch = [r.batch_post_s for r in rounds]
    print("\nPOST /api/transcripts to 202 (ms)")
    print(
        table(
            [
                (f"{files} files, one request", f"{statistics.median(batch) * 1000:.0f}"),
                ("one small file, server idle", f"{statistics.median(idle) * 1000:.1f}"),
                ("one small file, server processing", f"{statistics.median(busy) * 1000:.1f}"),
            ],
            ("request", "median ms"),
        )
    )


if __name__ == "__main__":
    main()
