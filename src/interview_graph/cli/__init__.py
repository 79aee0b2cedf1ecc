"""The `interview-graph` command line."""
