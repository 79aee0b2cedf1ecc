"""The prompts sent to an LLM: versioned system prompt files (vN.md beside this module, package
data) and the marked passage.

Editing a prompt means adding a new file (v2.md) and bumping PROMPT_VERSION, so analyses
made with the old prompt stay distinguishable (model_version) and the cache never serves
replies to a prompt that is no longer sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Template

from interview_graph.analysis.port import ParsedSentence
from interview_graph.domain.model import (
    FUNCTION_TYPES,
    MAX_KEYWORDS,
    PURPOSES,
    STRUCTURE_TYPES,
    TOPICS,
)

PROMPT_VERSION = "v1"
TARGET_MARK = ">>> "
REPAIR_INSTRUCTION = (
    "Your reply could not be used: {problems}. Reply again with the complete JSON object for "
    "every target sentence, using only the allowed labels."
)


@dataclass(frozen=True, slots=True)
class ContextWindows:
    """Sentences before and after a target that matter for each dimension."""

    topic: int = 2
    purpose: int = 4
    broad: int = 6

    @property
    def label(self) -> str:
        return f"ctx{self.topic}-{self.purpose}-{self.broad}"


DEFAULT_WINDOWS = ContextWindows()


@lru_cache(maxsize=8)
def _template(version: str) -> Template:
    text = resources.files(__name__).joinpath(f"{version}.md").read_text("utf-8")
    return Template(text)


def system_prompt(windows: ContextWindows, version: str = PROMPT_VERSION) -> str:
    return _template(version).substitute(
        function_types=_quoted(FUNCTION_TYPES),
        structure_types=_quoted(STRUCTURE_TYPES),
        purposes=_quoted(PURPOSES),
        topics=_quoted(TOPICS),
        max_keywords=MAX_KEYWORDS,
        topic_window=windows.topic,
        purpose_window=windows.purpose,
        broad_window=windows.broad,
    )


def passage(window: Sequence[ParsedSentence], targets: range, broad: int) -> str:
    """The targets (window[targets]) marked, with `broad` context sentences on each side."""
    start = max(0, targets.start - broad)
    stop = min(len(window), targets.stop + broad)
    lines = [
        _line(window[index].sentence.sequence_order, window[index], index in targets)
        for index in range(start, stop)
    ]
    ids = ", ".join(f"#{window[index].sentence.sequence_order}" for index in targets)
    return "\n".join([*lines, "", f"Target sentences: {ids}."])


def repair_message(problems: str) -> str:
    return REPAIR_INSTRUCTION.format(problems=problems)


def _line(number: int, parsed: ParsedSentence, is_target: bool) -> str:
    speaker = f" [{parsed.sentence.speaker}]" if parsed.sentence.speaker else ""
    mark = TARGET_MARK if is_target else ""
    return f"{mark}#{number}{speaker} {parsed.sentence.text}"


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(f'"{label}"' for label in labels)
