"""Segmentation and offline-analysis throughput on a synthetic transcript, stage by stage.

Usage: python bench/analysis_alone.py [n_sentences] [processes ...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from interview_graph.analysis.offline import OfflineAnalyzer
from interview_graph.analysis.port import AnalysisRequest
from interview_graph.pipeline.readers import read_transcript
from interview_graph.pipeline.segment import Segmenter
from transcript_gen import generate_transcript


def main(n_sentences: int, process_counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic.txt"
        path.write_text(generate_transcript(n_sentences, seed=7), encoding="utf-8")
        transcript = read_transcript(path, max_bytes=1 << 30)
    analyzer = OfflineAnalyzer()
    for processes in process_counts:
        with Segmenter(processes=processes) as segmenter:
            segmenter.warm_up()
            started = time.perf_counter()
            parsed = segmenter.parse_all(transcript, "bench")
            parse_seconds = time.perf_counter() - started
        started = time.perf_counter()
        analyses = analyzer.analyze_now(AnalysisRequest(parsed))
        analyze_seconds = time.perf_counter() - started
        print(
            f"processes={processes} sentences={len(parsed)} "
            f"segment+features={len(parsed) / parse_seconds:,.0f}/s "
            f"offline analysis={len(analyses) / analyze_seconds:,.0f}/s"
        )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    main(count, [int(arg) for arg in sys.argv[2:]] or [1, 2])
