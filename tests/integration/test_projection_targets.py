"""The ProjectionTarget contract on both graph stores: an embedded FalkorDB graph, a real Neo4j."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.falkordb_store import FalkorDBGraphStore
from interview_graph.graph.neo4j_store import Neo4jGraphStore
from tests.conftest import Neo4jConnection
from tests.integration.projection_target_contract import ProjectionTargetContract
from tests.integration.test_graph_contract_neo4j import wipe_neo4j


class TestFalkorDBProjectionTarget(ProjectionTargetContract):
    @pytest.fixture
    async def target(self, falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[FalkorDBGraphStore]:
        graph = f"projection_{uuid.uuid4().hex}"
        async with FalkorDBGraphStore(falkordb_server, graph) as target:
            await target.ensure_schema()
            yield target


@pytest.mark.neo4j
class TestNeo4jProjectionTarget(ProjectionTargetContract):
    @pytest.fixture
    async def target(self, neo4j_connection: Neo4jConnection) -> AsyncIterator[Neo4jGraphStore]:
        await wipe_neo4j(neo4j_connection)
        connection = neo4j_connection
        async with Neo4jGraphStore(
            connection.uri, connection.user, connection.password, connection.database
        ) as target:
            await target.ensure_schema()
            yield target
