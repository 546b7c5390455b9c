"""The counting engine every format reader feeds: one place that counts a test.

A format reader (``readers/junit.py``, ``nunit.py``, ...) walks its file and calls
:meth:`FileReader.commit` once per test with the test's final outcome; the engine counts it
(:meth:`Counts.count`), keeps the failures, flaky tests and slowest few, and writes the
per-test spool when asked for. Reruns are folded with the model's rule
(:func:`testgate.model.after_rerun`): right after the failing attempt (:class:`Pending`,
JUnit) or anywhere later in the file (:meth:`FileReader.attempt`, TRX and Go).

A file that turns out unreadable halfway is rolled back: it contributes nothing but its error.
"""

from __future__ import annotations

import heapq
import tempfile
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _json_str  # C: the spool writes a line per test
from pathlib import Path
from typing import IO

from testgate.model import (
    FAILING,
    Counts,
    Failure,
    FileResult,
    Flaky,
    SuiteError,
    after_rerun,
    make_test_id,
)

SLOWEST = 10
"""How many of the slowest tests a report keeps."""
DETAILED_FAILURES = 500
"""Failures beyond this many keep only a short message (bounded memory on huge reports)."""
MESSAGE_CHARS = 1000
DETAIL_CHARS = 4000
WARNINGS_PER_FILE = 20


class Collector:
    """Accumulates results over all files; rolls back a file that turns out unreadable."""

    def __init__(self, keep_tests: bool, spool_dir: Path | None) -> None:
        self.totals = Counts()
        self.suites: dict[str, Counts] = {}
        self.failures: list[Failure] = []
        self.flaky: list[Flaky] = []
        self.suite_errors: list[SuiteError] = []
        self.slowest: list[tuple[float, int, str]] = []  # min-heap
        self.slow_floor = 0.0
        self.retracted: list[tuple[float, str]] = []  # slowest entries taken back by undo_last
        self.seq = 0
        self.warnings: list[str] = []
        self.files: list[FileResult] = []
        self.spool: IO[bytes] | None = None
        self.spool_pos = 0  # bytes written: a text file's tell() is far too slow per test case
        self.spool_path: Path | None = None
        if keep_tests:
            fd, name = tempfile.mkstemp(prefix="testgate-tests-", suffix=".jsonl", dir=spool_dir)
            self.spool_path = Path(name)
            self.spool = open(fd, "wb")  # noqa: SIM115 - closed in finish()

    def mark(self) -> tuple[int, int, int]:
        """Where this file's contributions start (for :meth:`rollback`)."""
        return len(self.failures), len(self.flaky), self.spool_pos

    def rollback(self, mark: tuple[int, int, int]) -> None:
        """Forget what a file added since :meth:`mark` (the slowest heap is filtered at the end)."""
        failures, flaky, spool_pos = mark
        del self.failures[failures:]
        del self.flaky[flaky:]
        if self.spool is not None:
            self.spool.seek(spool_pos)
            self.spool.truncate()
            self.spool_pos = spool_pos

    def finish(self) -> None:
        if self.spool is not None:
            self.spool.close()


@dataclass(slots=True)
class SuiteAcc:
    """Counters of one suite while its file is read (its own and nested suites' tests)."""

    elem: object
    name: str
    stats: Counts = field(default_factory=Counts)
    nonpass: int = 0  # failing attempts of test cases
    elements: int = 0  # failure/error elements, including flaky and rerun ones
    suite_results: int = 0  # failure/error elements directly under the suite
    first_result: str = ""
    repeats_are_reruns: bool = False
    may_have_status: bool = True


@dataclass(slots=True)
class Pending:
    """A failing test waiting to see whether what follows is its rerun."""

    acc: SuiteAcc
    classname: str
    name: str
    outcome: str
    time: float
    attempts: int
    message: str = ""
    details: str = ""
    file: str | None = None
    line: int | None = None


class FileReader:
    """Reads one file into a :class:`Collector`: the counting every format shares.

    Format readers subclass it or drive it; they never touch counters themselves except
    through :meth:`commit` (and the JUnit and NUnit fast paths, which add plain passes to a
    suite's counters in bulk: :func:`flush_passes`).
    """

    def __init__(self, col: Collector, display: str) -> None:
        self.col = col
        self.display = display
        self.counts = Counts()
        self.suites: dict[str, Counts] = {}
        self.suite_errors: list[SuiteError] = []
        self.warnings: list[str] = []
        self.pending: Pending | None = None
        self.flat: dict[str, SuiteAcc] = {}
        self.held: dict[object, Pending] = {}
        # What the last commit() changed, so a rerun that follows can fold it in.
        self.last: tuple | None = None
        self.last_tests = -1  # its suite's test count right after it

    # -- warnings and suite-level errors ----------------------------------------------------
    def warn(self, message: str) -> None:
        if len(self.warnings) < WARNINGS_PER_FILE:
            self.warnings.append(f"{self.display}: {message}")
        elif len(self.warnings) == WARNINGS_PER_FILE:
            self.warnings.append(f"{self.display}: more warnings not shown")

    def suite_error(
        self, suite: str, message: str, declared: int = 1, counted: int = 0, line=None
    ) -> None:
        """A failure no test case shows (a crashed fixture, a package that did not build, ...)."""
        self.suite_errors.append(
            SuiteError(
                suite=suite,
                report=self.display,
                message=message,
                declared=declared,
                counted=counted,
                line=line,
            )
        )

    # -- suites of flat formats (JSON): one accumulator per suite name -----------------------
    def flat_suite(self, name: str) -> SuiteAcc:
        acc = self.flat.get(name)
        if acc is None:
            acc = self.flat[name] = SuiteAcc(None, name)
        return acc

    def add_suite(self, name: str, stats: Counts) -> None:
        into = self.suites.get(name)
        if into is None:
            self.suites[name] = into = Counts()
        into.add(stats)

    # -- counting --------------------------------------------------------------------------
    def commit(
        self,
        acc: SuiteAcc,
        classname: str,
        name: str,
        outcome: str,
        tm: float,
        attempts: int = 1,
        flaky: bool = False,
        message: str = "",
        details: str = "",
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """Count one test, its reruns already folded into it."""
        col = self.col
        self.last = (
            acc,
            classname,
            name,
            outcome,
            tm,
            attempts,
            flaky,
            len(col.failures),
            len(col.flaky),
            col.spool_pos,
        )
        c = acc.stats
        c.count(outcome, tm, flaky)
        self.last_tests = c.tests
        tid = None
        if outcome in FAILING:
            tid = make_test_id(classname, name, acc.name)
            detailed = len(col.failures) < DETAILED_FAILURES
            col.failures.append(
                Failure(
                    id=tid,
                    suite=acc.name,
                    classname=classname,
                    name=name,
                    outcome=outcome,
                    message=message[:MESSAGE_CHARS] if detailed else message[:200],
                    details=details[:DETAIL_CHARS] if detailed else "",
                    file=file,
                    line=line,
                    report=self.display,
                    attempts=attempts,
                )
            )
        elif flaky:
            tid = make_test_id(classname, name, acc.name)
            col.flaky.append(Flaky(tid, acc.name, classname, name, attempts, self.display))
        if tm > col.slow_floor:
            self.note_slow(tm, tid or make_test_id(classname, name, acc.name))
        if col.spool is not None:
            # One line per test: the report JSON's "tests" entry, a tab, then what the
            # merged JUnit needs. JSON text never holds a raw tab, so the split is safe,
            # and the entry goes to the report as it is, without decoding it again.
            tid = tid or make_test_id(classname, name, acc.name)
            data = (
                f'{{"id": {_json_str(tid)}, "suite": {_json_str(acc.name)}, '
                f'"outcome": "{outcome}", "time": {tm!r}, "flaky": {"true" if flaky else "false"}}}'
                f"\t[{_json_str(classname)}, {_json_str(name)}, "
                f"{_json_str(message[:MESSAGE_CHARS])}]\n"
            ).encode()
            col.spool.write(data)
            col.spool_pos += len(data)

    def undo_last(self) -> tuple[int, float]:
        """Take back the last commit(); returns its (attempts, time) to fold into a rerun."""
        assert self.last is not None
        acc, classname, name, outcome, tm, attempts, flaky, failures, flakies, spool_pos = self.last
        self.last = None
        acc.stats.uncount(outcome, tm, flaky)
        col = self.col
        if outcome in FAILING:
            tid = col.failures[-1].id
        elif flaky:
            tid = col.flaky[-1].id
        else:
            tid = None
        if tid is not None or tm > 0:
            tid = tid or make_test_id(classname, name, acc.name)
            col.retracted.append((tm, f"{self.display}\x00{tid}"))
        del col.failures[failures:]
        del col.flaky[flakies:]
        if col.spool is not None:
            col.spool.seek(spool_pos)
            col.spool.truncate()
            col.spool_pos = spool_pos
        return attempts, tm

    def note_slow(self, tm: float, tid: str) -> None:
        col = self.col
        col.seq += 1
        item = (tm, -col.seq, f"{self.display}\x00{tid}")
        if len(col.slowest) < SLOWEST:
            heapq.heappush(col.slowest, item)
            if len(col.slowest) == SLOWEST:
                col.slow_floor = col.slowest[0][0]
        else:
            heapq.heapreplace(col.slowest, item)
            col.slow_floor = col.slowest[0][0]

    def commit_pending(self) -> None:
        p = self.pending
        self.pending = None
        if p is not None:
            self.commit_held(p)

    def commit_held(self, p: Pending) -> None:
        self.commit(
            p.acc,
            p.classname,
            p.name,
            p.outcome,
            p.time,
            p.attempts,
            False,
            p.message,
            p.details,
            p.file,
            p.line,
        )

    # -- reruns anywhere later in the file (TRX, Go) ------------------------------------------
    def attempt(
        self,
        key: object,
        acc: SuiteAcc,
        classname: str,
        name: str,
        outcome: str,
        tm: float,
        message: str = "",
        details: str = "",
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """One attempt of the test ``key``; a failing attempt waits for a rerun until the end.

        A later attempt of the same test folds into it by :func:`after_rerun`; what still
        fails at :meth:`finish` is counted then. Only failures are held, so memory stays
        bounded by the failures a report keeps anyway.
        """
        held = self.held.get(key)
        if held is not None:
            held.attempts += 1
            held.time += tm
            final, flaky = after_rerun(outcome)
            if flaky:
                del self.held[key]
                self.commit(acc, classname, name, final, held.time, held.attempts, True)
                return
            held.outcome = final
            if message or details:
                held.message, held.details = message, details
            return
        if outcome in FAILING:
            acc.nonpass += 1
            self.held[key] = Pending(
                acc, classname, name, outcome, tm, 1, message, details, file, line
            )
            return
        self.commit(acc, classname, name, outcome, tm, 1, False, message, details, file, line)

    def finish(self) -> None:
        """Count what still waits (a failure without a rerun) and sum flat suites up."""
        self.commit_pending()
        for held in self.held.values():
            self.commit_held(held)
        self.held.clear()
        if self.flat:
            for name, acc in self.flat.items():
                self.counts.add(acc.stats)
                self.add_suite(name, acc.stats)
            self.flat.clear()


def flush_passes(stats: Counts, n: int, seconds: float) -> None:
    """Add ``n`` plain passing tests taking ``seconds`` in all (the fast paths' one flush)."""
    stats.tests += n
    stats.passed += n
    stats.time += seconds


def message_of(text: str | None) -> str:
    """The first non-blank line of ``text``, bounded: what a summary shows of a failure."""
    if not text:
        return ""
    for part in text.strip().split("\n", 20):
        part = part.strip()
        if part:
            return part[:MESSAGE_CHARS]
    return ""
