"""Query parameters shared by routes: the sentence filter of every route that narrows
sentences (facets, search), and the bound of every number a route takes."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query

from interview_graph.graph.port import SentenceFilter

# The largest number a route takes (a position, a sequence order, a time in ms) and the end
# of an open time range: beyond any stored value, within every store's integers, exact in
# any JSON.
LARGEST = 2**53

Text = Annotated[str | None, Query(min_length=1, max_length=500)]
Milliseconds = Annotated[int | None, Query(ge=0, le=LARGEST)]


def sentence_filter(
    project: Annotated[Text, Query(description="Only this project (its name).")] = None,
    interview: Annotated[Text, Query(description="Only this interview (its id).")] = None,
    speaker: Annotated[Text, Query(description="Only this speaker's sentences.")] = None,
    function: Annotated[Text, Query(description="e.g. interrogative")] = None,
    purpose: Annotated[Text, Query(description="e.g. Objection")] = None,
    topic: Annotated[Text, Query(description="The sentence's own topic, e.g. tools.")] = None,
    keyword: Annotated[Text, Query(description="An overall or a domain keyword.")] = None,
    from_ms: Annotated[Milliseconds, Query(description="Said from this time on (ms).")] = None,
    to_ms: Annotated[Milliseconds, Query(description="Said up to this time (ms).")] = None,
) -> SentenceFilter:
    if from_ms is not None and to_ms is not None and from_ms > to_ms:
        raise HTTPException(400, f"from_ms ({from_ms}) is after to_ms ({to_ms})")
    return SentenceFilter(
        project, interview, speaker, function, purpose, topic, keyword, from_ms, to_ms
    )
