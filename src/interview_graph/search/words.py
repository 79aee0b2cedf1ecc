"""Words as search reads them, in a query and in a sentence alike.

A word is a word segment of Unicode's default word boundaries (UAX #29), the segmentation
Lucene's standard tokenizer (Neo4j's full-text index) also follows: letters and digits, with
an apostrophe, a period or a colon between two letters, or a period or comma between two
digits, inside the word ("don't", "o'brien", "e.g", "3.5", "1,000"); every other character
separates words; each ideograph is a word of its own. Words compare by their `key`: lower
case (character by character, as both indexes lower-case) with every apostrophe written "'",
so "Don’t" and "don't" are one word. Accents and other marks are kept: "cafe" is not "café".

A word's `runs` are its stretches of word characters ("don't": "don", "t"), which is all the
embedded FalkorDB's index (RediSearch) can hold: its tokenizer splits at every ASCII
punctuation mark and glues words to any other character (a line break, a curly quote, a dash),
so it indexes `index_text(text)` instead of the raw text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

# Apostrophes as transcripts write them; `'` stands for all of them in a key. U+02BC is a
# letter for Unicode, but transcripts use it as an apostrophe.
APOSTROPHES = "'\u2019\u2018\u02bc\uff07"
# Lower case as Lucene and FalkorDB make it, one character at a time: Python's str.lower()
# alone ends a word's sigma as "ς" and writes "İ" as "i̇".
_FOLD = str.maketrans({"\u03a3": "\u03c3", "\u0130": "i"} | dict.fromkeys(APOSTROPHES[1:], "'"))


@dataclass(frozen=True, slots=True)
class Word:
    key: str  # lower case, apostrophes as "'"
    runs: tuple[str, ...]  # the key's stretches of word characters
    joiners: tuple[str, ...]  # what joins consecutive runs inside the key ("'" in "don't")
    start: int  # the word's span in the text it was read from
    end: int


def fold(text: str) -> str:
    """`text` as words compare: lower case, apostrophes as "'"."""
    return text.translate(_FOLD).lower()


@cache
def _patterns() -> tuple[regex.Pattern[str], regex.Pattern[str]]:
    """(word segment, run of word characters), compiled on first use: the commands that
    neither search nor write sentences never load the regex module."""
    import regex

    return regex.compile(r"(?w)\b\w.*?\b"), regex.compile(r"\w+")


def words(text: str) -> list[Word]:
    """The words of `text`, in order, with their spans in it: its word segments holding a
    letter or a digit (a lone "_" is none)."""
    segment, run = _patterns()
    found = []
    for match in segment.finditer(text):
        key = fold(match.group())
        runs = run.findall(key)
        if any(character.isalnum() for character in key):
            joiners = tuple(run.split(key)[1:-1]) if len(runs) > 1 else ()
            found.append(Word(key, tuple(runs), joiners, match.start(), match.end()))
    return found


def index_text(text: str) -> str:
    """What FalkorDB's full-text index reads for a sentence: the runs of its words, one space
    apart, which its tokenizer takes as they are."""
    return " ".join([run for word in words(text) for run in word.runs])
