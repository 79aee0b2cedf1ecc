"""A page of verified hits from the ranked candidates of an index, for every backend.

The index ranks candidates; search.highlight decides which are hits. Candidates are read in
windows from the page's offset until the page holds `limit` hits and one more shows that
another page follows (its offset is that candidate's). Should many candidates in a row fail
(an index that splits words more finely than search reads them returns some), reading stops
after MAX_CANDIDATES and the page ends short, with the offset to go on from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from interview_graph.search.highlight import highlights
from interview_graph.search.port import SearchHit, SearchPage
from interview_graph.search.query import ParsedQuery

# (offset, count) -> at most `count` candidates in rank order from `offset` on, as hits
# without highlights.
FetchCandidates = Callable[[int, int], Awaitable[list[SearchHit]]]

MAX_WINDOW = 1000
MAX_CANDIDATES = 5000


async def collect_page(
    fetch: FetchCandidates, query: ParsedQuery, limit: int, offset: int
) -> SearchPage:
    hits: list[SearchHit] = []
    position, window = offset, limit + 1
    while True:
        candidates = await fetch(position, window)
        for at, candidate in enumerate(candidates):
            spans = highlights(query, candidate.text)
            if spans is None:
                continue
            if len(hits) == limit:
                return SearchPage(tuple(hits), position + at)
            hits.append(replace(candidate, highlights=spans))
        position += len(candidates)
        if len(candidates) < window:
            return SearchPage(tuple(hits), None)
        if position - offset >= MAX_CANDIDATES:
            return SearchPage(tuple(hits), position)
        window = min(window * 2, MAX_WINDOW)
