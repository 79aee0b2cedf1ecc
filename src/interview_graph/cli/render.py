"""Rendering of reports and graph views for people (Rich tables) and machines (JSON)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from interview_graph.domain.model import Analysis, Interview
from interview_graph.graph.port import InterviewSummary, SentenceView

if TYPE_CHECKING:  # the read commands render without loading the pipeline
    from interview_graph.pipeline.discovery import SkippedFile
    from interview_graph.pipeline.service import FileReport

console = Console()
err_console = Console(stderr=True)


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
    table = Table(title="interview-graph: processed files")
    columns = ("file", "status", "interview", "speakers", "sentences", "analyses", "seconds")
    for column in (*columns, "error"):
        table.add_column(column, overflow="fold")
    for r in reports:
        status = "[green]done[/]" if r.ok else "[red]failed[/]"
        table.add_row(
            escape(r.path),
            status,
            (r.interview_id or "")[:8],
            escape(", ".join(r.speakers)),
            str(r.sentences),
            str(r.analyses),
            f"{r.seconds:.2f}",
            escape(r.error or ""),
        )
    console.print(table)
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


def print_analysis_failures(failures: Sequence[dict[str, Any]]) -> None:
    """Sentences an LLM analyzer left without analysis (from its failures ledger)."""
    if not failures:
        return
    table = Table(title="sentences without analysis")
    for column in ("#", "provider", "model", "reason", "at"):
        table.add_column(column, overflow="fold")
    for failure in failures:
        table.add_row(
            str(failure["sequence_order"]),
            str(failure["provider"]),
            str(failure["model"]),
            str(failure["reason"]),
            str(failure["at"]),
        )
    console.print(table)


def print_interviews(rows: Sequence[InterviewSummary]) -> None:
    table = Table(title="interviews")
    for column in ("interview_id", "project", "title", "file", "status", "sentences", "analyses"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.interview_id,
            row.project_name,
            row.title,
            row.filename,
            row.status,
            str(row.sentence_count),
            str(row.analysis_count),
        )
    console.print(table)


def interviews_json(rows: Sequence[InterviewSummary]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    return {
        "analysis_id": analysis.analysis_id,
        "model": analysis.model,
        "model_version": analysis.model_version,
        "function_type": analysis.function_type,
        "structure_type": analysis.structure_type,
        "purpose": analysis.purpose,
        "topics": [{"name": t.name, "level": t.level} for t in analysis.topics],
        "overall_keywords": list(analysis.overall_keywords),
        "domain_keywords": list(analysis.domain_keywords),
        "confidence": analysis.confidence,
    }


def sentences_json(views: Sequence[SentenceView]) -> list[dict[str, Any]]:
    return [
        {
            **{k: v for k, v in asdict(view.sentence).items()},
            "analyses": [analysis_json(a) for a in view.analyses],
        }
        for view in views
    ]


def print_sentences(views: Sequence[SentenceView]) -> None:
    table = Table(show_lines=False)
    for column in ("#", "speaker", "time", "text", "function", "purpose", "topics", "keywords"):
        table.add_column(column, overflow="fold")
    for view in views:
        s = view.sentence
        first = view.analyses[0] if view.analyses else None
        table.add_row(
            str(s.sequence_order),
            s.speaker or "",
            _clock(s.start_ms),
            s.text,
            first.function_type if first else "",
            first.purpose if first else "",
            ", ".join(f"{t.name}/{t.level}" for t in first.topics) if first else "",
            ", ".join(first.overall_keywords) if first else "",
        )
    console.print(table)


def _clock(ms: int | None) -> str:
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
