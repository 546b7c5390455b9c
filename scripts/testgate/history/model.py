"""The history in memory and what is derived from it (frozen dataclasses)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from testgate.history.codec import ABSENT, decode_durations

SCHEMA = "testgate-history/1"
DEFAULT_MAX_RUNS = 200
DEFAULT_WINDOW = 30
DEFAULT_MAX_FLIPS = 2


@dataclass(frozen=True)
class RunContext:
    """Where a run came from: filled by the command from the CI environment or flags."""

    commit: str = ""
    branch: str = ""
    pipeline_url: str = ""
    time: str = ""


@dataclass(frozen=True)
class RunSummary:
    """One recorded run, without its per-test data."""

    seq: int
    time: str
    commit: str
    branch: str
    pipeline_url: str
    decision: str
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    flaky: int
    quarantined: int
    duration: float

    @property
    def pass_rate(self) -> float:
        """Passed (including reruns that passed) over tests that ran (not skipped), 0..1."""
        ran = self.tests - self.skipped
        return 1.0 if ran <= 0 else max(0.0, min(1.0, (ran - self.failed - self.errors) / ran))


@dataclass(frozen=True)
class FlakyTest:
    """A test the history says is flaky."""

    id: str
    flips: int
    runs: int
    flip_rate: float
    same_commit: bool
    failures: int
    last_outcome: str
    reason: str


@dataclass(frozen=True)
class SlowerTest:
    """A test whose recent duration grew against its earlier runs."""

    id: str
    before: float
    after: float

    @property
    def ratio(self) -> float:
        """``after / before`` (inf when it took no time before)."""
        return math.inf if self.before <= 0 else self.after / self.before


@dataclass(frozen=True)
class Trend:
    """The last N runs, oldest first, ready to render."""

    runs: tuple[RunSummary, ...]
    flaky: tuple[FlakyTest, ...] = ()
    slower: tuple[SlowerTest, ...] = ()
    window: int = DEFAULT_WINDOW
    max_flips: int = DEFAULT_MAX_FLIPS

    @property
    def pass_rates(self) -> list[float]:
        """Pass rate per run, in percent."""
        return [round(100.0 * r.pass_rate, 2) for r in self.runs]

    @property
    def test_counts(self) -> list[int]:
        """Number of tests per run."""
        return [r.tests for r in self.runs]

    @property
    def durations(self) -> list[float]:
        """Total test time per run, in seconds."""
        return [r.duration for r in self.runs]


@dataclass
class History:
    """The history file in memory (mutable while a run is appended)."""

    tests: list[str] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    max_runs: int = DEFAULT_MAX_RUNS
    _index: dict[str, int] | None = field(default=None, repr=False)

    @property
    def index(self) -> dict[str, int]:
        """Test id -> position in ``tests``."""
        if self._index is None:
            self._index = {t: i for i, t in enumerate(self.tests)}
        return self._index

    def summaries(self, last: int | None = None) -> list[RunSummary]:
        """Run summaries, oldest first (the last ``last`` runs when given)."""
        runs = self.runs if not last else self.runs[-last:]
        return [summarize_run(r) for r in runs]

    def outcomes(self, run: Mapping[str, Any]) -> str:
        """The outcome string of a stored run."""
        return str(run.get("outcomes", ""))

    def durations(self, run: Mapping[str, Any]) -> tuple[float, ...]:
        """The per-test durations of a stored run (seconds, 3 significant digits)."""
        return decode_durations(str(run.get("durations", "")))

    def last_ids(self) -> list[str]:
        """Ids of the tests that ran (any outcome) in the newest run."""
        if not self.runs:
            return []
        s = self.outcomes(self.runs[-1])
        return [self.tests[i] for i, c in enumerate(s) if c != ABSENT]


def summarize_run(run: Mapping[str, Any]) -> RunSummary:
    """The :class:`RunSummary` of a stored run."""
    t = run.get("totals") or {}
    return RunSummary(
        seq=int(run.get("seq", 0)),
        time=str(run.get("time", "")),
        commit=str(run.get("commit", "")),
        branch=str(run.get("branch", "")),
        pipeline_url=str(run.get("pipeline_url", "")),
        decision=str(run.get("decision", "")),
        tests=int(t.get("tests", 0)),
        passed=int(t.get("passed", 0)),
        failed=int(t.get("failed", 0)),
        errors=int(t.get("errors", 0)),
        skipped=int(t.get("skipped", 0)),
        flaky=int(t.get("flaky", 0)),
        quarantined=int(t.get("quarantined", 0)),
        duration=float(t.get("time", 0.0)),
    )
