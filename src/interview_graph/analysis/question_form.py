"""Whether a sentence's words are shaped like a question, for sentences without a '?'.

Spoken transcripts often drop punctuation, so word order has to tell. After leading fillers
('so um', 'well okay', 'you know'), a sentence asks when it opens with

* a wh-phrase ('how', 'which tool', 'how long') followed by an inverted auxiliary and its
  subject ('how did you ...', 'which tool do you ...'), by a verb whose subject is the
  wh-word itself ('who approves ...', 'what made you ...'), or by nothing at all ('so how',
  'which one'); 'how come', 'how about', 'what about' and 'what if' ask whatever follows;
* an auxiliary followed by its subject ('did you ...', 'does your team use ...', 'is it ...'),
  and, unless the auxiliary is a form of 'be', then a verb ('do it now' commands).

A wh-word followed by a subject without inversion is a subordinate clause, not a question
('how we did it was simple', 'what I mean is ...', 'when we started we ...'). A clause the
parse makes the subject or an adverbial of a later main clause does not ask either ('what
happened next was a surprise'). Tokens are spaCy tokens, read by attribute only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WH_WORDS = frozenset({"what", "why", "how", "when", "where", "who", "whom", "which", "whose"})
LEAD_FILLERS = frozenset(
    {
        "so", "and", "but", "well", "okay", "ok", "alright", "um", "uh", "er", "erm", "hmm",
        "mm", "oh", "right", "like", "yeah",
    }
)  # fmt: skip
LEAD_FILLER_PAIRS = frozenset({("you", "know"), ("i", "mean")})

_BE_FORMS = frozenset({"is", "are", "was", "were", "am", "'s", "'re", "'m"})
# Auxiliaries that open a yes/no question; "ca" and "wo" are spaCy's halves of "can't", "won't".
_QUESTION_AUXILIARIES = _BE_FORMS | frozenset(
    {
        "do", "does", "did", "can", "could", "would", "will", "should", "shall", "may",
        "might", "have", "has", "had", "ca", "wo", "'ve", "'d", "'ll",
    }
)  # fmt: skip
_SUBJECT_PRONOUNS = frozenset(
    {
        "i", "you", "we", "they", "he", "she", "it", "that", "this", "there", "anyone",
        "anybody", "anything", "someone", "somebody", "something", "everyone", "everybody",
        "everything", "nobody", "people", "y'all",
    }
)  # fmt: skip
_ASKS_WHATEVER_FOLLOWS = frozenset(
    {("how", "come"), ("how", "about"), ("what", "about"), ("what", "if")}
)
_NEGATIONS = frozenset({"not", "n't"})
_NOMINALS = frozenset({"NOUN", "PROPN", "NUM"})
_CLAUSE_OF_A_LATER_MAIN = frozenset({"csubj", "csubjpass", "advcl"})


def content_start(words: Sequence[Any]) -> list[Any]:
    """The words from the first one that is not a leading filler ('so', 'well', 'um',
    'you know', ...): fillers say nothing about a sentence's form. The last word is always
    kept."""
    index = 0
    while index < len(words) - 1:
        if words[index].lower_ in LEAD_FILLERS:
            index += 1
        elif (
            index < len(words) - 2
            and (words[index].lower_, words[index + 1].lower_) in LEAD_FILLER_PAIRS
        ):
            index += 2
        else:
            break
    return list(words[index:])


def reads_as_question(words: Sequence[Any]) -> bool:
    """The sentence's words (no punctuation) open like a question (see the module doc)."""
    rest = content_start(words)
    if not rest:
        return False
    first = rest[0].lower_
    if first in WH_WORDS:
        return _wh_question(rest)
    if first in _QUESTION_AUXILIARIES and len(rest) >= 2:
        return _inverted_question(rest) and not _opens_dependent_clause(rest[0])
    return False


def _wh_question(rest: list[Any]) -> bool:
    wh = rest[0]
    if len(rest) >= 2 and (wh.lower_, rest[1].lower_) in _ASKS_WHATEVER_FOLLOWS:
        return True
    after = _wh_phrase_end(rest)
    if after >= len(rest) or (after == len(rest) - 1 and rest[after].lower_ in _NEGATIONS):
        return True  # 'so how', 'which one', 'why not'
    following = rest[after]
    if following.lower_ in _QUESTION_AUXILIARIES:
        subject_at = _skip(rest, after + 1, _NEGATIONS)
        if _subject_end(rest, subject_at) is not None:
            return True  # 'how did you ...', 'what is the price'
    elif not _is_verb(following):
        return False  # 'how we did it ...': a subordinate clause
    # The wh-word is the subject: 'who approves ...', 'who is responsible ...'. A sentence
    # opening with relative 'which' ('which is why ...', 'which means ...') goes on the one
    # before it.
    if wh.lower_ == "which" and after == 1:
        return False
    return not _opens_dependent_clause(wh)


def _wh_phrase_end(rest: list[Any]) -> int:
    """Index after the wh-phrase: 'how' with its adjective or adverb and their nouns ('how
    long', 'how many people'), a determiner wh-word with its noun ('which tool', 'whose
    idea')."""
    wh, index = rest[0], 1
    if wh.lower_ == "how" and index < len(rest) and rest[index].pos_ in ("ADJ", "ADV"):
        index += 1
    elif wh.tag_ not in ("WDT", "WP$"):
        return index
    while index < len(rest) and (rest[index].pos_ in _NOMINALS or rest[index].pos_ == "ADJ"):
        index += 1
    return index


def _inverted_question(rest: list[Any]) -> bool:
    """An auxiliary, its subject and, unless the auxiliary is a form of 'be', a verb."""
    subject_end = _subject_end(rest, _skip(rest, 1, _NEGATIONS))
    if subject_end is None:
        return False
    if rest[0].lower_ in _BE_FORMS:
        return True
    verb_at = subject_end
    while verb_at < len(rest) and rest[verb_at].pos_ in ("ADV", "PART"):
        verb_at += 1
    return verb_at < len(rest) and _is_verb(rest[verb_at])


def _subject_end(rest: list[Any], index: int) -> int | None:
    """Index after the subject starting at `index` (a subject pronoun, or a noun phrase:
    'your team', 'the new export', 'users'), None when no subject starts there."""
    if index >= len(rest):
        return None
    token = rest[index]
    if token.lower_ in _SUBJECT_PRONOUNS:
        return index + 1
    if token.tag_ == "PRP$" or token.pos_ == "DET":
        end = index + 1
        while end < len(rest) and (rest[end].pos_ in _NOMINALS or rest[end].pos_ == "ADJ"):
            end += 1
        return end if end > index + 1 and rest[end - 1].pos_ in _NOMINALS else None
    if token.pos_ in ("NOUN", "PROPN"):
        end = index + 1
        while end < len(rest) and rest[end].pos_ in ("NOUN", "PROPN"):
            end += 1
        return end
    return None


def _skip(rest: list[Any], index: int, words: frozenset[str]) -> int:
    while index < len(rest) and rest[index].lower_ in words:
        index += 1
    return index


def _is_verb(token: Any) -> bool:
    return token.pos_ in ("VERB", "AUX") or str(token.tag_).startswith("VB")


def _opens_dependent_clause(token: Any) -> bool:
    """The token's clause is, in the parse, the subject or an adverbial of a main clause that
    comes after it ('what happened next was ...', 'when you export it ...')."""
    current = token
    while current.head.i != current.i:
        if current.dep_ in _CLAUSE_OF_A_LATER_MAIN and current.head.i > token.i:
            return True
        current = current.head
    return False
