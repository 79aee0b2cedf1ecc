"""The search language: parsing, the words it reads, highlights, each index's rendering of a
search, and how pages of verified hits are cut from ranked candidates."""

from __future__ import annotations

import pytest
import regex

from interview_graph.graph.cypher.fulltext import render_lucene, render_redisearch
from interview_graph.search.highlight import highlights
from interview_graph.search.paging import MAX_CANDIDATES, collect_page
from interview_graph.search.port import SearchHit, SearchQuery, SearchSyntaxError
from interview_graph.search.query import MAX_TERMS, ParsedQuery, parse_query
from interview_graph.search.words import index_text, words


def terms(text: str) -> list[tuple[tuple[str, ...], bool]]:
    return [(tuple(w.key for w in t.words), t.prefix) for t in parse_query(text).terms]


def test_words_follow_unicode_word_boundaries() -> None:
    text = "Don’t say O'Brien's e.g. 3.5 or 1,000 at 10:30 — ÉCOLE 漢字 sign-on\nfoo_bar"
    assert [w.key for w in words(text)] == [
        "don't", "say", "o'brien's", "e.g", "3.5", "or", "1,000", "at", "10", "30", "école",
        "漢", "字", "sign", "on", "foo_bar",
    ]  # fmt: skip
    assert [text[w.start : w.end] for w in words(text)][:3] == ["Don’t", "say", "O'Brien's"]
    assert [w.runs for w in words("o'brien’s 3.5")] == [("o", "brien", "s"), ("3", "5")]
    assert index_text(text) == (
        "don t say o brien s e g 3 5 or 1 000 at 10 30 école 漢 字 sign on foo_bar"
    )
    # A word holds a letter or a digit: a lone underscore is none.
    assert [w.key for w in words("a _ b ___ foo_bar")] == ["a", "b", "foo_bar"]
    # Lower case one character at a time, as both indexes make it.
    assert [w.key for w in words("ΣΊΣΥΦΟΣ İstanbul Straße")] == ["σίσυφοσ", "istanbul", "straße"]


def test_words_phrases_and_prefixes() -> None:
    assert terms('Pricing "brand  Guidelines" pric*') == [
        (("pricing",), False), (("brand", "guidelines"), False), (("pric",), True),
    ]  # fmt: skip
    assert terms("“curly quotes” too") == [(("curly", "quotes"), False), (("too",), False)]
    # Words written together are a phrase; a prefix ends its chunk.
    assert terms("sign-on (n)-[:R]->(m) e-mail*") == [
        (("sign", "on"), False), (("n", "r", "m"), False), (("e",), False), (("mail",), True),
    ]  # fmt: skip
    assert terms("report REPORT Report") == [(("report",), False)]


def test_query_syntax_of_any_language_is_punctuation() -> None:
    assert terms("MATCH (n) RETURN n") == [
        (("match",), False),
        (("n",), False),
        (("return",), False),
    ]
    assert terms("'); DROP TABLE x; --") == [
        (("drop",), False),
        (("table",), False),
        (("x",), False),
    ]
    assert terms("{map: 1} $param `tick` \\ @field:[1 2] -not ~maybe %fuzz% a|b") == [
        (("map",), False), (("1",), False), (("param",), False), (("tick",), False),
        (("field", "1"), False), (("2",), False), (("not",), False), (("maybe",), False),
        (("fuzz",), False), (("a", "b"), False),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("  \t ", "empty"),
        ("!!! ... ---", "no word to search for"),
        ("_ __", "no word to search for"),
        ('"brand guidelines', "unbalanced quote"),
        ('a "b" "c', "unbalanced quote"),
        ("*", "lone '*'"),
        ("report *", "lone '*'"),
        ("p*", "too short a prefix"),
        ("a*b", "ends a prefix"),
        ("pric*ing*", "ends a prefix"),
        ("x" * 501, "shorten it to 500"),
        (" ".join(f"w{n}" for n in range(MAX_TERMS + 1)), "at most 16"),
        ('"' + " ".join(f"w{n}" for n in range(33)) + '"', "33 words"),
        ("a" * 101, "101 characters long"),
    ],
)
def test_malformed_searches_say_what_to_change(text: str, says: str) -> None:
    with pytest.raises(SearchSyntaxError, match=regex.escape(says)):
        parse_query(text)


def spans(query: str, text: str) -> list[str] | None:
    found = highlights(parse_query(query), text)
    return None if found is None else [text[a:b] for a, b in found]


def test_highlights_are_the_matched_words_in_the_text() -> None:
    text = "😀 The weekly report, the WEEKLY-report and reports; don’t."
    assert spans("report", text) == ["report", "report"]
    assert spans('"weekly report"', text) == ["weekly report", "WEEKLY-report"]
    assert spans("rep* the", text) == ["The", "report", "the", "report", "reports"]
    assert spans("don't", text) == ["don’t"]
    assert spans("report missing", text) is None  # every term must match
    assert spans("don", text) is None  # part of a word is not a word
    # Offsets count characters (code points), as Python and the graph's offsets do.
    assert highlights(parse_query("the"), text) == ((2, 5), (21, 24))


def test_touching_and_overlapping_matches_merge() -> None:
    assert spans('"weekly report" report', "The weekly report.") == ["weekly report"]
    assert spans('"a b" "b c"', "a b c") == ["a b c"]


ADVERSARIAL = [
    "MATCH (n) DETACH DELETE n; RETURN 1 // CREATE INDEX } ) ]",
    "'); DROP TABLE x; --",
    'title:(foo OR bar) AND NOT "baz" +must -never ~fuzzy^2 [a TO b] {c TO d} \\escaped /re/',
    "@title:{tag} -@body:hello* ~opt %fuzz% ((a|b) c) $param => <x>",
    "don't o'brien’s rock'n'roll's 3.5 e.g. naïve CAFÉ 漢字 sign-on pric* AND OR NOT",
    '"quoted phrase" “curly phrase” plain*',
]
LUCENE_SYNTAX = set('+()"* ') | set("'’‘ʼ.,:;·") | set("OR")
REDISEARCH_SYNTAX = set('"* ')


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_only_parsed_words_reach_an_index(text: str) -> None:
    parsed = parse_query(text)
    word_chars = {c for t in parsed.terms for w in t.words for run in w.runs for c in run}
    for rendered, syntax in (
        (render_lucene(parsed), LUCENE_SYNTAX),
        (render_redisearch(parsed), REDISEARCH_SYNTAX),
    ):
        assert set(rendered) <= word_chars | syntax, rendered
        assert "\\" not in rendered and " AND " not in rendered and " NOT " not in rendered


def test_each_index_reads_a_search_in_its_syntax() -> None:
    parsed = parse_query('Report "brand guidelines" pric* don\'t sign-on 3.5')
    assert render_lucene(parsed) == (
        '+"report" +"brand guidelines" +pric* '
        '+("don\'t" OR "don’t" OR "don‘t" OR "donʼt") +"sign on" +"3.5"'
    )
    assert render_redisearch(parsed) == ('report "brand guidelines" pric* "don t" "sign on" "3 5"')
    # A prefix may hold joiners; where Lucene could not read them, it searches for more.
    assert render_lucene(parse_query("o'bri* e.g* body:hel*")) == (
        "+(o'bri* OR o’bri* OR o‘bri* OR oʼbri*) +e.g* +body*"
    )
    assert render_redisearch(parse_query("o'bri* don't* body:hel*")) == "o bri* don t body hel*"
    # A word with many apostrophes: each combination up to a bound, then one style each.
    many = render_lucene(parse_query("rock'n'roll's"))
    assert many.count(" OR ") == 3 and '"rock’n’roll’s"' in many


def hit(n: int, text: str) -> SearchHit:
    return SearchHit(f"s{n}", "i", "T", "P", n, text, None, None, None, 1.0)


async def page_of(
    candidates: list[SearchHit], limit: int, offset: int, query: str = "report"
) -> tuple[list[int], int | None]:
    calls: list[tuple[int, int]] = []

    async def fetch(start: int, count: int) -> list[SearchHit]:
        calls.append((start, count))
        return candidates[start : start + count]

    page = await collect_page(fetch, parse_query(query), limit, offset)
    return [h.sequence_order for h in page.hits], page.next_offset


async def test_a_page_is_its_verified_hits_and_where_the_next_starts() -> None:
    candidates = [hit(n, "a report" if n % 3 else "a reporter") for n in range(20)]
    assert await page_of(candidates, 4, 0) == ([1, 2, 4, 5], 7)
    assert await page_of(candidates, 4, 7) == ([7, 8, 10, 11], 13)
    assert await page_of(candidates, 4, 13) == ([13, 14, 16, 17], 19)
    assert await page_of(candidates, 4, 19) == ([19], None)
    assert await page_of(candidates, 100, 0) == ([n for n in range(20) if n % 3], None)


async def test_a_run_of_candidates_that_are_no_hits_ends_a_page_short() -> None:
    last = 2 * MAX_CANDIDATES
    candidates = [hit(n, "a reporter") for n in range(last)] + [hit(last, "a report")]
    hits, next_offset = await page_of(candidates, 10, 0)
    assert hits == [] and next_offset is not None and MAX_CANDIDATES <= next_offset < last
    assert await page_of(candidates, 10, next_offset) == ([last], None)


def test_a_query_checks_its_page_and_range() -> None:
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"offset": 10_001}):
        with pytest.raises(ValueError):
            SearchQuery("x", **bad)  # type: ignore[arg-type]
    assert ParsedQuery(()) == ParsedQuery(())
