"""Roles, tokens and which addresses count as loopback (where `serve` needs no login)."""

from __future__ import annotations

import pytest

from interview_graph.auth.roles import Role, UnknownRoleError
from interview_graph.auth.tokens import (
    MAX_TOKEN_CHARS,
    digests_match,
    looks_like_token,
    new_token,
    token_digest,
)
from interview_graph.auth.users import InvalidUserNameError, checked_name
from interview_graph.cli.serve_cmd import is_loopback


def test_each_role_includes_the_ones_below_it_only() -> None:
    assert [role.value for role in sorted(Role, key=lambda r: r.rank)] == [
        "viewer",
        "editor",
        "admin",
    ]
    allowed = {(held, needed) for held in Role for needed in Role if held.includes(needed)}
    assert allowed == {
        (Role.VIEWER, Role.VIEWER),
        (Role.EDITOR, Role.VIEWER),
        (Role.EDITOR, Role.EDITOR),
        (Role.ADMIN, Role.VIEWER),
        (Role.ADMIN, Role.EDITOR),
        (Role.ADMIN, Role.ADMIN),
    }


def test_a_role_is_parsed_from_its_name_and_an_unknown_one_lists_the_roles() -> None:
    assert Role.parse(" Editor ") is Role.EDITOR
    with pytest.raises(UnknownRoleError, match="use one of viewer, editor, admin"):
        Role.parse("owner")


def test_tokens_are_random_prefixed_and_stored_as_their_digest() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert token.startswith("ig_") and len(token) == 46 and looks_like_token(token)
        digest = token_digest(token)
        assert len(digest) == 64 and token not in digest
        assert digests_match(digest, token_digest(token))
    first, second = sorted(tokens)[:2]
    assert not digests_match(token_digest(first), token_digest(second))
    assert not looks_like_token("Bearer " + first)
    assert not looks_like_token("ig_" + "x" * MAX_TOKEN_CHARS)


@pytest.mark.parametrize("name", ["maria", "M.Lopez", "ops-bot_2", "a@b.example", "x" * 64])
def test_valid_user_names(name: str) -> None:
    assert checked_name(name) == name


@pytest.mark.parametrize("name", ["", "has space", "-dash-first", "x" * 65, "a/b", "ümlaut"])
def test_invalid_user_names_say_what_is_allowed(name: str) -> None:
    with pytest.raises(InvalidUserNameError, match="letters, digits"):
        checked_name(name)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("10.0.0.1", False),
        ("example.org", False),
        ("localhost.example.org", False),
    ],
)
def test_only_loopback_addresses_count_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
