"""The user store's port: who the API's users are, their roles, and their tokens' digests.

A user has one token at a time: `add` and `rotate` make a new one and return it (the only
time anyone sees it); the store keeps its digest only. The calls are synchronous: they take
microseconds (authentication reads a table held in memory) or are rare administrative
writes, so the API makes them on its event loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from interview_graph.auth.roles import Role

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class UserStoreError(RuntimeError):
    """The user store failed; the message says which user or file and what to do."""


class DuplicateUserError(UserStoreError):
    pass


class UnknownUserError(UserStoreError):
    pass


class InvalidUserNameError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    created_at: datetime
    token_issued_at: datetime
    last_used_at: datetime | None  # to the minute: recorded at most once a minute per process

    def as_json(self) -> dict[str, str | None]:
        """The user as the CLI's --json and the API show it (never a token or digest)."""
        return {
            "name": self.name,
            "role": self.role.value,
            "created_at": self.created_at.isoformat(),
            "token_issued_at": self.token_issued_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


def checked_name(name: str) -> str:
    """The name itself, if it is a valid user name (letters, digits, `.`, `_`, `@`, `-`)."""
    if USER_NAME.fullmatch(name) is None:
        raise InvalidUserNameError(
            f"invalid user name {name!r}: use 1 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


class UserStore(Protocol):
    def add(self, name: str, role: Role) -> str:
        """Adds the user; returns its new token. DuplicateUserError if the name is taken
        (names are compared without case)."""
        ...

    def rotate(self, name: str) -> str:
        """A new token for the user; the old one stops working. UnknownUserError."""
        ...

    def remove(self, name: str) -> None:
        """UnknownUserError if there is no such user."""
        ...

    def users(self) -> list[User]:
        """Every user, by name."""
        ...

    def count(self) -> int: ...

    def authenticate(self, token: str) -> User | None:
        """The user holding this token, None for any other text; records the use."""
        ...

    def close(self) -> None: ...
