"""Dual-write: every committed graph write also becomes events, never blocking the graph.

One idea per module: the outbox port (`outbox_port`) and its SQLite adapter
(`sqlite_outbox`, with its payload format and schema), the owner lease (`lease`), the
pipeline's hook that stages each graph write's events (`hook`), the background deliverer
(`deliverer`) and how it tells of a store outage (`outage`), what a run counts (`counters`),
crash recovery (`recovery`) and the DualWriter that wires them (`writer`).
"""
