"""Sentence features from a real spaCy parse: function, structure, cues, keywords, lemmas."""

from __future__ import annotations

import pytest

from interview_graph.analysis.features import noun_chunks_by_sentence, sentence_features
from interview_graph.analysis.lexicons import default_cue_matcher
from interview_graph.analysis.port import SentenceFeatures
from interview_graph.pipeline.segment import FastPipeline, load_pipeline, resolve_model_name


@pytest.fixture(scope="module")
def nlp() -> FastPipeline:
    return load_pipeline(resolve_model_name(None))


def features_by_sentence(nlp: FastPipeline, text: str) -> list[SentenceFeatures]:
    doc = next(nlp.pipe([text], batch_size=1))
    chunks = noun_chunks_by_sentence(doc)
    cues = default_cue_matcher()
    return [sentence_features(sent, cues, chunks.get(sent.start, ())) for sent in doc.sents]


def features_of(nlp: FastPipeline, text: str) -> SentenceFeatures:
    found = features_by_sentence(nlp, text)
    assert len(found) == 1, text
    return found[0]


@pytest.mark.parametrize(
    ("text", "function_type"),
    [
        ("Could you show me the dashboard?", "interrogative"),
        ("Do you export the report every week", "interrogative"),
        ("Please send me the report by Friday.", "imperative"),
        ("Walk me through your last release.", "imperative"),
        ("Wow, that is amazing!", "exclamatory"),
        ("We export the report every Friday.", "declarative"),
    ],
)
def test_function_types(nlp: FastPipeline, text: str, function_type: str) -> None:
    features = features_of(nlp, text)
    assert features.function_type == function_type
    assert 0.0 < features.function_confidence <= 1.0


# Spoken transcripts often drop the question mark: word order has to tell.
UNPUNCTUATED_QUESTIONS = [
    "so um how did you first hear about the product",
    "how long have you been using it",
    "which tool do you prefer for reporting",
    "whose idea was that",
    "um what made you switch",
    "who is responsible for the budget",
    "well okay so did you try the export",
    "and like do you use the mobile app",
    "you know is it hard to set up",
    "does your team use it every week",
    "isn't it too expensive",
    "so how",
    "how come you left",
    "what about the pricing",
]
UNPUNCTUATED_STATEMENTS = [
    "how we did it was simple",
    "what I mean is the export is slow",
    "when we started we used spreadsheets",
    "so what you're saying is the export is slow",
    "what happened next was a surprise",
    "what is interesting is that nobody uses it",
    "which is why we left",
    "when you export it breaks",
    "that is how we did it",
    "we did it last week",
]


@pytest.mark.parametrize("text", UNPUNCTUATED_QUESTIONS)
def test_questions_without_a_question_mark(nlp: FastPipeline, text: str) -> None:
    features = features_of(nlp, text)
    assert features.function_type == "interrogative"
    assert "question_mark" not in features.cues


@pytest.mark.parametrize("text", UNPUNCTUATED_STATEMENTS)
def test_wh_clauses_and_statements_without_punctuation_are_not_questions(
    nlp: FastPipeline, text: str
) -> None:
    assert features_of(nlp, text).function_type == "declarative"


@pytest.mark.parametrize("text", ["do it now", "have a look at this"])
def test_an_auxiliary_opening_without_a_subject_and_verb_does_not_ask(
    nlp: FastPipeline, text: str
) -> None:
    assert features_of(nlp, text).function_type != "interrogative"


@pytest.mark.parametrize(
    ("text", "structure_type"),
    [
        ("The team exports the report every Friday.", "simple"),
        ("I wrote the report, and my manager sent it to the client.", "compound"),
        ("I wrote the report because my manager asked for it.", "complex"),
        (
            "I wrote the report because my manager asked, but nobody read it.",
            "compound-complex",
        ),
    ],
)
def test_structure_types(nlp: FastPipeline, text: str, structure_type: str) -> None:
    assert features_of(nlp, text).structure_type == structure_type


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("I think maybe the export is broken.", "hedge"),
        ("We stopped because the dashboard was slow.", "explanation"),
        ("To be honest, I never read the appendix.", "confession"),
        ("You should make the roles clearer.", "advisory"),
        ("Be careful with the default date range.", "warning"),
        ("Actually, I meant the other report.", "correction"),
        ("It works, but the export drops attachments.", "contrast"),
        ("I don't use the mobile app.", "negation"),
        ("We would switch tools next year.", "modal"),
        ("Thanks so much for your time.", "thanks"),
    ],
)
def test_cue_flags(nlp: FastPipeline, text: str, cue: str) -> None:
    assert cue in features_of(nlp, text).cues


def test_keywords_and_lemmas(nlp: FastPipeline) -> None:
    features = features_of(
        nlp, "The usability tests showed that our onboarding emails confuse people."
    )
    assert "usability test" in features.keyword_candidates
    assert "onboarding email" in features.keyword_candidates
    assert "the" not in features.keyword_candidates
    assert "test" in features.lemmas and "confuse" in features.lemmas


def test_noun_chunks_belong_to_their_own_sentence(nlp: FastPipeline) -> None:
    first, second = features_by_sentence(
        nlp, "The onboarding emails confuse people. Our billing dashboard is slow."
    )
    assert "onboarding email" in first.keyword_candidates
    assert "billing dashboard" in second.keyword_candidates
    assert "billing dashboard" not in first.keyword_candidates
    assert "onboarding email" not in second.keyword_candidates
