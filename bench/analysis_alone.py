"""Segmentation and offline-analysis throughput on a synthetic transcript, stage by stage.

Usage: python bench/analysis_alone.py [n_sentences] [processes ...]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.transcript_gen import generate_transcript

from interview_graph.analysis.offline import OfflineAnalyzer
from interview_graph.analysis.port import AnalysisRequest
from interview_graph.pipeline.readers import read_transcript
from interview_graph.pipeline.segment import SpacySegmenter


def _cpu_seconds(worker_pids: list[int]) -> float:
    """CPU time of this process (no workers) or of the worker processes (Linux /proc)."""
    if not worker_pids:
        return time.process_time()
    total = 0.0
    for pid in worker_pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main(n_sentences: int, process_counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic.txt"
        path.write_text(generate_transcript(n_sentences, seed=7), encoding="utf-8")
        transcript = read_transcript(path, max_bytes=1 << 30)
    analyzer = OfflineAnalyzer()
    for processes in process_counts:
        with SpacySegmenter(processes=processes) as segmenter:
            segmenter.warm_up()
            workers = segmenter.worker_pids()
            started, cpu_started = time.perf_counter(), _cpu_seconds(workers)
            parsed = segmenter.parse_all(transcript, "bench")
            parse_seconds = time.perf_counter() - started
            cpu_seconds = _cpu_seconds(workers) - cpu_started
        started = time.perf_counter()
        analyses = analyzer.analyze_now(AnalysisRequest(parsed))
        analyze_seconds = time.perf_counter() - started
        # Sentences per CPU second of the parsing processes: independent of other load.
        per_cpu = f" ({len(parsed) / cpu_seconds:,.0f}/cpu-s)" if cpu_seconds > 0 else ""
        print(
            f"processes={processes} sentences={len(parsed)} "
            f"segment+features={len(parsed) / parse_seconds:,.0f}/s{per_cpu} "
            f"offline analysis={len(analyses) / analyze_seconds:,.0f}/s "
            f"load average={os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    main(count, [int(arg) for arg in sys.argv[2:]] or [1, 2])
