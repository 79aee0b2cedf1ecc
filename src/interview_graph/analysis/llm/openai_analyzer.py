"""Any OpenAI-compatible Chat Completions endpoint (OpenAI, Azure OpenAI, vLLM, Ollama,
llama.cpp server, LM Studio) through the official `openai` SDK.

Structured output is asked for with the reply's JSON schema (response_format json_schema);
a server that rejects that is asked again at once in JSON mode, and the prompt spells the
shape out, so the reply is validated the same way either way.
"""

from __future__ import annotations

from typing import Any

import openai

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

_PLACEHOLDER_KEY = "not-needed"  # local servers (Ollama, vLLM) take any key


class OpenAIAnalyzer(LLMAnalyzer):
    provider = "openai"
    key_env = "OPENAI_API_KEY"
    base_url_env = "OPENAI_BASE_URL"

    def __init__(
        self,
        config: LLMConfig,
        *,
        api_key: str | None,
        base_url: str | None = None,
        cache: SQLiteAnalysisCache | None = None,
    ) -> None:
        if not api_key and not base_url:
            raise ValueError(
                "the openai analyzer needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local "
                "OpenAI-compatible server such as Ollama or vLLM)"
            )
        super().__init__(config, cache, secrets=(api_key or "",))
        self._client = openai.AsyncOpenAI(
            api_key=api_key or _PLACEHOLDER_KEY,
            base_url=base_url,
            timeout=config.timeout_seconds,
            max_retries=0,  # retries are ours: counted, logged, Retry-After honoured
            http_client=openai.DefaultAsyncHttpxClient(
                limits=connection_limits(config.concurrency)
            ),
        )
        self._json_schema_supported = True

    async def aclose(self) -> None:
        await self._client.close()
        await super().aclose()

    async def _send(self, system: str, user: str, repair: Repair | None, targets: int) -> Reply:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        if repair is not None:
            messages.append({"role": "assistant", "content": repair.previous.raw})
            messages.append({"role": "user", "content": repair_message(repair.problems)})
        request: Any = {
            "model": self.model_name,
            "messages": messages,
            "temperature": 0,
            "response_format": self._response_format(),
        }
        completion = await self._client.chat.completions.create(**request)
        usage = completion.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion_tokens = usage.completion_tokens if usage else 0
        message = completion.choices[0].message if completion.choices else None
        text = (message.content or "") if message else ""
        if not text:
            refusal = getattr(message, "refusal", None)
            why = f"the model refused: {refusal}" if refusal else "the reply was empty"
            return Reply(None, "", why, prompt_tokens, completion_tokens)
        payload, problem = parse_json_text(text)
        return Reply(payload, text, problem, prompt_tokens, completion_tokens)

    def _response_format(self) -> dict[str, Any]:
        if not self._json_schema_supported:
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": "sentence_analyses", "schema": self._schema, "strict": True},
        }

    def _classify(self, exc: Exception) -> CallProblem | None:
        if isinstance(exc, openai.APITimeoutError):
            return transport_problem("timeout", self.config.timeout_seconds)
        if isinstance(exc, openai.APIConnectionError):
            return transport_problem("connection", self.config.timeout_seconds)
        if isinstance(exc, openai.APIStatusError):
            if self._json_schema_supported and _refuses_schema(exc.status_code, exc.message):
                self._json_schema_supported = False
                return CallProblem(
                    "format_fallback",
                    "json_schema response_format refused; using JSON mode",
                    True,
                    immediate=True,
                )
            return self.status_problem(exc.status_code, exc.message, exc.response.headers)
        return None


def _refuses_schema(status: int, message: str) -> bool:
    """A 400/422 that names the response format: the server cannot do json_schema."""
    text = message.lower()
    return status in (400, 422) and any(w in text for w in ("response_format", "json_schema"))
