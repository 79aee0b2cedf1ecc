"""The embedded FalkorDB server's life: cold starts of big graphs, idle periods, snapshots,
interrupted starts, and crashes during writes and compactions."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from interview_graph.graph import falkordb_control as control
from interview_graph.graph import falkordb_procfs as procfs
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.falkordb_store import FalkorDBGraphStore
from tests.integration.cli_helpers import CLI, base_env, run_cli, sample_files
from tests.integration.falkordb_helpers import (
    ProgressRecorder,
    end_loading,
    is_loading,
    pad_and_compact,
    slow_loading_args,
    wait_until,
)
from tests.integration.graph_contract import (
    export_lines,
    make_analysis,
    make_interview,
    make_sentences,
    write_all,
)
from tests.integration.test_dual_write import generated_transcript

STALL_BUDGET_S = 3.0


async def _graph_with_padding(data_dir: Path, padding_keys: int) -> list[str]:
    """A small graph plus padding keys, compacted into a snapshot; the graph's export."""
    interview = make_interview()
    sentences = make_sentences(interview, 40)
    async with FalkorDBGraphStore(EmbeddedFalkorDB(data_dir), "g") as store:
        await store.ensure_schema()
        await write_all(store, interview, sentences, [make_analysis(s) for s in sentences], 10)
        before = await export_lines(store)
    await asyncio.to_thread(pad_and_compact, data_dir, padding_keys)
    return before


# -- a cold start waits for a loading server -----------------------------------------------


async def test_a_start_waits_for_a_loading_server_beyond_its_stall_budget(tmp_path: Path) -> None:
    before = await _graph_with_padding(tmp_path, padding_keys=2000)
    recorder = ProgressRecorder()
    server = EmbeddedFalkorDB(
        tmp_path,
        server_args=slow_loading_args(200_000, answering=True),  # 2,000 keys: 400 s to load
        stall_timeout_s=STALL_BUDGET_S,
        probe_timeout_s=0.2,
        observer=recorder,
    )
    starting = asyncio.create_task(server.start_async())

    def loading_answered_past_the_budget() -> bool:
        return recorder.saw(
            lambda p: p.phase == "loading" and p.answering and p.elapsed_s > 2 * STALL_BUDGET_S
        )

    assert await asyncio.to_thread(wait_until, loading_answered_past_the_budget)
    assert is_loading(server) and not starting.done()
    assert recorder.saw(lambda p: (p.total_bytes or 0) > 2000 * 1000)

    await asyncio.to_thread(end_loading, server)
    await asyncio.wait_for(starting, timeout=120)
    assert recorder.outcomes == [True]
    async with FalkorDBGraphStore(server, "g") as store:
        assert await export_lines(store) == before
    server.stop()
    assert not server.ping()


async def test_a_start_waits_for_a_server_that_cannot_answer_while_it_loads(
    tmp_path: Path,
) -> None:
    """Like a server replaying its log: no answer at all until done, only reads and CPU."""
    before = await _graph_with_padding(tmp_path, padding_keys=400)
    recorder = ProgressRecorder()
    server = EmbeddedFalkorDB(
        tmp_path,
        server_args=slow_loading_args(25_000, answering=False),  # 400 keys: 10 s to load
        stall_timeout_s=STALL_BUDGET_S,
        probe_timeout_s=0.2,
        observer=recorder,
    )
    await asyncio.wait_for(server.start_async(), timeout=300)
    try:
        assert recorder.saw(
            lambda p: p.phase == "loading" and not p.answering and (p.loaded_bytes or 0) > 0
        )
        async with FalkorDBGraphStore(server, "g") as store:
            assert await export_lines(store) == before
    finally:
        server.stop()


# -- interrupted starts -------------------------------------------------------------------


def interruptible(command: list[str]) -> list[str]:
    """`command` run with Ctrl-C's default meaning. A test run started in the background of a
    shell inherits SIGINT ignored, and so would the CLI (Python then never raises
    KeyboardInterrupt); resetting it here makes the test mean the same however it is run."""
    restore = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    return [sys.executable, "-c", restore, *command]


def _slow_cli_start(tmp_path: Path, idle_seconds: str) -> tuple[subprocess.Popen[str], int, str]:
    """A CLI command held in its server's loading state: (the CLI, the server's pid, the
    export of the graph before)."""
    data_dir = tmp_path / "data"
    assert run_cli(["process", str(sample_files()[0])], base_env(data_dir)).returncode == 0
    pad_and_compact(data_dir / "falkordb", 2000)
    before = run_cli(["export"], base_env(data_dir)).stdout
    env = base_env(
        data_dir,
        FALKORDB_IDLE_SECONDS=idle_seconds,
        FALKORDB_SERVER_ARGS=" ".join(slow_loading_args(200_000, answering=True)),
    )
    cli = subprocess.Popen(
        interruptible([str(CLI), "stats"]),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = EmbeddedFalkorDB(data_dir / "falkordb")
    assert wait_until(
        lambda: cli.pid in procfs.lock_holders(server.files.users_lock_path) and is_loading(server)
    )
    pid = server._server_pid()
    assert pid is not None
    return cli, pid, before


def test_ctrl_c_during_a_cold_start_stops_the_server_it_spawned(tmp_path: Path) -> None:
    cli, server_pid, before = _slow_cli_start(tmp_path, idle_seconds="300")
    watchdog = EmbeddedFalkorDB(tmp_path / "data" / "falkordb").status().watchdog_pid
    cli.send_signal(signal.SIGINT)
    _, stderr = cli.communicate(timeout=120)
    assert cli.returncode != 0
    assert "Traceback" not in stderr
    assert not procfs.is_alive(server_pid)  # stopped before the CLI exited, idle period or not
    assert watchdog is not None and wait_until(lambda: not procfs.is_alive(watchdog))
    assert run_cli(["export"], base_env(tmp_path / "data")).stdout == before


def test_a_cli_killed_during_a_cold_start_leaves_no_server_behind(tmp_path: Path) -> None:
    cli, server_pid, before = _slow_cli_start(tmp_path, idle_seconds="1")
    cli.kill()
    cli.communicate(timeout=60)
    assert wait_until(lambda: not procfs.is_alive(server_pid))  # its watchdog stopped it
    assert run_cli(["export"], base_env(tmp_path / "data")).stdout == before


# -- the idle server ----------------------------------------------------------------------


def _status(env: dict[str, str]) -> dict[str, object]:
    result = run_cli(["graph", "status", "--json"], env)
    assert result.returncode == 0, result.stderr
    status: dict[str, object] = json.loads(result.stdout)
    return status


def test_consecutive_commands_reuse_the_idle_server_until_graph_stop(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", FALKORDB_IDLE_SECONDS="300")
    assert run_cli(["process", *map(str, sample_files())], env).returncode == 0
    first = _status(env)
    assert first["running"] and first["state"] == "ready" and first["users"] == []
    assert first["idle_seconds"] == 300 and first["idle_deadline"] is not None

    assert run_cli(["interviews", "--json"], env).returncode == 0
    assert _status(env)["pid"] == first["pid"]  # reused, not started again

    holder = EmbeddedFalkorDB(tmp_path / "data" / "falkordb", idle_seconds=300)
    holder.start()
    try:
        refused = run_cli(["graph", "stop"], env)
        assert refused.returncode == 1
        assert f"in use by pid {os.getpid()}" in " ".join(refused.stderr.split())
        assert _status(env)["pid"] == first["pid"]
    finally:
        holder.stop()

    stopped = run_cli(["graph", "stop", "--json"], env)
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout)["stopped"] is True
    assert _status(env)["running"] is False
    assert first["pid"] is not None and not procfs.is_alive(int(str(first["pid"])))


def test_an_idle_server_compacts_its_log_stops_and_starts_again_with_the_same_graph(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    env = base_env(data_dir, FALKORDB_IDLE_SECONDS="1")
    transcript = generated_transcript(tmp_path, 300)
    assert run_cli(["process", str(transcript), *map(str, sample_files())], env).returncode == 0
    before = run_cli(["export"], env).stdout
    server = EmbeddedFalkorDB(data_dir / "falkordb")
    assert wait_until(lambda: server._server_pid() is None)  # its watchdog stopped it

    watchdog_log = server.files.watchdog_log_path.read_text()
    assert "compacted into a snapshot" in watchdog_log, watchdog_log
    snapshot, log = server.files.snapshot_and_log_bytes()
    assert log < control.COMPACT_MIN_LOG_BYTES < snapshot

    after = run_cli(["export"], base_env(data_dir))  # a cold start, from the snapshot
    assert after.returncode == 0, after.stderr
    assert after.stdout == before and before.count("\n") > 300


# -- crashes ------------------------------------------------------------------------------


def test_a_server_killed_during_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    inputs = [str(generated_transcript(tmp_path, 600, seed=5)), *map(str, sample_files())]
    clean_env = base_env(tmp_path / "clean", BATCH_SIZE="50")
    assert run_cli(["process", *inputs], clean_env).returncode == 0
    clean = run_cli(["export"], clean_env).stdout

    env = base_env(tmp_path / "killed", BATCH_SIZE="50")
    server = EmbeddedFalkorDB(tmp_path / "killed" / "falkordb")
    cli = subprocess.Popen(
        [str(CLI), "process", *inputs], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert wait_until(lambda: server.files.snapshot_and_log_bytes()[1] > 100_000)
    pid = server._server_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    cli.communicate(timeout=300)

    rerun = run_cli(["process", *inputs], env)
    assert rerun.returncode == 0, rerun.stderr
    assert run_cli(["export"], env).stdout == clean


async def test_a_server_killed_while_compacting_keeps_its_graph(tmp_path: Path) -> None:
    interview = make_interview()
    sentences = make_sentences(interview, 300)
    server = EmbeddedFalkorDB(tmp_path, idle_seconds=600)
    async with FalkorDBGraphStore(server, "g") as store:
        await store.ensure_schema()
        await write_all(store, interview, sentences, [make_analysis(s) for s in sentences], 50)
        before = await export_lines(store)
        pid = server._server_pid()
        assert pid is not None
        with control.ServerConnection(server.socket_path, 10.0) as conn:
            conn.command("BGREWRITEAOF")
        os.kill(pid, signal.SIGKILL)
    async with FalkorDBGraphStore(EmbeddedFalkorDB(tmp_path), "g") as store:
        assert await export_lines(store) == before
