"""Prometheus metrics of the dual-write, of LLM analysis and of the HTTP API, in their own
registry (not prometheus_client's global one), served on 127.0.0.1 by `process
--metrics-port` and at the API's /metrics.

Several API worker processes (`serve --workers N`) share one set of figures through
prometheus_client's multiprocess mode: `serve` points PROMETHEUS_MULTIPROC_DIR at a fresh
directory before the workers start, each worker writes its values there, and whichever
worker answers /metrics reports the sum of all of them."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS_EMITTED = Counter(
    "events_emitted_total",
    "Events delivered to the event store.",
    ["event_type"],
    registry=REGISTRY,
)
EVENT_EMISSION_DURATION = Histogram(
    "event_emission_duration_seconds",
    "Time to deliver one batch of events to the event store, per event type in the batch.",
    ["event_type"],
    registry=REGISTRY,
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENT_EMISSION_FAILURES = Counter(
    "event_emission_failures_total",
    "Failed delivery attempts (the events stay in the outbox and are retried).",
    ["event_type", "reason"],
    registry=REGISTRY,
)
EVENT_VERSION_CONFLICTS = Counter(
    "event_version_conflicts_total",
    "Appends rejected for a wrong expected version.",
    registry=REGISTRY,
)
DUAL_WRITE_SUCCESS_RATE = Gauge(
    "dual_write_success_rate",
    "Share of committed graph writes whose events are durably in the outbox or the store.",
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge(
    "outbox_pending_events",
    "Events recorded in the outbox and not yet delivered.",
    registry=REGISTRY,
)


# LLM analysis (analysis/llm): what the calls cost and what was left without analysis.
LLM_CALLS = Counter(
    "llm_calls_total",
    "Requests sent to an LLM provider (retries and repair attempts included).",
    ["provider"],
    registry=REGISTRY,
)
LLM_RETRIES = Counter(
    "llm_retries_total",
    "LLM requests sent again after a transient error.",
    ["provider", "reason"],
    registry=REGISTRY,
)
ANALYSIS_FAILURES = Counter(
    "analysis_failures_total",
    "Sentences left without analysis (recorded in the failures ledger).",
    ["provider", "reason"],
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "llm_tokens_total",
    "Tokens reported by the LLM provider.",
    ["provider", "kind"],
    registry=REGISTRY,
)


# The HTTP API, per route template (never the raw path: ids would make a series each),
# method and status class ("2xx", "4xx", ...).
HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered by the API.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival to its response's last byte.",
    ["method", "route", "status"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format and its content type: this process's, or every
    worker's summed in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    start_http_server(port, addr=addr, registry=REGISTRY)
