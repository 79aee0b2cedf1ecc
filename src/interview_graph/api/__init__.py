"""The HTTP API: the graph's reads as JSON, on the same settings and adapters as the CLI."""
