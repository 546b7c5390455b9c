"""Quarantine suggestions: ``[[quarantine]]`` entries for the gate policy from flaky tests."""

from __future__ import annotations

import glob
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase

from testgate.history.model import FlakyTest


@dataclass(frozen=True)
class QuarantineSuggestion:
    """One ``[[quarantine]]`` entry for the gate policy (see ``testgate.policy``)."""

    test: str
    owner: str
    reason: str
    expires: str


def suggest_quarantine(
    flaky: Sequence[FlakyTest],
    owner: str,
    expires: str,
    already: Sequence[str] = (),
) -> list[QuarantineSuggestion]:
    """Quarantine entries for flaky tests that no pattern in ``already`` covers.

    The entry's ``test`` is the test id with fnmatch's special characters escaped
    (parametrised ids hold ``[...]``), so it matches exactly that test.
    """
    out = []
    for f in flaky:
        if any(fnmatchcase(f.id, pattern) for pattern in already):
            continue
        reason = f"flaky: {f.reason} (flip rate {100 * f.flip_rate:.0f}%)"
        out.append(
            QuarantineSuggestion(
                test=glob.escape(f.id), owner=owner, reason=reason, expires=expires
            )
        )
    return out


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def render_quarantine_toml(entries: Sequence[QuarantineSuggestion], generated: str = "") -> str:
    """``[[quarantine]]`` tables for a gate policy file (appendable to an existing one)."""
    lines = []
    if entries and generated:
        lines.append(f"# added by `testgate quarantine suggest` on {generated}")
    for e in entries:
        lines += [
            "[[quarantine]]",
            f"test = {_toml_str(e.test)}",
            f"owner = {_toml_str(e.owner)}",
            f"reason = {_toml_str(e.reason)}",
            f"expires = {date.fromisoformat(e.expires).isoformat()}",  # a TOML date
            "",
        ]
    return "\n".join(lines)
