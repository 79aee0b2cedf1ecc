"""The SentenceSearch contract: both graph backends must find the same sentences for the same
search, with the same highlights, against a real server.

Subclasses provide the `store` fixture: an opened graph store (which is its own search
adapter) on an empty graph with its schema. Scores differ between backends (each index has its
own relevance formula), so orders are checked against each store's own scores.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from interview_graph.domain.model import Analysis, InterviewStatus, Sentence, TopicMention
from interview_graph.graph.port import SentenceFilter
from interview_graph.projection.port import ProjectionBatch, ProjectionCheckpoint
from interview_graph.search.port import SearchHit, SearchQuery, SearchSyntaxError
from interview_graph.search.words import words
from tests.integration.graph_contract import (
    TRICKY_TEXTS,
    make_analysis,
    make_interview,
    make_sentences,
    write_all,
)

KICKOFF = make_interview(project="Acme", sha="5" * 64, title="Kickoff")
FOLLOW_UP = make_interview(project="Beta", sha="6" * 64, title="Follow-up")
KICKOFF_TEXTS: tuple[str, ...] = (
    "How do you prepare the weekly report for leadership?",
    "I export the report from the CRM every Friday, and it takes hours.",
    # From samples/onboarding-interview.txt.
    'Here, I search for "brand guidelines" and the comment from March doesn\'t show up.',
    TRICKY_TEXTS[0],
    TRICKY_TEXTS[3],
    '\'); DROP TABLE sentences; -- {braces} (parens) "quoted" C:\\Users\\ana \\\\server',
    "Don\u2019t send the report on Friday\nbecause nobody reads it.",
    "We don't trust the numbers: the café's naïve forecast was off by 3.5 points.",
    "École, ÜBER and Straße are words too; 漢字 as well.",
    "Single sign-on is the only thing I want from the enterprise plan.",
    TRICKY_TEXTS[1],
)
# Twelve sentences of one length, each holding "report" once: equal scores, ranked in order.
FOLLOW_UP_TEXTS = tuple(f"The report number {n:02d} was late." for n in range(12))
REPORTS_IN_KICKOFF = (0, 1, 6)


def corpus() -> tuple[list[Sentence], list[Analysis]]:
    """The sentences, and an analysis each whose own topic (level 1) is one of three."""
    sentences = [
        *make_sentences(KICKOFF, len(KICKOFF_TEXTS), KICKOFF_TEXTS),
        *make_sentences(FOLLOW_UP, len(FOLLOW_UP_TEXTS), FOLLOW_UP_TEXTS),
    ]
    analyses = [
        dataclasses.replace(
            make_analysis(s),
            topics=(TopicMention(f"topic-{s.sequence_order % 3}", 1), TopicMention("wider", 3)),
        )
        for s in sentences
    ]
    return sentences, analyses


async def write_corpus(store: Any) -> None:
    sentences, analyses = corpus()
    for interview in (KICKOFF, FOLLOW_UP):
        own = [s for s in sentences if s.interview_id == interview.interview_id]
        ids = {s.sentence_id for s in own}
        await write_all(store, interview, own, [a for a in analyses if a.sentence_id in ids], 5)
        await store.finish_interview(interview.interview_id, len(own), InterviewStatus.COMPLETED)


def kickoff(*orders: int) -> set[tuple[str, int]]:
    return {(KICKOFF.interview_id, order) for order in orders}


def follow_up(*orders: int) -> set[tuple[str, int]]:
    return {(FOLLOW_UP.interview_id, order) for order in orders}


def where(hits: Sequence[SearchHit]) -> set[tuple[str, int]]:
    return {(hit.interview_id, hit.sequence_order) for hit in hits}


def reports_where(keep: Callable[[Sentence, Analysis], bool]) -> set[tuple[str, int]]:
    """The sentences holding the word "report" whose sentence and analysis pass `keep`."""
    sentences, analyses = corpus()
    return {
        (s.interview_id, s.sequence_order)
        for s, a in zip(sentences, analyses, strict=True)
        if "report" in {w.key for w in words(s.text)} and keep(s, a)
    }


class SentenceSearchContract:
    @pytest.fixture
    def store(self) -> Any:
        raise NotImplementedError

    @pytest.fixture
    async def searched(self, store: Any) -> Any:
        await write_corpus(store)
        return store

    async def hits(self, store: Any, text: str, **filters: Any) -> list[SearchHit]:
        page = await store.search(SearchQuery(text, SentenceFilter(**filters), limit=100))
        assert page.next_offset is None
        return list(page.hits)

    async def test_every_word_must_match(self, searched: Any) -> None:
        reports = await self.hits(searched, "report")
        assert where(reports) == kickoff(*REPORTS_IN_KICKOFF) | follow_up(*range(12))
        assert where(await self.hits(searched, "REPORT friday")) == kickoff(1, 6)
        assert where(await self.hits(searched, "friday report crm")) == kickoff(1)
        assert await self.hits(searched, "report zebra") == []

    async def test_a_hit_carries_its_sentence_interview_and_times(self, searched: Any) -> None:
        [hit] = await self.hits(searched, "leadership")
        sentence = corpus()[0][0]
        assert dataclasses.replace(hit, score=0.0, highlights=()) == SearchHit(
            sentence_id=sentence.sentence_id, interview_id=KICKOFF.interview_id,
            interview_title="Kickoff", project_name="Acme", sequence_order=0,
            text=KICKOFF_TEXTS[0], speaker="Ana", start_ms=0, end_ms=900, score=0.0,
        )  # fmt: skip
        assert hit.score > 0
        assert [KICKOFF_TEXTS[0][a:b] for a, b in hit.highlights] == ["leadership"]

    async def test_a_phrase_is_its_words_in_order(self, searched: Any) -> None:
        assert where(await self.hits(searched, '"brand guidelines"')) == kickoff(2)
        assert await self.hits(searched, '"guidelines brand"') == []
        # Punctuation between the words does not matter, in the search or in the sentence.
        assert where(await self.hits(searched, '"single sign on"')) == kickoff(9)
        assert where(await self.hits(searched, "sign-on")) == kickoff(9)
        assert where(await self.hits(searched, '"friday because nobody"')) == kickoff(6)

    async def test_a_prefix_matches_the_words_it_begins(self, searched: Any) -> None:
        assert where(await self.hits(searched, "gui*")) == kickoff(2)
        assert where(await self.hits(searched, "lead* weekly")) == kickoff(0)
        assert where(await self.hits(searched, "rep*")) == where(
            await self.hits(searched, "report")
        )
        [hit] = await self.hits(searched, "éco*")
        assert [hit.text[a:b] for a, b in hit.highlights] == ["École"]
        # A prefix may hold the apostrophes and periods a word holds.
        assert where(await self.hits(searched, "don't*")) == kickoff(6, 7)
        assert where(await self.hits(searched, "café* naï*")) == kickoff(7)

    async def test_case_does_not_matter_accents_do(self, searched: Any) -> None:
        # Each ideograph is a word of its own, as Unicode's word boundaries have it.
        for text in ("école", "ÉCOLE", "über", "straße", "naïve", "café's", "漢字", "字"):
            assert where(await self.hits(searched, text)) <= kickoff(7, 8), text
            assert await self.hits(searched, text), text
        for text in ("ecole", "cafe", "strasse"):
            assert await self.hits(searched, text) == [], text

    async def test_apostrophes_are_one_word_however_written(self, searched: Any) -> None:
        for text in ("don't", "Don\u2019t", "DON\u2018T"):
            assert where(await self.hits(searched, text)) == kickoff(6, 7), text
        assert where(await self.hits(searched, "doesn\u2019t")) == kickoff(2)
        # A word's part is not a word: "don" is not in "don't", nor "3" in "3.5".
        assert await self.hits(searched, "don") == []
        assert await self.hits(searched, "3") == []
        assert where(await self.hits(searched, "3.5 points")) == kickoff(7)

    async def test_line_breaks_and_tabs_separate_words(self, searched: Any) -> None:
        assert where(await self.hits(searched, "because")) == kickoff(6)
        assert where(await self.hits(searched, "tabbed two")) == kickoff(10)

    @pytest.mark.parametrize("order", [3, 4, 5])
    async def test_cypher_looking_and_quote_heavy_sentences_are_found_verbatim(
        self, searched: Any, order: int
    ) -> None:
        text = KICKOFF_TEXTS[order]
        [hit] = await self.hits(searched, text)
        assert (hit.interview_id, hit.sequence_order) == (KICKOFF.interview_id, order)
        highlighted = [text[a:b] for a, b in hit.highlights]
        assert {w.key for w in words(" ".join(highlighted))} == {w.key for w in words(text)}

    async def test_query_syntax_in_a_search_is_punctuation(self, searched: Any) -> None:
        for text in ("MATCH (n) RETURN n", "n) DETACH DELETE (n", "'); DROP", "{map: 1}"):
            assert await self.hits(searched, text), text
        assert where(await self.hits(searched, "-- {braces} (parens)")) == kickoff(5)
        assert where(await self.hits(searched, r"C:\Users\ana")) == kickoff(5)
        # Operators of other query languages are words like any other.
        assert where(await self.hits(searched, "backslash AND quote")) == kickoff(3)
        assert await self.hits(searched, "backslash AND NOT quote") == []

    async def test_highlights_point_at_the_matched_words(self, searched: Any) -> None:
        for text, expected in (
            ("report", {"report"}),
            ('"weekly report" leadership', {"weekly report", "leadership"}),
            ("rep* friday", {"report", "Friday"}),
            ("don't", {"don't", "Don\u2019t"}),
        ):
            for hit in await self.hits(searched, text):
                spans = list(hit.highlights)
                assert spans == sorted(spans) and spans, text
                assert all(a < b <= c for (a, b), (c, _) in itertools.pairwise(spans)), text
                assert {hit.text[a:b] for a, b in spans} <= expected, (text, hit.text, spans)

    async def test_each_filter(self, searched: Any) -> None:
        checks: list[tuple[dict[str, Any], Callable[[Sentence, Analysis], bool]]] = [
            ({"project": "Beta"}, lambda s, a: s.interview_id == FOLLOW_UP.interview_id),
            ({"interview_id": KICKOFF.interview_id}, lambda s, a: s.interview_id != FOLLOW_UP.interview_id),  # noqa: E501
            ({"speaker": "Bo"}, lambda s, a: s.speaker == "Bo"),
            ({"function": "interrogative"}, lambda s, a: a.function_type == "interrogative"),
            ({"purpose": "Answer"}, lambda s, a: a.purpose == "Answer"),
            ({"topic": "topic-2"}, lambda s, a: a.topics[0].name == "topic-2"),
            ({"keyword": "kw-2"}, lambda s, a: "kw-2" in a.overall_keywords),
            ({"keyword": "domain-0"}, lambda s, a: "domain-0" in a.domain_keywords),
            (
                {"project": "Beta", "speaker": "Ana", "topic": "topic-0", "keyword": "shared"},
                lambda s, a: s.interview_id == FOLLOW_UP.interview_id and s.speaker == "Ana"
                and a.topics[0].name == "topic-0",
            ),
        ]  # fmt: skip
        for options, keep in checks:
            expected = reports_where(keep)
            assert expected, options  # the corpus holds sentences each filter keeps
            assert where(await self.hits(searched, "report", **options)) == expected, options
        # A topic is the sentence's own, not the wider window's.
        assert await self.hits(searched, "report", topic="wider") == []

    async def test_the_time_range_keeps_the_sentences_said_during_it(self, searched: Any) -> None:
        # Sentence n is said from n * 1000 to n * 1000 + 900 ms; one overlapping counts.
        found = await self.hits(searched, "report", from_ms=2000, to_ms=6000)
        assert where(found) == kickoff(6) | follow_up(2, 3, 4, 5, 6)
        assert where(await self.hits(searched, "report", from_ms=6950)) == follow_up(*range(7, 12))
        assert where(await self.hits(searched, "report", to_ms=999)) == kickoff(0) | follow_up(0)

    async def test_filter_values_are_values(self, searched: Any) -> None:
        for value in ("Bo' OR 1=1 //", '"}) RETURN 1 //', "$speaker"):
            assert await self.hits(searched, "report", speaker=value) == [], value
            assert await self.hits(searched, "report", project=value) == [], value

    async def test_pages_join_up_in_rank_order(self, searched: Any) -> None:
        whole = await self.hits(searched, "report")
        assert len(whole) == 15
        ranks = [(-hit.score, hit.interview_id, hit.sequence_order) for hit in whole]
        assert ranks == sorted(ranks)
        # Equal scores come in transcript order.
        equal = [hit.sequence_order for hit in whole if hit.interview_id == FOLLOW_UP.interview_id]
        assert equal == list(range(12))
        pages, offset = [], 0
        while offset is not None:
            page = await searched.search(SearchQuery("report", limit=4, offset=offset))
            assert len(page.hits) == 4 or page.next_offset is None
            pages.append(page.hits)
            offset = page.next_offset
        assert [hit for page in pages for hit in page] == whole
        assert len(pages) == 4

    @pytest.mark.parametrize(
        "text",
        ["", "   ", "!!! ...", '"unbalanced', 'one "two" "three', "*", "p*", "a*b", "x" * 501],
    )
    async def test_malformed_searches_say_what_to_change(self, searched: Any, text: str) -> None:
        with pytest.raises(SearchSyntaxError) as refused:
            await searched.search(SearchQuery(text))
        assert len(str(refused.value)) > 20

    async def test_a_query_the_index_refuses_is_a_syntax_error(
        self, searched: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        statements = searched._cypher.search
        broken = dataclasses.replace(statements.index, render=lambda _parsed: "((( [")
        monkeypatch.setattr(statements, "index", broken)
        with pytest.raises(SearchSyntaxError, match="could not read 'report'"):
            await searched.search(SearchQuery("report"))

    async def test_a_rewritten_or_deleted_sentence_is_found_as_it_now_is(
        self, searched: Any
    ) -> None:
        sentence = corpus()[0][1]
        rewritten = dataclasses.replace(sentence, text="I export the summary every Friday.")
        await searched.write_sentences([rewritten], KICKOFF.filename)
        assert where(await self.hits(searched, "summary")) == kickoff(1)
        assert where(await self.hits(searched, "report crm")) == set()
        await searched.delete_interview(FOLLOW_UP.interview_id)
        assert where(await self.hits(searched, "report")) == kickoff(0, 6)

    async def test_projected_sentences_are_found(self, store: Any) -> None:
        sentences, analyses = corpus()
        own = [s for s in sentences if s.interview_id == FOLLOW_UP.interview_id]
        batch = ProjectionBatch(
            interviews=[FOLLOW_UP],
            sentences=own,
            analyses=[a for a in analyses if a.interview_id == FOLLOW_UP.interview_id],
        )
        await store.apply_projection_batch(batch, ProjectionCheckpoint("search", 1))
        assert where(await self.hits(store, "late report")) == follow_up(*range(12))

    async def test_an_empty_graph_finds_nothing(self, store: Any) -> None:
        page = await store.search(SearchQuery("report"))
        assert page.hits == () and page.next_offset is None
