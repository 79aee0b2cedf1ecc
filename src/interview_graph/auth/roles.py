"""The roles a user can hold, in order: each one may do everything the ones below it may.

viewer reads (every GET of the API), editor also changes the data (uploads, later
corrections), admin also manages users.
"""

from __future__ import annotations

from enum import StrEnum


class UnknownRoleError(ValueError):
    """A role name that is none of the roles; the message lists them."""


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, required: Role) -> bool:
        """This role may do what `required` may."""
        return self.rank >= required.rank

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            return cls(name.strip().lower())
        except ValueError:
            raise UnknownRoleError(
                f"unknown role {name!r}: use one of {', '.join(role.value for role in cls)}"
            ) from None


_RANKS = {role: rank for rank, role in enumerate(Role)}
