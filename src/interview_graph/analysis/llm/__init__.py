"""LLM analyzers (OpenAI-compatible and Anthropic) behind the Analyzer port.

Importing this package loads neither SDK: each provider's analyzer is a module of its own,
which bootstrap imports only when that provider is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from interview_graph.analysis.llm.base import LLMConfig
from interview_graph.analysis.llm.cache import CACHE_FILENAME, SQLiteAnalysisCache, read_failures
from interview_graph.analysis.llm.prompts import PROMPT_VERSION, ContextWindows

if TYPE_CHECKING:
    from interview_graph.settings import Settings

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}

__all__ = [
    "CACHE_FILENAME",
    "DEFAULT_MODELS",
    "PROMPT_VERSION",
    "ContextWindows",
    "LLMConfig",
    "SQLiteAnalysisCache",
    "llm_config",
    "llm_config_problem",
    "read_failures",
]


def llm_config_problem(settings: Settings, kind: str) -> str | None:
    """Why `kind` cannot run with these settings (said before any file is touched), or None."""
    if kind == "openai" and settings.openai_api_key is None and not settings.openai_base_url:
        return (
            "--analyzer openai needs OPENAI_API_KEY in the environment (or OPENAI_BASE_URL "
            "for a local OpenAI-compatible server such as Ollama or vLLM)"
        )
    if kind == "anthropic" and settings.anthropic_api_key is None:
        return "--analyzer anthropic needs ANTHROPIC_API_KEY in the environment"
    return None


def llm_config(settings: Settings, kind: str) -> LLMConfig:
    """How to call `kind`'s model with these settings (the provider's default model if unset)."""
    return LLMConfig(
        model=settings.llm_model or DEFAULT_MODELS[kind],
        concurrency=settings.llm_concurrency,
        sentences_per_call=settings.llm_sentences_per_call,
        timeout_seconds=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        max_retry_wait_seconds=settings.llm_max_retry_wait_seconds,
        windows=ContextWindows(
            topic=settings.llm_context_topic,
            purpose=settings.llm_context_purpose,
            broad=settings.llm_context_broad,
        ),
        read_cache=settings.llm_cache,
    )
