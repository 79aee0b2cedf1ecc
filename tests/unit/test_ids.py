"""Ids are the contract between the graph and the event log: pin their exact values."""

from __future__ import annotations

import uuid

import pytest

from interview_graph.domain.ids import (
    PRODUCT_NAMESPACE,
    analysis_id_for,
    interview_id_for,
    is_uuid,
    project_id_for,
    sentence_id_for,
    uuid5_str,
)


@pytest.mark.parametrize(
    "name", ["", "a", "interview:x:y", "ünïcödé ☃", "x" * 1000, "0f0e:12", "\x00\n"]
)
@pytest.mark.parametrize("namespace", [uuid.NAMESPACE_DNS, PRODUCT_NAMESPACE, uuid.NAMESPACE_URL])
def test_fast_uuid5_equals_the_standard_library(namespace: uuid.UUID, name: str) -> None:
    assert uuid5_str(namespace, name) == str(uuid.uuid5(namespace, name))


def test_sentence_id_is_exactly_the_plans_formula() -> None:
    interview_id = "7ab16e0d-0e6a-53f4-bad3-fba671a2e82f"
    for index in (0, 1, 41, 10_000):
        expected = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{interview_id}:{index}"))
        assert sentence_id_for(interview_id, index) == expected


def test_same_content_same_interview_other_project_or_content_another() -> None:
    project = project_id_for("demo")
    sha = "ab" * 32
    assert interview_id_for(project, sha) == interview_id_for(project_id_for("demo"), sha)
    assert interview_id_for(project, sha) != interview_id_for(project_id_for("other"), sha)
    assert interview_id_for(project, sha) != interview_id_for(project, "cd" * 32)


def test_analysis_id_depends_on_model_and_version() -> None:
    sentence = sentence_id_for(project_id_for("p"), 3)
    first = analysis_id_for(sentence, "offline-rules", "1.0.0")
    assert first == analysis_id_for(sentence, "offline-rules", "1.0.0")
    assert first != analysis_id_for(sentence, "offline-rules", "1.0.1")
    assert first != analysis_id_for(sentence, "gpt-4o", "1.0.0")
    assert is_uuid(first) and not is_uuid("not-a-uuid")
