"""The dashboard's charts, built from facet counts: each bar knows the page of the sentences
behind it (the reader for one interview, the sentence list across interviews) and the
dashboard narrowed to it. Each chart is also a table, for keyboards and screen readers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from interview_graph.graph.port import FacetCount, Facets, TimelineCount
from interview_graph.web.filters import PageFilter
from interview_graph.web.templating import colour, query, segment

# The facets the charts draw.
FACETS: tuple[str, ...] = (
    "speaker", "function", "purpose", "topic", "keyword", "domain_keyword",
)  # fmt: skip
TOP_KEYWORDS = 15
# Interviews are cut into this many parts for "over the course of the interview".
PARTS = 10
TOP_SPEAKERS = 6
TOP_TOPICS = 10


@dataclass(frozen=True, slots=True)
class Cell:
    count: int
    href: str  # the sentences behind the count


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    narrow_href: str | None  # the dashboard narrowed to this value
    cells: list[Cell]


@dataclass(slots=True)
class Chart:
    key: str
    title: str
    caption: str
    columns: list[str]  # the table's count columns (one per trace)
    lines: list[Line] = field(default_factory=list)
    horizontal: bool = True
    axis_title: str = "Sentences"
    category_title: str = ""
    colours: list[int] = field(default_factory=list)  # palette index per trace (stacked)
    by_label_colour: bool = False  # one trace, each bar in its label's colour

    def plot(self) -> dict[str, Any]:
        """What the script draws: one trace per column, one bar per line."""
        labels = [line.label for line in self.lines]
        traces = []
        for index, name in enumerate(self.columns):
            counts = [line.cells[index].count for line in self.lines]
            links = [line.cells[index].href for line in self.lines]
            bar_colours = (
                [colour(label) for label in labels]
                if self.by_label_colour
                else [self.colours[index] if self.colours else 0] * len(labels)
            )
            traces.append(
                {"name": name, "labels": labels, "counts": counts, "links": links,
                 "colours": bar_colours}
            )  # fmt: skip
        return {
            "key": self.key,
            "horizontal": self.horizontal,
            "stacked": len(self.columns) > 1,
            "axis_title": self.axis_title,
            "category_title": self.category_title,
            "traces": traces,
        }


def label(value: str | None) -> str:
    return value if value is not None else "(no speaker)"


class Links:
    """Where a bar leads: the reader of the dashboard's interview, or the sentence list."""

    def __init__(self, base: PageFilter, interview_size: int | None) -> None:
        self.base = base
        self.interview_size = interview_size

    def sentences(self, start: int | None = None, **values: Any) -> str:
        narrowed = self.base.with_(**values)
        if narrowed.interview is not None:
            params = {**narrowed.with_(interview=None, project=None).params(), "from": start}
            return f"/interviews/{segment(narrowed.interview)}{query(params)}"
        return "/sentences" + query(narrowed.params())

    def dashboard(self, **values: Any) -> str:
        return "/dashboard" + query(self.base.with_(**values).params())

    def part_start(self, part: int) -> int | None:
        """The first sentence order of a part of the dashboard's interview."""
        if self.interview_size is None:
            return None
        return ceil(part * self.interview_size / PARTS)


def single(
    key: str, title: str, caption: str, counts: Sequence[FacetCount], field_name: str,
    links: Links, *, coloured: bool = False,
) -> Chart:  # fmt: skip
    """A bar per value of one facet, most sentences first."""
    chart = Chart(key, title, caption, ["Sentences"], by_label_colour=coloured)
    for count in counts:
        value = count.value
        narrow = links.dashboard(**{field_name: value}) if value is not None else None
        href = (
            links.sentences(None, **{field_name: value}) if value is not None else links.sentences()
        )
        chart.lines.append(Line(label(value), narrow, [Cell(count.sentences, href)]))
    return chart


def topics_by_speaker(
    topics: Sequence[FacetCount],
    per_speaker: Mapping[str, Sequence[FacetCount]],
    links: Links,
) -> Chart:
    """Stacked bars: for each frequent topic, how many sentences each speaker said on it."""
    speakers = list(per_speaker)
    chart = Chart(
        "topic-speaker", "Topics by speaker",
        "How many sentences each speaker said on each of the most frequent topics.",
        [label(s) for s in speakers], horizontal=False, category_title="Topic",
        colours=[colour(label(s)) for s in speakers],
    )  # fmt: skip
    for topic in topics[:TOP_TOPICS]:
        cells = []
        for speaker in speakers:
            found = {c.value: c.sentences for c in per_speaker[speaker]}
            cells.append(
                Cell(found.get(topic.value, 0), links.sentences(topic=topic.value, speaker=speaker))
            )
        chart.lines.append(Line(label(topic.value), links.dashboard(topic=topic.value), cells))
    return chart


def over_the_course(timeline: Sequence[TimelineCount], links: Links) -> Chart:
    """Stacked bars: each function's sentences in each tenth of the interviews."""
    functions = list(dict.fromkeys(label(c.value) for c in timeline))
    chart = Chart(
        "function-course", "Function over the course of the interview",
        "How many sentences of each function fall in each tenth of the interview "
        "(by sentence position).",
        functions, horizontal=False, category_title="Part of the interview",
        colours=[colour(f) for f in functions],
    )  # fmt: skip
    found = {(c.part, label(c.value)): c.sentences for c in timeline}
    for part in range(PARTS):
        start = links.part_start(part)
        cells = [
            Cell(found.get((part, name), 0), links.sentences(start, function=name))
            for name in functions
        ]
        span = f"{part * 100 // PARTS}–{(part + 1) * 100 // PARTS}%"
        chart.lines.append(Line(span, None, cells))
    return chart


def build(
    found: Facets,
    per_speaker: Mapping[str, Sequence[FacetCount]],
    timeline: Sequence[TimelineCount],
    links: Links,
) -> list[Chart]:
    counts = found.counts
    return [
        single(
            "purpose", "Purposes", "How many sentences serve each purpose.",
            counts["purpose"], "purpose", links, coloured=True,
        ),
        topics_by_speaker(counts["topic"], per_speaker, links),
        over_the_course(timeline, links),
        single(
            "keywords", "Most frequent keywords", "The keywords most sentences mention.",
            counts["keyword"][:TOP_KEYWORDS], "keyword", links,
        ),
        single(
            "domain-keywords", "Domain keywords",
            "Terms of the domain lexicon, by the sentences that mention them.",
            counts["domain_keyword"][:TOP_KEYWORDS], "keyword", links,
        ),
        single(
            "speakers", "Speakers", "How many sentences each speaker said.",
            counts["speaker"], "speaker", links, coloured=True,
        ),
    ]  # fmt: skip
