"""How one run's per-test data is encoded: outcome letters and half-precision durations.

A run stores ``outcomes``, one character per test position (``P`` passed, ``F``
failed, ``E`` error, ``S`` skipped, ``R`` passed on a rerun / both passed and
failed in the run, ``-`` not run), and ``durations``, base64 of little-endian
IEEE half-precision floats (seconds to 3 significant digits, one per position).
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence
from typing import Any

PASSED, FAILED, ERROR, SKIPPED, RERUN, ABSENT = "P", "F", "E", "S", "R", "-"
_OUTCOME_CODES = {
    "passed": PASSED,
    "pass": PASSED,
    "success": PASSED,
    "failed": FAILED,
    "failure": FAILED,
    "fail": FAILED,
    "error": ERROR,
    "errors": ERROR,
    "errored": ERROR,
    "skipped": SKIPPED,
    "skip": SKIPPED,
    "xfailed": SKIPPED,
}
BAD = frozenset((FAILED, ERROR))
FAILISH_CODES = (FAILED, ERROR, RERUN)
# outcome byte -> 1 when the test ran in that run (anything but "-"), else 0
PRESENT = bytes(0 if b == ord(ABSENT) else 1 for b in range(256))
# outcome byte -> 1 when the test ran and its duration counts (not skipped, not absent)
TIMED = bytes(0 if b in (ord(ABSENT), ord(SKIPPED)) else 1 for b in range(256))

_F16_MAX = 65504.0  # largest half-precision float: 18 hours, plenty for one test


def encode_durations(values: Sequence[float]) -> str:
    """Base64 of little-endian IEEE half-precision floats (3 significant digits)."""
    clamped = [v if 0.0 <= v <= _F16_MAX else (_F16_MAX if v > 0 else 0.0) for v in values]
    return base64.b64encode(struct.pack(f"<{len(clamped)}e", *clamped)).decode("ascii")


def decode_durations(text: str) -> tuple[float, ...]:
    """Inverse of :func:`encode_durations`."""
    if not text:
        return ()
    raw = base64.b64decode(text)
    return struct.unpack(f"<{len(raw) // 2}e", raw)


def outcome_code(outcome: Any, flaky: bool = False) -> str:
    """The one-letter code of a report outcome (unknown outcomes count as errors)."""
    code = _OUTCOME_CODES.get(str(outcome).strip().lower(), ERROR)
    if flaky and code == PASSED:
        return RERUN
    return code


def merge_codes(a: str, b: str) -> str:
    """Two results of one test in one run (reruns, shards that overlap)."""
    if a == b:
        return a
    pair = {a, b}
    if pair & {PASSED, RERUN} and pair & BAD:
        return RERUN
    for code in (ERROR, FAILED, RERUN, PASSED, SKIPPED):
        if code in pair:
            return code
    return a  # pragma: no cover
