"""RSpec JSON (``rspec --format json``): ``examples`` streamed with ijson, then ``summary``.

Status: passed -> passed, failed -> failed, pending -> skipped; anything else is an input
error naming the example. The suite is the example's ``file_path``; the id is
``<example group>::<description>``, and a failure points at the example's file and line.

Errors outside of examples (a spec file that did not load) and a summary that declares more
failures than the examples show are suite-level errors: the gate fails on them.
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
    describe,
    get_int,
    get_list,
    get_number,
    get_obj,
    get_str,
    items,
    json_errors,
    open_document,
    seconds,
    shape_error,
)

STATUSES = {"passed": PASSED, "failed": FAILED, "pending": SKIPPED}


class RSpecReader(FileReader):
    """Reads one RSpec JSON file."""

    def example(self, ex: object, where: str) -> None:
        if type(ex) is not dict:
            raise shape_error(where, "an object", ex)
        description = get_str(ex, "description", where, required=True)
        full = get_str(ex, "full_description", where) or description
        group = full[: len(full) - len(description)].strip() if full.endswith(description) else ""
        status = get_str(ex, "status", where, required=True)
        outcome = STATUSES.get(status)
        if outcome is None:
            raise ShapeError(
                f"{where}.status: expected one of {', '.join(STATUSES)}, found {describe(status)}"
            )
        file = get_str(ex, "file_path", where)
        line = get_int(ex, "line_number", where)
        tm, problem = seconds(get_number(ex, "run_time", where), f"{where}.run_time")
        if problem:
            self.warn(f"test {group or file}::{description}: {problem}")
        acc = self.flat_suite(file or "(no file)")
        if outcome == FAILED:
            acc.nonpass += 1
            exc = get_obj(ex, "exception", where) or {}
            text = get_str(exc, "message", f"{where}.exception") or ""
            kind = get_str(exc, "class", f"{where}.exception") or ""
            trace = get_list(exc, "backtrace", f"{where}.exception") or []
            details = ""
            if len(self.col.failures) < engine.DETAILED_FAILURES:
                lines = [str(x) for x in trace[:50]]
                details = "\n".join([text, *lines]).strip()[:DETAIL_CHARS]
            message = message_of(text) or kind
            self.commit(acc, group, description, FAILED, tm, 1, False, message, details, file, line)
        elif outcome == SKIPPED:
            reason = get_str(ex, "pending_message", where) or ""
            self.commit(acc, group, description, SKIPPED, tm, 1, False, message_of(reason))
        else:
            self.commit(acc, group, description, PASSED, tm)

    def parse(self, path: Path) -> None:
        n = -1
        failed = 0
        with open_document(path) as fh, json_errors():
            for n, ex in enumerate(items(fh, "examples.item")):
                before = len(self.col.failures)
                self.example(ex, f"examples[{n}]")
                failed += len(self.col.failures) > before
        if n < 0:
            _check_examples(path)
        with open_document(path) as fh, json_errors():
            summary = next(iter(items(fh, "summary")), None)
        if summary is not None:
            if type(summary) is not dict:
                raise shape_error("summary", "an object", summary)
            outside = get_int(summary, "errors_outside_of_examples_count", "summary") or 0
            if outside > 0:
                with open_document(path) as fh, json_errors():
                    first = next(iter(items(fh, "messages.item")), None)
                why = message_of(first) if type(first) is str else "no message"
                self.suite_error(
                    "(run)",
                    f"{outside} error(s) outside of examples (a spec file that did not load?): "
                    f"{why}",
                    outside,
                    0,
                )
            declared = get_int(summary, "failure_count", "summary") or 0
            if declared > failed:
                self.suite_error(
                    "(run)",
                    f"the summary declares {declared} failure(s) but the examples show {failed}",
                    declared,
                    failed,
                )
        self.finish()


def _check_examples(path: Path) -> None:
    """No example was read: say whether ``examples`` is missing or not an array."""
    with open_document(path) as fh, json_errors():
        for prefix, event, value in ijson.parse(fh):
            if prefix == "examples":
                if event == "start_array":
                    return
                raise shape_error("examples", "an array", {} if event == "start_map" else value)
    raise ShapeError("examples: expected an array, found nothing (the key is missing)")


def read(col: Collector, display: str, path: Path, open_source: Callable[[], object]) -> FileReader:
    """Read one RSpec JSON file."""
    reader = RSpecReader(col, display)
    reader.parse(path)
    return reader
