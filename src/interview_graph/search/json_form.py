"""The JSON form of a page of search hits, one for every reader (the CLI's `--json` and the
HTTP API), and the cursor that turns it: a page's `next_cursor` passed back as `cursor`."""

from __future__ import annotations

from typing import Any

from interview_graph.search.port import MAX_OFFSET, SearchHit, SearchPage


def hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "sentence_id": hit.sentence_id,
        "interview_id": hit.interview_id,
        "interview_title": hit.interview_title,
        "project_name": hit.project_name,
        "sequence_order": hit.sequence_order,
        "text": hit.text,
        "speaker": hit.speaker,
        "start_ms": hit.start_ms,
        "end_ms": hit.end_ms,
        "score": hit.score,
        "highlights": [[start, end] for start, end in hit.highlights],
    }


def page_json(page: SearchPage) -> dict[str, Any]:
    return {"hits": [hit_json(hit) for hit in page.hits], "next_cursor": next_cursor(page)}


def next_cursor(page: SearchPage) -> str | None:
    return None if page.next_offset is None else str(page.next_offset)


def cursor_offset(cursor: str | None) -> int:
    """The offset a cursor stands for (0 without one); ValueError for a cursor no search gave."""
    if cursor is None:
        return 0
    if not cursor.isascii() or not cursor.isdigit() or int(cursor) > MAX_OFFSET:
        raise ValueError(
            f"cursor {cursor[:40]!r} is not one a search gave: pass a page's next_cursor as it "
            f"is (pages start within the first {MAX_OFFSET:,} matches)"
        )
    return int(cursor)
