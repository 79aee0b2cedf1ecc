"""The event log as the source of truth: project it into a graph, verify, backfill."""
