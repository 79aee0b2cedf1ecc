"""Who is asking, and may they: the API's tokens and roles.

Every router gets its role where the app includes it (`app.include_router(router,
dependencies=[Depends(requires(Role.VIEWER))])`); a route may ask for a higher role with a
dependency of its own. When the app requires tokens (`Access.required`: `serve` on any
address beyond loopback, `serve --auth`, or API_AUTH=true), the check answers

* 401 with `WWW-Authenticate: Bearer` when no token, a malformed header or an unknown token
  comes (a token that `users token` replaced or whose user was removed is unknown);
* 403 when the token's user has a lower role than the route needs.

Without required tokens (loopback: one researcher on their own machine) every request may do
everything, and no token is read.

A token is read from the `Authorization: Bearer <token>` header only: a token in a URL would
end up in access logs, proxies' logs and browser histories. No message, log line or error
ever contains a token (the user's name stands for it). A browser sign-in (a cookie holding
the token, with CSRF protection for requests that change data) would be a second source in
`_presented_token`, the one place a token is read.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from interview_graph.auth.roles import Role
from interview_graph.auth.users import User, UserStore

# Where the check leaves the user's name for the access log (a key of the ASGI scope).
USER_SCOPE_KEY = "interview_graph.user"
ANONYMOUS = "-"

_log = logging.getLogger(__name__)

# Declares the scheme in the OpenAPI document, so /docs offers an "Authorize" box; the check
# below decides what a missing or malformed header means.
_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `interview-graph users add NAME --role viewer|editor|admin`.",
)


@dataclass(frozen=True)
class Access:
    """The app's policy: whether tokens are required, and the users that hold them."""

    required: bool
    users: UserStore


class RoleCheck:
    """The dependency that lets a request through only with a token of `role` or higher
    (when tokens are required). Returns the user, None when tokens are not required."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> User | None:
        access: Access = request.app.state.access
        if not access.required:
            return None
        user = access.users.authenticate(_presented_token(request, credentials))
        if user is None:
            raise _unauthorized("the token is not valid: unknown, or replaced by a newer one")
        request.scope[USER_SCOPE_KEY] = user.name
        if not user.role.includes(self.role):
            raise HTTPException(
                403, f"this needs the {self.role} role or higher; {user.name} is a {user.role}"
            )
        return user

    def __repr__(self) -> str:
        return f"requires({self.role.value})"


_CHECKS = {role: RoleCheck(role) for role in Role}


def requires(role: Role) -> RoleCheck:
    """The check for a role (one instance per role, so FastAPI runs it once per request)."""
    return _CHECKS[role]


def _presented_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is not None:
        return credentials.credentials
    if "authorization" in request.headers:
        raise _unauthorized("the Authorization header must be 'Bearer <token>'")
    raise _unauthorized(
        "this server needs a token: send the header 'Authorization: Bearer <token>' "
        "(an administrator creates tokens with `interview-graph users add`)"
    )


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def user_name(scope: MutableMapping[str, Any]) -> str:
    """The authenticated user of a request, "-" when there was none."""
    name: str = scope.get(USER_SCOPE_KEY, ANONYMOUS)
    return name


async def user_store_failed(_request: Request, exc: Exception) -> JSONResponse:
    """503 without the store's details (a file path is nobody else's business): they are
    in the server's log."""
    _log.error("the user store failed: %s", exc)
    return JSONResponse(
        status_code=503,
        content={"detail": "the server cannot check tokens right now; its log says why"},
    )
