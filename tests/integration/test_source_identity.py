"""One file is one interview, whatever folder it is read from and however its path is typed:
the same canonical export, the same events, and a log that agrees with the graph."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from interview_graph.domain.events import EventType
from tests.integration.cli_helpers import REPO, base_env, run_cli, sample_files
from tests.integration.dual_write_helpers import read_all_events, settings_for


def interview_created_data(data_dir: Path) -> dict[str, Any]:
    events = asyncio.run(read_all_events(settings_for(data_dir)))
    (created,) = [e for e in events if e.event_type == EventType.INTERVIEW_CREATED]
    return {key: value for key, value in created.data.items() if key != "created_at"}


def test_the_same_file_through_two_paths_gives_byte_identical_exports(tmp_path: Path) -> None:
    sample = sample_files()[0]
    typed_relative = str(sample.relative_to(REPO))  # as typed in the repository folder
    copy = tmp_path / "elsewhere" / "nested" / sample.name
    copy.parent.mkdir(parents=True)
    shutil.copyfile(sample, copy)

    exports = []
    for name, typed in (("one", typed_relative), ("two", str(copy))):
        env = base_env(tmp_path / name, ENABLE_EVENT_SOURCING="true")
        processed = run_cli(["process", typed, "--project", "same", "--json"], env)
        assert processed.returncode == 0, processed.stderr
        assert processed.json()["totals"]["events"]["pending"] == 0
        exported = run_cli(["export", "--format", "jsonl"], env)
        assert exported.returncode == 0, exported.stderr
        exports.append(exported.stdout)
        verified = run_cli(["verify", "--json"], env)
        assert verified.returncode == 0, verified.stdout + verified.stderr

    assert exports[0] == exports[1]
    assert str(tmp_path) not in exports[1] and "samples/" not in exports[0]
    assert interview_created_data(tmp_path / "one") == interview_created_data(tmp_path / "two")
    assert interview_created_data(tmp_path / "one")["source"] == sample.name
