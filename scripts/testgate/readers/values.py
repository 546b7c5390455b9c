"""Numbers and times as report files write them, and the error a file gets when one is absurd."""

from __future__ import annotations

import math

_INF = math.inf
MAX_COUNT = 10**12
"""A declared count above this (``failures="1e309"``) is not a count: the file is rejected."""


class Rejected(Exception):
    """A file that cannot be read or trusted: the message becomes its ``FileResult.error``."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def parse_time(raw: str | None) -> tuple[float, str | None]:
    """Seconds from a ``time`` attribute, and a warning when it had to be fixed.

    Accepts ``1.5``, ``1e-3``, ``0,288`` (decimal comma), ``2,503.1`` (thousands
    separators) and surrounding spaces. Missing -> 0. Negative, non-numeric or
    infinite -> 0 with a warning.
    """
    if raw is None:
        return 0.0, None
    try:
        value = float(raw)
    except ValueError:
        text = raw.strip().replace("\u00a0", "").replace(" ", "").replace("_", "")
        if "," in text and "." in text:
            text = text.replace(",", "")  # 2,503.1: thousands separators
        elif text.count(",") == 1:
            text = text.replace(",", ".")  # 0,288: decimal comma
        else:
            text = text.replace(",", "")  # 1,234,567
        try:
            value = float(text)
        except ValueError:
            return 0.0, f"time {raw!r} is not a number; counted as 0"
    return check_seconds(value, raw)


def check_seconds(value: float, raw: object) -> tuple[float, str | None]:
    """``value`` seconds if finite and not negative, else 0 and a warning quoting ``raw``."""
    if not 0.0 <= value < _INF:  # also false for NaN
        return 0.0, f"time {raw!r} is negative or not finite; counted as 0"
    return value, None


def parse_count(raw: str | None, what: str) -> int:
    """A declared count (``failures="2"``): 0 when missing or not a number.

    Raises:
        Rejected: the value is a number no report can mean (infinite, NaN or above
            :data:`MAX_COUNT`, like ``1e309``): the file is not trusted, the others still are.
    """
    if not raw:
        return 0
    text = raw.strip().replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return 0
    if not -MAX_COUNT <= value <= MAX_COUNT:  # also false for NaN
        raise Rejected(f"{what}={raw[:40]!r} is not a count a report can declare")
    return int(value)


def parse_line(raw: str | None) -> int | None:
    """A positive line number, or None."""
    if not raw:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if 0 < value <= MAX_COUNT else None
