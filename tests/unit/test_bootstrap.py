"""bootstrap loads only the chosen backends' drivers and SDKs.

Each case builds the adapters in a fresh interpreter (nothing is opened or connected) and
lists the top-level packages it then holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
BUILD_AND_LIST_MODULES = """
import sys
from interview_graph import bootstrap
from interview_graph.settings import Settings

settings = Settings()
bootstrap.graph_store_for(settings)
bootstrap.build_analyzer(settings)
bootstrap.build_dual_writer(settings)
bootstrap.event_store_for_url(bootstrap.event_store_target(settings), settings.data_dir)
print(" ".join(sorted({name.partition(".")[0] for name in sys.modules})))
"""
DRIVERS = {"neo4j", "falkordb", "psycopg", "kurrentdbclient", "openai", "anthropic"}


def loaded_packages(tmp_path: Path, **environment: str) -> set[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SRC),
        "DATA_DIR": str(tmp_path / "data"),
        **environment,
    }
    completed = subprocess.run(
        [sys.executable, "-c", BUILD_AND_LIST_MODULES],
        env=env,
        cwd=tmp_path,  # no .env file here
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(completed.stdout.split())


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, {"falkordb"}),
        ({"GRAPH_BACKEND": "neo4j"}, {"neo4j"}),
        ({"EVENT_STORE_URL": "postgresql://u@127.0.0.1/db"}, {"falkordb", "psycopg"}),
        (
            {"ESDB_CONNECTION_STRING": "esdb://127.0.0.1:2113?tls=false"},
            {"falkordb", "kurrentdbclient"},
        ),
        ({"ANALYZER": "openai", "OPENAI_API_KEY": "sk-test-0000000000"}, {"falkordb", "openai"}),
        (
            {"ANALYZER": "anthropic", "ANTHROPIC_API_KEY": "sk-ant-0000000000"},
            {"falkordb", "anthropic"},
        ),
    ],
    ids=["defaults", "neo4j", "postgresql", "kurrentdb", "openai", "anthropic"],
)
def test_only_the_chosen_backends_are_imported(
    tmp_path: Path, environment: dict[str, str], expected: set[str]
) -> None:
    assert loaded_packages(tmp_path, **environment) & DRIVERS == expected
