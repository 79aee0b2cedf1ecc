"""Telling a speaker label ("Ann:", "Interviewer:", "P1:", "Dr. Smith:") from prose that
happens to hold a colon ("The main issue: exports were slow.", "Note to self: ...").

A candidate is the text before a line's colon. It is a label when it names a front-matter
participant (in full or by first name) or a role (Interviewer, Participant, Speaker 2, P1).
Otherwise a heading word ("Note", "Summary", "Update") or a candidate that opens like a
sentence ("The ...", "So ...") is prose; the rest is a label when it recurs in the file or
is shaped like a name (capitalised words: "Maria Lopez", "Dr. Lee"). So a one-off phrase
with lowercase words is prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ROLE = re.compile(
    r"(?:interviewer|interviewee|participant|moderator|facilitator|respondent|researcher"
    r"|host|guest|speaker|customer|client|user|candidate|caller|agent|unknown|[a-z])"
    r"(?:[ \t]*[#-]?[ \t]*(?:\d+|[a-z]))?",
    re.IGNORECASE,
)
_HEADINGS = frozenset(
    {
        "action", "actions", "agenda", "aside", "attendees", "background", "caveat",
        "conclusion", "context", "date", "decision", "decisions", "e.g", "edit", "example",
        "fyi", "goal", "goals", "http", "https", "i.e", "important", "insight", "issue",
        "link", "location", "n.b", "nb", "note", "notes", "observation", "p.s", "participants",
        "problem", "project", "ps", "quote", "re", "reminder", "result", "results", "source",
        "subject", "summary", "takeaway", "takeaways", "time", "tip", "title", "todo",
        "topic", "update", "warning",
    }
)  # fmt: skip
_SENTENCE_OPENERS = frozenset(
    {
        "a", "about", "after", "all", "an", "and", "another", "as", "at", "because",
        "before", "but", "by", "each", "every", "for", "from", "he", "her", "here", "his",
        "how", "i", "if", "in", "it", "its", "my", "no", "of", "on", "one", "or", "our",
        "she", "so", "some", "that", "the", "their", "there", "these", "they", "this",
        "those", "to", "we", "what", "when", "where", "which", "who", "why", "with", "you",
        "your",
    }
)  # fmt: skip
_NAME_PARTICLES = frozenset(
    {"al", "bin", "da", "de", "del", "della", "den", "der", "di", "du", "el", "la", "le",
     "ten", "ter", "van", "von", "y"}
)  # fmt: skip


def name_key(name: str) -> str:
    """The form under which two spellings of one candidate count as the same label."""
    return " ".join(name.split()).casefold()


def looks_like_a_name(name: str) -> bool:
    """Capitalised words ("Ann", "Maria Lopez", "Dr. Lee", "O'Brien") with name particles
    ("de", "van") or digits between them; a lowercase word makes it prose."""
    words = name.split()
    if not words or not words[0][:1].isupper():
        return False
    return all(
        word[:1].isupper() or word[:1].isdigit() or word.casefold() in _NAME_PARTICLES
        for word in words[1:]
    )


class SpeakerLabels:
    """The label candidates of one file, collected line by line, then judged all at once
    (whether a candidate recurs is only known at the end)."""

    def __init__(self, participants: Iterable[str] = ()) -> None:
        self._participants = _participant_keys(participants)
        self._counts: dict[str, int] = {}
        self._name_shaped: set[str] = set()
        self._keys: dict[str, str] = {}  # each spelling seen -> its key

    def add(self, candidate: str) -> str:
        """Count one line's candidate; returns its key."""
        key = self._keys.get(candidate)
        if key is None:
            key = self._keys[candidate] = name_key(candidate)
            if looks_like_a_name(candidate):
                self._name_shaped.add(key)
        self._counts[key] = self._counts.get(key, 0) + 1
        return key

    def labels(self) -> frozenset[str]:
        """The keys of the candidates that are speaker labels."""
        return frozenset(key for key, count in self._counts.items() if self._is_label(key, count))

    def _is_label(self, key: str, count: int) -> bool:
        if key in self._participants or _ROLE.fullmatch(key):
            return True
        if key in _HEADINGS or key.split()[0] in _SENTENCE_OPENERS:
            return False
        return count >= 2 or key in self._name_shaped


def _participant_keys(participants: Iterable[str]) -> frozenset[str]:
    """Participants by full name and by first name ("Priya Nair" is labelled "Priya")."""
    keys: set[str] = set()
    for participant in participants:
        key = name_key(participant)
        if key:
            keys.update((key, key.split()[0]))
    return frozenset(keys)
