"""The SQLite user store: users, roles and tokens kept as digests, shared by processes."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from interview_graph import bootstrap
from interview_graph.auth.roles import Role
from interview_graph.auth.sqlite_users import USERS_FILE, SQLiteUserStore
from interview_graph.auth.tokens import token_digest
from interview_graph.auth.users import (
    DuplicateUserError,
    InvalidUserNameError,
    UnknownUserError,
    UserStore,
)
from interview_graph.settings import Settings


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UserStore]:
    users = bootstrap.build_user_store(Settings(DATA_DIR=tmp_path / "data"))
    yield users
    users.close()


def test_a_token_authenticates_its_user_and_nothing_else(store: UserStore) -> None:
    token = store.add("maria", Role.EDITOR)
    other = store.add("tomas", Role.VIEWER)
    user = store.authenticate(token)
    assert user is not None and (user.name, user.role) == ("maria", Role.EDITOR)
    other_user = store.authenticate(other)
    assert other_user is not None and other_user.name == "tomas"
    for wrong in ["", "maria", token[:-1], token + "x", token.upper(), token_digest(token)]:
        assert store.authenticate(wrong) is None


def test_names_are_unique_without_case_and_checked(store: UserStore) -> None:
    store.add("Maria", Role.VIEWER)
    with pytest.raises(DuplicateUserError, match="'maria' exists already"):
        store.add("maria", Role.ADMIN)
    with pytest.raises(InvalidUserNameError):
        store.add("no spaces please", Role.VIEWER)
    assert [(u.name, u.role) for u in store.users()] == [("Maria", Role.VIEWER)]


def test_rotating_replaces_the_token_and_removing_ends_it(store: UserStore) -> None:
    old = store.add("maria", Role.VIEWER)
    new = store.rotate("maria")
    assert new != old
    assert store.authenticate(old) is None
    assert store.authenticate(new) is not None
    store.remove("maria")
    assert store.authenticate(new) is None and store.count() == 0
    with pytest.raises(UnknownUserError, match="no user named 'maria'"):
        store.rotate("maria")
    with pytest.raises(UnknownUserError, match="users list"):
        store.remove("maria")


def test_changes_by_another_process_apply_at_the_next_check(tmp_path: Path) -> None:
    """Two stores on one file stand for the CLI and a running API process."""
    path = tmp_path / USERS_FILE
    api, cli = SQLiteUserStore(path), SQLiteUserStore(path)
    try:
        token = cli.add("maria", Role.VIEWER)
        assert api.authenticate(token) is not None
        rotated = cli.rotate("maria")
        assert api.authenticate(token) is None
        assert api.authenticate(rotated) is not None
        cli.remove("maria")
        assert api.authenticate(rotated) is None
        cli.add("tomas", Role.ADMIN)
        assert [u.name for u in api.users()] == ["tomas"]
    finally:
        api.close()
        cli.close()


def test_the_file_is_private_and_holds_no_token(store: UserStore, tmp_path: Path) -> None:
    token = store.add("maria", Role.ADMIN)
    assert store.authenticate(token) is not None  # records the use, in the WAL
    data = tmp_path / "data"
    files = sorted(data.glob(USERS_FILE + "*"))
    assert data / USERS_FILE in files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert token.encode() not in path.read_bytes()
    with sqlite3.connect(data / USERS_FILE) as conn:
        (stored,) = conn.execute("SELECT token_sha256 FROM users").fetchone()
    assert stored == token_digest(token)


def test_an_existing_file_others_could_read_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / USERS_FILE
    path.touch(mode=0o644)
    path.chmod(0o644)
    store = SQLiteUserStore(path)
    try:
        store.add("maria", Role.VIEWER)
    finally:
        store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_listing_says_when_a_token_was_issued_and_last_used(store: UserStore) -> None:
    token = store.add("maria", Role.VIEWER)
    (before,) = store.users()
    assert before.last_used_at is None and before.token_issued_at == before.created_at
    store.authenticate(token)
    (after,) = store.users()
    assert after.last_used_at is not None and after.last_used_at >= after.created_at
    assert "ig_" not in str(after.as_json()) and token_digest(token) not in str(after.as_json())
