"""Property values as both graph backends store them.

Both store exactly the same values (ISO-8601 UTC text for timestamps, floats limited to 15
significant digits), so a graph read back from either yields equal domain values and the
export of the same facts is byte-identical across backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def to_iso(moment: datetime | None) -> str | None:
    """Timestamps are stored as ISO-8601 UTC text in both backends (naive means UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def from_iso(text: Any) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(str(text))


# Analyzers repeat a few confidence values: remembered, a value is formatted once, not per row.
_STORABLE: dict[float, float] = {}
_STORABLE_MAX = 4096


def storable_float(value: float) -> float:
    """FalkorDB returns doubles with 15 significant digits; storing no more keeps reads exact."""
    stored = _STORABLE.get(value)
    if stored is None:
        stored = float(f"{value:.15g}")
        # Zero is not remembered: 0.0 == -0.0, and each must keep its own sign.
        if value and len(_STORABLE) < _STORABLE_MAX:
            _STORABLE[value] = stored
    return stored
