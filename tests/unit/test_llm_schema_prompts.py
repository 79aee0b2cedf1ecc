"""The reply schema, its validation and the prompts: what the model is told and held to."""

from __future__ import annotations

from typing import Any

from interview_graph.analysis.llm.prompts import (
    DEFAULT_WINDOWS,
    PROMPT_VERSION,
    ContextWindows,
    passage,
    system_prompt,
)
from interview_graph.analysis.llm.schema import reply_json_schema, validate_entries
from interview_graph.analysis.port import ParsedSentence, SentenceFeatures
from interview_graph.domain.model import (
    FUNCTION_TYPES,
    MAX_KEYWORDS,
    PURPOSES,
    STRUCTURE_TYPES,
    TOPICS,
    Sentence,
)


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 7,
        "function_type": "declarative",
        "structure_type": "simple",
        "purpose": "Answer",
        "topic": "tools",
        "broader_topic": "processes",
        "keywords": ["dashboard"],
        "domain_keywords": [],
        "confidence": 0.9,
    }
    base.update(changes)
    return base


def test_schema_enums_are_the_offline_label_sets_and_self_contained() -> None:
    schema = reply_json_schema()
    item = schema["properties"]["sentences"]["items"]
    props = item["properties"]
    assert props["function_type"]["enum"] == list(FUNCTION_TYPES)
    assert props["structure_type"]["enum"] == list(STRUCTURE_TYPES)
    assert props["purpose"]["enum"] == list(PURPOSES)
    assert props["topic"]["enum"] == props["broader_topic"]["enum"] == list(TOPICS)
    assert "$ref" not in str(schema) and "$defs" not in schema
    assert item["additionalProperties"] is False and schema["additionalProperties"] is False
    assert sorted(item["required"]) == sorted(props)  # strict structured output needs all


def test_valid_entry_with_near_miss_labels_is_normalised() -> None:
    valid, problems = validate_entries(
        {"sentences": [entry(purpose="answer", topic=" Tools ", confidence=1.7)]}, {7}
    )
    assert problems == {}
    assert valid[7].purpose == "Answer" and valid[7].topic == "tools"
    assert valid[7].confidence == 1.0


def test_keywords_are_deduplicated_and_capped() -> None:
    words = ["a", "b", "a", " ", "c", "d", "e", "f", "g", "h"]
    valid, _ = validate_entries({"sentences": [entry(keywords=words)]}, {7})
    assert valid[7].keywords == ["a", "b", "c", "d", "e", "f"][:MAX_KEYWORDS]


def test_each_entry_is_judged_on_its_own() -> None:
    payload = {
        "sentences": [
            entry(id=1),
            entry(id=2, purpose="Banter"),
            {k: v for k, v in entry(id=3).items() if k != "topic"},
            entry(id=99),  # not asked for: ignored
        ]
    }
    valid, problems = validate_entries(payload, {1, 2, 3, 4})
    assert set(valid) == {1}
    assert problems[2] == "purpose: 'Banter' is not one of the allowed labels"
    assert problems[3] == "topic: Field required"
    assert problems[4] == "no entry with id 4 in the reply"


def test_reply_without_sentences_list_fails_every_target() -> None:
    _, problems = validate_entries({"analysis": []}, {1, 2})
    assert set(problems) == {1, 2}
    assert "sentences" in problems[1]


def parsed(n: int, speaker: str | None = "Ana") -> ParsedSentence:
    sentence = Sentence(f"s{n}", "iv", n, f"Text {n}.", speaker, None, None, 0, 5)
    return ParsedSentence(sentence, SentenceFeatures())


def test_passage_marks_targets_and_keeps_the_broad_window() -> None:
    window = [parsed(n, speaker=None if n == 5 else "Ana") for n in range(20)]
    text = passage(window, range(8, 10), broad=3)
    lines = text.splitlines()
    assert lines[0] == "#5 Text 5."
    assert ">>> #8 [Ana] Text 8." in lines and ">>> #9 [Ana] Text 9." in lines
    assert lines[7] == "#12 [Ana] Text 12." and lines[8] == ""
    assert lines[-1] == "Target sentences: #8, #9."
    assert sum(line.startswith(">>> ") for line in lines) == 2


def test_system_prompt_names_every_label_and_the_windows() -> None:
    prompt = system_prompt(ContextWindows(topic=1, purpose=3, broad=5))
    for label in (*FUNCTION_TYPES, *STRUCTURE_TYPES, *PURPOSES, *TOPICS):
        assert f'"{label}"' in prompt
    flat = " ".join(prompt.split())
    assert "up to 1 sentences around it" in flat
    assert "up to 3 sentences before and after" in flat
    assert "up to 5 sentences before and after" in flat
    assert "$" not in prompt  # every placeholder substituted
    assert PROMPT_VERSION == "v1" and DEFAULT_WINDOWS.label == "ctx2-4-6"
