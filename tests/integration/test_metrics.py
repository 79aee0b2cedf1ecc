"""The plan's Phase 6 metrics, scraped over HTTP from a real dual-write run."""

from __future__ import annotations

import asyncio
import socket
import urllib.request
from pathlib import Path

from interview_graph import bootstrap
from interview_graph.metrics import serve_metrics
from tests.integration.cli_helpers import sample_files
from tests.integration.dual_write_helpers import make_writer, run_pipeline, settings_for


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


def _metric(text: str, name: str, labels: str = "") -> float:
    prefix = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(prefix + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{prefix} not in metrics:\n{text[:2000]}")


async def test_metrics_count_a_real_dual_write_run(tmp_path: Path) -> None:
    port = _free_port()
    serve_metrics(port)
    settings = settings_for(tmp_path / "data")
    segmenter = bootstrap.build_segmenter(settings)
    try:
        async with bootstrap.open_graph_store(settings) as graph:
            writer = make_writer(settings)
            await writer.start(graph)
            reports = await run_pipeline(settings, sample_files()[:1], graph, writer, segmenter)
            summary = await writer.finish(30)
            await writer.close()
    finally:
        segmenter.close()
    assert reports[0].ok and summary["pending"] == 0
    text = await asyncio.to_thread(_scrape, port)
    sentences = reports[0].sentences
    assert _metric(text, "events_emitted_total", 'event_type="SentenceCreated"') >= sentences
    assert _metric(text, "events_emitted_total", 'event_type="AnalysisGenerated"') >= sentences
    assert _metric(text, "dual_write_success_rate") == 1.0
    assert _metric(text, "outbox_pending_events") == 0.0
    assert "event_emission_duration_seconds_bucket" in text
    assert "event_version_conflicts_total" in text
