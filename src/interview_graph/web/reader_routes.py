"""The transcript reader: a page of an interview's sentences (all, or those a filter
keeps), the next page as a fragment the page appends, jumps, and each sentence's address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from interview_graph.domain.ids import sentence_id_for
from interview_graph.graph.pages import sentences_page
from interview_graph.graph.port import GraphStore, SentencePlace, SentenceView
from interview_graph.web.filters import LABELS, PageFilter, page_filter, parse_clock
from interview_graph.web.page_support import MAX_PAGE, PAGE, graph_of, pages, summary_or_404
from interview_graph.web.reader import turns
from interview_graph.web.templating import query, render, segment

router = APIRouter(include_in_schema=False)

CHOICES = 200  # values offered per label in the filter form


@dataclass(frozen=True, slots=True)
class ReaderPage:
    turns: list[Any]
    start: int
    next_from: int | None
    json_url: str


async def _reader_page(
    graph: GraphStore, interview_id: str, wanted: PageFilter, start: int, size: int
) -> ReaderPage:
    """The sentences the reader shows from sequence order `start` on: all of them, or those
    the filter keeps; at most `size`."""
    if wanted.narrows():
        after = SentencePlace(interview_id, start - 1) if start > 0 else None
        views = await graph.sentences_matching(wanted.sentences(), after, size + 1)
        page, more = views[:size], len(views) > size
        cursor = sentence_id_for(interview_id, start - 1) if start > 0 else None
        json_url = "/api/sentences" + query(wanted.api_params(), cursor=cursor, limit=size)
        next_from = page[-1].sentence.sequence_order + 1 if more else None
        return ReaderPage(turns(page, None, start), start, next_from, json_url)
    first = max(0, start - 1)  # the sentence before the page tells whether a turn goes on
    read = await sentences_page(graph, interview_id, first, size + (start - first))
    before: SentenceView | None = None
    views = read.views
    if start > 0 and views and views[0].sentence.sequence_order == start - 1:
        before, views = views[0], views[1:]
    json_url = f"/api/interviews/{segment(interview_id)}/sentences" + query(
        {"from": start, "limit": size}
    )
    return ReaderPage(turns(views, before, start), start, read.next_from, json_url)


def _params(wanted: PageFilter, colour_by: str, size: int) -> dict[str, Any]:
    """The reader's query string: its filter, colours and page size (defaults left out)."""
    return {
        **wanted.with_(interview=None).params(),
        "colour": colour_by if colour_by != "purpose" else None,
        "size": size if size != PAGE else None,
    }


def _next_links(base: str, params: dict[str, Any], page: ReaderPage) -> dict[str, str | None]:
    """The next page as a page of its own (`next_url`) and as the fragment the script
    appends (`more_url`); None on the last page."""
    if page.next_from is None:
        return {"next_url": None, "more_url": None}
    start = {"from": page.next_from}
    return {
        "next_url": base + query(params, **start),
        "more_url": base + "/more" + query(params, **start),
    }


async def _reader(
    request: Request,
    interview_id: str,
    wanted: PageFilter,
    start: int,
    size: int,
    colour_by: str,
    *,
    target: str | None = None,
    notice: str | None = None,
) -> Response:
    graph = graph_of(request)
    summary = await summary_or_404(graph, interview_id)
    interview = await graph.get_interview(interview_id)
    wanted = wanted.with_(interview=interview_id, project=None)
    page = await _reader_page(graph, interview_id, wanted, start, size)
    choices = await graph.facet_counts(wanted.scope().sentences(), LABELS, CHOICES)
    params = _params(wanted, colour_by, size)
    base = f"/interviews/{segment(interview_id)}"
    return render(
        "reader.html",
        {
            "title": summary.title,
            "nav": "interviews",
            "summary": summary,
            "interview": interview,
            "page": page,
            "params": params,
            "wanted": wanted,
            "filtered": wanted.narrows(),
            "choices": choices.counts,
            "colour_by": colour_by,
            "target": target,
            "notice": notice,
            "base": base,
            **_next_links(base, params, page),
            "previous_url": base + query(params, **{"from": max(0, start - size) or None})
            if start > 0 and not wanted.narrows()
            else None,
            "json_url": page.json_url,
        },
    )


Colour = Annotated[str, Query(alias="colour", pattern="^(purpose|topic)$")]
Start = Annotated[int, Query(alias="from", ge=0, le=2**53)]
Size = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("/interviews/{interview_id}")
@pages
async def reader(
    request: Request,
    interview_id: str,
    wanted: Annotated[PageFilter, Depends(page_filter)],
    start: Start = 0,
    size: Size = PAGE,
    colour_by: Colour = "purpose",
    jump: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The transcript, a page at a time; `jump` (`12:30` or `#42`) goes to a time or a
    sentence number."""
    if jump:
        found, notice = await _jump(graph_of(request), interview_id, jump.strip())
        if found is None:
            return await _reader(
                request, interview_id, wanted, start, size, colour_by, notice=notice
            )
        return RedirectResponse(
            f"/interviews/{segment(interview_id)}/sentences/{segment(found)}"
            + query({"colour": colour_by if colour_by != "purpose" else None}),
            status_code=303,
        )
    return await _reader(request, interview_id, wanted, start, size, colour_by)


async def _jump(graph: GraphStore, interview_id: str, text: str) -> tuple[str | None, str]:
    """The id of the sentence a jump lands on, or None and why there is none."""
    await summary_or_404(graph, interview_id)
    if ":" in text:
        try:
            at_ms = parse_clock(text)
        except ValueError as exc:
            return None, str(exc)
        orders = await graph.orders_in_time(interview_id, at_ms, 2**53)
        if orders is None:
            return (
                None,
                f"No sentence was said at or after {text} (or the transcript has no times).",
            )
        order = orders[0]
    else:
        number = text.lstrip("#")
        if not number.isdigit() or int(number) < 1:
            return None, f"{text!r}: write a time as m:ss (12:30) or a sentence number as #42."
        order = int(number) - 1
    views = await graph.get_sentences(interview_id, order, 1)
    if not views or views[0].sentence.sequence_order != order:
        return None, f"This interview has no sentence #{order + 1}."
    return views[0].sentence.sentence_id, ""


@router.get("/interviews/{interview_id}/more")
@pages
async def reader_more(
    request: Request,
    interview_id: str,
    wanted: Annotated[PageFilter, Depends(page_filter)],
    start: Start = 0,
    size: Size = PAGE,
    colour_by: Colour = "purpose",
) -> Response:
    """The reader's next page as an HTML fragment, appended by the page's script."""
    graph = graph_of(request)
    await summary_or_404(graph, interview_id)
    wanted = wanted.with_(interview=interview_id, project=None)
    page = await _reader_page(graph, interview_id, wanted, start, size)
    base = f"/interviews/{segment(interview_id)}"
    return render(
        "reader_more.html",
        {
            "page": page,
            "filtered": wanted.narrows(),
            "base": base,
            "target": None,
            **_next_links(base, _params(wanted, colour_by, size), page),
        },
    )


@router.get("/interviews/{interview_id}/sentences/{sentence_id}")
@pages
async def sentence_in_reader(
    request: Request,
    interview_id: str,
    sentence_id: str,
    colour_by: Colour = "purpose",
) -> Response:
    """A sentence's own address: the reader's page holding it, the sentence marked."""
    place = await graph_of(request).locate_sentence(sentence_id)
    if place is None or place.interview_id != interview_id:
        raise HTTPException(404, f"No sentence {sentence_id} in interview {interview_id}.")
    start = place.sequence_order - place.sequence_order % PAGE
    return await _reader(
        request, interview_id, PageFilter(), start, PAGE, colour_by, target=sentence_id
    )
