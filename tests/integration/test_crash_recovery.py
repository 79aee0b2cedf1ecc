"""SIGKILL at random points: a rerun and a flush always converge to a clean run's graph and
exactly its events, none missing, none duplicated."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import time
from pathlib import Path

from tests.integration.cli_helpers import CLI, base_env, run_cli, sample_files
from tests.integration.dual_write_helpers import read_all_events, settings_for
from tests.integration.test_dual_write import generated_transcript

RUNS = 10


def _event_ids(data_dir: Path) -> list[str]:
    events = asyncio.run(read_all_events(settings_for(data_dir)))
    return [e.event_id for e in events]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        found |= {int(child) for child in children.read_text().split()}
    return found


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for a reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_until_gone(workers: set[int]) -> None:
    """The killed CLI's sentence-parsing workers must not outlive it (each holds a model):
    they exit once their parent is gone, so this returns; if one never did, the test would
    stop at its timeout instead of passing."""
    while any(_alive(pid) for pid in workers):
        time.sleep(0.05)


def _parsing_workers(pid: int) -> set[int]:
    return {child for child in _children(pid) if "multiprocessing" in _cmdline(child)}


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def test_sigkill_at_random_points_then_rerun_and_flush(tmp_path: Path) -> None:
    inputs = [str(generated_transcript(tmp_path, 800, seed=11)), *map(str, sample_files())]
    clean_dir = tmp_path / "clean"
    clean_env = base_env(clean_dir, ENABLE_EVENT_SOURCING="true")
    started = time.perf_counter()
    clean = run_cli(["process", *inputs, "--json"], clean_env)
    full_run_s = time.perf_counter() - started
    assert clean.returncode == 0, clean.stderr
    clean_export = run_cli(["export"], clean_env).stdout
    clean_ids = _event_ids(clean_dir)
    assert len(clean_ids) == len(set(clean_ids)) > 800

    rng = random.Random(20261126)
    for run in range(RUNS):
        data_dir = tmp_path / f"run-{run}"
        env = base_env(data_dir, ENABLE_EVENT_SOURCING="true")
        victim = subprocess.Popen(
            [str(CLI), "process", *inputs, "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.1, full_run_s))
        workers = _parsing_workers(victim.pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        _wait_until_gone(workers)

        rerun = run_cli(["process", *inputs, "--json"], env)
        assert rerun.returncode == 0, f"run {run}: {rerun.stderr}"
        flushed = run_cli(["outbox", "flush", "--json"], env)
        assert flushed.returncode == 0, f"run {run}: {flushed.stdout} {flushed.stderr}"

        assert run_cli(["export"], env).stdout == clean_export, f"run {run}: graph differs"
        ids = _event_ids(data_dir)
        assert len(ids) == len(set(ids)), f"run {run}: duplicate events"
        assert set(ids) == set(clean_ids), (
            f"run {run}: missing {len(set(clean_ids) - set(ids))}, "
            f"extra {len(set(ids) - set(clean_ids))}"
        )
