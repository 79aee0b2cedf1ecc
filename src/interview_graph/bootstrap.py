"""The composition root: turns Settings into adapters, for the CLI and the benchmarks.

The backends are chosen here and nowhere else: the graph store (and a projection `--target`
graph, from its URL), the event store (from its URL's scheme), the outbox and dual-writer, the
analyzer, the segmenter and the API's user store. Each backend's module is imported inside the
function that builds it, once it is chosen: running on FalkorDB never loads the Neo4j driver
(nor the reverse), an SQLite event store loads neither psycopg nor the KurrentDB client, and
the offline analyzer no LLM SDK.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from interview_graph.settings import Settings, redact_url

# The ports are named in annotations only: a command loads what it builds, nothing more.
if TYPE_CHECKING:
    from interview_graph.analysis.port import Analyzer
    from interview_graph.auth.users import UserStore
    from interview_graph.dualwrite.outage import OutageNotice
    from interview_graph.dualwrite.outbox_port import Outbox
    from interview_graph.dualwrite.writer import DualWriter
    from interview_graph.events.port import EventStore
    from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
    from interview_graph.graph.port import GraphStore
    from interview_graph.jobs.port import JobBackend
    from interview_graph.pipeline.interview_lock import InterviewLocks
    from interview_graph.pipeline.service import PipelineService, Segmenter
    from interview_graph.projection.port import ProjectionGraph
    from interview_graph.search.port import SentenceSearch

DEFAULT_SQLITE_EVENTS_FILE = "events.sqlite3"
JOBS_FILE = "jobs.sqlite3"
KURRENTDB_SCHEMES = frozenset(
    {"esdb", "kurrentdb", "kdb", "esdb+discover", "kurrentdb+discover", "kdb+discover"}
)


@asynccontextmanager
async def open_graph_store(settings: Settings) -> AsyncIterator[GraphStore]:
    """The configured graph, schema ensured; the embedded FalkorDB server is started on demand."""
    store = graph_store_for(settings)
    async with store:
        await store.ensure_schema()
        yield store


def graph_store_for(settings: Settings) -> ProjectionGraph:
    if settings.graph_backend == "neo4j":
        from interview_graph.graph.neo4j_store import Neo4jGraphStore

        return Neo4jGraphStore(
            uri=settings.neo4j_uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
        )
    return _falkordb_store(settings, settings.falkordb_graph)


def sentence_search(graph: GraphStore) -> SentenceSearch:
    """The search over an open graph: each graph store is its own search adapter, through its
    database's full-text index (created by ensure_schema)."""
    from interview_graph.search.port import SentenceSearch

    if not isinstance(graph, SentenceSearch):
        raise TypeError(f"the {graph.backend} graph store offers no search")
    return graph


def _falkordb_store(settings: Settings, graph_name: str) -> ProjectionGraph:
    from interview_graph.graph.falkordb_store import FalkorDBGraphStore

    return FalkorDBGraphStore(embedded_falkordb(settings), graph_name)


def embedded_falkordb(settings: Settings) -> EmbeddedFalkorDB:
    """The data directory's embedded FalkorDB server (not started)."""
    import shlex

    from interview_graph.graph.falkordb_server import EmbeddedFalkorDB

    return EmbeddedFalkorDB(
        settings.falkordb_dir,
        idle_seconds=settings.falkordb_idle_seconds,
        server_args=shlex.split(settings.falkordb_server_args),
    )


# ---------------------------------------------------------------- projection targets

NEO4J_SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})


class TargetError(ValueError):
    """A projection target that names no graph; the message says what to write instead."""


def graph_for_target(settings: Settings, target: str | None) -> tuple[ProjectionGraph, str]:
    """The graph a `--target` names (unopened) and a label safe to print.

    `falkordb:NAME`: another graph of the data directory's FalkorDB; `neo4j://host:port[/db]`
    (or bolt://, +s, +ssc): a Neo4j database; None: the configured graph.
    """
    if target is None:
        if settings.graph_backend == "neo4j":
            return _neo4j_store(settings, settings.neo4j_uri), _configured_label(settings)
        return _falkordb_store(settings, settings.falkordb_graph), _configured_label(settings)
    if target.startswith("falkordb:"):
        name = target.removeprefix("falkordb:")
        if not name:
            raise TargetError("--target falkordb:NAME needs a graph name, e.g. falkordb:rebuilt")
        return _falkordb_store(settings, name), f"FalkorDB graph {name!r}"
    if urlsplit(target).scheme.lower() in NEO4J_SCHEMES:
        return _neo4j_store(settings, target), f"Neo4j {redact_url(target)}"
    raise TargetError(
        f"unknown --target {redact_url(target)!r}: use falkordb:NAME, neo4j://host:port[/db] "
        "or bolt://host:port[/db]"
    )


def _neo4j_store(settings: Settings, url: str) -> ProjectionGraph:
    """user, password and database from the URL, else from the NEO4J_* settings."""
    from interview_graph.graph.neo4j_store import Neo4jGraphStore

    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    database = unquote(parts.path.strip("/")) or settings.neo4j_database
    password = settings.neo4j_password.get_secret_value()
    return Neo4jGraphStore(
        uri=f"{parts.scheme}://{netloc}",
        user=unquote(parts.username) if parts.username else settings.neo4j_user,
        password=unquote(parts.password) if parts.password else password,
        database=database,
    )


def _configured_label(settings: Settings) -> str:
    if settings.graph_backend == "neo4j":
        return f"Neo4j {redact_url(settings.neo4j_uri)} database {settings.neo4j_database!r}"
    return f"FalkorDB graph {settings.falkordb_graph!r}"


def build_analyzer(settings: Settings, kind: str | None = None) -> Analyzer:
    """offline (default), openai or anthropic; `kind` None means settings.analyzer."""
    kind = kind or settings.analyzer
    if kind in ("openai", "anthropic"):
        return _llm_analyzer(settings, kind)
    if kind != "offline":
        raise ValueError(f"unknown analyzer {kind!r}: use 'offline', 'openai' or 'anthropic'")
    from interview_graph.analysis.offline import OfflineAnalyzer

    return OfflineAnalyzer(domain_lexicon=settings.domain_lexicon)


def _llm_analyzer(settings: Settings, kind: str) -> Analyzer:
    """The provider's analyzer with the reply cache in the data directory (opened on first
    use); only the chosen provider's SDK is imported."""
    from interview_graph.analysis.llm import CACHE_FILENAME, SQLiteAnalysisCache, llm_config

    config = llm_config(settings, kind)
    cache = SQLiteAnalysisCache(settings.data_dir / CACHE_FILENAME)
    if kind == "openai":
        from interview_graph.analysis.llm.openai_analyzer import OpenAIAnalyzer

        openai_key = settings.openai_api_key
        return OpenAIAnalyzer(
            config,
            api_key=openai_key.get_secret_value() if openai_key is not None else None,
            base_url=settings.openai_base_url,
            cache=cache,
        )
    from interview_graph.analysis.llm.anthropic_analyzer import AnthropicAnalyzer

    anthropic_key = settings.anthropic_api_key
    return AnthropicAnalyzer(
        config,
        api_key=anthropic_key.get_secret_value() if anthropic_key is not None else None,
        base_url=settings.anthropic_base_url,
        cache=cache,
    )


def build_segmenter(settings: Settings) -> Segmenter:
    from interview_graph.pipeline.segment import SpacySegmenter

    return SpacySegmenter(model_name=settings.spacy_model, processes=settings.nlp_processes)


def ensure_data_dir(settings: Settings) -> Path:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings.data_dir


def event_store_target(settings: Settings) -> str:
    """ESDB_CONNECTION_STRING wins, then EVENT_STORE_URL, else SQLite in the data directory."""
    if settings.esdb_connection_string:
        return settings.esdb_connection_string
    if settings.event_store_url:
        return settings.event_store_url
    return f"sqlite:///{settings.sqlite_event_store_path}"


def event_store_label(settings: Settings) -> str:
    return redact_url(event_store_target(settings))


async def open_event_store(settings: Settings) -> EventStore:
    store = event_store_for_url(event_store_target(settings), settings.data_dir)
    return await store.open()


def event_store_for_url(url: str | None, data_dir: Path) -> EventStore:
    """The event store a URL names, unopened (`async with` it or `await store.open()`).

    `sqlite:///relative/or//absolute/path`, `postgresql://...` (or `postgres://`), and
    `esdb://`, `kurrentdb://`, `kdb://` (with their `+discover` variants); no URL means the
    embedded default, `DATA_DIR/events.sqlite3`. Only the chosen backend's driver is loaded.
    """
    if not url:
        return _sqlite_event_store(Path(data_dir) / DEFAULT_SQLITE_EVENTS_FILE)
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        return _sqlite_event_store(_sqlite_path(url, Path(data_dir)))
    if scheme in ("postgresql", "postgres"):
        from interview_graph.events.postgres_store import PostgresEventStore

        return PostgresEventStore(url)
    if scheme in KURRENTDB_SCHEMES:
        from interview_graph.events.kurrentdb_store import KurrentDBEventStore

        return KurrentDBEventStore(url)
    raise ValueError(
        f"unsupported event store URL {redact_url(url)!r}: use sqlite:///path, "
        "postgresql://user@host/db or esdb://host:2113?tls=false"
    )


def _sqlite_event_store(path: Path) -> EventStore:
    from interview_graph.events.sqlite_store import SQLiteEventStore

    return SQLiteEventStore(path)


def _sqlite_path(url: str, data_dir: Path) -> Path:
    """`sqlite:///x.db` is relative to the working dir, `sqlite:////abs/x.db` absolute."""
    path = unquote(urlsplit(url).path)
    if path.startswith("/"):
        path = path[1:]
    if not path:
        return data_dir / DEFAULT_SQLITE_EVENTS_FILE
    return Path(path)


def build_outbox(settings: Settings) -> Outbox:
    from interview_graph.dualwrite.sqlite_outbox import SQLiteOutbox

    return SQLiteOutbox(settings.data_dir / "outbox.sqlite3")


def build_interview_locks(settings: Settings) -> InterviewLocks:
    """One run at a time per interview, for every process on this data directory."""
    from interview_graph.pipeline.interview_lock import InterviewLocks

    return InterviewLocks(settings.data_dir / "locks" / "interviews")


def build_user_store(settings: Settings) -> UserStore:
    """The API's users and their tokens' digests, in the data directory (opened on first use)."""
    from interview_graph.auth.sqlite_users import USERS_FILE, SQLiteUserStore

    return SQLiteUserStore(settings.data_dir / USERS_FILE)


def build_dual_writer(settings: Settings, on_outage: OutageNotice | None = None) -> DualWriter:
    """`on_outage` hears once of each event-store outage, when it begins."""
    from interview_graph.dualwrite.writer import DualWriter

    async def open_store() -> EventStore:
        return await open_event_store(settings)

    return DualWriter(
        build_outbox(settings),
        open_store,
        settings.data_dir / "outbox.leases",
        store_label=event_store_label(settings),
        on_outage=on_outage,
    )


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The file service on the configured adapters, and its dual-writer when events are on."""

    service: PipelineService
    dual_writer: DualWriter | None


@asynccontextmanager
async def open_pipeline(
    settings: Settings,
    graph: GraphStore,
    *,
    events: bool,
    on_outage: OutageNotice | None = None,
) -> AsyncIterator[Pipeline]:
    """The pipeline `process` and the job worker run files through: the configured segmenter
    and analyzer, the interview locks, and with `events` a started dual-writer (what crashed
    runs left staged is resolved first). Everything is closed on exit; delivering what
    remains (`dual_writer.finish`) is the caller's choice before that."""
    from interview_graph.pipeline.events_hook import no_events
    from interview_graph.pipeline.service import PipelineService

    segmenter = build_segmenter(settings)
    analyzer = build_analyzer(settings)
    dual_writer = build_dual_writer(settings, on_outage) if events else None
    try:
        if dual_writer is not None:
            await dual_writer.start(graph)
        service = PipelineService(
            graph,
            analyzer,
            segmenter,
            dual_writer.hook_for if dual_writer is not None else no_events,
            max_file_bytes=settings.max_file_mb * 1024 * 1024,
            locks=build_interview_locks(settings),
        )
        yield Pipeline(service, dual_writer)
    finally:
        if dual_writer is not None:
            await dual_writer.close()
        await analyzer.aclose()
        segmenter.close()


def build_job_queue(settings: Settings) -> JobBackend:
    """The embedded job queue, `DATA_DIR/jobs.sqlite3`, shared by every process serving the
    data directory (a worker's liveness is its lease in `DATA_DIR/jobs.leases`)."""
    from interview_graph.jobs.sqlite_queue import SQLiteJobQueue

    return SQLiteJobQueue(settings.data_dir / JOBS_FILE, settings.data_dir / "jobs.leases")
