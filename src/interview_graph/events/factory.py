"""Choose an event store backend from a URL or connection string.

`sqlite:///relative/or//absolute/path`, `postgresql://...` (or `postgres://`), and
`esdb://`, `kurrentdb://`, `kdb://` (with their `+discover` variants). No URL means the
embedded default, `DATA_DIR/events.sqlite3`. The store is returned unopened: use
`async with open_event_store(...) as store:` (or `await store.open()`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from interview_graph.events.port import EventStore
from interview_graph.settings import redact_url

DEFAULT_SQLITE_FILE = "events.sqlite3"
KURRENTDB_SCHEMES = frozenset(
    {"esdb", "kurrentdb", "kdb", "esdb+discover", "kurrentdb+discover", "kdb+discover"}
)


def open_event_store(url_or_conn_string: str | None, data_dir: Path) -> EventStore:
    # PostgreSQL's and KurrentDB's modules (and drivers) are imported only when chosen.
    from interview_graph.events.sqlite_store import SQLiteEventStore

    if not url_or_conn_string:
        return SQLiteEventStore(Path(data_dir) / DEFAULT_SQLITE_FILE)
    scheme = urlsplit(url_or_conn_string).scheme.lower()
    if scheme == "sqlite":
        return SQLiteEventStore(_sqlite_path(url_or_conn_string, Path(data_dir)))
    if scheme in ("postgresql", "postgres"):
        from interview_graph.events.postgres_store import PostgresEventStore

        return PostgresEventStore(url_or_conn_string)
    if scheme in KURRENTDB_SCHEMES:
        from interview_graph.events.kurrentdb_store import KurrentDBEventStore

        return KurrentDBEventStore(url_or_conn_string)
    raise ValueError(
        f"unsupported event store URL {redact_url(url_or_conn_string)!r}: use sqlite:///path, "
        "postgresql://user@host/db or esdb://host:2113?tls=false"
    )


def _sqlite_path(url: str, data_dir: Path) -> Path:
    """`sqlite:///x.db` is relative to the working dir, `sqlite:////abs/x.db` absolute."""
    path = unquote(urlsplit(url).path)
    if path.startswith("/"):
        path = path[1:]
    if not path:
        return data_dir / DEFAULT_SQLITE_FILE
    return Path(path)
