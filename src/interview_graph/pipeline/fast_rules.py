"""A drop-in for spaCy's attribute_ruler that applies the same rules with the same result.

The stock component builds a Span for every match, and most tokens match several rules. This
one indexes the rules by the word, tag and dependency their first token asks for, and checks
only those few candidates per token (memoised per distinct token view), which gives identical
POS, morphology and lemmas for far less work on the parser's hot path. Rules the index cannot
place are checked on every token; a rule it cannot express at all makes the segmenter keep the
stock component (UnsupportedPattern).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

# Token attributes rules may test, in the order of the per-token view tuple.
_FIELDS = ("LOWER", "TAG", "DEP", "IS_SPACE", "ORTH", "POS", "IS_PUNCT")
_INDEXED = ("LOWER", "TAG", "DEP")
_MEMO_LIMIT = 200_000
_Check = tuple[int, str, Any]  # (field position, "eq" | "in" | "not_in" | "regex", operand)


class UnsupportedPattern(ValueError):
    """The ruler holds a pattern this reimplementation does not understand."""


def _compile_check(attr: str, spec: object) -> _Check:
    if attr not in _FIELDS:
        raise UnsupportedPattern(f"unsupported attribute {attr!r}")
    field = _FIELDS.index(attr)
    if not isinstance(spec, dict):
        return field, "eq", spec
    if set(spec) == {"IN"}:
        return field, "in", frozenset(spec["IN"])
    if set(spec) == {"NOT_IN"}:
        return field, "not_in", frozenset(spec["NOT_IN"])
    if set(spec) == {"REGEX"}:
        return field, "regex", re.compile(spec["REGEX"])
    raise UnsupportedPattern(f"unsupported predicate {spec!r} on {attr}")


def _passes(view: tuple[Any, ...], checks: list[_Check]) -> bool:
    for field, kind, operand in checks:
        value = view[field]
        if kind == "eq":
            if value != operand:
                return False
        elif kind == "in":
            if value not in operand:
                return False
        elif kind == "not_in":
            if value in operand:
                return False
        elif operand.search(value) is None:
            return False
    return True


def _view(token: Any) -> tuple[Any, ...]:
    return (
        token.lower_,
        token.tag_,
        token.dep_,
        token.is_space,
        token.text,
        token.pos_,
        token.is_punct,
    )


class FastAttributeRuler:
    """Callable pipeline step equivalent to a loaded AttributeRuler."""

    def __init__(self, ruler: Any) -> None:
        from spacy.tokens._retokenize import set_token_attrs

        self._set_token_attrs = set_token_attrs
        self._index: list[dict[Any, list[int]]] = [defaultdict(list) for _ in _INDEXED]
        self._space_rules: list[int] = []
        self._always: list[int] = []
        # (rule id, checks per token, target index, normalised attrs)
        self._rules: list[tuple[int, list[list[_Check]], int, Any]] = []
        self._memo: dict[tuple[Any, ...], tuple[list[tuple[int, int]], list[int]]] = {}
        for rule_id, rule in enumerate(ruler.patterns):
            for pattern in rule["patterns"]:
                self._add(rule_id, pattern, rule["index"], ruler.attrs[rule_id])

    def _add(self, rule_id: int, pattern: list[dict[str, Any]], index: int, attrs: Any) -> None:
        checks = [[_compile_check(attr, spec) for attr, spec in tp.items()] for tp in pattern]
        position = len(self._rules)
        self._rules.append((rule_id, checks, index, attrs))
        first = pattern[0]
        for slot, attr in enumerate(_INDEXED):
            spec = first.get(attr)
            if isinstance(spec, str):
                self._index[slot][spec].append(position)
                return
            if isinstance(spec, dict) and set(spec) == {"IN"}:
                for value in spec["IN"]:
                    self._index[slot][value].append(position)
                return
        if first.get("IS_SPACE") is True:
            self._space_rules.append(position)
        else:
            self._always.append(position)

    def _candidates(self, view: tuple[Any, ...]) -> tuple[list[tuple[int, int]], list[int]]:
        """Single-token rules that match this view, and multi-token rules that might start here.

        Both depend only on the token's own attributes, so they are memoised per distinct view.
        """
        by_lower, by_tag, by_dep = self._index
        positions = [
            *by_lower.get(view[0], ()),
            *by_tag.get(view[1], ()),
            *by_dep.get(view[2], ()),
            *(self._space_rules if view[3] else ()),
            *self._always,
        ]
        single: list[tuple[int, int]] = []
        multi: list[int] = []
        for position in positions:
            rule_id, checks, _, _ = self._rules[position]
            if len(checks) > 1:
                multi.append(position)
            elif _passes(view, checks[0]):
                single.append((rule_id, position))
        return single, multi

    def __call__(self, doc: Any) -> Any:
        views = [_view(token) for token in doc]
        hits: list[tuple[int, int, int]] = []
        memo = self._memo
        for start, view in enumerate(views):
            known = memo.get(view)
            if known is None:
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                known = memo[view] = self._candidates(view)
            single, multi = known
            hits.extend((rule_id, position, start) for rule_id, position in single)
            for position in multi:
                rule_id, checks, index, _ = self._rules[position]
                end = start + len(checks)
                if end > len(views):
                    continue
                if all(_passes(views[start + k], check) for k, check in enumerate(checks)):
                    hits.append((rule_id, position, start + index if index >= 0 else end + index))
        hits.sort()
        for _, position, target in hits:
            self._set_token_attrs(doc[target], self._rules[position][3])
        return doc
