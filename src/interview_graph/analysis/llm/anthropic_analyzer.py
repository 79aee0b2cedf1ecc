"""Anthropic's Messages API through the official `anthropic` SDK.

Structured output comes from tool use: the reply's JSON schema is the input_schema of a
single tool the model is required to call, so the tool call's input is the reply.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic

from interview_graph.analysis.llm.base import LLMAnalyzer, LLMConfig
from interview_graph.analysis.llm.cache import SQLiteAnalysisCache
from interview_graph.analysis.llm.prompts import repair_message
from interview_graph.analysis.llm.provider import (
    CallProblem,
    Repair,
    Reply,
    connection_limits,
    parse_json_text,
    transport_problem,
)

TOOL_NAME = "record_sentence_analyses"
_BASE_TOKENS = 256


class AnthropicAnalyzer(LLMAnalyzer):
    provider = "anthropic"
    key_env = "ANTHROPIC_API_KEY"
    base_url_env = "ANTHROPIC_BASE_URL"

    def __init__(
        self,
        config: LLMConfig,
        *,
        api_key: str | None,
        base_url: str | None = None,
        cache: SQLiteAnalysisCache | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("the anthropic analyzer needs ANTHROPIC_API_KEY in the environment")
        super().__init__(config, cache, secrets=(api_key,))
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=config.timeout_seconds,
            max_retries=0,  # retries are ours: counted, logged, Retry-After honoured
            http_client=anthropic.DefaultAsyncHttpxClient(
                limits=connection_limits(config.concurrency)
            ),
        )
        self._tool = {
            "name": TOOL_NAME,
            "description": "Record the analysis of every target sentence.",
            "input_schema": self._schema,
        }

    async def aclose(self) -> None:
        await self._client.close()
        await super().aclose()

    async def _send(self, system: str, user: str, repair: Repair | None, targets: int) -> Reply:
        messages: list[dict[str, Any]] = [{"role": "user", "content": user}]
        if repair is not None:
            messages.extend(_repair_turns(repair))
        request: Any = {
            "model": self.model_name,
            "system": system,
            "messages": messages,
            "max_tokens": _BASE_TOKENS + self.config.max_tokens_per_sentence * targets,
            "temperature": 0,
            "tools": [self._tool],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
        }
        message = await self._client.messages.create(**request)
        prompt_tokens = message.usage.input_tokens
        completion_tokens = message.usage.output_tokens
        for block in message.content:
            if block.type == "tool_use" and block.name == TOOL_NAME:
                raw = json.dumps(block.input, ensure_ascii=False)
                return Reply(block.input, raw, None, prompt_tokens, completion_tokens, block.id)
        text = "".join(block.text for block in message.content if block.type == "text")
        if not text:
            return Reply(None, "", "the reply had no tool call", prompt_tokens, completion_tokens)
        payload, problem = parse_json_text(text)
        return Reply(payload, text, problem, prompt_tokens, completion_tokens)

    def _classify(self, exc: Exception) -> CallProblem | None:
        if isinstance(exc, anthropic.APITimeoutError):
            return transport_problem("timeout", self.config.timeout_seconds)
        if isinstance(exc, anthropic.APIConnectionError):
            return transport_problem("connection", self.config.timeout_seconds)
        if isinstance(exc, anthropic.APIStatusError):
            return self.status_problem(exc.status_code, exc.message, exc.response.headers)
        return None


def _repair_turns(repair: Repair) -> list[dict[str, Any]]:
    """The previous answer and the correction request, as the protocol wants them: a tool
    call is answered by an error tool_result."""
    previous, instruction = repair.previous, repair_message(repair.problems)
    if previous.tool_use_id is not None:
        call = {
            "type": "tool_use",
            "id": previous.tool_use_id,
            "name": TOOL_NAME,
            "input": previous.payload if isinstance(previous.payload, dict) else {},
        }
        result = {
            "type": "tool_result",
            "tool_use_id": previous.tool_use_id,
            "is_error": True,
            "content": instruction,
        }
        return [
            {"role": "assistant", "content": [call]},
            {"role": "user", "content": [result]},
        ]
    return [
        {"role": "assistant", "content": previous.raw or "(empty reply)"},
        {"role": "user", "content": instruction},
    ]
