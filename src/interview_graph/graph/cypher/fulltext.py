"""Each backend's full-text index: how it is created, how it is called, and how a parsed search
(search.query) is written in its syntax.

Only our parsed words reach an index: runs of word characters, joined by the fixed joiners
below, inside the fixed syntax each renderer writes. No character of the user's text is ever
copied into an index query, and the query itself travels as a parameter.

* Neo4j (Lucene): the index reads the sentence's text with the standard analyzer without stop
  words (no stemming), whose tokenizer splits words as search.words does (Unicode word
  boundaries), so a word with an apostrophe is one token there: it is searched in every
  apostrophe the text may use. Every term is required (`+`), phrases are quoted, a prefix is
  `pric*`.
* FalkorDB (RediSearch): its tokenizer glues words to line breaks, curly quotes and every
  other non-ASCII character, and lower-cases ASCII letters only, so the index reads
  `search_text` instead: the lower-case runs of the sentence's words (search.words.index_text),
  written with the sentence. A word of several runs is a phrase of them; terms are ANDed by
  spaces; no stop words, no stemming.

An index may return candidates that are not hits (a term's parts in another arrangement);
search.highlight decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product

from interview_graph.search.query import MIN_PREFIX, ParsedQuery, Term
from interview_graph.search.words import Word

# Alternatives a phrase or a word may take before it is searched more loosely.
MAX_FORMS = 16


@dataclass(frozen=True, slots=True)
class FullTextIndex:
    """One backend's full-text index of Sentence nodes."""

    # The statements that create it (if missing) and wait until it answers.
    create: tuple[str, ...]
    # The clause binding `s` (a sentence) and `score` for the query in $index_query.
    call: str
    # The property it reads; sentences are written with it when it is not the text itself.
    reads: str
    # A parsed search in the index's query syntax.
    render: Callable[[ParsedQuery], str]

    @property
    def reads_index_text(self) -> bool:
        return self.reads != "text"


# --- Lucene ---------------------------------------------------------------------------------

# The forms of each joiner a Lucene token may hold ("'" stands for every apostrophe).
_LUCENE_JOINERS: dict[str, tuple[str, ...]] = {
    "'": ("'", "\u2019", "\u2018", "\u02bc"),
    ".": (".",),
    ",": (",",),
    ":": (":",),
    ";": (";",),
    "\u00b7": ("\u00b7",),
}


# The joiners a prefix may hold outside quotes (a colon would name a field).
_LUCENE_PREFIX_JOINERS = frozenset({"'", ".", ",", "\u00b7"})


def _lucene_forms(word: Word) -> list[str]:
    """The tokens a word may be in a Lucene index: each apostrophe in any of its forms (or,
    past MAX_FORMS combinations, all apostrophes alike); a joiner Lucene does not keep inside
    a token splits the word into a phrase."""
    choices = [_LUCENE_JOINERS.get(joiner, (" ",)) for joiner in word.joiners]
    combinations: list[tuple[str, ...]] = list(product(*choices))
    if len(combinations) > MAX_FORMS:
        combinations = [
            tuple(
                apostrophe if joiner == "'" else forms[0]
                for joiner, forms in zip(word.joiners, choices, strict=True)
            )
            for apostrophe in _LUCENE_JOINERS["'"]
        ]
    return [_interleaved(word.runs, joiners) for joiners in combinations]


def _interleaved(runs: Sequence[str], joiners: Sequence[str]) -> str:
    parts = [runs[0]]
    for joiner, run in zip(joiners, runs[1:], strict=True):
        parts += [joiner, run]
    return "".join(parts)


def _lucene_quoted(form: str) -> str:
    if '"' in form or "\\" in form:  # forms are word characters and fixed joiners only
        raise AssertionError(f"not a parsed form: {form!r}")
    return f'"{form}"'


def _lucene_any(forms: Sequence[str]) -> str:
    quoted = [_lucene_quoted(form) for form in forms]
    return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"


def _lucene_prefix(word: Word) -> str:
    """A prefix in each form its word may take; where a joiner would be query syntax there
    (a colon), the prefix of its first run, which finds more."""
    if all(joiner in _LUCENE_PREFIX_JOINERS for joiner in word.joiners):
        forms = [form + "*" for form in _lucene_forms(word)]
        return forms[0] if len(forms) == 1 else "(" + " OR ".join(forms) + ")"
    return f"{word.runs[0]}*"


def _lucene_term(term: Term) -> str:
    if term.prefix:
        return "+" + _lucene_prefix(term.words[0])
    per_word = [_lucene_forms(word) for word in term.words]
    combinations = 1
    for forms in per_word:
        combinations *= len(forms)
    if combinations <= MAX_FORMS:
        return "+" + _lucene_any([" ".join(forms) for forms in product(*per_word)])
    return " ".join("+" + _lucene_any(forms) for forms in per_word)


def render_lucene(query: ParsedQuery) -> str:
    """The Lucene query string of a parsed search: every term required."""
    return " ".join(_lucene_term(term) for term in query.terms)


NEO4J_INDEX_NAME = "sentence_text"
LUCENE = FullTextIndex(
    create=(
        f"CREATE FULLTEXT INDEX {NEO4J_INDEX_NAME} IF NOT EXISTS "
        "FOR (n:Sentence) ON EACH [n.text] OPTIONS {indexConfig: {"
        "`fulltext.analyzer`: 'standard-no-stop-words', "
        "`fulltext.eventually_consistent`: false}}",
        # Created on a graph that holds sentences, it is built in the background; it answers
        # once online.
        f"CALL db.awaitIndex('{NEO4J_INDEX_NAME}', 600)",
    ),
    call=(
        f"CALL db.index.fulltext.queryNodes('{NEO4J_INDEX_NAME}', $index_query) "
        "YIELD node AS s, score"
    ),
    reads="text",
    render=render_lucene,
)


# --- RediSearch -----------------------------------------------------------------------------


def _redisearch_term(term: Term) -> str:
    runs = [run for word in term.words for run in word.runs]
    if term.prefix:
        # Its runs are tokens of their own: all but the last present, the last a prefix (if
        # long enough to be one there), which finds more than the prefix.
        *whole, last = runs
        return " ".join([*whole, f"{last}*" if len(last) >= MIN_PREFIX else last])
    return runs[0] if len(runs) == 1 else '"' + " ".join(runs) + '"'


def render_redisearch(query: ParsedQuery) -> str:
    """The RediSearch query string of a parsed search: terms ANDed, over `search_text`."""
    return " ".join(_redisearch_term(term) for term in query.terms)


# FalkorDB keeps a label's full-text settings (language, stop words) when its full-text index
# is dropped, and refuses to set them again; the index is then created with those kept.
REDISEARCH_WITH_KEPT_SETTINGS = (
    "CALL db.idx.fulltext.createNodeIndex('Sentence', {field: 'search_text', nostem: true})"
)
REDISEARCH = FullTextIndex(
    create=(
        "CALL db.idx.fulltext.createNodeIndex("
        "{label: 'Sentence', language: 'english', stopwords: []}, "
        "{field: 'search_text', nostem: true})",
    ),
    call="CALL db.idx.fulltext.queryNodes('Sentence', $index_query) YIELD node AS s, score",
    reads="search_text",
    render=render_redisearch,
)
