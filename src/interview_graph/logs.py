"""Structured logs: one JSON object per line on stderr, with the context fields callers pass
in `extra` (file, interview_id, event_type, stream, error).

This formatter writes what it is given, so a secret must never be given: a connection string
goes through settings.redact_url before it reaches a message or a field (the stores' errors
and reprs do so).

Drivers' own records (a connection pool retrying an unreachable server, say) are details:
they are shown at LOG_LEVEL=DEBUG only, as JSON like ours. The failures they explain reach
the user once, in our own words (e.g. the dual-write's one line per event-store outage)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


# Loggers of the drivers our adapters use, whose records are details (see the module doc).
DRIVER_LOGGERS: tuple[str, ...] = ("psycopg",)
_DRIVER_DETAILS = "interview_graph.driver"


class _AsDebugDetail(logging.Handler):
    """Hands a driver's record, whatever its level, to our logging as a DEBUG record."""

    def emit(self, record: logging.LogRecord) -> None:
        target = logging.getLogger(_DRIVER_DETAILS)
        if target.isEnabledFor(logging.DEBUG):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            target.handle(record)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("interview_graph")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    for name in DRIVER_LOGGERS:
        driver = logging.getLogger(name)
        driver.handlers[:] = [_AsDebugDetail()]
        driver.setLevel(logging.DEBUG if root.isEnabledFor(logging.DEBUG) else logging.WARNING)
        driver.propagate = False
