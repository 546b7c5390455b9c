"""CTRF JSON (Common Test Report Format): ``results.tests``, streamed with ijson.

Each test object is read and dropped: a million-test report never sits in memory. Statuses:
passed -> passed, failed -> failed, skipped and pending -> skipped, other -> skipped (with a
warning: CTRF's "other" is what a runner could not classify, a todo or an interrupted test;
it never counts as passed). ``flaky: true`` or ``retries`` on a passed test make it flaky with
``retries + 1`` attempts, the model's rerun rule; a failed test keeps its attempts.

The test id is ``<suite path joined by " > ">::<name>`` (``<filePath>::<name>`` without a
suite). ``duration`` is milliseconds. A value of the wrong type is an input error naming its
JSON path (``results.tests[3].duration``); so is a file without a ``results.tests`` array.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ijson

from testgate.model import FAILED, PASSED, SKIPPED
from testgate.readers import engine
from testgate.readers.engine import DETAIL_CHARS, Collector, FileReader, flush_passes, message_of
from testgate.readers.jsonstream import (
    ShapeError,
    describe,
    get_bool,
    get_int,
    get_number,
    get_str,
    items,
    json_errors,
    milliseconds,
    open_document,
    shape_error,
)

STATUSES = {
    "passed": PASSED,
    "failed": FAILED,
    "skipped": SKIPPED,
    "pending": SKIPPED,
    "other": SKIPPED,
}
_NOTHING = object()


def _suite_name(raw: object, where: str) -> str:
    if raw is None:
        return ""
    if type(raw) is str:
        return raw
    if type(raw) is list:
        for i, part in enumerate(raw):
            if type(part) is not str:
                raise shape_error(f"{where}.suite[{i}]", "a string", part)
        return " > ".join(raw)
    raise shape_error(f"{where}.suite", "an array of strings", raw)


class CtrfReader(FileReader):
    """Reads one CTRF file."""

    def __init__(self, col: Collector, display: str) -> None:
        super().__init__(col, display)
        self.other = 0

    def test(self, test: dict, where: str, classname: str) -> None:
        """One test object, the careful way (validated, then counted)."""
        name = get_str(test, "name", where, required=True)
        raw_status = get_str(test, "status", where, required=True)
        outcome = STATUSES.get(raw_status)
        if outcome is None:
            raise ShapeError(
                f"{where}.status: expected one of {', '.join(STATUSES)}, found "
                f"{describe(raw_status)}"
            )
        if raw_status == "other":
            self.other += 1
        duration = get_number(test, "duration", where, required=True)
        tm, problem = milliseconds(duration, f"{where}.duration")
        if problem:
            self.warn(f"test {classname}::{name}: {problem.replace('time', 'duration', 1)}")
        file = get_str(test, "filePath", where)
        line = get_int(test, "line", where)
        retries = get_int(test, "retries", where) or 0
        flaky = bool(get_bool(test, "flaky", where))
        message = get_str(test, "message", where) or ""
        trace = get_str(test, "trace", where) or ""
        if retries < 0:
            raise shape_error(f"{where}.retries", "a count of 0 or more", retries)
        acc = self.flat_suite(classname or "(no suite)")
        attempts = retries + 1
        if outcome == PASSED and (flaky or retries):
            self.commit(acc, classname, name, PASSED, tm, max(attempts, 2), True)
            return
        if outcome == FAILED:
            acc.nonpass += attempts
            details = ""
            if len(self.col.failures) < engine.DETAILED_FAILURES:
                details = (trace or message)[:DETAIL_CHARS]
            text = message_of(message) or message_of(trace)
            self.commit(
                acc, classname, name, FAILED, tm, attempts, False, text, details, file, line
            )
            return
        self.commit(acc, classname, name, outcome, tm, attempts, False, message_of(message))

    def parse(self, path: Path) -> None:
        col = self.col
        spool = col.spool is not None
        n = -1
        last = _NOTHING
        classname = ""
        stats = None
        hot_n = 0
        hot_ms = 0.0
        floor_ms = col.slow_floor * 1000.0
        with open_document(path) as fh, json_errors():
            for n, test in enumerate(items(fh, "results.tests.item")):
                if type(test) is not dict:
                    raise shape_error(f"results.tests[{n}]", "an object", test)
                key = test.get("suite")
                if key is None:
                    key = test.get("filePath")
                duration = test.get("duration")
                kind = type(duration)
                if (
                    key == last
                    and test.get("status") == "passed"
                    and (kind is int or kind is float)
                    and 0 <= duration <= floor_ms
                    and type(test.get("name")) is str
                    and not test.get("flaky")
                    and not test.get("retries")
                    and not spool
                ):  # a plain pass in the same suite: two additions
                    hot_n += 1
                    hot_ms += duration
                    continue
                # The careful way, after the one flush of the plain passes counted so far.
                if hot_n:
                    flush_passes(stats, hot_n, hot_ms / 1000.0)
                    hot_n, hot_ms = 0, 0.0
                where = f"results.tests[{n}]"
                if key != last:  # another suite: name it
                    last = key
                    classname = _suite_name(test.get("suite"), where)
                    if not classname:
                        classname = get_str(test, "filePath", where) or ""
                    stats = self.flat_suite(classname or "(no suite)").stats
                self.test(test, where, classname)
                floor_ms = col.slow_floor * 1000.0
        if hot_n:  # the plain passes after the last careful one
            flush_passes(stats, hot_n, hot_ms / 1000.0)
        if n < 0:
            _check_tests_array(path)
        if self.other:
            self.warn(f"{self.other} test(s) with status 'other' counted as skipped")
        self.finish()


def _check_tests_array(path: Path) -> None:
    """No test was read: say whether ``results.tests`` is missing or not an array."""
    seen_results = False
    with open_document(path) as fh, json_errors():
        for prefix, event, _value in ijson.parse(fh):
            if prefix == "results" and not seen_results:
                seen_results = True
                if event != "start_map":
                    raise shape_error("results", "an object", _scalar(event, _value))
            elif prefix == "results.tests":
                if event == "start_array":
                    return
                raise shape_error("results.tests", "an array", _scalar(event, _value))
    if not seen_results:
        raise ShapeError("results: expected an object, found nothing (the key is missing)")
    raise ShapeError("results.tests: expected an array, found nothing (the key is missing)")


def _scalar(event: str, value: object) -> object:
    if event == "start_array":
        return []
    if event == "start_map":
        return {}
    return value


def read(col: Collector, display: str, path: Path, open_source: Callable[[], object]) -> FileReader:
    """Read one CTRF file."""
    reader = CtrfReader(col, display)
    reader.parse(path)
    return reader
