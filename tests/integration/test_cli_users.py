"""`interview-graph users`: add, list, rotate and remove the API's users, from the real CLI."""

from __future__ import annotations

from pathlib import Path

from interview_graph import bootstrap
from interview_graph.settings import Settings
from tests.integration.cli_helpers import base_env, run_cli


def test_add_prints_the_token_alone_and_list_never_shows_it(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    added = run_cli(["users", "add", "maria", "--role", "editor"], env)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert added.stdout == token + "\n" and token.startswith("ig_")
    assert "printed once" in added.stderr and token not in added.stderr

    listed = run_cli(["users", "list", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    (user,) = listed.json()
    assert (user["name"], user["role"], user["last_used_at"]) == ("maria", "editor", None)
    assert set(user) == {"name", "role", "created_at", "token_issued_at", "last_used_at"}
    table = run_cli(["users", "list"], env)
    assert "maria" in table.stdout and "editor" in table.stdout and token not in table.stdout

    store = bootstrap.build_user_store(Settings(DATA_DIR=tmp_path / "data"))
    try:
        authenticated = store.authenticate(token)
        assert authenticated is not None and authenticated.name == "maria"
    finally:
        store.close()


def test_token_rotates_and_remove_revokes(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    first = run_cli(["users", "add", "tomas"], env).stdout.strip()
    rotated = run_cli(["users", "token", "tomas"], env)
    assert rotated.returncode == 0, rotated.stderr
    second = rotated.stdout.strip()
    assert second.startswith("ig_") and second != first
    assert "old one no longer works" in rotated.stderr
    store = bootstrap.build_user_store(Settings(DATA_DIR=tmp_path / "data"))
    try:
        assert store.authenticate(first) is None
        assert store.authenticate(second) is not None
        removed = run_cli(["users", "remove", "tomas"], env)
        assert removed.returncode == 0 and "removed tomas" in removed.stdout
        assert store.authenticate(second) is None
    finally:
        store.close()
    assert run_cli(["users", "list", "--json"], env).json() == []
    assert "no users yet" in run_cli(["users", "list"], env).stdout


def test_errors_name_the_user_and_what_to_do(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    assert run_cli(["users", "add", "maria"], env).returncode == 0

    duplicate = run_cli(["users", "add", "MARIA", "--role", "admin"], env)
    assert duplicate.returncode == 1
    assert "'MARIA' exists already" in duplicate.stderr and duplicate.stdout == ""

    unknown_role = run_cli(["users", "add", "ines", "--role", "owner"], env)
    assert unknown_role.returncode == 2
    assert "owner" in unknown_role.stderr and "viewer" in unknown_role.stderr

    bad_name = run_cli(["users", "add", "two words"], env)
    assert bad_name.returncode == 2 and "invalid user name 'two words'" in bad_name.stderr

    for command in (["users", "token", "nobody"], ["users", "remove", "nobody"]):
        missing = run_cli(command, env)
        assert missing.returncode == 1
        assert "no user named 'nobody'" in missing.stderr and "users list" in missing.stderr
    assert [u["name"] for u in run_cli(["users", "list", "--json"], env).json()] == ["maria"]
