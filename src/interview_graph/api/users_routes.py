"""The admin routes: the API's users, as `interview-graph users` manages them.

A token appears in exactly one response, the one that creates it (`POST /api/users`,
`POST /api/users/{name}/token`), marked `Cache-Control: no-store`.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from interview_graph.api.errors import CONFLICT
from interview_graph.auth.roles import Role
from interview_graph.auth.users import (
    USER_NAME,
    DuplicateUserError,
    UnknownUserError,
    User,
    UserStore,
)

users_router = APIRouter(prefix="/api/users", tags=["users"])


class UserOut(BaseModel):
    name: str
    role: Role
    created_at: datetime
    token_issued_at: datetime
    last_used_at: datetime | None


class UserList(BaseModel):
    users: list[UserOut]


class NewUser(BaseModel):
    name: str = Field(pattern=f"^{USER_NAME.pattern}$", examples=["maria"])
    role: Role = Role.VIEWER


class IssuedToken(BaseModel):
    user: UserOut
    token: str = Field(description="Shown this once; only its digest is stored.")


def _users(request: Request) -> UserStore:
    users: UserStore = request.app.state.access.users
    return users


def _out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


def _issued(store: UserStore, name: str, token: str, response: Response) -> IssuedToken:
    response.headers["Cache-Control"] = "no-store"
    (user,) = [user for user in store.users() if user.name.lower() == name.lower()]
    return IssuedToken(user=_out(user), token=token)


@users_router.get("")
async def list_users(request: Request) -> UserList:
    """Every user with their role and when their token was issued and last used."""
    return UserList(users=[_out(user) for user in _users(request).users()])


@users_router.post("", status_code=201, responses={409: CONFLICT})
async def add_user(request: Request, new: NewUser, response: Response) -> IssuedToken:
    """Adds a user and returns their token (409 if the name is taken)."""
    store = _users(request)
    try:
        token = store.add(new.name, new.role)
    except DuplicateUserError as exc:
        raise HTTPException(409, str(exc)) from None
    return _issued(store, new.name, token, response)


@users_router.post("/{name}/token")
async def rotate_token(request: Request, name: str, response: Response) -> IssuedToken:
    """A new token for the user; their old token stops working."""
    store = _users(request)
    try:
        token = store.rotate(name)
    except UnknownUserError as exc:
        raise HTTPException(404, str(exc)) from None
    return _issued(store, name, token, response)


@users_router.delete("/{name}", status_code=204)
async def remove_user(request: Request, name: str) -> None:
    """Removes the user; their token stops working at once."""
    try:
        _users(request).remove(name)
    except UnknownUserError as exc:
        raise HTTPException(404, str(exc)) from None
