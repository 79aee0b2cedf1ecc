"""Cue, topic and domain word lists as data files, and the small matchers built from them.

Kept as plain text so that researchers can read and adjust them; the offline analyzer's
model_version includes a hash of the data, so a changed list shows up as a new analysis version.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

LEXICON_DIR = Path(__file__).resolve().parent
CUES_FILE = LEXICON_DIR / "cues.txt"
TOPICS_FILE = LEXICON_DIR / "topics.txt"
DEFAULT_DOMAIN_LEXICON = LEXICON_DIR / "domain_default.txt"

_WORD = re.compile(r"[a-z0-9]+")
_LEAD_IN = r"^(?:[\W_]*(?:and|well|oh|so|but|um|uh|yeah|okay|ok)\b)*[\W_]*"


class LexiconError(ValueError):
    """A word list file cannot be used; the message names the file and line."""


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case alphanumeric words: the one normalisation shared by terms, text and lemmas."""
    return tuple(_WORD.findall(text.lower().replace("’", "'")))


def read_sections(path: Path) -> dict[str, list[str]]:
    """`[name]` headers followed by one entry per line; `#` starts a comment."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, raw in enumerate(_read_text(path).splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
        elif current is None:
            raise LexiconError(f"{path}: line {number}: entry before any [section] header")
        else:
            current.append(line)
    return sections


def read_terms(path: Path) -> list[str]:
    """One term per line, `#` comments; the domain lexicon format."""
    terms = []
    for raw in _read_text(path).splitlines():
        term = raw.split("#", 1)[0].strip()
        if term:
            terms.append(term)
    return terms


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise LexiconError(f"{path}: word list not found; check the path (DOMAIN_LEXICON)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(f"{path}: cannot read word list ({exc}); use a UTF-8 text file") from exc


def fingerprint(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
        digest.update(b"\x00")
    return digest.hexdigest()[:8]


class CueMatcher:
    """Flags cue names whose phrases occur in a sentence (one regex per cue)."""

    def __init__(self, sections: dict[str, list[str]]) -> None:
        self._patterns = [(name, _cue_regex(phrases)) for name, phrases in sections.items()]

    def match(self, text: str) -> list[str]:
        lowered = text.lower().replace("’", "'")
        return [name for name, pattern in self._patterns if pattern.search(lowered)]


def _cue_regex(phrases: Sequence[str]) -> re.Pattern[str]:
    anchored = [re.escape(p[1:].lower()) for p in phrases if p.startswith("^")]
    free = [re.escape(p.lower()) for p in phrases if not p.startswith("^")]
    free.sort(key=len, reverse=True)
    parts = []
    if free:
        parts.append(r"(?<![\w'])(?:" + "|".join(free) + r")(?![\w'])")
    if anchored:
        parts.append(_LEAD_IN + r"(?:" + "|".join(anchored) + r")(?![\w'])")
    return re.compile("|".join(parts) if parts else r"(?!x)x")


@cache
def default_cue_matcher() -> CueMatcher:
    return CueMatcher(read_sections(CUES_FILE))


@dataclass(frozen=True, slots=True)
class PhraseIndex:
    """Word n-grams -> labels, for matching multiword terms against a word or lemma sequence."""

    entries: dict[tuple[str, ...], tuple[str, ...]]
    longest: int
    # Longest term length per first word: most words start no term, and the analyzer runs
    # this on every sentence in the main process, beside the parser workers.
    longest_from: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, labelled_terms: Iterable[tuple[str, str]]) -> PhraseIndex:
        entries: dict[tuple[str, ...], list[str]] = {}
        for term, label in labelled_terms:
            key = words_of(term)
            if key and label not in entries.setdefault(key, []):
                entries[key].append(label)
        longest = max((len(key) for key in entries), default=0)
        longest_from: dict[str, int] = {}
        for key in entries:
            longest_from[key[0]] = max(longest_from.get(key[0], 0), len(key))
        return cls({key: tuple(labels) for key, labels in entries.items()}, longest, longest_from)

    def find(self, words: Sequence[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Longest match first at each position, left to right: (start, length, labels)."""
        found = []
        position = 0
        while position < len(words):
            reach = self.longest_from.get(words[position], 0)
            for length in range(min(reach, len(words) - position), 0, -1):
                labels = self.entries.get(tuple(words[position : position + length]))
                if labels is not None:
                    found.append((position, length, labels))
                    position += length
                    break
            else:
                position += 1
        return found
