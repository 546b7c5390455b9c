"""Reading the history: flaky tests, tests getting slower, durations for sharding, the trend.

Pure functions over a :class:`~testgate.history.model.History`; the outcome
strings are scanned with C-speed string operations (``str.find``, ``bytes.translate``,
``map``) so 1,000 runs x 5,000 tests stay well under a second.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from testgate.history.codec import (
    ABSENT,
    BAD,
    FAILISH_CODES,
    PASSED,
    RERUN,
    SKIPPED,
    TIMED,
    decode_durations,
)
from testgate.history.model import (
    DEFAULT_MAX_FLIPS,
    DEFAULT_WINDOW,
    FlakyTest,
    History,
    SlowerTest,
    Trend,
)


def _window_outcomes(history: History, window: int) -> list[tuple[str, str]]:
    runs = history.runs[-window:] if window else history.runs
    return [(str(r.get("commit", "")), r["outcomes"]) for r in runs]


def find_flaky(
    history: History,
    window: int = DEFAULT_WINDOW,
    max_flips: int = DEFAULT_MAX_FLIPS,
) -> list[FlakyTest]:
    """Tests that are flaky over the last ``window`` runs, most flips first.

    A test is flaky when it both passed and failed on the same commit (including a
    pass on rerun inside one run), or when its outcome flipped between pass and
    fail more than ``max_flips`` times. Skipped and missing runs do not count.
    The flip rate is flips over the transitions it could have made (runs - 1).
    """
    runs = _window_outcomes(history, window)
    candidates: set[int] = set()
    for _commit, s in runs:
        for ch in FAILISH_CODES:  # str.find is a C scan; far faster than a regex here
            i = s.find(ch)
            while i != -1:
                candidates.add(i)
                i = s.find(ch, i + 1)
    found: list[FlakyTest] = []
    counted = Counter(commit for commit, _s in runs if commit)
    repeated = [commit if counted[commit] > 1 else "" for commit, _s in runs]
    for pos in candidates:
        codes = [s[pos] if pos < len(s) else ABSENT for _commit, s in runs]
        seq: list[str] = []
        by_commit: dict[str, set[str]] = {}
        rerun = RERUN in codes
        for c, commit in zip(codes, repeated, strict=True):
            if c in (ABSENT, SKIPPED):
                continue
            ok = "P" if c in (PASSED, RERUN) else "F"
            seq.append(ok)
            if commit:  # only commits that ran more than once can pass and fail on one commit
                by_commit.setdefault(commit, set()).add(ok)
        flips = sum(1 for a, b in itertools.pairwise(seq) if a != b)
        same_commit = rerun or any(len(v) == 2 for v in by_commit.values())
        if not (same_commit or flips > max_flips):
            continue
        reasons = []
        if rerun:
            reasons.append("passed on rerun")
        elif same_commit:
            reasons.append("passed and failed on the same commit")
        if flips > max_flips:
            reasons.append(f"{flips} flips in {len(seq)} runs")
        found.append(
            FlakyTest(
                id=history.tests[pos],
                flips=flips,
                runs=len(seq),
                flip_rate=round(flips / (len(seq) - 1), 3) if len(seq) > 1 else 0.0,
                same_commit=same_commit,
                failures=seq.count("F"),
                last_outcome="passed" if seq and seq[-1] == "P" else "failed",
                reason="; ".join(reasons),
            )
        )
    found.sort(key=lambda f: (-f.flip_rate, -f.flips, f.id))
    return found


def find_slower(
    history: History,
    recent: int = 5,
    min_ratio: float = 1.5,
    min_seconds: float = 0.05,
    limit: int = 10,
) -> list[SlowerTest]:
    """Tests whose mean duration over the last ``recent`` runs grew against the ``recent`` before.

    Only tests that got at least ``min_ratio`` times slower and ``min_seconds``
    slower in absolute terms are listed, biggest growth first.
    """
    if len(history.runs) < 2:
        return []
    recent = max(1, min(recent, len(history.runs) // 2))
    after = _mean_durations(history.runs[-recent:])
    before = _mean_durations(history.runs[-2 * recent : -recent])
    found = []
    for pos, a in after.items():
        b = before.get(pos)
        if b is None:
            continue
        if a - b >= min_seconds and (b <= 0 or a / b >= min_ratio):
            found.append(SlowerTest(history.tests[pos], round(b, 4), round(a, 4)))
    found.sort(key=lambda s: (-(s.after - s.before), s.id))
    return found[:limit]


def _sum_durations(runs: Sequence[Mapping[str, Any]], width: int) -> tuple[list[float], list[int]]:
    """Per position: the seconds of the runs a test ran in (not skipped), and how many."""
    sums = [0.0] * width
    counts = [0] * width
    for run in runs:
        s = run["outcomes"][:width]
        # 1 where the test ran, 0 where it was skipped or absent; map() keeps it in C
        mask = s.encode("ascii", "replace").translate(TIMED) + bytes(width - len(s))
        d = decode_durations(run.get("durations", ""))[:width]
        d = d + (0.0,) * (width - len(d))
        sums = list(map(operator.add, sums, map(operator.mul, d, mask)))
        counts = list(map(operator.add, counts, mask))
    return sums, counts


def _mean_durations(runs: Sequence[Mapping[str, Any]]) -> dict[int, float]:
    width = max((len(r["outcomes"]) for r in runs), default=0)
    sums, counts = _sum_durations(runs, width)
    return {p: sums[p] / counts[p] for p in range(width) if counts[p]}


def durations_from_history(history: History, last: int = 10) -> dict[str, float]:
    """Mean duration per test over the last ``last`` runs it ran in (skips ignored).

    The result is pytest-split's ``.test_durations`` mapping (test id -> seconds).
    """
    runs = history.runs[-last:] if last else history.runs
    n = len(history.tests)
    sums, counts = _sum_durations(runs, n)
    return {history.tests[i]: round(sums[i] / counts[i], 4) for i in range(n) if counts[i]}


def build_trend(
    history: History,
    last: int = DEFAULT_WINDOW,
    window: int | None = None,
    max_flips: int = DEFAULT_MAX_FLIPS,
) -> Trend:
    """The last ``last`` runs with flaky and slower tests, for the renderers."""
    window = window or last
    return Trend(
        runs=tuple(history.summaries(last)),
        flaky=tuple(find_flaky(history, window, max_flips)),
        slower=tuple(find_slower(history)),
        window=window,
        max_flips=max_flips,
    )


@dataclass(frozen=True)
class HistoryBaseline:
    """The failing tests of the newest run of a branch in the history (``--baseline auto``)."""

    failing: frozenset[str]
    branch: str
    commit: str
    time: str
    seq: int

    def describe(self) -> str:
        commit = f" at {self.commit[:12]}" if self.commit else ""
        when = f" ({self.time})" if self.time else ""
        return f"run {self.seq} of {self.branch}{commit}{when}"


def baseline_of_branch(history: History, branch: str) -> HistoryBaseline | None:
    """The newest recorded run of ``branch`` and its failing tests, or ``None`` when the history
    has no run of that branch. A test that failed or errored there counts as failing; one that
    passed on a rerun (flaky), was skipped or did not run does not."""
    for run in reversed(history.runs):
        if str(run.get("branch") or "") != branch:
            continue
        codes = history.outcomes(run)
        failing = frozenset(
            history.tests[i] for i, c in enumerate(codes) if c in BAD and i < len(history.tests)
        )
        return HistoryBaseline(
            failing=failing,
            branch=branch,
            commit=str(run.get("commit") or ""),
            time=str(run.get("time") or ""),
            seq=int(run.get("seq") or 0),
        )
    return None
