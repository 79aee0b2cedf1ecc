"""The dashboard: charts of the facet counts for a filter, each bar linked to its sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from interview_graph.web import dashboard as charts
from interview_graph.web.filters import LABELS, PageFilter, page_filter
from interview_graph.web.page_support import graph_of, pages, summary_or_404
from interview_graph.web.reader_routes import CHOICES
from interview_graph.web.templating import query, render

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
@pages
async def dashboard(
    request: Request, wanted: Annotated[PageFilter, Depends(page_filter)]
) -> Response:
    graph = graph_of(request)
    summary = await summary_or_404(graph, wanted.interview) if wanted.interview else None
    found = await graph.facet_counts(wanted.sentences(), charts.FACETS, 24)
    choices = await graph.facet_counts(wanted.scope().sentences(), LABELS, CHOICES)
    speakers = [c.value for c in found.counts["speaker"][: charts.TOP_SPEAKERS]]
    per_speaker = {
        speaker: (
            await graph.facet_counts(wanted.with_(speaker=speaker).sentences(), ["topic"], 50)
        ).counts["topic"]
        for speaker in speakers
        if speaker is not None
    }
    timeline = await graph.facet_timeline(wanted.sentences(), "function", charts.PARTS)
    links = charts.Links(wanted, summary.sentence_count if summary else None)
    built = charts.build(found, per_speaker, timeline, links)
    params = wanted.params()
    return render(
        "dashboard.html",
        {
            "title": f"Dashboard · {summary.title}" if summary else "Dashboard",
            "nav": "dashboard",
            "summary": summary,
            "total": found.total,
            "charts": built,
            "plots": [chart.plot() for chart in built],
            "wanted": wanted,
            "params": params,
            "choices": choices.counts,
            "projects": [p.name for p in await graph.list_projects()],
            "sentences_url": charts.Links(wanted, None).sentences(),
            "json_url": "/api/facets" + query(wanted.api_params(), limit=24),
            "timeline_url": "/api/facets/timeline"
            + query(wanted.api_params(), by="function", parts=charts.PARTS),
        },
    )
