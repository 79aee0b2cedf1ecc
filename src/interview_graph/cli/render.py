"""Rendering of reports and graph views for people (Rich tables) and machines (JSON).

Tables stay readable at 80 columns: they hold short cells only (8-character id prefixes,
which every command accepts; labels and speakers stacked in one column or under the text),
so Rich wraps their text at word boundaries and never has to split a word. Free text that can
be long (errors, failure reasons) is printed under a table, on lines of its own. From
WIDE_COLUMNS on, `show` and `process` give the labels, speakers and timings columns of their
own. The JSON forms are the machine interface and carry every field in full.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from interview_graph.domain.model import Analysis, Interview
from interview_graph.graph.json_forms import sentences_json
from interview_graph.graph.port import InterviewSummary, SentenceView

if TYPE_CHECKING:  # the read commands render without loading the pipeline or the events
    from interview_graph.domain.events import DomainEvent
    from interview_graph.pipeline.discovery import SkippedFile
    from interview_graph.pipeline.service import FileReport

console = Console()
err_console = Console(stderr=True)

WIDE_COLUMNS = 120  # from this width on, tables give secondary fields columns of their own
SHORT_ID = 8  # the id characters tables print (any unique prefix is accepted as an id)


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def report_rows(reports: Sequence[FileReport]) -> list[dict[str, Any]]:
    return [
        {
            "path": r.path,
            "status": r.status,
            "interview_id": r.interview_id,
            "title": r.title,
            "sentences": r.sentences,
            "analyses": r.analyses,
            "seconds": round(r.seconds, 3),
            "error": r.error,
            "analysis_failures": [
                {
                    "sequence_order": f.sequence_order,
                    "sentence_id": f.sentence_id,
                    "reason": f.reason,
                }
                for f in r.analysis_failures
            ],
            "usage": asdict(r.usage),
            "speakers": list(r.speakers),
            "warnings": [{"line": w.line, "message": w.message} for w in r.warnings],
        }
        for r in reports
    ]


def skipped_rows(skipped: Sequence[SkippedFile]) -> list[dict[str, str]]:
    return [{"path": str(s.path), "reason": s.reason} for s in skipped]


def print_skipped(skipped: Sequence[SkippedFile], *, to: Console | None = None) -> None:
    """Every path a folder held that was not read, with the reason (not a failure)."""
    out = to or console
    for item in skipped:
        out.print(f"[dim]skipped[/] {escape(str(item.path))}: {escape(item.reason)}")


def print_process_summary(
    reports: Sequence[FileReport], totals: dict[str, Any], skipped: Sequence[SkippedFile] = ()
) -> None:
    """The files in a table (paths relative to the folder they share), then every warning,
    error, skipped path and analysis failure on lines of their own, then the totals."""
    console.print(_process_table(reports))
    for r in reports:
        if r.error:
            named = r.error if r.error.startswith(r.path) else f"{r.path}: {r.error}"
            console.print(Text.assemble(("failed", "red"), f" {named}"))
    for r in reports:
        for warning in r.warnings:
            console.print(f"[yellow]warning[/] {escape(r.path)} {escape(str(warning))}")
    print_skipped(skipped)
    parts = [f"{key}={value}" for key, value in totals.items() if not isinstance(value, dict)]
    console.print("  ".join(parts))
    events = totals.get("events")
    if isinstance(events, dict):
        console.print("events: " + "  ".join(f"{key}={value}" for key, value in events.items()))
    usage = totals.get("usage")
    if isinstance(usage, dict) and any(usage.values()):
        console.print("analysis: " + "  ".join(f"{key}={value}" for key, value in usage.items()))
    for r in reports:
        for failure in r.analysis_failures:
            console.print(
                f"[yellow]no analysis[/] {escape(r.path)} sentence #{failure.sequence_order}: "
                f"{escape(failure.reason)}"
            )


_NUMBERS = frozenset({"sentences", "analyses", "seconds"})
_SHORT_CELLS = _NUMBERS | {"status", "interview"}


def _process_table(reports: Sequence[FileReport]) -> Table:
    """A row per file. Narrow: the speakers go under the file name and the seconds only into
    the totals; wide: each has a column."""
    wide = console.width >= WIDE_COLUMNS
    folder = _shared_folder([r.path for r in reports])
    columns = ["file", "status", "interview", "sentences", "analyses"]
    if wide:
        columns[3:3] = ["speakers"]
        columns.append("seconds")
    table = Table(
        title="interview-graph: processed files",
        caption=f"in {folder}" if folder else None,
        caption_justify="left",
    )
    for column in columns:
        table.add_column(
            column,
            justify="right" if column in _NUMBERS else "left",
            no_wrap=column in _SHORT_CELLS,
        )
    for r in reports:
        cells = _process_cells(r, folder, wide)
        table.add_row(*(cells[column] for column in columns))
    return table


def _process_cells(report: FileReport, folder: str, wide: bool) -> dict[str, Text | str]:
    speakers = ", ".join(report.speakers)
    name = Text(_relative(report.path, folder))
    if speakers and not wide:
        name.append(f"\n{speakers}", style="dim")
    return {
        "file": name,
        "status": Text("done", "green") if report.ok else Text("failed", "red"),
        "interview": (report.interview_id or "")[:SHORT_ID],
        "speakers": Text(speakers),
        "sentences": str(report.sentences),
        "analyses": str(report.analyses),
        "seconds": f"{report.seconds:.2f}",
    }


def _shared_folder(paths: Sequence[str]) -> str:
    """The folder every path is in ('' when they share none), so the table names files by
    what tells them apart."""
    folders = [os.path.dirname(path) for path in paths]
    try:
        return os.path.commonpath(folders) if folders and all(folders) else ""
    except ValueError:  # absolute and relative paths mixed
        return ""


def _relative(path: str, folder: str) -> str:
    return os.path.relpath(path, folder) if folder else path


def print_analysis_failures(failures: Sequence[dict[str, Any]]) -> None:
    """Sentences an LLM analyzer left without analysis (from its failures ledger), one line
    each, the reason in full."""
    if not failures:
        return
    console.print(Text("sentences without analysis", style="bold"))
    for failure in failures:
        console.print(
            Text.assemble(
                (f"#{failure['sequence_order']}", "yellow"),
                f" {failure['provider']}/{failure['model']} at {failure['at']}: ",
                str(failure["reason"]),
            )
        )


def print_interviews(rows: Sequence[InterviewSummary]) -> None:
    """One row per interview: the shortest id prefix that tells every listed interview apart
    (at least SHORT_ID characters), the title with its file and project under it, status and
    counts."""
    table = Table(title="interviews")
    table.add_column("id", no_wrap=True)
    table.add_column("interview")
    table.add_column("status", no_wrap=True)
    table.add_column("sentences", justify="right", no_wrap=True)
    table.add_column("analyses", justify="right", no_wrap=True)
    length = unique_prefix_length([row.interview_id for row in rows])
    for row in rows:
        described = Text(row.title)
        described.append(f"\n{row.filename} · {row.project_name}", style="dim")
        table.add_row(
            row.interview_id[:length],
            described,
            row.status,
            str(row.sentence_count),
            str(row.analysis_count),
        )
    console.print(table)


def unique_prefix_length(ids: Sequence[str], shortest: int = SHORT_ID) -> int:
    """The smallest length from `shortest` on at which the ids' prefixes are all different."""
    length = shortest
    while len({i[:length] for i in ids}) < len(set(ids)):
        length += 1
    return length


def print_sentences(views: Sequence[SentenceView]) -> None:
    """A row per sentence: its number, speaker and time, the text, and its first analysis's
    labels -- in a column of their own on wide terminals, under the text on narrow ones."""
    wide = console.width >= WIDE_COLUMNS
    table = Table()
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("speaker")
    table.add_column("text", ratio=3)
    if wide:
        table.add_column("analysis", ratio=2)
    for view in views:
        table.add_row(*_sentence_cells(view, wide))
    console.print(table)


def _sentence_cells(view: SentenceView, wide: bool) -> list[Text | str]:
    s = view.sentence
    who = Text(s.speaker or "")
    clock = clock_of(s.start_ms)
    if clock:
        who.append(("\n" if s.speaker else "") + clock, style="dim")
    labels = analysis_lines(view.analyses[0]) if view.analyses else []
    if wide:
        return [str(s.sequence_order), who, Text(s.text), Text("\n".join(labels))]
    text = Text(s.text)
    if labels:
        text.append("\n" + " · ".join(labels), style="dim")
    return [str(s.sequence_order), who, text]


def analysis_lines(analysis: Analysis) -> list[str]:
    """Function and purpose, topics (name/level), keywords: the non-empty ones."""
    topics = ", ".join(f"{t.name}/{t.level}" for t in analysis.topics)
    lines = [
        " · ".join(part for part in (analysis.function_type, analysis.purpose) if part),
        topics,
        ", ".join(analysis.overall_keywords),
    ]
    return [line for line in lines if line]


def events_table(events: Sequence[DomainEvent]) -> Table:
    """Position, time, type with its stream (short id) and version under it, and a summary."""
    table = Table()
    table.add_column("pos", justify="right", no_wrap=True)
    table.add_column("occurred (UTC)")
    table.add_column("type / stream@version")
    table.add_column("summary")
    for event in events:
        kind = Text(event.event_type)
        kind.append(f"\n{_short_stream(event.stream)}@{event.version}", style="dim")
        table.add_row(
            str(event.position),
            f"{event.occurred_at:%Y-%m-%d %H:%M:%S}",
            kind,
            Text(event_summary(event)),
        )
    return table


def event_line(event: DomainEvent) -> Text:
    """One event on one line, for following the log (the stream in full)."""
    return Text(
        f"{event.position:>8} {event.occurred_at:%Y-%m-%d %H:%M:%S} "
        f"{event.event_type:<24} {event.stream}@{event.version}  {event_summary(event)}"
    )


def event_summary(event: DomainEvent) -> str:
    data = event.data
    for key in ("title", "text", "to_status"):
        if isinstance(data.get(key), str):
            return str(data[key])[:60]
    classification = data.get("classification")
    if isinstance(classification, dict):
        return f"{data.get('model')} {classification.get('purpose')}"
    return ""


def _short_stream(stream: str) -> str:
    """'Sentence-54eb82a1-...' -> 'Sentence-54eb82a1': the kind and the id's first characters."""
    kind, _, aggregate_id = stream.partition("-")
    return f"{kind}-{aggregate_id[:SHORT_ID]}" if aggregate_id else stream


def clock_of(ms: int | None) -> str:
    """A time into the interview as hh:mm:ss ("" for none)."""
    if ms is None:
        return ""
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class ShowWriter:
    """`show` output written page by page as the pages are read: tables, or one JSON
    document ({"interview", "sentences", "next_from", "analysis_failures"}) whose sentence
    list is streamed, so a whole interview never sits in memory."""

    def __init__(self, interview: Interview, *, as_json: bool) -> None:
        self.interview = interview
        self.as_json = as_json
        self.written = 0
        if as_json:
            head = json.dumps(asdict(interview), ensure_ascii=False, default=str)
            sys.stdout.write(f'{{"interview": {head},\n "sentences": [')
        else:
            console.print(
                f"[bold]{escape(interview.title)}[/] ({escape(interview.filename)}) "
                f"status={interview.status}"
            )

    def page(self, views: Sequence[SentenceView]) -> None:
        if not self.as_json:
            if views:
                print_sentences(views)
            return
        for item in sentences_json(views):
            separator = ",\n  " if self.written else "\n  "
            sys.stdout.write(separator + json.dumps(item, ensure_ascii=False, default=str))
            self.written += 1

    def finish(self, next_from: int | None, failures: Sequence[dict[str, Any]]) -> None:
        if self.as_json:
            tail = json.dumps(list(failures), ensure_ascii=False, default=str)
            sys.stdout.write(
                f'\n ],\n "next_from": {json.dumps(next_from)},\n "analysis_failures": {tail}}}\n'
            )
            return
        if next_from is not None:
            console.print(
                f"[dim]more: interview-graph show {self.interview.interview_id} "
                f"--from {next_from}[/]"
            )
        print_analysis_failures(failures)
