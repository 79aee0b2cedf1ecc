"""The API's error responses: every error is `{"detail": "..."}`, documented once for every
route so clients (and the property tests) know each status a route can answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    detail: str


def _documented(description: str) -> dict[str, Any]:
    return {"model": ErrorDetail, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("The request cannot be answered as asked (the detail says why)."),
    404: _documented("No such interview, sentence or job."),
    503: _documented("The graph or the event store did not answer; try again."),
}

CONFLICT = _documented("It exists already, or changed since it was read (the detail says).")

# The statuses of every route behind a role (all but the probes).
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _documented("No token, or one this server does not know (tokens are required)."),
    403: _documented("The token's role may not do this."),
}
