"""Shared LLM machinery without a network: grouping, backoff, Retry-After, secret scrubbing,
the JSON extraction and the SQLite cache and failures ledger."""

from __future__ import annotations

import time
from email.utils import formatdate
from pathlib import Path

import pytest

from interview_graph.analysis.llm.base import LLMAnalyzer, LLMConfig, _groups
from interview_graph.analysis.llm.cache import (
    FailureRecord,
    SQLiteAnalysisCache,
    cache_key,
    read_failures,
)
from interview_graph.analysis.llm.provider import (
    CallProblem,
    Repair,
    Reply,
    parse_json_text,
    retry_after,
)

SECRET = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"


class _Offline(LLMAnalyzer):
    """Only for the helpers: never sends anything."""

    provider = "test"

    async def _send(self, system: str, user: str, repair: Repair | None, targets: int) -> Reply:
        raise AssertionError("no calls in unit tests")

    def _classify(self, exc: Exception) -> CallProblem | None:
        return None


def test_groups_cut_consecutive_runs_into_batches() -> None:
    assert _groups([0, 1, 2, 3, 4, 5, 6], 3) == [range(0, 3), range(3, 6), range(6, 7)]
    assert _groups([0, 1, 4, 5, 6, 9], 5) == [range(0, 2), range(4, 7), range(9, 10)]
    assert _groups([], 4) == []
    assert _groups([3, 4], 1) == [range(3, 4), range(4, 5)]


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    future = retry_after({"retry-after": formatdate(time.time() + 30, usegmt=True)})
    assert future is not None and 25 < future <= 31
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after(None) is None


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    analyzer = _Offline(
        LLMConfig(
            model="m", backoff_base_seconds=1, backoff_cap_seconds=8, max_retry_wait_seconds=20
        )
    )
    for attempt, (low, high) in enumerate([(0.5, 1), (1, 2), (2, 4), (4, 8), (4, 8)]):
        delays = [analyzer._delay(attempt, None) for _ in range(50)]
        assert all(low <= d <= high for d in delays)
        assert len(set(delays)) > 1  # jitter
    assert analyzer._delay(0, 5.0) == 5.0
    assert analyzer._delay(0, 600.0) == 20.0  # a huge Retry-After is capped


def test_scrub_hides_keys_known_and_key_like() -> None:
    analyzer = _Offline(LLMConfig(model="m"), secrets=(SECRET,))
    text = analyzer.scrub(f"Incorrect API key provided: {SECRET}; also sk-ant-api03-zzzzzzzzzzzz")
    assert SECRET not in text and "sk-ant-api03" not in text and "***" in text
    assert len(analyzer.scrub("x" * 5000)) <= 400


def test_status_meanings() -> None:
    analyzer = _Offline(LLMConfig(model="m"))
    limited = analyzer.status_problem(429, "slow down", {"retry-after": "3"})
    assert limited.retryable and limited.retry_after == 3.0 and limited.kind == "rate_limited"
    assert analyzer.status_problem(503, "", None).retryable
    assert analyzer.status_problem(401, "", None).fatal
    assert analyzer.status_problem(404, "", None).fatal
    rejected = analyzer.status_problem(400, "context too long", None)
    assert not rejected.retryable and not rejected.fatal and "context too long" in rejected.reason


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ('{"sentences": []}', True),
        ('```json\n{"sentences": []}\n```', True),
        ('Here you go: {"sentences": []} hope it helps', True),
        ('{"sentences": [', False),
        ("", False),
    ],
)
def test_parse_json_text(text: str, ok: bool) -> None:
    payload, problem = parse_json_text(text)
    assert (payload == {"sentences": []}) is ok
    assert (problem is None) is ok


def test_model_version_carries_prompt_and_non_default_windows() -> None:
    from interview_graph.analysis.llm.prompts import ContextWindows

    assert _Offline(LLMConfig(model="m")).model_version == "m+prompt-v1"
    custom = _Offline(LLMConfig(model="m", windows=ContextWindows(1, 2, 3)))
    assert custom.model_version == "m+prompt-v1+ctx1-2-3" and custom.model == "test/m"


def test_cache_round_trip_and_key_stability(tmp_path: Path) -> None:
    key = cache_key(["openai", "m", "v1", ["a", "b"]])
    assert key == cache_key(["openai", "m", "v1", ["a", "b"]])
    assert key != cache_key(["openai", "m", "v2", ["a", "b"]])
    cache = SQLiteAnalysisCache(tmp_path / "c.sqlite3")
    cache.put_many("openai", "m", "v1", [(key, '{"x": 1}')])
    cache.close()
    reopened = SQLiteAnalysisCache(tmp_path / "c.sqlite3")
    assert reopened.get_many([key, "missing"]) == {key: '{"x": 1}'}
    many = [cache_key([n]) for n in range(1200)]  # beyond one IN (...) chunk
    reopened.put_many("openai", "m", "v1", [(k, "{}") for k in many])
    assert len(reopened.get_many(many)) == 1200


def test_failures_ledger_keeps_latest_until_resolved(tmp_path: Path) -> None:
    cache = SQLiteAnalysisCache(tmp_path / "c.sqlite3")
    record = FailureRecord("iv", "s3", 3, "openai", "m", "timeout", "2024-01-01T00:00:00+00:00")
    cache.record_failures([record, FailureRecord("iv", "s1", 1, "openai", "m", "bad", "t")])
    cache.record_failures([FailureRecord("iv", "s3", 3, "openai", "m", "invalid", "t2")])
    assert [(f.sequence_order, f.reason) for f in cache.failures_for("iv")] == [
        (1, "bad"),
        (3, "invalid"),
    ]
    cache.clear_failures(["s1"], "openai", "other-model")
    assert len(cache.failures_for("iv")) == 2
    cache.clear_failures(["s1"], "openai", "m")
    cache.close()
    assert [f.sentence_id for f in read_failures(tmp_path, "iv")] == []  # other file name
    assert read_failures(tmp_path / "nowhere", "iv") == []
