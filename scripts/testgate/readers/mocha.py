"""Mocha JSON (``mocha --reporter json``): the ``passes``, ``failures`` and ``pending`` arrays.

Each array is streamed with ijson (one test object at a time); the array a test is in is its
outcome, as Mocha decided it (``tests`` repeats them and is not read). A failed hook
(``"before each" hook for ...``) is in ``failures`` and counts as a failing test. A passing
test with ``currentRetry`` above 0 passed on a retry: flaky, with ``currentRetry + 1``
attempts. The suite is the test's ``file``; the id is ``<parent titles>::<title>``.

``stats`` is checked against what the arrays hold: more failures declared than found is a
suite-level error (a truncated or edited report never passes).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ijson

from testgate.model import FAILED, PASSED, SKIPPED
from testgate.readers import engine
from testgate.readers.engine import DETAIL_CHARS, Collector, FileReader, message_of
from testgate.readers.jsonstream import (
    ShapeError,
    get_int,
    get_number,
    get_obj,
    get_str,
    items,
    json_errors,
    milliseconds,
    open_document,
    shape_error,
)

ARRAYS = (("passes", PASSED), ("failures", FAILED), ("pending", SKIPPED))


class MochaReader(FileReader):
    """Reads one Mocha JSON file."""

    def test(self, test: object, where: str, outcome: str) -> None:
        if type(test) is not dict:
            raise shape_error(where, "an object", test)
        title = get_str(test, "title", where, required=True)
        full = get_str(test, "fullTitle", where) or title
        group = full[: len(full) - len(title)].strip() if full.endswith(title) else ""
        file = get_str(test, "file", where)
        tm, problem = milliseconds(get_number(test, "duration", where), f"{where}.duration")
        if problem:
            self.warn(f"test {group or file}::{title}: {problem.replace('time', 'duration', 1)}")
        retry = get_int(test, "currentRetry", where) or 0
        if retry < 0:
            raise shape_error(f"{where}.currentRetry", "a count of 0 or more", retry)
        err = get_obj(test, "err", where) or {}
        acc = self.flat_suite(file or "(no file)")
        if outcome == PASSED:
            self.commit(acc, group, title, PASSED, tm, retry + 1, retry > 0)
        elif outcome == SKIPPED:
            self.commit(acc, group, title, SKIPPED, tm)
        else:
            acc.nonpass += 1
            message = get_str(err, "message", f"{where}.err") or ""
            stack = get_str(err, "stack", f"{where}.err") or ""
            details = ""
            if len(self.col.failures) < engine.DETAILED_FAILURES:
                details = (stack or message)[:DETAIL_CHARS]
            text = message_of(message) or message_of(stack)
            self.commit(acc, group, title, FAILED, tm, retry + 1, False, text, details)

    def parse(self, path: Path) -> None:
        counted = {}
        for key, outcome in ARRAYS:
            n = -1
            with open_document(path) as fh, json_errors():
                for n, test in enumerate(items(fh, f"{key}.item")):
                    self.test(test, f"{key}[{n}]", outcome)
            counted[key] = n + 1
        with open_document(path) as fh, json_errors():
            stats = next(iter(items(fh, "stats")), None)
        if type(stats) is not dict:
            raise shape_error("stats", "an object", stats)
        if not any(counted.values()):
            _check_arrays(path)
        declared = get_int(stats, "failures", "stats") or 0
        if declared > counted["failures"]:
            self.suite_error(
                "(run)",
                f"stats declares {declared} failure(s) but the failures array holds "
                f"{counted['failures']}",
                declared,
                counted["failures"],
            )
        get_int(stats, "tests", "stats")
        self.finish()


def _check_arrays(path: Path) -> None:
    """Nothing was read: say which array is missing or not an array."""
    found: dict[str, str] = {}
    with open_document(path) as fh, json_errors():
        for prefix, event, _value in ijson.parse(fh):
            if prefix in ("passes", "failures", "pending") and prefix not in found:
                found[prefix] = event
    for key, _outcome in ARRAYS:
        event = found.get(key)
        if event is None:
            raise ShapeError(f"{key}: expected an array, found nothing (the key is missing)")
        if event != "start_array":
            raise ShapeError(f"{key}: expected an array, found {event.replace('start_', 'an ')}")


def read(col: Collector, display: str, path: Path, open_source: Callable[[], object]) -> FileReader:
    """Read one Mocha JSON file."""
    reader = MochaReader(col, display)
    reader.parse(path)
    return reader
