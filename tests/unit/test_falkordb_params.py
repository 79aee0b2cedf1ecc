"""Our FalkorDB parameter header encoder writes exactly what the falkordb client writes."""

from __future__ import annotations

import enum
import math
import random
from collections import OrderedDict
from typing import Any

import pytest
import redis
from falkordb.graph import Graph
from falkordb.helpers import stringify_param_value

from interview_graph.graph.falkordb_params import encode_value, params_header


class Colour(enum.StrEnum):
    RED = 'r"ed\\'


class Size(enum.IntEnum):
    LARGE = 3


TRICKY_STRINGS: list[str] = [
    "",
    '"',
    "\\",
    "ends with a backslash \\",
    '\\"',
    'She said "hi" and \\n left',
    "line one\nline two\r\n\ttabbed",
    "bell\x07 nul\x00 unit\x1f del\x7f",
    "line\u2028sep\u2029para",
    "unicode: café naïve 漢字 😀 \u200b שלום",
    "`backtick` $param {map: 1} [list] CYPHER x=1 ",
    "MATCH (n) DETACH DELETE n; RETURN 1 //",
    "null",
    "True",
]

TRICKY_VALUES: list[Any] = [
    *TRICKY_STRINGS,
    None,
    True,
    False,
    0,
    -1,
    2**63 - 1,
    -(2**63),
    10**30,
    0.0,
    -0.0,
    0.1 + 0.2,
    1e-20,
    1.5e300,
    math.inf,
    -math.inf,
    math.nan,
    [],
    (),
    {},
    [None, "", [], {}],
    ("a", 1, (2.5, None)),
    [[["deep", ['"']]]],
    {"text": 'a"b', "rank": 0, "nested": {"list": [1, "x", None], "empty": ""}},
    {"ünïcode": 1, "with space": 2, "@type": 3, "a-b": 4, 7: "int key", 1.5: "float key"},
    {b"bytes key": "v"},
    OrderedDict([("b", 1), ("a", [OrderedDict([("z", "y")])])]),
    Colour.RED,
    Size.LARGE,
    b"raw bytes",
    [Colour.RED, Size.LARGE, {"k": Colour.RED}],
    # long lists of one type take a shortcut; these check it writes the same
    list(range(-5, 40)),
    [0.1 * n for n in range(30)] + [-0.0, math.inf, -math.inf, math.nan, 1e-20, 1e300],
    [1, 2.5, 3, 4.5, 5, 6.5, 7, 8.5, 9, 10],
    [f'text {n} "q" \\ \n {chr(0x1F600)}' for n in range(20)] + ["", "\\", '"'],
    [True, False, 1, 0, 2, 3, 4, 5, 6, 7],
    [1, 2, 3, 4, 5, 6, 7, 8, 9, None],
    [Size.LARGE] * 12,
    [Colour.RED] * 12,
    tuple(range(20)),
]


@pytest.mark.parametrize("value", TRICKY_VALUES, ids=repr)
def test_each_value_is_encoded_as_the_client_does(value: Any) -> None:
    assert encode_value(value) == stringify_param_value(value)


def test_a_key_repeated_in_many_maps_is_encoded_the_same_each_time() -> None:
    rows = [{"sentence_id": f"s{n}", "text": f'say "{n}"', "rank": n} for n in range(50)]
    assert encode_value(rows) == stringify_param_value(rows)
    assert encode_value(rows) == stringify_param_value(rows)


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(9 if depth < 3 else 5)
    if pick == 0:
        return "".join(rng.choice('ab"\\`\n\t é漢😀{}$ \x01') for _ in range(rng.randrange(8)))
    if pick == 1:
        return rng.choice([None, True, False])
    if pick == 2:
        return rng.randint(-(2**70), 2**70)
    if pick == 3:
        return rng.uniform(-1e6, 1e6) * rng.choice([1, 1e-12, 1e12])
    if pick == 4:
        return rng.randrange(1000)
    if pick == 5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    if pick == 6:  # long enough for the single-type shortcut, often of one type
        kind = rng.randrange(3)
        if kind == 0:
            return [rng.randrange(-9, 9) for _ in range(12)]
        if kind == 1:
            return [rng.random() for _ in range(12)]
        return [_random_value(rng, depth + 1) for _ in range(12)]
    if pick == 7:
        return tuple(_random_value(rng, depth + 1) for _ in range(rng.randrange(4)))
    keys = ["rank", "text", "name", "a b", "ключ", "x1"]
    return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_random_nested_values_are_encoded_as_the_client_does() -> None:
    rng = random.Random(20240517)
    for _ in range(3000):
        value = _random_value(rng)
        assert encode_value(value) == stringify_param_value(value)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"rows": [{"text": 'q"uote', "n": 1}], "filename": "a\\b.txt"},
        {"ids": ["x", "y"], "limit": 2000, "after": "", "flag": None},
        {b"bytes_name": 1, 7: "numeric name"},
    ],
    ids=repr,
)
def test_the_header_is_the_clients(params: dict[Any, Any]) -> None:
    graph = Graph(redis.Redis(host="127.0.0.1", port=1), "g")  # never connects
    assert params_header(params) == graph._build_params_header(params)


@pytest.mark.parametrize("bad", [{"": 1}, {"a`b": 1}])
def test_keys_the_server_cannot_read_are_refused_like_the_client_does(
    bad: dict[str, int],
) -> None:
    with pytest.raises(ValueError) as ours:
        encode_value(bad)
    with pytest.raises(ValueError) as theirs:
        stringify_param_value(bad)
    assert "backtick" in str(ours.value) or "empty" in str(ours.value)
    assert type(ours.value) is type(theirs.value)
    with pytest.raises(ValueError):
        params_header(bad)
