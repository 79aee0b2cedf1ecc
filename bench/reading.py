"""Reading timestamped transcripts: seconds and lines per second by length, and linearity.

Usage: python bench/reading.py [n_lines ...]   (default: 10,000 100,000 1,000,000)

Each file is `[hh:mm:ss.mmm] Speaker: ...` lines (bench.transcript_gen); only
`read_transcript` is timed (decoding, format detection, speaker labels, turns and their time
ranges), best of three for the shorter files. CPU seconds are this process's, which other
load on the machine disturbs less than the wall time. The largest file's time over the next
one's, divided by their ratio of lines, is 1.0 for reading that grows linearly.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, table
from bench.transcript_gen import generate_timestamped_lines

from interview_graph.pipeline.readers import read_transcript

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


def time_reading(path: Path, rounds: int) -> tuple[float, float, int]:
    """Best wall and CPU seconds of `rounds` reads, and the number of segments read."""
    best_wall, best_cpu, segments = float("inf"), float("inf"), 0
    for _ in range(rounds):
        wall_started, cpu_started = time.perf_counter(), time.process_time()
        transcript = read_transcript(path, max_bytes=1 << 34)
        best_cpu = min(best_cpu, time.process_time() - cpu_started)
        best_wall = min(best_wall, time.perf_counter() - wall_started)
        segments = len(transcript.segments)
        del transcript
    return best_wall, best_cpu, segments


def main(sizes: list[int]) -> None:
    print(machine())
    rows: list[tuple[str, ...]] = []
    wall_by_size: dict[int, float] = {}
    cpu_by_size: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="ig-bench-reading-") as folder:
        for n_lines in sizes:
            path = Path(folder) / f"stamped-{n_lines}.txt"
            path.write_text(generate_timestamped_lines(n_lines, seed=11), encoding="utf-8")
            size_mb = path.stat().st_size / 1_048_576
            wall, cpu, segments = time_reading(path, rounds=3 if n_lines <= 100_000 else 1)
            path.unlink()
            if segments != n_lines:
                raise SystemExit(f"read {segments} turns from {n_lines} lines")
            wall_by_size[n_lines], cpu_by_size[n_lines] = wall, cpu
            rows.append(
                (
                    f"{n_lines:,}",
                    f"{size_mb:,.1f}",
                    f"{wall:.3f}",
                    f"{n_lines / wall:,.0f}",
                    f"{cpu:.3f}",
                    f"{n_lines / cpu:,.0f}",
                )
            )
    print(table(rows, ("lines", "MB", "seconds", "lines/s", "CPU seconds", "lines/CPU-s")))
    if len(sizes) >= 2:
        small, large = sorted(sizes)[-2:]
        for label, by_size in (("wall", wall_by_size), ("CPU", cpu_by_size)):
            growth = by_size[large] / by_size[small]
            print(
                f"linearity ({label}): time({large:,}) / time({small:,}) = {growth:.2f} for "
                f"{large / small:.0f}x the lines; ratio {growth / (large / small):.2f} "
                "(1.0 = linear)"
            )
    print(machine())


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or list(DEFAULT_SIZES))
