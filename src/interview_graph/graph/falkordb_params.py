"""The parameter header of a FalkorDB query (`CYPHER name=value ... `), built fast.

FalkorDB receives query parameters as a text header in front of the query, never spliced into
the query body. The `falkordb` client writes that header with a recursive encoder
(`falkordb.helpers.stringify_param_value`) that tests the type of every value with a chain of
isinstance calls, for every value of a write batch (hundreds of rows of a dozen values). This
encoder produces exactly the same text (checked against the client's in the unit tests) with
one type lookup per value and each map key formatted once:

* strings: in double quotes, with backslash and double quote escaped by a backslash and
  nothing else escaped (the server reads newlines and other characters raw);
* None: `null`; lists and tuples: `[a,b]`; maps: {`key`:value,...} with keys in backticks
  (an empty key or one holding a backtick is refused: the server cannot read it);
* anything else (numbers, booleans): `str(value)`, as the client does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Formatted map keys (`key`:); only exact str keys are remembered, a bounded number of them.
_KEYS: dict[str, str] = {}
_KEYS_MAX = 4096
# Lists longer than this are checked for a single item type, to be encoded in one go.
_SHORT = 8
_NUMBERS: set[type] = {int, float}  # exactly these types: bool is written differently
_TEXTS: set[type] = {str}


def params_header(params: Mapping[Any, Any]) -> str:
    """`CYPHER name=value ...` followed by a space, to be put in front of the query text."""
    return "CYPHER " + "".join(
        [f"`{_name(name)}`={encode_value(value)} " for name, value in params.items()]
    )


def encode_value(value: Any) -> str:
    """One parameter value as the header writes it (see the module docstring)."""
    kind = type(value)
    if kind is str:
        escaped: str = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + escaped + '"'
    if kind is dict:
        return _map(value)
    if kind is list or kind is tuple:
        return _list(value)
    if value is None:
        return "null"
    if kind is int or kind is float or kind is bool:
        return str(value)
    return _subclass_or_other(value)


def _subclass_or_other(value: Any) -> str:
    """Subclasses of the basic types (str enums, ordered dicts, ...) and other objects, taken
    in the client's order of isinstance checks."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return _list(value)
    if isinstance(value, dict):
        return _map(value)
    return str(value)


def _list(value: list[Any] | tuple[Any, ...]) -> str:
    """A long list of one basic type (the link columns, ids, texts) without a call per item."""
    if len(value) > _SHORT:
        kinds = set(map(type, value))
        if kinds <= _NUMBERS:
            return "[" + ",".join(map(str, value)) + "]"
        if kinds == _TEXTS:
            escaped = [text.replace("\\", "\\\\").replace('"', '\\"') for text in value]
            return '["' + '","'.join(escaped) + '"]'
    return "[" + ",".join([encode_value(item) for item in value]) + "]"


def _map(value: Mapping[Any, Any]) -> str:
    keys = _KEYS
    return (
        "{"
        + ",".join(
            [
                ((keys.get(k) if type(k) is str else None) or _key(k)) + encode_value(v)
                for k, v in value.items()
            ]
        )
        + "}"
    )


def _name(key: Any) -> str:
    """A map key or parameter name as text; refused where the server could not read it."""
    text = key.decode() if isinstance(key, bytes) else str(key)
    if text == "":
        raise ValueError("Cypher map key or parameter name cannot be empty")
    if "`" in text:
        raise ValueError(
            f"Cypher map key or parameter name cannot contain a backtick: {text!r} "
            "(FalkorDB does not support escaped backticks in identifiers)"
        )
    return text


def _key(key: Any) -> str:
    formatted = f"`{_name(key)}`:"
    if type(key) is str and len(_KEYS) < _KEYS_MAX:
        _KEYS[key] = formatted
    return formatted
