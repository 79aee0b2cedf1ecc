"""Our search language, parsed in Python: what a user types becomes terms made of words
(search.words), and only those words, rendered by each backend's dialect, ever reach an index.

* `pricing tiers` — every word must be in the sentence (in any order);
* `"brand guidelines"` — a phrase: these words one after the other (punctuation between them
  does not matter, so `"sign on"` also finds "sign-on");
* `pric*` — a prefix: any word starting with it (at least MIN_PREFIX characters);
* words written together with punctuation, like `sign-on`, `don't` or `(n)-[:R]->(m)`, are a
  phrase of their words; apostrophes, periods and colons inside a word keep it one word, as
  the sentences' words are read.

Everything else (brackets, operators, quotes of another kind, a lone `-`) is punctuation and
only separates words, so text that looks like Cypher or a query language is searched for as
the words it holds. Case does not matter; accents do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from interview_graph.search.port import SearchSyntaxError
from interview_graph.search.words import Word, words

QUOTES = '"\u201c\u201d'  # a phrase is between two of these
PREFIX_MARK = "*"
MIN_PREFIX = 2
MAX_QUERY_CHARS = 500
MAX_TERMS = 16
MAX_WORDS = 32
MAX_WORD_CHARS = 100
SYNTAX_HELP = 'search for words, "a phrase" or a prefix* (e.g. pric*)'


@dataclass(frozen=True, slots=True)
class Term:
    """A word, a phrase (its words in order) or a prefix (the start of one word)."""

    words: tuple[Word, ...]
    prefix: bool = False

    @property
    def key(self) -> tuple[str, ...]:
        return (*(w.key for w in self.words), PREFIX_MARK if self.prefix else "")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    terms: tuple[Term, ...]


def parse_query(text: str) -> ParsedQuery:
    """The terms of a search; SearchSyntaxError says what to change when there is none or
    the text is malformed."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchSyntaxError(
            f"the search is {len(text):,} characters long; shorten it to {MAX_QUERY_CHARS} at most"
        )
    if not text.strip():
        raise SearchSyntaxError(f"the search is empty: {SYNTAX_HELP}")
    quotes = sum(text.count(mark) for mark in QUOTES)
    if quotes % 2:
        raise SearchSyntaxError(
            f"unbalanced quote in {text!r}: a phrase goes between two quotes, "
            '"like this"; close it or remove the quote'
        )
    unique: dict[tuple[str, ...], Term] = {}
    for term in _terms(text):
        unique.setdefault(term.key, term)
    terms = tuple(unique.values())
    _check_size(text, terms)
    return ParsedQuery(terms)


def _terms(text: str) -> Iterator[Term]:
    """The terms of the text: quoted parts are phrases, the rest chunks between spaces."""
    for number, part in enumerate(_split_quotes(text)):
        if number % 2:
            found = words(part)
            if found:
                yield Term(tuple(found))
            continue
        for chunk in part.split():
            yield from _chunk_terms(chunk)


def _split_quotes(text: str) -> list[str]:
    """The text cut at every quote: even parts are outside quotes, odd parts inside."""
    for mark in QUOTES[1:]:
        text = text.replace(mark, QUOTES[0])
    return text.split(QUOTES[0])


def _chunk_terms(chunk: str) -> Iterator[Term]:
    """A chunk without spaces: its one word, the phrase of its words, or a prefix."""
    if set(chunk) == {PREFIX_MARK}:
        raise SearchSyntaxError(
            f"a lone {PREFIX_MARK!r} searches for nothing: put it right after the start of a "
            f"word, as in pric* (at least {MIN_PREFIX} letters or digits)"
        )
    found = words(chunk)
    if not found:
        return
    marked = [w for w in found if chunk[w.end : w.end + 1] == PREFIX_MARK]
    if not marked:
        yield Term(tuple(found))
        return
    prefix = marked[-1]
    if len(marked) > 1 or prefix is not found[-1]:
        raise SearchSyntaxError(
            f"{chunk!r}: {PREFIX_MARK} ends a prefix, the start of one word, as in pric*; "
            "write the other words apart or put them in quotes"
        )
    if len(prefix.key) < MIN_PREFIX:
        raise SearchSyntaxError(
            f"{chunk!r} is too short a prefix: give at least {MIN_PREFIX} letters or digits "
            f"before {PREFIX_MARK}"
        )
    if len(found) > 1:
        yield Term(tuple(found[:-1]))
    yield Term((prefix,), prefix=True)


def _check_size(text: str, terms: tuple[Term, ...]) -> None:
    if not terms:
        raise SearchSyntaxError(
            f"{text!r} holds no word to search for (letters or digits): {SYNTAX_HELP}"
        )
    if len(terms) > MAX_TERMS:
        raise SearchSyntaxError(
            f"the search has {len(terms)} terms; at most {MAX_TERMS}: drop some words or "
            "filter instead"
        )
    count = sum(len(term.words) for term in terms)
    if count > MAX_WORDS:
        raise SearchSyntaxError(
            f"the search has {count} words; at most {MAX_WORDS}: shorten its phrases"
        )
    for term in terms:
        for word in term.words:
            if len(word.key) > MAX_WORD_CHARS:
                raise SearchSyntaxError(
                    f"the word {word.key[:20]!r}... is {len(word.key)} characters long; "
                    f"words of at most {MAX_WORD_CHARS} can be found"
                )
