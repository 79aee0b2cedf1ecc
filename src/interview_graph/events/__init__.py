"""The event log: domain events in an append-only store (SQLite, PostgreSQL or KurrentDB).

This package holds the EventStore port (`port`), one module per backend and the codec that
turns envelopes into the stores' JSON documents and back. Importing it, or the port, loads no
database driver: `bootstrap` picks and imports the backend a URL names.
"""
