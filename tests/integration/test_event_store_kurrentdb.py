"""The EventStore contract on KurrentDB / EventStoreDB, when a server is available.

No KurrentDB server can be installed by the test command, so this module runs only when
ESDB_CONNECTION_STRING points at one (e.g. `docker run -p 2113:2113
docker.kurrent.io/kurrent-latest/kurrentdb --insecure` then
ESDB_CONNECTION_STRING=esdb://localhost:2113?tls=false). Never a fake server.
"""

from __future__ import annotations

import os

import pytest

from interview_graph.events.kurrentdb_store import KurrentDBEventStore
from interview_graph.events.port import EventStore
from tests.integration.event_store_contract import EventStoreContract

CONNECTION_STRING = os.environ.get("ESDB_CONNECTION_STRING", "")

pytestmark = [
    pytest.mark.kurrentdb,
    pytest.mark.skipif(
        not CONNECTION_STRING,
        reason="KurrentDB not reachable here: set "
        "ESDB_CONNECTION_STRING=esdb://host:2113?tls=false to run",
    ),
]


class TestKurrentDBEventStore(EventStoreContract):
    # KurrentDB's $all is shared by every test and run; the adapter appends a batch stream
    # by stream (see the module doc of kurrentdb_store).
    batch_is_atomic_across_streams = False
    shared_global_log = True

    async def open_isolated_store(self) -> EventStore:
        return await KurrentDBEventStore(CONNECTION_STRING).open()

    async def open_same_store(self, store: EventStore) -> EventStore:
        return await KurrentDBEventStore(CONNECTION_STRING).open()

    def unreachable_store(self) -> EventStore:
        return KurrentDBEventStore("esdb://admin:secret@127.0.0.1:1?tls=false", timeout_s=3)
