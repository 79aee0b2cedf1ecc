"""The GraphStore contract on a real Neo4j, and the cross-backend export check.

The server comes from NEO4J_URI (with NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE) when set,
otherwise it is started from the Maven-built launcher (scripts/services/neo4j_server.py).
Without a server the tests skip, unless IG_REQUIRE_SERVICES=1 makes that a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from neo4j import AsyncGraphDatabase

from interview_graph.domain.model import InterviewStatus, TopicMention
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.falkordb_store import FalkorDBGraphStore
from interview_graph.graph.neo4j_store import Neo4jGraphStore
from interview_graph.graph.port import GraphStore, GraphStoreError
from interview_graph.search.port import SearchQuery
from tests.conftest import Neo4jConnection
from tests.integration.graph_contract import (
    TRICKY_TEXTS,
    GraphStoreContract,
    export_lines,
    make_analysis,
    make_interview,
    make_sentences,
    write_all,
)
from tests.integration.search_contract import SentenceSearchContract, write_corpus

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.neo4j


Neo4jTarget = Neo4jConnection


@pytest.fixture
def neo4j_target(neo4j_connection: Neo4jConnection) -> Neo4jConnection:
    """The session's server (tests/conftest.py): one JVM for the whole run."""
    return neo4j_connection


async def wipe_neo4j(target: Neo4jTarget) -> None:
    """Tests share the one database of a Community server, so each starts from empty."""
    async with AsyncGraphDatabase.driver(target.uri, auth=(target.user, target.password)) as d:
        await d.execute_query("MATCH (n) DETACH DELETE n", database_=target.database)


@pytest.fixture
async def neo4j_store(neo4j_target: Neo4jTarget) -> AsyncIterator[Neo4jGraphStore]:
    await wipe_neo4j(neo4j_target)
    store = Neo4jGraphStore(
        neo4j_target.uri, neo4j_target.user, neo4j_target.password, neo4j_target.database
    )
    async with store:
        await store.ensure_schema()
        yield store


class TestNeo4jGraphStore(GraphStoreContract):
    @pytest.fixture
    async def store(self, neo4j_store: Neo4jGraphStore) -> Neo4jGraphStore:
        return neo4j_store


class TestNeo4jSentenceSearch(SentenceSearchContract):
    @pytest.fixture
    async def store(self, neo4j_store: Neo4jGraphStore) -> Neo4jGraphStore:
        return neo4j_store


async def test_a_graph_written_before_the_full_text_index_gains_it(
    neo4j_store: Neo4jGraphStore, neo4j_target: Neo4jTarget
) -> None:
    await write_corpus(neo4j_store)
    auth = (neo4j_target.user, neo4j_target.password)
    async with AsyncGraphDatabase.driver(neo4j_target.uri, auth=auth) as driver:
        await driver.execute_query("DROP INDEX sentence_text", database_=neo4j_target.database)

    await neo4j_store.ensure_schema()  # creates it, and waits until it is built

    assert len((await neo4j_store.search(SearchQuery("report", limit=100))).hits) == 15


async def test_unreachable_server_says_what_to_do() -> None:
    store = Neo4jGraphStore("bolt://127.0.0.1:1", "neo4j", "whatever", "neo4j")
    with pytest.raises(
        GraphStoreError, match=r"(?s)bolt://127\.0\.0\.1:1 .*unreachable.*NEO4J_URI"
    ):
        async with store:
            pass


async def test_wrong_password_says_what_to_do(neo4j_target: Neo4jTarget) -> None:
    store = Neo4jGraphStore(neo4j_target.uri, neo4j_target.user, "wrong-password", "neo4j")
    try:
        async with store:
            pytest.skip("the server accepts any password (auth disabled)")
    except GraphStoreError as exc:
        assert "NEO4J_PASSWORD" in str(exc)


async def write_mixed_history(store: GraphStore) -> list[str]:
    """Everything the pipeline does to a graph, in one story; returns the interview ids."""
    tricky = replace(
        make_interview(project=TRICKY_TEXTS[2], sha="1" * 64, title=TRICKY_TEXTS[0]),
        participants=TRICKY_TEXTS[1:4],
        date=None,
    )
    sentences = make_sentences(tricky, 30, TRICKY_TEXTS)
    sentences[7] = replace(sentences[7], speaker=None, start_ms=None, end_ms=None)
    analyses = [make_analysis(s, variant=2) for s in sentences]
    analyses[3] = replace(
        analyses[3],
        overall_keywords=(TRICKY_TEXTS[3], "", "$x"),
        topics=(TopicMention(TRICKY_TEXTS[2], 3),),
        confidence={"function": 0.123456789012, "topics": 1.0},
    )
    await write_all(store, tricky, sentences, analyses, batch=8)
    await store.write_analyses([make_analysis(s, variant=4) for s in sentences[:10]])  # re-analysis
    await store.write_analyses([make_analysis(s, "llm", "v2", 1) for s in sentences[::3]])
    await store.finish_interview(tricky.interview_id, 25, InterviewStatus.COMPLETED)

    plain = make_interview(sha="2" * 64, title="Plain")
    plain_sentences = make_sentences(plain, 12)
    await write_all(store, plain, plain_sentences, [make_analysis(s) for s in plain_sentences])

    gone = make_interview(project="Gone", sha="3" * 64, title="Gone")
    gone_sentences = make_sentences(gone, 5)
    await write_all(
        store, gone, gone_sentences, [make_analysis(s, variant=6) for s in gone_sentences]
    )
    await store.delete_interview(gone.interview_id)
    return [tricky.interview_id, plain.interview_id]


async def test_both_backends_export_identical_jsonl(
    neo4j_store: Neo4jGraphStore, tmp_path: Path
) -> None:
    interview_ids = await write_mixed_history(neo4j_store)
    async with FalkorDBGraphStore(EmbeddedFalkorDB(tmp_path / "falkordb"), "cross") as falkor:
        await falkor.ensure_schema()
        assert await write_mixed_history(falkor) == interview_ids

        neo4j_lines = await export_lines(neo4j_store)
        falkor_lines = await export_lines(falkor)
        assert len(neo4j_lines) > 300
        assert "\n".join(falkor_lines) == "\n".join(neo4j_lines)
        for interview_id in interview_ids:
            assert await export_lines(falkor, interview_id) == await export_lines(
                neo4j_store, interview_id
            )
        assert await falkor.stats() == await neo4j_store.stats()
        assert await falkor.list_interviews() == await neo4j_store.list_interviews()
        for interview_id in interview_ids:
            assert await falkor.get_sentences(interview_id) == await neo4j_store.get_sentences(
                interview_id
            )
