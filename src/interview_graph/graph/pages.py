"""An interview's sentences a page at a time, as every reader pages them (the CLI's `show`,
the HTTP API): in sequence order, with where the next page starts."""

from __future__ import annotations

from dataclasses import dataclass

from interview_graph.graph.port import GraphStore, SentenceView


@dataclass(frozen=True, slots=True)
class SentencesPage:
    views: list[SentenceView]
    next_from: int | None  # the sequence order the next page starts at; None on the last page


async def sentences_page(
    graph: GraphStore, interview_id: str, from_order: int, limit: int
) -> SentencesPage:
    """At most `limit` sentences from sequence order `from_order` on."""
    # One row more than the page tells whether another page follows.
    views = await graph.get_sentences(interview_id, from_order, limit + 1)
    page = views[:limit]
    more = len(views) > limit
    return SentencesPage(page, page[-1].sentence.sequence_order + 1 if more else None)
