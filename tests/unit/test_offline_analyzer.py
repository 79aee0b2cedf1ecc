"""The offline analyzer over real parses: determinism, label validity, context rules, lexicons."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from interview_graph.analysis.lexicons import LexiconError
from interview_graph.analysis.offline import OfflineAnalyzer
from interview_graph.analysis.port import AnalysisRequest, Analyzer, ParsedSentence
from interview_graph.domain.ids import analysis_id_for
from interview_graph.domain.model import (
    FUNCTION_TYPES,
    MAX_KEYWORDS,
    PURPOSES,
    STRUCTURE_TYPES,
    TOPICS,
    Analysis,
)
from interview_graph.pipeline.readers import read_transcript
from interview_graph.pipeline.segment import SpacySegmenter

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
INTERVIEW = "5b0c6f1e-0000-4000-8000-000000000002"
CONFIDENCE_KEYS = {"function_type", "structure_type", "purpose", "topics", "keywords",
                   "domain_keywords"}  # fmt: skip


@pytest.fixture(scope="module")
def segmenter() -> Iterator[SpacySegmenter]:
    with SpacySegmenter(processes=1) as instance:
        yield instance


@pytest.fixture(scope="module")
def analyzer() -> OfflineAnalyzer:
    return OfflineAnalyzer()


def parse(segmenter: SpacySegmenter, tmp_path: Path, text: str) -> list[ParsedSentence]:
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    return segmenter.parse_all(read_transcript(path, max_bytes=1 << 24), INTERVIEW)


def analyze(analyzer: OfflineAnalyzer, parsed: list[ParsedSentence]) -> list[Analysis]:
    return asyncio.run(analyzer.analyze(AnalysisRequest(parsed))).analyses


def by_text(parsed: list[ParsedSentence], analyses: list[Analysis]) -> dict[str, Analysis]:
    return {p.sentence.text: a for p, a in zip(parsed, analyses, strict=True)}


def test_implements_the_analyzer_port(analyzer: OfflineAnalyzer) -> None:
    port: Analyzer = analyzer
    assert port.model == "offline-rules"
    assert port.model_version.startswith("1.1.0+")
    asyncio.run(port.aclose())


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir()))
def test_labels_are_valid_on_every_sample(
    segmenter: SpacySegmenter, analyzer: OfflineAnalyzer, sample: str
) -> None:
    parsed = segmenter.parse_all(read_transcript(SAMPLES / sample, max_bytes=1 << 24), INTERVIEW)
    analyses = analyze(analyzer, parsed)
    assert len(analyses) == len(parsed)
    for item, analysis in zip(parsed, analyses, strict=True):
        assert analysis.sentence_id == item.sentence.sentence_id
        assert analysis.sequence_order == item.sentence.sequence_order
        assert analysis.interview_id == INTERVIEW
        assert analysis.analysis_id == analysis_id_for(
            item.sentence.sentence_id, analyzer.model, analyzer.model_version
        )
        assert analysis.function_type in FUNCTION_TYPES
        assert analysis.structure_type in STRUCTURE_TYPES
        assert analysis.purpose in PURPOSES
        assert {t.level for t in analysis.topics} == {1, 3}
        assert all(t.name in TOPICS for t in analysis.topics)
        assert len(analysis.overall_keywords) <= MAX_KEYWORDS
        assert len(set(analysis.overall_keywords)) == len(analysis.overall_keywords)
        assert len(analysis.domain_keywords) <= MAX_KEYWORDS
        assert set(analysis.confidence) == CONFIDENCE_KEYS
        assert all(0.0 <= value <= 1.0 for value in analysis.confidence.values())
    purposes = {a.purpose for a in analyses}
    assert len(purposes) >= 4, purposes


def test_deterministic_across_instances_and_runs(segmenter: SpacySegmenter) -> None:
    parsed = segmenter.parse_all(
        read_transcript(SAMPLES / "onboarding-interview.txt", max_bytes=1 << 24), INTERVIEW
    )
    first = analyze(OfflineAnalyzer(), parsed)
    second = analyze(OfflineAnalyzer(), parsed)
    assert first == second
    assert [a.analysis_id for a in first] == [a.analysis_id for a in second]


def test_answer_follows_the_other_speakers_question(
    segmenter: SpacySegmenter, analyzer: OfflineAnalyzer, tmp_path: Path
) -> None:
    parsed = parse(
        segmenter,
        tmp_path,
        "Ann: Which tool do you use for reports?\n"
        "Bob: We use a shared spreadsheet. It works fine.\n"
        "Ann: Great. We also use one.\n",
    )
    result = by_text(parsed, analyze(analyzer, parsed))
    assert result["Which tool do you use for reports?"].purpose == "Query"
    assert result["We use a shared spreadsheet."].purpose == "Answer"
    assert result["It works fine."].purpose != "Answer"
    assert result["We also use one."].purpose != "Answer"


def test_answer_uses_the_context_before_the_targets(
    segmenter: SpacySegmenter, analyzer: OfflineAnalyzer, tmp_path: Path
) -> None:
    parsed = parse(segmenter, tmp_path, "Ann: How long does it take?\nBob: About three hours.\n")
    with_context = analyzer.analyze_now(AnalysisRequest(parsed[1:], before=parsed[:1]))
    without = analyzer.analyze_now(AnalysisRequest(parsed[1:]))
    assert with_context[0].purpose == "Answer"
    assert without[0].purpose != "Answer"


def test_no_answer_without_speakers(
    segmenter: SpacySegmenter, analyzer: OfflineAnalyzer, tmp_path: Path
) -> None:
    parsed = parse(segmenter, tmp_path, "How long does it take? About three hours.\n")
    assert analyze(analyzer, parsed)[1].purpose != "Answer"


@pytest.mark.parametrize(
    ("text", "purpose"),
    [
        ("I think maybe the export is broken.", "Speculation"),
        ("We stopped because the dashboard was slow.", "Explanation"),
        ("It works, although the export drops attachments.", "Qualification"),
        ("Please send me the report.", "Request"),
        ("Could you share your screen?", "Request"),
        ("How do you share the report?", "Query"),
        ("so um how did you first hear about the product", "Query"),
        ("how we did it was simple", "Statement"),
        ("Be careful with the default date range.", "Warning"),
        ("You should make the roles clearer.", "Advisory"),
        ("To be honest, I never read the appendix.", "Confession"),
        ("Scratch that, it was Tuesday.", "Retraction"),
        ("If the price jumps again, we'll switch.", "Threat"),
        ("We export the report every Friday.", "Statement"),
    ],
)
def test_purpose_rules(
    segmenter: SpacySegmenter, analyzer: OfflineAnalyzer, tmp_path: Path, text: str, purpose: str
) -> None:
    parsed = parse(segmenter, tmp_path, text + "\n")
    assert len(parsed) == 1
    assert analyze(analyzer, parsed)[0].purpose == purpose


def test_greetings_and_thanks_are_small_talk_and_niceties(
    segmenter: SpacySegmenter, analyzer: OfflineAnalyzer, tmp_path: Path
) -> None:
    parsed = parse(
        segmenter,
        tmp_path,
        "Ann: Hello Bob, how are you?\n"
        "Bob: The weekend was nice, I went on a trip.\n"
        "Ann: Our jira backlog keeps growing and the sprint planning is a pain.\n"
        "Bob: Thanks so much for your time.\n",
    )
    result = by_text(parsed, analyze(analyzer, parsed))
    assert result["Hello Bob, how are you?"].topics[0].name == "small talk"
    assert result["Thanks so much for your time."].topics[0].name == "niceties"
    assert result["Our jira backlog keeps growing and the sprint planning is a pain."].topics[
        0
    ].name in {"tools", "processes", "pain points"}


def test_window_topic_reflects_the_neighbours(
    segmenter: SpacySegmenter, analyzer: OfflineAnalyzer, tmp_path: Path
) -> None:
    parsed = parse(
        segmenter,
        tmp_path,
        "The export is broken. The import is broken too. It was fine. "
        "Everything crashes and the bug reports pile up. Another bug appeared.\n",
    )
    analyses = analyze(analyzer, parsed)
    neutral = analyses[2]
    assert parsed[2].sentence.text == "It was fine."
    assert neutral.topics[1].name == "pain points"


def test_keyword_limits(
    segmenter: SpacySegmenter, analyzer: OfflineAnalyzer, tmp_path: Path
) -> None:
    parsed = parse(
        segmenter,
        tmp_path,
        "The dashboard, the spreadsheet, the invoice, the roadmap, the survey, the ticket, "
        "the backlog, the wiki and the calendar all live in different tools.\n",
    )
    analysis = analyze(analyzer, parsed)[0]
    assert len(analysis.overall_keywords) == MAX_KEYWORDS
    assert len(analysis.domain_keywords) <= MAX_KEYWORDS
    assert len(parsed[0].features.keyword_candidates) > MAX_KEYWORDS
    assert analysis.overall_keywords == parsed[0].features.keyword_candidates[:MAX_KEYWORDS]


def test_default_domain_lexicon_matches_plurals_and_multiword_terms(
    segmenter: SpacySegmenter, analyzer: OfflineAnalyzer, tmp_path: Path
) -> None:
    parsed = parse(
        segmenter,
        tmp_path,
        "We ran three usability tests and the A/B test on the checkout flow.\n",
    )
    domain = analyze(analyzer, parsed)[0].domain_keywords
    assert "usability test" in domain
    assert "A/B test" in domain
    assert "checkout" in domain


def test_custom_domain_lexicon(segmenter: SpacySegmenter, tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text(
        "# logistics terms\nroute planner\ndriver availability  # inline comment\nvan\n\n",
        encoding="utf-8",
    )
    custom = OfflineAnalyzer(domain_lexicon=lexicon)
    parsed = parse(
        segmenter,
        tmp_path,
        "The route planners ignore driver availability, so the vans arrive late.\n",
    )
    domain = analyze(custom, parsed)[0].domain_keywords
    assert domain == ("route planner", "driver availability", "van")
    assert custom.model_version != OfflineAnalyzer().model_version
    lexicon.write_text("route planner\n", encoding="utf-8")
    changed = OfflineAnalyzer(domain_lexicon=lexicon)
    assert changed.model_version != custom.model_version
    assert analyze(changed, parsed)[0].domain_keywords == ("route planner",)


def test_missing_lexicon_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(LexiconError) as caught:
        OfflineAnalyzer(domain_lexicon=tmp_path / "missing.txt")
    assert "missing.txt" in str(caught.value)
    assert "DOMAIN_LEXICON" in str(caught.value)
