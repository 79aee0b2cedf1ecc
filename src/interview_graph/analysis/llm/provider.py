"""What a provider's analyzer deals in: the reply it returns, the repair it is asked to send,
and what a failed request means (CallProblem), with the helpers that read a provider's HTTP
answers (Retry-After, JSON in a text reply) and size its connection pool.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx


@dataclass(frozen=True, slots=True)
class Reply:
    """One model answer: the parsed JSON (None when it did not parse, see `problem`)."""

    payload: object
    raw: str
    problem: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tool_use_id: str | None = None


@dataclass(frozen=True, slots=True)
class Repair:
    """The previous answer and what was wrong with it, sent back once for correction."""

    previous: Reply
    problems: str


@dataclass(frozen=True, slots=True)
class CallProblem:
    """What a failed request means: retry it (after retry_after), give up on it, or stop."""

    kind: str
    reason: str
    retryable: bool
    fatal: bool = False
    retry_after: float | None = None
    immediate: bool = False  # resend at once, not counted as a retry (e.g. format fallback)


def connection_limits(concurrency: int) -> httpx.Limits:
    """A pool sized to the requests allowed in flight: with the SDK default (1000 connections)
    the HTTP pool scans every connection per request at high concurrency."""
    return httpx.Limits(
        max_connections=concurrency,
        max_keepalive_connections=concurrency,
        keepalive_expiry=30.0,
    )


def transport_problem(kind: str, timeout_seconds: float) -> CallProblem:
    if kind == "timeout":
        return CallProblem("timeout", f"no reply within {timeout_seconds:g} s (timeout)", True)
    return CallProblem("connection", "could not connect to the provider (connection error)", True)


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date) or retry-after-ms."""
    if not headers:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def parse_json_text(text: str) -> tuple[object, str | None]:
    """The JSON object in a model's text (code fences tolerated), or None and why not."""
    cleaned = text.strip()
    if cleaned.startswith("```"):
        cleaned = cleaned.strip("`").removeprefix("json").strip()
    try:
        return json.loads(cleaned), None
    except ValueError:
        pass
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if 0 <= start < end:
        try:
            return json.loads(cleaned[start : end + 1]), None
        except ValueError:
            pass
    preview = text.strip()[:80]
    return None, f"the reply is not valid JSON (starts with {preview!r})"
