"""Dart and Flutter JSON (``dart test --reporter json``, ``flutter test --machine``).

A stream of JSON events, one per line, read a line at a time: ``suite``, ``group``,
``testStart``, ``error``, ``testDone``, ``done``. A ``testDone`` is a test: ``skipped`` ->
skipped, result success -> passed, failure -> failed, error -> error. Hidden tests (the
"loading <file>" pseudo-tests) are not counted, but one that does not succeed means its
suite did not load: a suite-level error. The suite is the test file; the id is
``<innermost group>::<test name without the group prefix>``.

Fail closed: a test that started and has no ``testDone`` when the stream ends is an error; a
``done`` event that says the run failed while no test did is a suite-level error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from testgate.model import ERROR, FAILED, PASSED, SKIPPED
from testgate.readers import engine
from testgate.readers.engine import DETAIL_CHARS, Collector, FileReader, message_of
from testgate.readers.jsonstream import (
    ShapeError,
    describe,
    get_bool,
    get_int,
    get_list,
    get_number,
    get_obj,
    get_str,
    json_events,
    milliseconds,
)

_RESULTS = {"success": PASSED, "failure": FAILED, "error": ERROR}


class DartReader(FileReader):
    """Reads one Dart/Flutter JSON stream."""

    def __init__(self, col: Collector, display: str) -> None:
        super().__init__(col, display)
        self.suite_paths: dict[int, str] = {}
        self.groups: dict[int, str] = {}
        self.running: dict[int, list] = {}  # id -> [name, suite, group, start ms, error, trace]
        self.done: bool | None = None
        self.failing = 0
        self.bad_lines = 0

    def event(self, event: dict, where: str) -> None:
        kind = get_str(event, "type", where)
        if kind == "suite":
            suite = get_obj(event, "suite", where) or {}
            sid = get_int(suite, "id", f"{where}.suite")
            path = get_str(suite, "path", f"{where}.suite") or get_str(
                suite, "platform", f"{where}.suite"
            )
            if sid is not None:
                self.suite_paths[sid] = path or f"(suite {sid})"
        elif kind == "group":
            group = get_obj(event, "group", where) or {}
            gid = get_int(group, "id", f"{where}.group")
            if gid is not None:
                self.groups[gid] = get_str(group, "name", f"{where}.group") or ""
        elif kind == "testStart":
            test = get_obj(event, "test", where)
            if test is None:
                raise ShapeError(f"{where}.test: expected an object, found nothing")
            tw = f"{where}.test"
            tid = get_int(test, "id", tw)
            if tid is None:
                raise ShapeError(f"{tw}.id: expected a whole number, found nothing")
            name = get_str(test, "name", tw) or ""
            sid = get_int(test, "suiteID", tw)
            group_ids = get_list(test, "groupIDs", tw) or []
            group = ""
            for gid in reversed(group_ids):
                if type(gid) is not int:
                    raise ShapeError(
                        f"{tw}.groupIDs: expected whole numbers, found {describe(gid)}"
                    )
                if self.groups.get(gid):
                    group = self.groups[gid]
                    break
            start = get_number(event, "time", where) or 0
            suite = self.suite_paths.get(sid, f"(suite {sid})") if sid is not None else ""
            self.running[tid] = [name, suite, group, start, "", ""]
        elif kind == "error":
            tid = get_int(event, "testID", where)
            text = get_str(event, "error", where) or ""
            trace = get_str(event, "stackTrace", where) or ""
            state = self.running.get(tid) if tid is not None else None
            if state is not None and not state[4]:
                state[4], state[5] = text or "(no message)", trace
        elif kind == "testDone":
            self.test_done(event, where)
        elif kind == "done":
            self.done = bool(get_bool(event, "success", where))

    def test_done(self, event: dict, where: str) -> None:
        tid = get_int(event, "testID", where)
        result = get_str(event, "result", where) or ""
        outcome = _RESULTS.get(result)
        if outcome is None:
            raise ShapeError(
                f"{where}.result: expected one of {', '.join(_RESULTS)}, found {describe(result)}"
            )
        hidden = bool(get_bool(event, "hidden", where))
        skipped = bool(get_bool(event, "skipped", where))
        end = get_number(event, "time", where) or 0
        state = self.running.pop(tid, None) if tid is not None else None
        if state is None:
            state = [f"(test {tid})", "(unknown suite)", "", end, "", ""]
        name, suite, group, start, error, trace = state
        if hidden:
            if outcome != PASSED:
                self.suite_error(
                    suite or "(unknown suite)",
                    f"suite {suite!r} did not load: {message_of(error) or result}",
                )
            return
        if skipped:
            outcome = SKIPPED
        tm, problem = milliseconds(end - start, f"{where}.time")
        if problem:
            self.warn(f"test {group or suite}::{name}: {problem}")
        self.count(suite, group, name, outcome, tm, error, trace)

    def count(self, suite, group, name, outcome, tm, error, trace) -> None:
        if group and name.startswith(group + " "):
            name = name[len(group) + 1 :]
        acc = self.flat_suite(suite or "(unknown suite)")
        details = ""
        if outcome in (FAILED, ERROR):
            self.failing += 1
            acc.nonpass += 1
            if len(self.col.failures) < engine.DETAILED_FAILURES:
                details = f"{error}\n{trace}".strip()[:DETAIL_CHARS]
        self.commit(acc, group, name, outcome, tm, 1, False, message_of(error), details)

    def parse(self, path: Path) -> None:
        for number, event in json_events(path):
            if event is None:
                self.bad_lines += 1
                continue
            self.event(event, f"line {number}")
        for name, suite, group, _start, error, trace in self.running.values():
            if name.startswith("loading "):  # a hidden loading test cut short
                self.suite_error(
                    suite or "(unknown suite)", f"suite {suite!r} never finished loading"
                )
                continue
            why = "no result: the stream ends before this test finished"
            self.count(suite, group, name, ERROR, 0.0, error or why, trace)
        self.running.clear()
        if self.done is None:
            self.warn("the stream has no 'done' event (the run may have been cut short)")
        elif self.done is False and self.failing == 0 and not self.suite_errors:
            self.suite_error("(run)", "the run says it did not succeed, but no test failed")
        if self.bad_lines:
            self.warn(f"{self.bad_lines} line(s) that are not JSON events were skipped")
        self.finish()


def read(col: Collector, display: str, path: Path, open_source: Callable[[], object]) -> FileReader:
    """Read one Dart/Flutter JSON stream."""
    reader = DartReader(col, display)
    reader.parse(path)
    return reader
