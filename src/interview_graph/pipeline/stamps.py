"""Time stamps in transcripts: `hh:mm:ss[.mmm]`, `mm:ss[,mmm]`."""

from __future__ import annotations

STAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
"""A regular expression for one stamp (hours and minutes up to two digits)."""


def parse_stamp_ms(stamp: str) -> int:
    """`hh:mm:ss[.mmm]`, `mm:ss[,mmm]` -> milliseconds."""
    clock, _, fraction = stamp.replace(",", ".").partition(".")
    parts = clock.split(":")
    if len(parts) == 3:
        seconds = int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])
    else:
        seconds = int(parts[0]) * 60 + int(parts[1])
    return seconds * 1000 + (int(fraction.ljust(3, "0")[:3]) if fraction else 0)
