"""Which sentences a parsed search matches, and where: the one judge of a hit on every backend.

The index finds candidates by its own reading of the text; a candidate is a hit only if every
term matches its words (search.words) here: a word where a word has the same key, a prefix
where a word's key starts with it, a phrase where its words follow one another. The spans of
all matches are the hit's highlights, as character offsets into the sentence's text.
"""

from __future__ import annotations

from collections.abc import Sequence

from interview_graph.search.query import ParsedQuery, Term
from interview_graph.search.words import Word, words

Span = tuple[int, int]


def highlights(query: ParsedQuery, text: str) -> tuple[Span, ...] | None:
    """The spans of every match of every term, sorted and merged where they overlap or
    touch; None unless every term matches."""
    sentence = words(text)
    spans: list[Span] = []
    for term in query.terms:
        found = _term_spans(term, sentence)
        if not found:
            return None
        spans += found
    return _merged(spans)


def _term_spans(term: Term, sentence: Sequence[Word]) -> list[Span]:
    first = term.words[0].key
    if term.prefix:
        return [(w.start, w.end) for w in sentence if w.key.startswith(first)]
    if len(term.words) == 1:
        return [(w.start, w.end) for w in sentence if w.key == first]
    keys = [w.key for w in term.words]
    size = len(keys)
    return [
        (sentence[at].start, sentence[at + size - 1].end)
        for at in range(len(sentence) - size + 1)
        if [w.key for w in sentence[at : at + size]] == keys
    ]


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
