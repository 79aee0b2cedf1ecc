"""Running the real `interview-graph` command against real stores, for end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
CLI = Path(sys.executable).with_name("interview-graph")


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def base_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("NEO4J_", "EVENT_STORE", "ESDB_", "GRAPH_", "ENABLE_EVENT", "FALKORDB_")
        )
    }
    # The embedded server stops with the command's end (as before idle periods existed), so
    # tests leave no server behind; the idle tests set their own period.
    env.update(
        {
            "DATA_DIR": str(data_dir),
            "NLP_PROCESSES": "2",
            "LOG_LEVEL": "WARNING",
            "FALKORDB_IDLE_SECONDS": "0",
        }
    )
    env.update(overrides)
    return env


def run_cli(args: list[str], env: dict[str, str], *, timeout: float = 300) -> CliResult:
    completed = subprocess.run(
        [str(CLI), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.iterdir() if p.is_file() and not p.name.startswith("."))
