"""Search on a Cypher graph: a parsed search, its filters and page turned into runs of the
search statement (graph.cypher.search), and the candidates it ranks into verified hits
(search.paging). Written once for both backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from interview_graph.graph.cypher.search import SearchStatements
from interview_graph.graph.cypher.sentence_filter import filter_params
from interview_graph.graph.port import GraphStoreError
from interview_graph.search.paging import collect_page
from interview_graph.search.port import SearchHit, SearchPage, SearchQuery, SearchSyntaxError
from interview_graph.search.query import SYNTAX_HELP, parse_query

# Runs one read statement; the rows its dialect unpacks (`rows_of`).
ReadRows = Callable[[str, Mapping[str, Any]], Awaitable[list[Any]]]
# Whether a store error is the index refusing its query string.
IndexRefused = Callable[[GraphStoreError], bool]


async def search_page(
    statements: SearchStatements, read: ReadRows, refused: IndexRefused, query: SearchQuery
) -> SearchPage:
    parsed = parse_query(query.text)
    filters = filter_params(query.filter)
    statement = statements.candidates(frozenset(filters))
    params = {**filters, "index_query": statements.index.render(parsed)}

    async def fetch(offset: int, count: int) -> list[SearchHit]:
        try:
            rows = await read(statement, {**params, "offset": offset, "count": count})
        except GraphStoreError as exc:
            if refused(exc):
                raise SearchSyntaxError(
                    f"the search index could not read {query.text!r} ({exc}); {SYNTAX_HELP}"
                ) from exc
            raise
        return [candidate(row) for row in rows]

    return await collect_page(fetch, parsed, query.limit, query.offset)


def candidate(row: Sequence[Any]) -> SearchHit:
    """A row of the search statement (cypher.search.CANDIDATE_COLUMNS), not yet verified."""
    sentence_id, interview_id, title, project, order, text, speaker, start, end, score = row
    return SearchHit(
        sentence_id=str(sentence_id),
        interview_id=str(interview_id),
        interview_title=str(title),
        project_name=str(project),
        sequence_order=int(order),
        text=str(text),
        speaker=speaker,
        start_ms=start,
        end_ms=end,
        score=float(score),
    )
