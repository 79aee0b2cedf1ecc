"""The reply an LLM must give, as pydantic models, and the JSON schema sent to the provider.

One schema for one sentence or a batch: a list of per-sentence entries keyed by the target's
sequence number. Labels are plain strings checked against the same sets as the offline
analyzer, so the schema's `enum`s and the validation can never disagree.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from interview_graph.domain.model import (
    FUNCTION_TYPES,
    MAX_KEYWORDS,
    PURPOSES,
    STRUCTURE_TYPES,
    TOPICS,
)

_NO_EXTRAS: dict[str, Any] = {"additionalProperties": False}


def _canonical(value: str, allowed: tuple[str, ...]) -> str:
    """The allowed label matching `value` case-insensitively; a near miss costs no repair call."""
    wanted = value.strip().casefold()
    for label in allowed:
        if label.casefold() == wanted:
            return label
    raise ValueError(f"{value!r} is not one of the allowed labels")


def _keywords(values: list[str]) -> list[str]:
    """Blank and repeated keywords dropped, at most MAX_KEYWORDS kept: trimming is free,
    asking the model again is not."""
    kept = dict.fromkeys(v.strip() for v in values if v.strip())
    return list(kept)[:MAX_KEYWORDS]


class SentenceReply(BaseModel):
    """The analysis of one target sentence, as the model states it."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_NO_EXTRAS)

    id: int = Field(description="The target's number, as after '#' in the passage.")
    function_type: str = Field(json_schema_extra={"enum": list(FUNCTION_TYPES)})
    structure_type: str = Field(json_schema_extra={"enum": list(STRUCTURE_TYPES)})
    purpose: str = Field(json_schema_extra={"enum": list(PURPOSES)})
    topic: str = Field(
        description="The sentence's own topic (its close context).",
        json_schema_extra={"enum": list(TOPICS)},
    )
    broader_topic: str = Field(
        description="The topic of the wider passage around the sentence.",
        json_schema_extra={"enum": list(TOPICS)},
    )
    keywords: list[str] = Field(description=f"At most {MAX_KEYWORDS} key words or phrases.")
    domain_keywords: list[str] = Field(
        description=f"At most {MAX_KEYWORDS} domain-specific terms (products, tools, jargon)."
    )
    confidence: float = Field(description="How sure you are overall, from 0 to 1.")

    @field_validator("function_type")
    @classmethod
    def _function_type(cls, value: str) -> str:
        return _canonical(value, FUNCTION_TYPES)

    @field_validator("structure_type")
    @classmethod
    def _structure_type(cls, value: str) -> str:
        return _canonical(value, STRUCTURE_TYPES)

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str) -> str:
        return _canonical(value, PURPOSES)

    @field_validator("topic", "broader_topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        return _canonical(value, TOPICS)

    @field_validator("keywords", "domain_keywords")
    @classmethod
    def _keyword_list(cls, values: list[str]) -> list[str]:
        return _keywords(values)

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, value: float) -> float:
        return round(min(1.0, max(0.0, value)), 4)


class BatchReply(BaseModel):
    """The whole reply: one entry per target sentence."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_NO_EXTRAS)

    sentences: list[SentenceReply]


def reply_json_schema() -> dict[str, Any]:
    """BatchReply's JSON schema with references inlined: some OpenAI-compatible servers
    (and strict structured output) handle a self-contained schema best."""
    schema = BatchReply.model_json_schema()
    definitions = schema.pop("$defs", {})
    inlined: dict[str, Any] = _inline(schema, definitions)
    return inlined


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str):
            name = reference.rsplit("/", 1)[-1]
            return _inline(copy.deepcopy(definitions[name]), definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node


def validate_entries(
    payload: object, expected_ids: set[int]
) -> tuple[dict[int, SentenceReply], dict[int, str]]:
    """The valid entries of a reply by target id, and a problem for every other expected id.

    Entries are checked one by one, so in a batch a single bad sentence does not cost the
    others their analysis.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("sentences"), list):
        problem = 'the reply is not an object with a "sentences" list'
        return {}, dict.fromkeys(expected_ids, problem)
    valid: dict[int, SentenceReply] = {}
    problems: dict[int, str] = {}
    for entry in payload["sentences"]:
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry_id, int) or entry_id not in expected_ids:
            continue
        try:
            valid[entry_id] = SentenceReply.model_validate(entry)
        except ValidationError as exc:
            problems[entry_id] = describe_validation_error(exc)
    for missing in expected_ids - valid.keys() - problems.keys():
        problems[missing] = f"no entry with id {missing} in the reply"
    return valid, problems


def describe_validation_error(exc: ValidationError) -> str:
    """Short, model-readable reasons ('purpose: 'Banter' is not one of the allowed labels')."""
    parts = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "entry"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{location}: {message}")
    return "; ".join(parts)
