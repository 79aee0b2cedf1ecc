"""What the offline analyzer reads in a parsed sentence: its function (interrogative,
imperative, ...) and structure (simple, compound, ...) with a confidence each, keyword
candidates, lemmas and cue flags.

They are computed from the spaCy parse the segmenter makes anyway, in the process that made
it, so one parse serves both segmentation and analysis and only the small SentenceFeatures
value travels back. spaCy tokens and spans are read by attribute only, hence typed Any: this
module imports no spaCy.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from interview_graph.analysis.lexicons import CueMatcher
from interview_graph.analysis.port import SentenceFeatures
from interview_graph.analysis.question_form import content_start, reads_as_question

_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "expl", "csubj"})
_DEPENDENT_DEPS = frozenset({"advcl", "ccomp", "csubj", "csubjpass", "relcl"})
_FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "we", "us", "our", "ours"})
_SECOND_PERSON = frozenset({"you", "your", "yours", "yourself", "yourselves"})
_GENERIC_NOUNS = frozenset(
    {
        "thing", "lot", "way", "kind", "sort", "bit", "stuff", "something", "anything",
        "everything", "nothing", "one", "yeah", "yes", "okay", "ok", "um", "uh", "guy", "part",
        "time", "point", "thank", "thanks", "question", "hmm", "mm", "someone", "anyone",
        "everyone", "lots",
    }
)  # fmt: skip
MAX_KEYWORD_CANDIDATES = 8


def noun_chunks_by_sentence(doc: Any) -> dict[int, list[Any]]:
    """The Doc's noun chunks grouped by the start token of their sentence, found in one pass
    (Span.noun_chunks would rescan the whole Doc for every sentence)."""
    starts = [sent.start for sent in doc.sents]
    grouped: dict[int, list[Any]] = {}
    for chunk in doc.noun_chunks:
        sentence_start = starts[bisect.bisect_right(starts, chunk.start) - 1]
        grouped.setdefault(sentence_start, []).append(chunk)
    return grouped


def sentence_features(sent: Any, cues: CueMatcher, noun_chunks: Sequence[Any]) -> SentenceFeatures:
    """The features of one parsed sentence; `noun_chunks` are its own (noun_chunks_by_sentence)."""
    tokens = [token for token in sent if not token.is_space]
    words = [token for token in tokens if not token.is_punct]
    root = sent.root
    function_type, function_confidence = _function_type(tokens, words, root)
    structure_type, structure_confidence = _structure_type(sent, root, len(words))
    flags = cues.match(sent.text)
    flags.extend(_syntactic_cues(tokens, words, root))
    return SentenceFeatures(
        function_type=function_type,
        function_confidence=function_confidence,
        structure_type=structure_type,
        structure_confidence=structure_confidence,
        keyword_candidates=_keyword_candidates(noun_chunks),
        lemmas=tuple(token.lemma_.lower() for token in words),
        cues=tuple(flags),
    )


def _function_type(tokens: list[Any], words: list[Any], root: Any) -> tuple[str, float]:
    """Final punctuation decides first: '?' asks, '!' exclaims (or commands, if the words read
    as a command). Without it word order decides, with less confidence: a question's opening
    (analysis.question_form), then a command's; anything else states, surest when the main
    verb has a subject."""
    last = tokens[-1].text if tokens else ""
    imperative = _looks_imperative(words, root)
    if "?" in last:
        return "interrogative", 0.95
    if "!" in last:
        return ("imperative", 0.7) if imperative else ("exclamatory", 0.85)
    if reads_as_question(words):
        return "interrogative", 0.65
    if imperative:
        return "imperative", 0.7
    has_subject = any(child.dep_ in _SUBJECT_DEPS for child in root.children)
    return "declarative", 0.85 if has_subject else 0.6


def _looks_imperative(words: list[Any], root: Any) -> bool:
    """Opens with 'please' or 'let', or with a base-form main verb that has no subject (right
    away, or within two words after 'do', 'don't', 'just', 'always' or 'never')."""
    rest = content_start(words)
    if not rest:
        return False
    if rest[0].lower_ in ("please", "let", "let's"):
        return True
    has_subject = any(child.dep_ in _SUBJECT_DEPS for child in root.children)
    starts_at_root = rest[0] == root or (
        rest[0].lower_ in ("do", "don't", "just", "always", "never") and root.i - rest[0].i <= 2
    )
    return root.tag_ == "VB" and not has_subject and starts_at_root


def _structure_type(sent: Any, root: Any, word_count: int) -> tuple[str, float]:
    """Counts independent clauses (the main one, plus conjoined or paratactic clauses with a
    subject or marker of their own that hang off it) and dependent ones (adverbial, complement,
    relative, clausal modifiers): two independent make it compound, a dependent one complex.
    Less confident without a verb at the root or beyond 40 words, where parses go wrong most."""
    independent = 1
    dependent = 0
    for token in sent:
        if token.dep_ in ("conj", "parataxis") and _is_clause(token) and _joins_main(token, root):
            independent += 1
        elif token.dep_ in _DEPENDENT_DEPS or (token.dep_ == "acl" and _is_clause(token)):
            dependent += 1
    if independent >= 2:
        kind = "compound-complex" if dependent else "compound"
    else:
        kind = "complex" if dependent else "simple"
    confidence = 0.85 if root.pos_ in ("VERB", "AUX") else 0.55
    if word_count > 40:
        confidence -= 0.15
    return kind, confidence


def _is_clause(token: Any) -> bool:
    if token.pos_ not in ("VERB", "AUX"):
        return False
    return any(child.dep_ in _SUBJECT_DEPS or child.dep_ == "mark" for child in token.children)


def _joins_main(token: Any, root: Any) -> bool:
    head = token.head
    while head.dep_ in ("conj", "parataxis") and head != head.head:
        head = head.head
    return bool(head == root)


def _keyword_candidates(noun_chunks: Sequence[Any]) -> tuple[str, ...]:
    """Each noun chunk's content words (nouns, proper nouns, adjectives; no stop words, generic
    nouns or leading adjectives) as a lemma phrase. Multiword phrases rank first, then proper
    nouns, then other nouns, each in sentence order; no repeats, at most MAX_KEYWORD_CANDIDATES."""
    scored: list[tuple[int, int, str]] = []
    for chunk in noun_chunks:
        content = [
            token
            for token in chunk
            if token.pos_ in ("NOUN", "PROPN", "ADJ")
            and not token.is_stop
            and token.is_alpha
            and token.lemma_.lower() not in _GENERIC_NOUNS
        ]
        while content and content[0].pos_ == "ADJ":
            content = content[1:]
        if not content:
            continue
        phrase = " ".join(token.lemma_.lower() for token in content)
        score = 3 if len(content) > 1 else (2 if content[-1].pos_ == "PROPN" else 1)
        if len(phrase) >= 2:
            scored.append((-score, chunk.start, phrase))
    scored.sort()
    ranked = dict.fromkeys(phrase for _, _, phrase in scored)
    return tuple(ranked)[:MAX_KEYWORD_CANDIDATES]


def _syntactic_cues(tokens: list[Any], words: list[Any], root: Any) -> list[str]:
    """Cue flags that punctuation and grammar give, beside the word-list cues: question or
    exclamation mark, modal, negation, first or second person, no verb, past tense."""
    flags = []
    last = tokens[-1].text if tokens else ""
    lowered = {token.lower_ for token in words}
    if "?" in last:
        flags.append("question_mark")
    if "!" in last:
        flags.append("exclamation_mark")
    if any(token.tag_ == "MD" for token in words):
        flags.append("modal")
    if any(token.dep_ == "neg" for token in words) or lowered & {"never", "nobody", "nothing"}:
        flags.append("negation")
    if lowered & _FIRST_PERSON:
        flags.append("first_person")
    if lowered & _SECOND_PERSON:
        flags.append("second_person")
    if root.pos_ not in ("VERB", "AUX"):
        flags.append("no_verb")
    if root.tag_ == "VBD":
        flags.append("past_tense")
    return flags
