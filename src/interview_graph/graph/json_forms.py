"""The JSON form of what the graph reads (interview summaries, sentences with their
analyses), one for every reader: the CLI's `--json` and the HTTP API give the same objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from interview_graph.domain.model import Analysis
from interview_graph.graph.port import InterviewSummary, SentenceView


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
