"""interview-graph: interview transcripts as a queryable graph, with every fact also an event."""

__version__ = "0.1.0"
