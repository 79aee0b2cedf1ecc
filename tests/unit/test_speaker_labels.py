"""Speaker labels versus prose that holds a colon."""

from __future__ import annotations

import pytest

from interview_graph.pipeline.speaker_labels import SpeakerLabels, looks_like_a_name, name_key


def labels_of(candidates: list[str], participants: tuple[str, ...] = ()) -> set[str]:
    labels = SpeakerLabels(participants)
    for candidate in candidates:
        labels.add(candidate)
    return set(labels.labels())


@pytest.mark.parametrize(
    "label",
    ["Interviewer", "Participant", "P1", "Speaker 2", "Dr. Smith", "Maria Lopez", "I", "R2"],
)
def test_one_off_roles_and_names_are_labels(label: str) -> None:
    assert labels_of([label]) == {name_key(label)}


@pytest.mark.parametrize(
    "prose",
    ["The main issue", "Note to self", "Note", "Summary", "So basically", "main point", "anyway"],
)
def test_one_off_prose_is_not_a_label(prose: str) -> None:
    assert labels_of([prose]) == set()


def test_recurring_lowercase_names_are_labels_but_headings_and_sentences_never() -> None:
    assert labels_of(["ann", "ann", "Summary", "Summary", "The thing", "the thing"]) == {"ann"}


def test_participants_count_by_full_and_first_name() -> None:
    found = labels_of(["priya", "tomas berg", "the plan"], ("Priya Nair", "Tomas Berg"))
    assert found == {"priya", "tomas berg"}


def test_name_shapes() -> None:
    assert looks_like_a_name("Ludwig van Beethoven")
    assert looks_like_a_name("O'Brien")
    assert not looks_like_a_name("The main issue")
    assert not looks_like_a_name("ann")
