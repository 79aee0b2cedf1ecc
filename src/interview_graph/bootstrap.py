"""The composition root: turns Settings into adapters. Used by the CLI (and later the API).

Only this module (and tests) import concrete adapters; everything else sees ports. Backends
are imported lazily so choosing FalkorDB never loads the Neo4j driver and vice versa.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from interview_graph.analysis.port import Analyzer
from interview_graph.graph.port import GraphStore
from interview_graph.pipeline.service import Segmenter
from interview_graph.settings import Settings

if TYPE_CHECKING:
    from interview_graph.events.dual_write import DualWriter
    from interview_graph.events.outbox_port import Outbox
    from interview_graph.events.port import EventStore
    from interview_graph.graph.falkordb_server import EmbeddedFalkorDB


@asynccontextmanager
async def open_graph_store(settings: Settings) -> AsyncIterator[GraphStore]:
    """The configured graph, schema ensured; the embedded FalkorDB server is started on demand."""
    store = graph_store_for(settings)
    async with store:
        await store.ensure_schema()
        yield store


def graph_store_for(settings: Settings) -> GraphStore:
    if settings.graph_backend == "neo4j":
        from interview_graph.graph.neo4j_store import Neo4jGraphStore

        return Neo4jGraphStore(
            uri=settings.neo4j_uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
        )
    from interview_graph.graph.falkordb_store import FalkorDBGraphStore

    return FalkorDBGraphStore(embedded_falkordb(settings), settings.falkordb_graph)


def embedded_falkordb(settings: Settings) -> EmbeddedFalkorDB:
    """The data directory's embedded FalkorDB server (not started)."""
    import shlex

    from interview_graph.graph.falkordb_server import EmbeddedFalkorDB

    return EmbeddedFalkorDB(
        settings.falkordb_dir,
        idle_seconds=settings.falkordb_idle_seconds,
        server_args=shlex.split(settings.falkordb_server_args),
    )


def build_analyzer(settings: Settings, kind: str | None = None) -> Analyzer:
    """offline (default), openai or anthropic; `kind` None means settings.analyzer."""
    kind = kind or settings.analyzer
    if kind in ("openai", "anthropic"):
        from interview_graph.analysis.llm import build_llm_analyzer

        return build_llm_analyzer(settings, kind)
    if kind != "offline":
        raise ValueError(f"unknown analyzer {kind!r}: use 'offline', 'openai' or 'anthropic'")
    from interview_graph.analysis.offline import OfflineAnalyzer

    return OfflineAnalyzer(domain_lexicon=settings.domain_lexicon)


def build_segmenter(settings: Settings) -> Segmenter:
    from interview_graph.pipeline.segment import Segmenter as SpacySegmenter

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
    from interview_graph.settings import redact_url

    return redact_url(event_store_target(settings))


async def open_event_store(settings: Settings) -> EventStore:
    from interview_graph.events.factory import open_event_store as open_store

    store = open_store(event_store_target(settings), settings.data_dir)
    return await store.open()


def build_outbox(settings: Settings) -> Outbox:
    from interview_graph.events.sqlite_outbox import SQLiteOutbox

    return SQLiteOutbox(settings.data_dir / "outbox.sqlite3")


def build_dual_writer(settings: Settings) -> DualWriter:
    from interview_graph.events.dual_write import DualWriter

    async def open_store() -> EventStore:
        return await open_event_store(settings)

    return DualWriter(
        build_outbox(settings),
        open_store,
        settings.data_dir / "outbox.leases",
        store_label=event_store_label(settings),
    )
