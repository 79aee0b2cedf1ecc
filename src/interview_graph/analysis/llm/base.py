"""What every LLM analyzer shares: cache look-up, batching, bounded concurrency, retries,
validation with one repair attempt, failure records and accounting.

A provider subclass only sends one request (`_send`) and says what an SDK error means
(`_classify`). Every target ends up analysed or in `failures` with a reason; an error that
will hit every call (a rejected key, an unknown model) stops the file with AnalysisError
instead of failing thousands of sentences one by one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from interview_graph.analysis.llm.cache import (
    FailureRecord,
    SQLiteAnalysisCache,
    cache_key,
    now_iso,
)
from interview_graph.analysis.llm.prompts import (
    DEFAULT_WINDOWS,
    PROMPT_VERSION,
    ContextWindows,
    passage,
    system_prompt,
)
from interview_graph.analysis.llm.provider import CallProblem, Repair, Reply, retry_after
from interview_graph.analysis.llm.schema import SentenceReply, reply_json_schema, validate_entries
from interview_graph.analysis.port import (
    AnalysisError,
    AnalysisFailure,
    AnalysisRequest,
    AnalysisResult,
    AnalysisUsage,
    ParsedSentence,
)
from interview_graph.domain.ids import analysis_id_for
from interview_graph.domain.model import Analysis, TopicMention

log = logging.getLogger(__name__)

_MAX_REASON = 400
_KEY_LIKE = re.compile(r"\b(sk|sk-ant|key)-[A-Za-z0-9_\-]{6,}")


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """How to call the model; the defaults suit a hosted API."""

    model: str
    concurrency: int = 8
    sentences_per_call: int = 1
    timeout_seconds: float = 60.0
    max_retries: int = 4
    backoff_base_seconds: float = 0.5
    backoff_cap_seconds: float = 30.0
    max_retry_wait_seconds: float = 60.0
    windows: ContextWindows = DEFAULT_WINDOWS
    max_tokens_per_sentence: int = 400
    read_cache: bool = True


class _CallFailed(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(slots=True)
class _GroupOutcome:
    replies: dict[int, SentenceReply] = field(default_factory=dict)  # by window index
    problems: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> (kind, reason)


class LLMAnalyzer(ABC):
    """The Analyzer port over an LLM; subclasses implement one provider's request."""

    provider: str = "llm"
    key_env: str = "API_KEY"
    base_url_env: str = "BASE_URL"

    def __init__(
        self,
        config: LLMConfig,
        cache: SQLiteAnalysisCache | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        if config.concurrency < 1 or config.sentences_per_call < 1:
            raise ValueError("concurrency and sentences_per_call must be at least 1")
        self.config = config
        self.model_name = config.model
        self.model = f"{self.provider}/{config.model}"
        windows = "" if config.windows == DEFAULT_WINDOWS else f"+{config.windows.label}"
        self.model_version = f"{config.model}+prompt-{PROMPT_VERSION}{windows}"
        self._cache = cache
        self._secrets = tuple(secret for secret in secrets if secret)
        self._semaphore = asyncio.Semaphore(config.concurrency)
        self._system = system_prompt(config.windows)
        self._schema = reply_json_schema()
        self._fatal: str | None = None

    # -- provider hooks -------------------------------------------------------------------------

    @abstractmethod
    async def _send(self, system: str, user: str, repair: Repair | None, targets: int) -> Reply:
        """One request; raises the SDK's exception on failure."""

    @abstractmethod
    def _classify(self, exc: Exception) -> CallProblem | None:
        """What the SDK error means; None for an error that is not the provider's (a bug)."""

    async def aclose(self) -> None:
        if self._cache is not None:
            self._cache.close()

    # -- the port -------------------------------------------------------------------------------

    async def analyze(self, request: AnalysisRequest) -> AnalysisResult:
        window = [*request.before, *request.targets, *request.after]
        first = len(request.before)
        targets = range(first, first + len(request.targets))
        usage = AnalysisUsage()
        keys = {index: self._key(window, index) for index in targets}
        replies = self._cached(keys)
        usage.cache_hits = len(replies)
        groups = _groups([i for i in targets if i not in replies], self.config.sentences_per_call)
        outcomes = await asyncio.gather(
            *(self._run_group(window, group, usage) for group in groups), return_exceptions=True
        )
        fresh: dict[int, SentenceReply] = {}
        problems: dict[int, tuple[str, str]] = {}
        stop: BaseException | None = None
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                stop = stop or outcome
                continue
            fresh.update(outcome.replies)
            problems.update(outcome.problems)
        self._store(keys, fresh)
        if stop is not None:
            raise stop
        replies.update(fresh)
        failures = self._record_failures(window, problems, usage)
        self._clear_failures([window[i].sentence.sentence_id for i in replies])
        analyses = [self._analysis(window[i], replies[i]) for i in targets if i in replies]
        return AnalysisResult(analyses=analyses, failures=failures, usage=usage)

    # -- cache ----------------------------------------------------------------------------------

    def _key(self, window: Sequence[ParsedSentence], index: int) -> str:
        start = max(0, index - self.config.windows.broad)
        around = window[start : index + self.config.windows.broad + 1]
        return cache_key(
            [
                self.provider,
                self.model_name,
                PROMPT_VERSION,
                self.config.windows.label,
                index - start,
                [[parsed.sentence.speaker, parsed.sentence.text] for parsed in around],
            ]
        )

    def _cached(self, keys: Mapping[int, str]) -> dict[int, SentenceReply]:
        if self._cache is None or not self.config.read_cache or not keys:
            return {}
        stored = self._cache.get_many(list(keys.values()))
        found: dict[int, SentenceReply] = {}
        for index, key in keys.items():
            if key in stored:
                try:
                    found[index] = SentenceReply.model_validate(
                        {**json.loads(stored[key]), "id": 0}
                    )
                except (ValueError, ValidationError):
                    continue  # an entry the current label sets reject is a miss, not an error
        return found

    def _store(self, keys: Mapping[int, str], replies: Mapping[int, SentenceReply]) -> None:
        if self._cache is None or not replies:
            return
        rows = [(keys[i], reply.model_dump_json(exclude={"id"})) for i, reply in replies.items()]
        self._cache.put_many(self.provider, self.model_name, PROMPT_VERSION, rows)

    # -- one call for a group of consecutive targets ---------------------------------------------

    async def _run_group(
        self, window: Sequence[ParsedSentence], group: range, usage: AnalysisUsage
    ) -> _GroupOutcome:
        index_of = {window[i].sentence.sequence_order: i for i in group}
        user = passage(window, group, self.config.windows.broad)
        valid: dict[int, SentenceReply] = {}
        problems: dict[int, tuple[str, str]] = {}
        try:
            reply = await self._call(user, None, usage, len(group))
            valid, invalid = _check(reply, set(index_of))
            if invalid:
                log.info(
                    "invalid reply, asking once for a repair",
                    extra={"provider": self.provider, "problems": _summary(invalid)},
                )
                repaired = await self._call(
                    user, Repair(reply, _summary(invalid)), usage, len(group)
                )
                more, invalid = _check(repaired, set(invalid))
                valid.update(more)
                problems = {
                    n: ("invalid_reply", f"invalid reply after one repair attempt: {why}")
                    for n, why in invalid.items()
                }
        except _CallFailed as exc:
            problems = {n: (exc.kind, exc.reason) for n in index_of if n not in valid}
        return _GroupOutcome(
            replies={index_of[n]: reply for n, reply in valid.items()},
            problems={index_of[n]: problem for n, problem in problems.items()},
        )

    async def _call(
        self, user: str, repair: Repair | None, usage: AnalysisUsage, targets: int
    ) -> Reply:
        """One request with retries on transient errors; waits happen outside the semaphore."""
        from interview_graph.metrics import LLM_CALLS, LLM_RETRIES, LLM_TOKENS

        attempt = 0
        while True:
            async with self._semaphore:
                if self._fatal is not None:  # checked after the wait: it may have stopped since
                    raise AnalysisError(self._fatal)
                usage.calls += 1
                LLM_CALLS.labels(self.provider).inc()
                try:
                    reply = await self._send(self._system, user, repair, targets)
                except Exception as exc:
                    problem = self._problem(exc)
                else:
                    usage.prompt_tokens += reply.prompt_tokens
                    usage.completion_tokens += reply.completion_tokens
                    LLM_TOKENS.labels(self.provider, "prompt").inc(reply.prompt_tokens)
                    LLM_TOKENS.labels(self.provider, "completion").inc(reply.completion_tokens)
                    return reply
            if problem.fatal:
                self._fatal = f"{self.provider} analyzer stopped: {problem.reason}"
                raise AnalysisError(self._fatal)
            if problem.immediate:
                continue
            if not problem.retryable or attempt >= self.config.max_retries:
                tries = f" (after {attempt + 1} attempts)" if problem.retryable else ""
                raise _CallFailed(problem.kind, problem.reason + tries)
            delay = self._delay(attempt, problem.retry_after)
            usage.retries += 1
            LLM_RETRIES.labels(self.provider, problem.kind).inc()
            log.info(
                "retrying LLM call",
                extra={"provider": self.provider, "reason": problem.reason, "delay_s": delay},
            )
            await asyncio.sleep(delay)
            attempt += 1

    def _problem(self, exc: Exception) -> CallProblem:
        problem = self._classify(exc)
        if problem is None:
            raise exc
        return CallProblem(
            kind=problem.kind,
            reason=self.scrub(problem.reason),
            retryable=problem.retryable,
            fatal=problem.fatal,
            retry_after=problem.retry_after,
            immediate=problem.immediate,
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; never sooner than the server's Retry-After."""
        ceiling = min(
            self.config.backoff_cap_seconds, self.config.backoff_base_seconds * 2**attempt
        )
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return float(min(delay, self.config.max_retry_wait_seconds))

    # -- results --------------------------------------------------------------------------------

    def _analysis(self, parsed: ParsedSentence, reply: SentenceReply) -> Analysis:
        sentence = parsed.sentence
        return Analysis(
            analysis_id=analysis_id_for(sentence.sentence_id, self.model, self.model_version),
            sentence_id=sentence.sentence_id,
            interview_id=sentence.interview_id,
            sequence_order=sentence.sequence_order,
            model=self.model,
            model_version=self.model_version,
            function_type=reply.function_type,
            structure_type=reply.structure_type,
            purpose=reply.purpose,
            topics=(TopicMention(reply.topic, 1), TopicMention(reply.broader_topic, 3)),
            overall_keywords=tuple(reply.keywords),
            domain_keywords=tuple(reply.domain_keywords),
            confidence={"overall": reply.confidence},
        )

    def _record_failures(
        self,
        window: Sequence[ParsedSentence],
        problems: Mapping[int, tuple[str, str]],
        usage: AnalysisUsage,
    ) -> list[AnalysisFailure]:
        from interview_graph.metrics import ANALYSIS_FAILURES

        failures: list[AnalysisFailure] = []
        records: list[FailureRecord] = []
        at = now_iso()
        for index in sorted(problems):
            kind, reason = problems[index]
            sentence = window[index].sentence
            failures.append(AnalysisFailure(sentence.sentence_id, sentence.sequence_order, reason))
            records.append(
                FailureRecord(
                    sentence.interview_id,
                    sentence.sentence_id,
                    sentence.sequence_order,
                    self.provider,
                    self.model_name,
                    reason,
                    at,
                )
            )
            ANALYSIS_FAILURES.labels(self.provider, kind).inc()
            log.warning(
                "sentence left without analysis",
                extra={
                    "interview_id": sentence.interview_id,
                    "sequence_order": sentence.sequence_order,
                    "reason": reason,
                },
            )
        usage.failures += len(failures)
        if self._cache is not None:
            self._cache.record_failures(records)
        return failures

    def _clear_failures(self, sentence_ids: Sequence[str]) -> None:
        if self._cache is not None:
            self._cache.clear_failures(sentence_ids, self.provider, self.model_name)

    # -- errors ---------------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """The text without any API key (a provider may echo one back in an error)."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _KEY_LIKE.sub("***", text)
        return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."

    def status_problem(
        self, status: int, message: str, headers: Mapping[str, str] | None
    ) -> CallProblem:
        """What an HTTP status from the provider means for this request."""
        detail = f"HTTP {status}: {message}" if message else f"HTTP {status}"
        if status == 429:
            return CallProblem(
                "rate_limited", f"rate limited ({detail})", True, retry_after=retry_after(headers)
            )
        if status >= 500 or status in (408, 409, 425):
            kind = "server_error" if status >= 500 else "timeout"
            return CallProblem(
                kind, f"server error ({detail})", True, retry_after=retry_after(headers)
            )
        if status in (401, 403):
            return CallProblem(
                "auth",
                f"the {self.provider} API refused the credentials ({detail}); "
                f"check {self.key_env} (and {self.base_url_env})",
                False,
                fatal=True,
            )
        if status == 404:
            return CallProblem(
                "not_found",
                f"model {self.model_name!r} or the endpoint was not found ({detail}); "
                f"check --model and {self.base_url_env}",
                False,
                fatal=True,
            )
        return CallProblem("rejected", f"request rejected ({detail})", False)


def _check(reply: Reply, expected: set[int]) -> tuple[dict[int, SentenceReply], dict[int, str]]:
    if reply.payload is None:
        return {}, dict.fromkeys(expected, reply.problem or "empty reply")
    return validate_entries(reply.payload, expected)


def _summary(problems: Mapping[int, str]) -> str:
    text = "; ".join(f"#{n}: {why}" for n, why in sorted(problems.items()))
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


def _groups(indices: Sequence[int], size: int) -> list[range]:
    """Runs of consecutive indices, cut into pieces of at most `size`."""
    groups: list[range] = []
    start = previous = None
    for index in indices:
        if start is None or previous is None or index != previous + 1 or index - start >= size:
            if start is not None and previous is not None:
                groups.append(range(start, previous + 1))
            start = index
        previous = index
    if start is not None and previous is not None:
        groups.append(range(start, previous + 1))
    return groups
