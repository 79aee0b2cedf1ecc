"""The SentenceSearch port: full-text search over the sentences of every interview.

A search is a text in our own query language (search.query) plus optional filters; it returns
one page of hits in rank order (the backend's relevance score, highest first; equal scores in
interview and sentence order) and where the next page starts. Every hit carries the character
spans of the words that matched, so a reader can point at the exact words. Importing this
module loads no database driver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from interview_graph.graph.port import SentenceFilter

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Pages further than this many candidates into a result are not served: every page ranks the
# whole result again, so deep pages cost what all the pages before them cost.
MAX_OFFSET = 10_000


class SearchSyntaxError(ValueError):
    """The search text cannot be searched for; the message says why and how to write it."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to search for, among which sentences (the filter every read that narrows sentences
    shares), and which page: `offset` is where a previous page's `next_offset` said the next
    one starts."""

    text: str
    filter: SentenceFilter = field(default_factory=SentenceFilter)
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit {self.limit}: give 1 to {MAX_LIMIT} hits per page")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise ValueError(
                f"offset {self.offset}: pages start within the first {MAX_OFFSET:,} matches; "
                "narrow the search with more words or filters"
            )


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching sentence. `highlights` are (start, end) character offsets into `text`,
    sorted and not overlapping, over every word that matched; `score` is the backend's
    relevance, comparable within one search only."""

    sentence_id: str
    interview_id: str
    interview_title: str
    project_name: str
    sequence_order: int
    text: str
    speaker: str | None
    start_ms: int | None
    end_ms: int | None
    score: float
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    # Where the next page starts (pass it as the next query's offset); None on the last page.
    # A page can hold fewer hits than its limit and still have a next one.
    next_offset: int | None


@runtime_checkable
class SentenceSearch(Protocol):
    async def search(self, query: SearchQuery) -> SearchPage:
        """One page of the sentences matching `query`. Raises SearchSyntaxError when its text
        cannot be searched for (the message says what to change)."""
        ...
