"""The results of reading test reports: plain data and the rules every format counts by.

``readers.parse_reports`` builds a :class:`Report` from JUnit XML and the other formats
(NUnit, xUnit.net, TRX, CTRF, Mocha, RSpec, Dart, Go); ``gate.decide_gate`` turns it into a
:class:`GateDecision`; ``render`` and the ``report`` command present both.

The counting rules live here, once, so every reader counts alike:

- one outcome per test, the most severe of what its report says (:data:`OUTCOME_ORDER`:
  error > failed > skipped > passed, :func:`worse`);
- a test that failed and then passed (or was skipped) on a rerun counts once, as passed, and
  is flaky; one that fails on every attempt counts once, as failing (:func:`after_rerun`);
- :meth:`Counts.count` adds one test to the counters (and :meth:`Counts.uncount` takes it back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PASSED = "passed"
FAILED = "failed"
ERROR = "error"
SKIPPED = "skipped"

OUTCOME_ORDER = (ERROR, FAILED, SKIPPED, PASSED)
"""Outcomes from the most to the least severe: a test with several results takes the first."""
FAILING = frozenset((FAILED, ERROR))
_SEVERITY = {outcome: len(OUTCOME_ORDER) - i for i, outcome in enumerate(OUTCOME_ORDER)}


def worse(a: str, b: str) -> str:
    """The more severe of two outcomes (:data:`OUTCOME_ORDER`)."""
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


def after_rerun(attempt: str) -> tuple[str, bool]:
    """The outcome of a failing test that was run again and then gave ``attempt``.

    Returns:
        (outcome, flaky): passed and flaky when the rerun passed or was skipped; otherwise the
        rerun's own failing outcome, not flaky (the test keeps failing).
    """
    if attempt in FAILING:
        return attempt, False
    return PASSED, True


def make_test_id(classname: str, name: str, suite: str) -> str:
    """The stable id of a test: ``<classname>::<name>`` (``<suite>::<name>`` without a classname)."""
    return f"{classname or suite}::{name}"


@dataclass(frozen=True, slots=True)
class Failure:
    """A test case whose final outcome is ``failed`` or ``error``."""

    id: str
    suite: str
    classname: str
    name: str
    outcome: str
    message: str
    details: str
    file: str | None
    line: int | None
    report: str
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class Flaky:
    """A test that failed at least once and passed on a rerun."""

    id: str
    suite: str
    classname: str
    name: str
    attempts: int
    report: str


@dataclass(frozen=True, slots=True)
class SuiteError:
    """A suite that declares more failures/errors than its test cases show, or has a result of its own."""

    suite: str
    report: str
    message: str
    declared: int
    counted: int
    line: int | None = None


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one input file contributed, or why it could not be read (``error``)."""

    path: str
    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0
    time: float = 0.0
    error: str | None = None
    line: int | None = None
    format: str | None = None
    """The format it was read as (``junit``, ``nunit``, ...); not part of the report JSON."""


@dataclass(slots=True)
class Counts:
    """Mutable outcome counters (per report, per suite); not part of any public result."""

    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0
    time: float = 0.0

    def count(self, outcome: str, time: float, flaky: bool = False) -> None:
        """Count one test with its final ``outcome`` and ``time``."""
        self.tests += 1
        self.time += time
        if outcome == PASSED:
            self.passed += 1
        elif outcome == FAILED:
            self.failed += 1
        elif outcome == ERROR:
            self.errors += 1
        else:
            self.skipped += 1
        if flaky:
            self.flaky += 1

    def uncount(self, outcome: str, time: float, flaky: bool = False) -> None:
        """Take back a :meth:`count` (a rerun folds the earlier attempt into itself)."""
        self.tests -= 1
        self.time -= time
        if outcome == PASSED:
            self.passed -= 1
        elif outcome == FAILED:
            self.failed -= 1
        elif outcome == ERROR:
            self.errors -= 1
        else:
            self.skipped -= 1
        if flaky:
            self.flaky -= 1

    def add(self, other: Counts) -> None:
        """Add ``other`` into these counters."""
        self.tests += other.tests
        self.passed += other.passed
        self.failed += other.failed
        self.errors += other.errors
        self.skipped += other.skipped
        self.flaky += other.flaky
        self.time += other.time


@dataclass(frozen=True, slots=True)
class Totals:
    """Totals over every test case read."""

    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0
    time: float = 0.0

    @classmethod
    def of(cls, counts: Counts) -> Totals:
        """Freeze a :class:`Counts`."""
        return cls(
            tests=counts.tests,
            passed=counts.passed,
            failed=counts.failed,
            errors=counts.errors,
            skipped=counts.skipped,
            flaky=counts.flaky,
            time=round(counts.time, 6),
        )


@dataclass(frozen=True)
class Report:
    """Everything read from the input files, merged."""

    files: tuple[FileResult, ...]
    totals: Totals
    suites: Mapping[str, Totals]
    failures: tuple[Failure, ...]
    flaky: tuple[Flaky, ...]
    suite_errors: tuple[SuiteError, ...]
    slowest: tuple[tuple[str, float], ...]
    warnings: tuple[str, ...]
    tests_file: Path | None = None
    """JSON-lines spool of per-test records (``readers.read_tests``), when asked for."""

    @property
    def file_errors(self) -> tuple[FileResult, ...]:
        """Input files that could not be read."""
        return tuple(f for f in self.files if f.error)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A failing test excused (or, once expired, no longer excused) by a quarantine entry."""

    id: str
    pattern: str
    owner: str
    reason: str
    expires: str
    expired: bool


@dataclass(frozen=True)
class BaselineDiff:
    """Failures compared with an earlier run (``--baseline``)."""

    new: tuple[str, ...]
    still_failing: tuple[str, ...]
    fixed: tuple[str, ...]
    source: str = ""
    """Where the baseline came from (a report JSON, or a run of the default branch)."""


@dataclass(frozen=True)
class GateDecision:
    """The one pass/fail/error decision and why."""

    decision: str  # "pass" | "fail" | "error"
    reasons: tuple[str, ...]
    quarantined: tuple[Quarantined, ...] = ()
    baseline: BaselineDiff | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        """True only for a clean pass."""
        return self.decision == "pass"

    @property
    def quarantined_ids(self) -> frozenset[str]:
        """Ids of failures that quarantine excuses (not expired)."""
        return frozenset(q.id for q in self.quarantined if not q.expired)
