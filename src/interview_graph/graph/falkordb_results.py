"""The rows of a FalkorDB reply in compact form, parsed in one synchronous pass.

The `falkordb` client parses every value of a reply with an awaited coroutine and a dispatch
per type, and reading an interview back means tens of thousands of values (`verify` reads
every sentence, analysis and dimension of the graph). The reads of this package return only
nulls, strings, integers, booleans, doubles, arrays and maps: those are parsed here into
exactly the values the client gives (maps as plain dicts, which compare equal to its
OrderedDicts). A reply holding any other type (a node, an edge, a date, a point...) gives
None, and the caller leaves it to the client's parser.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import ResponseError

# Value types of the compact reply (falkordb's ResultSetScalarTypes).
NULL, STRING, INTEGER, BOOLEAN, DOUBLE, ARRAY, MAP = 1, 2, 3, 4, 5, 6, 10


class _OtherType(Exception):
    """A value this parser leaves to the client's."""


def compact_rows(response: list[Any]) -> list[list[Any]] | None:
    """The result set of a GRAPH.QUERY ... --compact reply; None if it holds other types.

    Raises the server's error as the client does (a redis ResponseError)."""
    if isinstance(response[0], ResponseError):
        raise response[0]
    if isinstance(response[-1], ResponseError):
        raise response[-1]
    if len(response) == 1 or not response[0]:
        return []  # statistics only, or no columns
    try:
        return [[_value(cell) for cell in row] for row in response[1]]
    except _OtherType:
        return None


def _value(cell: list[Any]) -> Any:
    kind, value = cell[0], cell[1]
    if kind == STRING:
        return value.decode() if isinstance(value, bytes) else str(value)
    if kind == INTEGER:
        return value if type(value) is int else int(value)
    if kind == NULL:
        return None
    if kind == DOUBLE:
        return float(value)
    if kind == ARRAY:
        return [_value(item) for item in value]
    if kind == BOOLEAN:
        return (value.decode() if isinstance(value, bytes) else value) == "true"
    if kind == MAP:
        return {_key(value[n]): _value(value[n + 1]) for n in range(0, len(value), 2)}
    raise _OtherType(kind)


def _key(key: Any) -> str:
    return key.decode() if isinstance(key, bytes) else str(key)
