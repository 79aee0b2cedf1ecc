"""The LLM analyzers through the official SDKs against a scripted local HTTP server
(tests/llm_fake_servers.py): replies, retries, repair, failures, cache, batching, concurrency,
and the whole CLI with the graph and the event log compared to what the "model" replied."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from interview_graph.analysis.llm import LLMConfig, SQLiteAnalysisCache
from interview_graph.analysis.llm.anthropic_analyzer import AnthropicAnalyzer
from interview_graph.analysis.llm.base import LLMAnalyzer
from interview_graph.analysis.llm.openai_analyzer import OpenAIAnalyzer
from interview_graph.analysis.port import (
    AnalysisError,
    AnalysisRequest,
    ParsedSentence,
    SentenceFeatures,
)
from interview_graph.domain.ids import sentence_id_for
from interview_graph.domain.model import Sentence
from interview_graph.metrics import ANALYSIS_FAILURES, REGISTRY
from tests.integration.cli_helpers import SAMPLES, base_env, run_cli
from tests.llm_fake_servers import (
    FakeLLMServer,
    bad_label,
    expected_entry,
    hang_until_released,
    http_error,
    malformed_json,
    missing_field,
    valid,
)

API_KEY = "sk-test-THIS-KEY-MUST-NEVER-LEAK-0123456789"
MODEL = "fake-model"
PROVIDERS = ["openai", "anthropic"]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def parsed_sentences(count: int, interview_id: str = "interview-1") -> list[ParsedSentence]:
    return [
        ParsedSentence(
            Sentence(
                sentence_id=sentence_id_for(interview_id, n),
                interview_id=interview_id,
                sequence_order=n,
                text=f"Sentence {n} says something about our reporting tools.",
                speaker="Interviewer" if n % 2 else "Alex",
                start_ms=None,
                end_ms=None,
                start_char=n * 60,
                end_char=n * 60 + 55,
            ),
            SentenceFeatures(),
        )
        for n in range(count)
    ]


def make_analyzer(
    provider: str, server: FakeLLMServer, cache_path: Path | None, **overrides: Any
) -> LLMAnalyzer:
    options: dict[str, Any] = {
        "model": MODEL,
        "concurrency": 4,
        "timeout_seconds": 5.0,
        "max_retries": 3,
        "backoff_base_seconds": 0.05,
        "backoff_cap_seconds": 0.2,
    }
    options.update(overrides)
    config = LLMConfig(**options)
    cache = SQLiteAnalysisCache(cache_path) if cache_path is not None else None
    if provider == "openai":
        return OpenAIAnalyzer(config, api_key=API_KEY, base_url=server.openai_base_url, cache=cache)
    return AnthropicAnalyzer(
        config, api_key=API_KEY, base_url=server.anthropic_base_url, cache=cache
    )


async def analyze(analyzer: LLMAnalyzer, sentences: list[ParsedSentence]) -> Any:
    try:
        return await analyzer.analyze(AnalysisRequest(targets=sentences))
    finally:
        await analyzer.aclose()


def settled(calls: int, answered: int) -> Callable[[int, int], bool]:
    """At least `calls` requests received, and exactly `answered` of them done."""
    return lambda seen_calls, seen_answered: seen_calls >= calls and seen_answered == answered


@dataclass(frozen=True)
class Retry:
    delay_s: float
    reason: str


@contextmanager
def recorded_retries() -> Iterator[list[Retry]]:
    """The analyzer's decisions to retry, with the wait it chose, from its own log records
    (a handler on its logger, so it works whatever the root logger is set to)."""
    retries: list[Retry] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() == "retrying LLM call":
                retries.append(Retry(record.__dict__["delay_s"], record.__dict__["reason"]))

    logger = logging.getLogger(LLMAnalyzer.__module__)
    recorder, level = Recorder(logging.INFO), logger.level
    logger.addHandler(recorder)
    logger.setLevel(logging.INFO)
    try:
        yield retries
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)


def assert_matches_reply(analysis: Any, number: int) -> None:
    entry = expected_entry(number)
    assert analysis.sequence_order == number
    assert analysis.function_type == entry["function_type"]
    assert analysis.structure_type == entry["structure_type"]
    assert analysis.purpose == entry["purpose"]
    assert [(t.name, t.level) for t in analysis.topics] == [
        (entry["topic"], 1),
        (entry["broader_topic"], 3),
    ]
    assert list(analysis.overall_keywords) == entry["keywords"]
    assert list(analysis.domain_keywords) == entry["domain_keywords"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_one_call_per_sentence_and_replies_become_analyses(
    provider: str, server: FakeLLMServer, tmp_path: Path
) -> None:
    analyzer = make_analyzer(provider, server, tmp_path / "cache.sqlite3")
    result = await analyze(analyzer, parsed_sentences(8))

    assert [a.sequence_order for a in result.analyses] == list(range(8))
    for analysis in result.analyses:
        assert_matches_reply(analysis, analysis.sequence_order)
        assert analysis.model == f"{provider}/{MODEL}"
        assert analysis.model_version == f"{MODEL}+prompt-v1"
    assert result.failures == []
    assert server.calls == result.usage.calls == 8
    assert sorted(n for r in server.requests for n in r.target_ids) == list(range(8))
    assert result.usage.prompt_tokens == sum(r.prompt_tokens for r in server.requests) > 0
    assert result.usage.completion_tokens == sum(r.completion_tokens for r in server.requests)
    body = server.requests[0].body
    if provider == "openai":
        assert body["response_format"]["type"] == "json_schema"
        assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    else:
        assert body["tool_choice"]["type"] == "tool"
        assert body["tools"][0]["input_schema"]["properties"]["sentences"]["type"] == "array"
        assert server.requests[0].headers["x-api-key"] == API_KEY


async def test_context_window_marks_the_target_with_neighbours(server: FakeLLMServer) -> None:
    sentences = parsed_sentences(20)
    analyzer = make_analyzer("openai", server, None)
    try:
        await analyzer.analyze(
            AnalysisRequest(targets=sentences[10:11], before=sentences[:10], after=sentences[11:])
        )
    finally:
        await analyzer.aclose()
    user = server.requests[0].body["messages"][1]["content"]
    numbers = [int(n) for n in re.findall(r"^(?:>>> )?#(\d+) ", user, re.MULTILINE)]
    assert numbers == list(range(4, 17))  # 6 before, the target, 6 after
    assert ">>> #10 [Alex] Sentence 10" in user
    assert user.count(">>> ") == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_batching_sends_n_consecutive_sentences_per_call(
    provider: str, server: FakeLLMServer
) -> None:
    analyzer = make_analyzer(provider, server, None, sentences_per_call=5)
    result = await analyze(analyzer, parsed_sentences(12))

    assert sorted(r.target_ids for r in server.requests) == [
        [0, 1, 2, 3, 4],
        [5, 6, 7, 8, 9],
        [10, 11],
    ]
    assert result.usage.calls == 3
    assert len(result.analyses) == 12
    for analysis in result.analyses:
        assert_matches_reply(analysis, analysis.sequence_order)


async def test_concurrency_limit_is_reached_and_respected(server: FakeLLMServer) -> None:
    """Replies are let go one at a time: whenever the server holds `concurrency` requests,
    no further one has been sent, and each reply frees exactly one place."""
    server.hold_replies()
    analyzer = make_analyzer("openai", server, None, concurrency=4)
    analysis = asyncio.create_task(analyze(analyzer, parsed_sentences(12)))
    for answered in range(12):
        calls, in_flight = min(12, answered + 4), min(4, 12 - answered)
        seen = await asyncio.to_thread(server.wait_until, settled(calls, answered))
        assert seen == (calls, in_flight)
        server.release_replies(1)
    result = await analysis

    assert len(result.analyses) == 12
    assert server.max_in_flight == 4


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_429_retry_after_is_honoured(provider: str, server: FakeLLMServer) -> None:
    server.script(http_error(429, retry_after="1"), valid())
    analyzer = make_analyzer(provider, server, None, concurrency=1)
    with recorded_retries() as retries:
        result = await analyze(analyzer, parsed_sentences(1))

    assert len(result.analyses) == 1
    assert result.usage.calls == 2 and result.usage.retries == 1
    # The wait is the Retry-After itself: not sooner, and no backoff on top of it.
    assert [r.delay_s for r in retries] == [1.0]


async def test_5xx_are_retried_with_backoff(server: FakeLLMServer) -> None:
    server.script(http_error(500), http_error(503))
    analyzer = make_analyzer("openai", server, None, concurrency=1)
    with recorded_retries() as retries:
        result = await analyze(analyzer, parsed_sentences(1))

    assert len(result.analyses) == 1
    assert server.calls == result.usage.calls == 3
    assert result.usage.retries == 2
    # Backoff base 0.05 s, doubling: each wait is between half its ceiling and the ceiling.
    first, second = (r.delay_s for r in retries)
    assert 0.025 <= first <= 0.05 and 0.05 <= second <= 0.1
    assert all("server error" in r.reason for r in retries)


async def test_retries_exhausted_fail_only_that_sentence(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    server.script_for(2, *[http_error(500)] * 3)
    analyzer = make_analyzer("openai", server, tmp_path / "cache.sqlite3", max_retries=2)
    result = await analyze(analyzer, parsed_sentences(5))

    assert [a.sequence_order for a in result.analyses] == [0, 1, 3, 4]
    [failure] = result.failures
    assert failure.sequence_order == 2
    assert "HTTP 500" in failure.reason and "after 3 attempts" in failure.reason
    assert result.usage.failures == 1 and result.usage.retries == 2
    ledger = SQLiteAnalysisCache(tmp_path / "cache.sqlite3").failures_for("interview-1")
    assert [(r.sequence_order, r.provider, r.model) for r in ledger] == [(2, "openai", MODEL)]
    assert ledger[0].reason == failure.reason


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_hung_connection_times_out_and_is_retried(
    provider: str, server: FakeLLMServer
) -> None:
    """The first request is never answered while the analysis runs: the analysis can only
    finish by giving up on it after its timeout and retrying."""
    server.script(hang_until_released(), valid())
    analyzer = make_analyzer(provider, server, None, concurrency=1, timeout_seconds=0.5)
    try:
        with recorded_retries() as retries:
            result = await analyze(analyzer, parsed_sentences(1))
        still_hung = server.in_flight
    finally:
        server.release_hung()

    assert len(result.analyses) == 1
    assert result.usage.calls == 2 and result.usage.retries == 1
    assert still_hung == 1
    assert [r.reason for r in retries] == ["no reply within 0.5 s (timeout)"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_invalid_reply_gets_one_repair(provider: str, server: FakeLLMServer) -> None:
    server.script_for(1, bad_label("purpose", "Banter"))
    analyzer = make_analyzer(provider, server, None, concurrency=1)
    result = await analyze(analyzer, parsed_sentences(3))

    assert [a.sequence_order for a in result.analyses] == [0, 1, 2]
    assert result.usage.calls == 4 and result.failures == []
    repair = next(r for r in server.requests if r.is_repair)
    assert repair.target_ids == [1]
    messages = repair.body["messages"]
    if provider == "openai":
        assert messages[2]["role"] == "assistant" and "Banter" in messages[2]["content"]
        assert "'Banter' is not one of the allowed labels" in messages[3]["content"]
    else:
        assert messages[1]["content"][0]["type"] == "tool_use"
        tool_result = messages[2]["content"][0]
        assert tool_result["type"] == "tool_result" and tool_result["is_error"] is True
        assert "'Banter' is not one of the allowed labels" in tool_result["content"]


def _failure_count(provider: str, reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "analysis_failures_total", {"provider": provider, "reason": reason}
    )
    return value or 0.0


@pytest.mark.parametrize(
    ("bad", "expected_reason"),
    [
        (malformed_json(), "not valid JSON"),
        (missing_field("purpose"), "purpose: Field required"),
        (bad_label("topic", "weather"), "topic: 'weather' is not one of the allowed labels"),
    ],
    ids=["malformed-json", "missing-field", "label-outside-set"],
)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reply_still_invalid_after_repair_is_a_recorded_failure(
    provider: str, bad: Any, expected_reason: str, server: FakeLLMServer, tmp_path: Path
) -> None:
    server.script_for(3, bad, bad)
    before = _failure_count(provider, "invalid_reply")
    analyzer = make_analyzer(provider, server, tmp_path / "cache.sqlite3")
    result = await analyze(analyzer, parsed_sentences(6))

    assert [a.sequence_order for a in result.analyses] == [0, 1, 2, 4, 5]
    [failure] = result.failures
    assert failure.sequence_order == 3
    assert failure.reason.startswith("invalid reply after one repair attempt")
    assert expected_reason in failure.reason
    assert result.usage.calls == 7 and result.usage.failures == 1
    assert _failure_count(provider, "invalid_reply") == before + 1
    ledger = SQLiteAnalysisCache(tmp_path / "cache.sqlite3").failures_for("interview-1")
    assert [(r.sequence_order, r.reason) for r in ledger] == [(3, failure.reason)]
    assert ANALYSIS_FAILURES is not None


async def test_batch_keeps_the_valid_entries_and_repairs_only_the_rest(
    server: FakeLLMServer,
) -> None:
    server.script(bad_label("purpose", "Banter"))
    analyzer = make_analyzer("openai", server, None, sentences_per_call=4, concurrency=1)
    result = await analyze(analyzer, parsed_sentences(4))
    assert len(result.analyses) == 4 and result.usage.calls == 2
    assert "#0: purpose" in server.requests[1].body["messages"][3]["content"]


async def test_cache_answers_a_second_run_with_zero_calls(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    cache_file = tmp_path / "cache.sqlite3"
    sentences = parsed_sentences(10)
    first = await analyze(make_analyzer("openai", server, cache_file), sentences)
    assert first.usage.calls == 10 and first.usage.cache_hits == 0

    server.reset()
    second = await analyze(make_analyzer("openai", server, cache_file), sentences)
    assert server.calls == 0 and second.usage.calls == 0
    assert second.usage.cache_hits == 10
    assert second.analyses == first.analyses

    other_model = await analyze(make_analyzer("openai", server, cache_file, model="m2"), sentences)
    assert other_model.usage.calls == 10  # the key holds the model: no cross-model reuse
    assert {a.model_version for a in other_model.analyses} == {"m2+prompt-v1"}

    server.reset()
    bypass = await analyze(make_analyzer("openai", server, cache_file, read_cache=False), sentences)
    assert bypass.usage.calls == 10 and bypass.usage.cache_hits == 0


async def test_cache_key_depends_on_context(server: FakeLLMServer, tmp_path: Path) -> None:
    cache_file = tmp_path / "cache.sqlite3"
    sentences = parsed_sentences(3)
    await analyze(make_analyzer("openai", server, cache_file), sentences)
    server.reset()
    changed = list(sentences)
    old = changed[0].sentence
    changed[0] = ParsedSentence(
        Sentence(**{**_fields(old), "text": "Something else entirely."}), SentenceFeatures()
    )
    result = await analyze(make_analyzer("openai", server, cache_file), changed)
    # every target has sentence 0 within its 6-sentence context: all miss
    assert result.usage.calls == 3 and result.usage.cache_hits == 0


def _fields(sentence: Sentence) -> dict[str, Any]:
    return {name: getattr(sentence, name) for name in Sentence.__slots__}


async def test_json_schema_refused_falls_back_to_json_mode(server: FakeLLMServer) -> None:
    server.script(http_error(400, message="response_format json_schema is not supported"))
    analyzer = make_analyzer("openai", server, None, concurrency=1)
    result = await analyze(analyzer, parsed_sentences(2))
    assert len(result.analyses) == 2
    formats = [r.body["response_format"]["type"] for r in server.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert result.usage.retries == 0


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rejected_key_stops_without_leaking_it(
    provider: str, server: FakeLLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(*[http_error(401, message=f"Incorrect API key provided: {API_KEY}")] * 20)
    analyzer = make_analyzer(provider, server, None, concurrency=2)
    with caplog.at_level("DEBUG"), pytest.raises(AnalysisError) as raised:
        await analyze(analyzer, parsed_sentences(10))
    assert "HTTP 401" in str(raised.value)
    assert API_KEY not in str(raised.value)
    assert API_KEY not in caplog.text
    assert server.calls <= 2  # stops after the first refusals instead of trying every sentence


# -- end to end through the CLI ------------------------------------------------------------------

SAMPLE = SAMPLES / "field-notes.txt"


def llm_env(data_dir: Path, server: FakeLLMServer, **extra: str) -> dict[str, str]:
    return base_env(
        data_dir,
        GRAPH_BACKEND="falkordb",
        OPENAI_API_KEY=API_KEY,
        OPENAI_BASE_URL=server.openai_base_url,
        LLM_TIMEOUT_SECONDS="5",
        **extra,
    )


def _events(env: dict[str, str], interview_id: str) -> list[dict[str, Any]]:
    listed = run_cli(["events", "list", "--interview", interview_id, "--json"], env)
    assert listed.returncode == 0, listed.stderr
    return list(listed.json())


def test_cli_graph_and_events_match_the_replies(server: FakeLLMServer, tmp_path: Path) -> None:
    env = llm_env(tmp_path / "data", server)
    server.script_for(2, bad_label("purpose", "Banter"), bad_label("purpose", "Banter"))
    args = ["process", str(SAMPLE), "--analyzer", "openai", "--model", MODEL, "--events"]
    first = run_cli([*args, "--json", "--concurrency", "4"], env)
    assert first.returncode == 0, first.stderr
    [report] = first.json()["files"]
    totals = first.json()["totals"]
    sentences, interview_id = report["sentences"], report["interview_id"]
    assert sentences > 5
    assert report["analyses"] == sentences - 1
    assert [f["sequence_order"] for f in report["analysis_failures"]] == [2]
    assert report["usage"]["calls"] == server.calls == sentences + 1  # one repair
    assert totals["usage"]["calls"] == server.calls and totals["analysis_failures"] == 1
    assert totals["usage"]["prompt_tokens"] == sum(r.prompt_tokens for r in server.requests)

    shown = run_cli(["show", interview_id, "--json"], env)
    assert shown.returncode == 0, shown.stderr
    graph = shown.json()
    for sentence in graph["sentences"]:
        number = sentence["sequence_order"]
        if number == 2:
            assert sentence["analyses"] == []
            continue
        [analysis] = sentence["analyses"]
        entry = expected_entry(number)
        assert analysis["model"] == f"openai/{MODEL}"
        assert analysis["model_version"] == f"{MODEL}+prompt-v1"
        assert analysis["purpose"] == entry["purpose"]
        assert analysis["topics"] == [
            {"name": entry["topic"], "level": 1},
            {"name": entry["broader_topic"], "level": 3},
        ]
        assert analysis["overall_keywords"] == entry["keywords"]
    [ledger] = graph["analysis_failures"]
    assert ledger["sequence_order"] == 2 and "Banter" in ledger["reason"]

    generated = [e for e in _events(env, interview_id) if e["event_type"] == "AnalysisGenerated"]
    assert sorted(e["data"]["sentence_index"] for e in generated) == [
        n for n in range(sentences) if n != 2
    ]
    for event in generated:
        data, entry = event["data"], expected_entry(event["data"]["sentence_index"])
        assert data["model"] == f"openai/{MODEL}"
        assert data["keywords"] == entry["keywords"]
        assert data["domain_keywords"] == entry["domain_keywords"]

    # A second run (another process, same DATA_DIR): every analysed sentence from the cache;
    # the failed one is asked again and now succeeds, and leaves the ledger.
    calls_before = server.calls
    again = run_cli([*args, "--json"], env)
    assert again.returncode == 0, again.stderr
    usage = again.json()["totals"]["usage"]
    assert usage["cache_hits"] == sentences - 1 and usage["calls"] == 1
    assert server.calls == calls_before + 1 and server.requests[-1].target_ids == [2]
    assert run_cli(["show", interview_id, "--json"], env).json()["analysis_failures"] == []

    third = run_cli([*args, "--json"], env)
    assert third.json()["totals"]["usage"]["calls"] == 0
    assert server.calls == calls_before + 1


def test_cli_secret_never_in_output_logs_or_events(server: FakeLLMServer, tmp_path: Path) -> None:
    env = llm_env(tmp_path / "data", server, LOG_LEVEL="DEBUG")
    server.script(*[http_error(401, message=f"Incorrect API key provided: {API_KEY}")] * 50)
    result = run_cli(["process", str(SAMPLE), "--analyzer", "openai", "--events", "--json"], env)
    assert result.returncode == 1
    [report] = result.json()["files"]
    assert report["status"] == "failed" and "HTTP 401" in report["error"]
    assert "OPENAI_API_KEY" in report["error"]
    assert API_KEY not in result.stdout and API_KEY not in result.stderr
    events = json.dumps(_events(env, report["interview_id"]))
    assert "HTTP 401" in events and API_KEY not in events
    for path in (tmp_path / "data").rglob("*.sqlite3"):
        with sqlite3.connect(path) as db:
            dump = "\n".join(db.iterdump())
        assert API_KEY not in dump, path


def test_cli_missing_key_is_a_usage_error(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    env.pop("ANTHROPIC_API_KEY", None)
    result = run_cli(["process", str(SAMPLE), "--analyzer", "anthropic"], env)
    assert result.returncode == 2
    assert "ANTHROPIC_API_KEY" in result.stderr
