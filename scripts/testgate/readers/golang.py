"""``go test -json`` (test2json) streams: one JSON event per line, read a line at a time.

Test-level ``pass``/``fail``/``skip`` events are the tests (subtests included, as go itself
and gotestsum count them); ``output`` events give a failure its message and details. The
suite is the package; the id is ``<package>::<Test/subtest>``. A test run again later in the
same stream (``go test -count``, ``gotestsum --rerun-fails``) folds into one test by the
model's rerun rule: failed then passed is flaky.

Fail closed: a test that started but has no result when its package (or the stream) ends is
an error; a package that fails without a failing test (build failure, panic in TestMain, a
timeout) and a package the stream never finishes are suite-level errors. A line that is not
JSON is skipped with a warning (``go test -json 2>&1`` mixes in the compiler's output),
unless it is the last one and unfinished: then the stream was cut short, an input error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from testgate.model import ERROR, FAILED, PASSED, SKIPPED
from testgate.readers import engine
from testgate.readers.engine import DETAIL_CHARS, Collector, FileReader, message_of
from testgate.readers.jsonstream import get_number, get_str, json_events, seconds

_RESULTS = {"pass": PASSED, "fail": FAILED, "skip": SKIPPED}
_NOISE = ("=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS", "--- FAIL", "--- SKIP")
OUTPUT_CHARS = 2 * DETAIL_CHARS
PACKAGE_LINES = 5


def _details(lines: list[str]) -> str:
    return "".join(x for x in lines if not x.lstrip().startswith(_NOISE)).strip("\n")


class GoReader(FileReader):
    """Reads one ``go test -json`` stream."""

    def __init__(self, col: Collector, display: str) -> None:
        super().__init__(col, display)
        self.running: dict[tuple[str, str], list] = {}  # [output lines, chars kept]
        self.packages_open: dict[str, int] = {}
        self.package_output: dict[str, list[str]] = {}
        self.failing: dict[str, int] = {}
        self.bad_lines = 0

    def test_event(self, action: str, pkg: str, test: str, event: dict, where: str) -> None:
        key = (pkg, test)
        if action == "run":
            self.running[key] = [[], 0]
        elif action == "output":
            out = get_str(event, "Output", where) or ""
            state = self.running.setdefault(key, [[], 0])
            if state[1] < OUTPUT_CHARS:
                state[0].append(out[: OUTPUT_CHARS - state[1]])
                state[1] += len(out)
        elif action in _RESULTS:
            outcome = _RESULTS[action]
            tm, problem = seconds(get_number(event, "Elapsed", where), f"{where}.Elapsed")
            if problem:
                self.warn(f"test {pkg}::{test}: {problem}")
            state = self.running.pop(key, None)
            lines = state[0] if state else []
            self.result(pkg, test, outcome, tm, lines)

    def result(self, pkg: str, test: str, outcome: str, tm: float, lines: list[str]) -> None:
        acc = self.flat_suite(pkg or "(no package)")
        message = details = ""
        if outcome in (FAILED, ERROR):
            self.failing[pkg] = self.failing.get(pkg, 0) + 1
            text = _details(lines)
            message = message_of(text)
            if len(self.col.failures) < engine.DETAILED_FAILURES:
                details = text[:DETAIL_CHARS]
        elif outcome == SKIPPED:
            message = message_of(_details(lines))
        self.attempt((pkg, test), acc, pkg, test, outcome, tm, message, details)

    def unfinished(self, pkg: str | None, why: str) -> None:
        """Tests of ``pkg`` (None: of any package) that started and have no result: errors."""
        for key in [k for k in self.running if pkg is None or k[0] == pkg]:
            lines = self.running.pop(key)[0]
            self.result(key[0], key[1], ERROR, 0.0, [f"no result: {why}\n", *lines])

    def package_event(self, action: str, pkg: str, event: dict, where: str) -> None:
        if action == "start":
            self.packages_open[pkg] = self.packages_open.get(pkg, 0) + 1
        elif action == "output":
            out = (get_str(event, "Output", where) or "").rstrip("\n")
            kept = self.package_output.setdefault(pkg, [])
            if out.strip():
                kept.append(out[:300])
                del kept[:-PACKAGE_LINES]
        elif action in _RESULTS or action == "build-fail":
            self.packages_open.pop(pkg, None)
            self.unfinished(pkg, "the test binary ended before it (panic, timeout or os.Exit)")
            if action in ("fail", "build-fail") and not self.failing.get(pkg):
                said = " | ".join(self.package_output.get(pkg, [])) or "no output"
                self.suite_error(
                    pkg or "(no package)",
                    f"package {pkg!r} failed without a failing test: {said}",
                )
            self.package_output.pop(pkg, None)

    def parse(self, path: Path) -> None:
        for number, event in json_events(path):
            where = f"line {number}"
            if event is None:
                self.not_an_event(number)
                continue
            action = get_str(event, "Action", where)
            if action is None:
                self.not_an_event(number)
                continue
            pkg = get_str(event, "Package", where) or get_str(event, "ImportPath", where) or ""
            test = get_str(event, "Test", where)
            if test:
                self.test_event(action, pkg, test, event, where)
            else:
                self.package_event(action, pkg, event, where)
        self.unfinished(None, "the stream ends before it")
        for pkg in self.packages_open:
            self.suite_error(
                pkg or "(no package)", f"package {pkg!r}: the stream ends before its result"
            )
        if self.bad_lines:
            self.warn(f"{self.bad_lines} line(s) that are not test2json events were skipped")
        self.finish()

    def not_an_event(self, number: int) -> None:
        self.bad_lines += 1


def read(col: Collector, display: str, path: Path, open_source: Callable[[], object]) -> FileReader:
    """Read one ``go test -json`` stream."""
    reader = GoReader(col, display)
    reader.parse(path)
    return reader
