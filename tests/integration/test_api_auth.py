"""Tokens and roles of the HTTP API, through its ASGI app on a real graph and user store.

The app here requires tokens (as `serve` on a non-loopback address, or `--auth`); the last
tests cover loopback's open mode.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from interview_graph import bootstrap
from interview_graph.api.app import NoUsersError, create_app
from interview_graph.api.auth import RoleCheck
from interview_graph.auth.roles import Role
from interview_graph.auth.tokens import token_digest
from interview_graph.settings import Settings
from tests.integration.api_helpers import app_routes
from tests.integration.cli_helpers import base_env, run_cli

PROBES = {"/healthz", "/readyz"}
UPLOAD = "/api/transcripts"
ADMIN_PATHS = "/api/users"


@dataclass
class Secured:
    client: TestClient
    tokens: dict[Role, str]  # one user per role, named after it: "viewer", "editor", "admin"
    data: Path

    def as_role(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def settings_for(data: Path, **values: Any) -> Settings:
    return Settings(DATA_DIR=data, GRAPH_BACKEND="falkordb", **values)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    data = tmp_path_factory.mktemp("auth") / "data"
    settings = settings_for(data, API_AUTH=True)
    store = bootstrap.build_user_store(settings)
    try:
        tokens = {role: store.add(role.value, role) for role in Role}
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        yield Secured(client, tokens, data)


def assert_unauthorized(response: Response, detail: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert detail in response.json()["detail"]


def test_no_token_is_401_with_a_bearer_challenge(secured: Secured) -> None:
    response = secured.client.get("/api/interviews")
    assert_unauthorized(response, "send the header 'Authorization: Bearer <token>'")
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    "header",
    [
        "Basic dmlld2VyOnNlY3JldA==",
        "Bearer",
        "Token {viewer}",
        "{viewer}",
    ],
)
def test_a_malformed_authorization_header_is_401(secured: Secured, header: str) -> None:
    value = header.format(viewer=secured.tokens[Role.VIEWER])
    response = secured.client.get("/api/stats", headers={"Authorization": value})
    assert_unauthorized(response, "must be 'Bearer <token>'")


def test_an_unknown_token_is_401(secured: Secured) -> None:
    viewer = secured.tokens[Role.VIEWER]
    for wrong in ["ig_nothing", viewer[:-1], viewer + "A", "ig_" + "A" * 43, "x" * 5000]:
        response = secured.client.get("/api/stats", headers={"Authorization": f"Bearer {wrong}"})
        assert_unauthorized(response, "the token is not valid")


def test_a_token_counts_in_the_authorization_header_only(secured: Secured) -> None:
    viewer = secured.tokens[Role.VIEWER]
    for params in ({"token": viewer}, {"access_token": viewer}, {"api_key": viewer}):
        assert secured.client.get("/api/stats", params=params).status_code == 401
    cookie = {"Cookie": f"token={viewer}; session={viewer}"}
    assert secured.client.get("/api/stats", headers=cookie).status_code == 401


def test_a_viewer_reads_everything(secured: Secured) -> None:
    viewer = secured.as_role(Role.VIEWER)
    for path in ["/api/interviews", "/api/stats", "/openapi.json", "/docs", "/metrics"]:
        assert secured.client.get(path, headers=viewer).status_code == 200, path
    lower_case_scheme = {"Authorization": f"bearer {secured.tokens[Role.VIEWER]}"}
    assert secured.client.get("/api/stats", headers=lower_case_scheme).status_code == 200


def test_probes_need_no_token(secured: Secured) -> None:
    assert secured.client.get("/healthz").json() == {"status": "ok"}
    assert secured.client.get("/readyz").json() == {"status": "ready"}


def test_a_role_too_low_is_403_naming_the_role(secured: Secured) -> None:
    new_user = {"name": "intruder", "role": "admin"}
    for role in (Role.VIEWER, Role.EDITOR):
        for response in (
            secured.client.post("/api/users", json=new_user, headers=secured.as_role(role)),
            secured.client.get("/api/users", headers=secured.as_role(role)),
            secured.client.delete("/api/users/admin", headers=secured.as_role(role)),
            secured.client.post("/api/users/admin/token", headers=secured.as_role(role)),
        ):
            assert response.status_code == 403, response.text
            assert response.json() == {
                "detail": f"this needs the admin role or higher; {role.value} is a {role.value}"
            }
    listing = secured.client.get("/api/users", headers=secured.as_role(Role.ADMIN)).json()
    assert "intruder" not in {user["name"] for user in listing["users"]}


def test_a_viewer_upload_is_403_and_an_editor_may_upload(secured: Secured) -> None:
    viewer = secured.client.post(UPLOAD, headers=secured.as_role(Role.VIEWER))
    assert viewer.status_code == 403, viewer.text
    assert "needs the editor role" in viewer.json()["detail"]
    editor = secured.client.post(UPLOAD, headers=secured.as_role(Role.EDITOR))
    assert editor.status_code not in (401, 403), editor.text  # 422: no files sent


def test_an_admin_manages_users(secured: Secured) -> None:
    admin = secured.as_role(Role.ADMIN)
    added = secured.client.post(
        "/api/users", json={"name": "nina", "role": "editor"}, headers=admin
    )
    assert added.status_code == 201, added.text
    assert added.headers["cache-control"] == "no-store"
    body = added.json()
    token = body["token"]
    assert token.startswith("ig_")
    assert (body["user"]["name"], body["user"]["role"]) == ("nina", "editor")
    nina = {"Authorization": f"Bearer {token}"}
    assert secured.client.get("/api/stats", headers=nina).status_code == 200

    listing = secured.client.get("/api/users", headers=admin).json()["users"]
    assert [user["name"] for user in listing] == ["admin", "editor", "nina", "viewer"]
    fields = {"name", "role", "created_at", "token_issued_at", "last_used_at"}
    assert all(set(user) == fields for user in listing)
    assert token not in str(listing) and token_digest(token) not in str(listing)

    duplicate = secured.client.post("/api/users", json={"name": "NINA"}, headers=admin)
    assert duplicate.status_code == 409 and "exists already" in duplicate.json()["detail"]
    invalid = secured.client.post("/api/users", json={"name": "two words"}, headers=admin)
    assert invalid.status_code == 422
    bad_role = secured.client.post("/api/users", json={"name": "x", "role": "owner"}, headers=admin)
    assert bad_role.status_code == 422

    rotated = secured.client.post("/api/users/nina/token", headers=admin)
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    assert secured.client.get("/api/stats", headers=nina).status_code == 401
    nina = {"Authorization": f"Bearer {rotated.json()['token']}"}
    assert secured.client.get("/api/stats", headers=nina).status_code == 200

    assert secured.client.delete("/api/users/nina", headers=admin).status_code == 204
    assert secured.client.get("/api/stats", headers=nina).status_code == 401
    gone = secured.client.delete("/api/users/nina", headers=admin)
    assert gone.status_code == 404 and "no user named 'nina'" in gone.json()["detail"]
    assert secured.client.post("/api/users/nina/token", headers=admin).status_code == 404


def test_the_cli_rotating_a_token_locks_the_old_one_out_of_the_running_app(
    secured: Secured,
) -> None:
    env = base_env(secured.data)
    added = run_cli(["users", "add", "pat", "--role", "viewer"], env)
    old = {"Authorization": f"Bearer {added.stdout.strip()}"}
    assert secured.client.get("/api/stats", headers=old).status_code == 200
    rotated = run_cli(["users", "token", "pat"], env)
    assert rotated.returncode == 0, rotated.stderr
    assert secured.client.get("/api/stats", headers=old).status_code == 401
    new = {"Authorization": f"Bearer {rotated.stdout.strip()}"}
    assert secured.client.get("/api/stats", headers=new).status_code == 200
    assert run_cli(["users", "remove", "pat"], env).returncode == 0
    assert secured.client.get("/api/stats", headers=new).status_code == 401


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("httpx"):  # the test's client, which logs its URLs
            self.lines.append(f"{record.getMessage()} {record.__dict__}")


@pytest.fixture
def every_log_record() -> Iterator[Everything]:
    """Every record of the server side's loggers, whatever the levels and propagation set
    elsewhere."""
    handler = Everything()
    loggers = [logging.getLogger(), logging.getLogger("interview_graph")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_tokens_never_appear_in_logs_or_responses(
    secured: Secured, every_log_record: Everything
) -> None:
    admin = secured.as_role(Role.ADMIN)
    removed_token = secured.client.post(
        "/api/users", json={"name": "leaver"}, headers=admin
    ).json()["token"]
    secured.client.delete("/api/users/leaver", headers=admin)
    viewer = secured.tokens[Role.VIEWER]
    secrets = [viewer, removed_token, viewer[:-1] + "Q", secured.tokens[Role.ADMIN]]
    exchanges: list[Response] = []
    for secret in secrets:
        for headers in (
            {"Authorization": f"Bearer {secret}"},
            {"Authorization": f"Basic {secret}"},
            {"Authorization": secret},
        ):
            for path in ["/api/stats", "/api/users", "/api/interviews/nope", "/nowhere"]:
                exchanges.append(secured.client.get(path, headers=headers))
            exchanges.append(
                secured.client.post("/api/users", json={"name": "x y"}, headers=headers)
            )
        exchanges.append(secured.client.get("/api/stats", params={"token": secret}))
    statuses = {response.status_code for response in exchanges}
    assert {200, 401, 403, 404, 422} <= statuses
    logged = "\n".join(every_log_record.lines)
    assert '"user": "viewer"' in logged.replace("'", '"')  # the capture sees the access log
    for response in exchanges:
        shown = response.text + str(response.headers)
        for secret in secrets:
            assert secret not in shown and token_digest(secret) not in shown
    for secret in secrets:
        assert secret not in logged and token_digest(secret) not in logged


def role_checks(route: Any) -> set[Role]:
    return {
        dependency.dependency.role
        for dependency in route.dependencies
        if isinstance(dependency.dependency, RoleCheck)
    }


def unchecked_routes(app: FastAPI) -> list[str]:
    return [
        f"{sorted(methods)} {path}"
        for path, methods, route in app_routes(app)
        if path not in PROBES and not role_checks(route)
    ]


def test_every_route_but_the_probes_has_a_role(secured: Secured) -> None:
    """A route added later without a role fails here, naming itself."""
    app: FastAPI = secured.client.app  # type: ignore[assignment]
    assert unchecked_routes(app) == []
    paths = {path for path, _, _ in app_routes(app)}
    assert {"/api/interviews", "/metrics", "/docs", "/openapi.json", "/api/users"} <= paths


def test_a_router_included_without_a_role_is_named(tmp_path: Path) -> None:
    forgotten = APIRouter()

    @forgotten.get("/api/forgotten/{thing}")
    async def forgotten_route(thing: str) -> str:
        return thing

    app = create_app(settings_for(tmp_path / "data"))
    app.include_router(forgotten)
    assert unchecked_routes(app) == ["['GET'] /api/forgotten/{thing}"]


def test_every_route_refuses_strangers_and_lets_viewers_read_only(secured: Secured) -> None:
    """Behaviour, whatever the declarations: without a token every route but the probes
    answers 401; with a viewer's token every GET but the user management's is allowed, and
    every other method is 403 (nothing a viewer sends changes anything)."""
    viewer = secured.as_role(Role.VIEWER)
    for path, methods, _ in app_routes(secured.client.app):  # type: ignore[arg-type]
        url = re.sub(r"\{[^}]+\}", "no-such-thing", path)
        for method in methods - {"HEAD"}:
            stranger = secured.client.request(method, url)
            if path in PROBES:
                assert stranger.status_code == 200, (method, path)
                continue
            assert stranger.status_code == 401, (method, path, stranger.text)
            as_viewer = secured.client.request(method, url, headers=viewer)
            if method == "GET" and not path.startswith(ADMIN_PATHS):
                assert as_viewer.status_code not in (401, 403), (method, path, as_viewer.text)
            else:
                assert as_viewer.status_code == 403, (method, path, as_viewer.text)


def test_on_loopback_no_token_is_needed_and_none_is_read(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path / "data"))) as client:
        assert client.get("/api/stats").status_code == 200
        assert client.get("/api/stats", headers={"Authorization": "Bearer junk"}).status_code == 200
        added = client.post("/api/users", json={"name": "maria", "role": "admin"})
        assert added.status_code == 201
        assert client.get("/api/users").json()["users"][0]["name"] == "maria"


def test_required_tokens_without_any_user_stop_the_app_from_starting(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path / "data", API_AUTH=True))
    with pytest.raises(NoUsersError, match="users add NAME --role admin"), TestClient(app):
        pass
