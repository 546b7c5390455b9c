"""MSTest / Visual Studio TRX (root ``<TestRun>``, any TeamTest namespace).

TRX lists the results first and the test definitions (which hold each test's class) after
them, so the file is read twice with the hardened iterparse: first the definitions (one class
name per test id is kept), then the results, streamed. Data-driven rows
(``<InnerResults>``) belong to their parent result, which carries the test's outcome.

Outcomes: Passed, PassedButRunAborted, Warning, Completed -> passed; Failed -> failed; Error,
Timeout, Aborted, Disconnected, NotRunnable, InProgress -> error; NotExecuted, Inconclusive,
Pending -> skipped; anything else -> error (fail closed). A test whose id and name come again
later in the file (a rerun written into the same TRX) counts once, by the model's rerun rule.

A run whose counters declare more failures than its results show, or whose summary says
Failed/Error/Aborted without a failing result, is a suite-level error: the gate fails on it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from testgate.model import ERROR, FAILED, PASSED, SKIPPED
from testgate.readers import engine
from testgate.readers.engine import DETAIL_CHARS, Collector, FileReader, message_of
from testgate.readers.values import Rejected, parse_count
from testgate.readers.xmlsafe import check_no_doctype, iterparse, local_name

ROOTS = ("TestRun",)
_OUTCOMES = {
    "passed": PASSED,
    "passedbutrunaborted": PASSED,
    "warning": PASSED,
    "completed": PASSED,
    "failed": FAILED,
    "error": ERROR,
    "timeout": ERROR,
    "aborted": ERROR,
    "disconnected": ERROR,
    "notrunnable": ERROR,
    "inprogress": ERROR,
    "notexecuted": SKIPPED,
    "inconclusive": SKIPPED,
    "pending": SKIPPED,
}
_FAILED_RUN = frozenset(("failed", "error", "aborted", "timeout"))
_DECLARED_FAILING = ("failed", "error", "timeout", "aborted")
RUN_INFOS_KEPT = 5


def parse_duration(raw: str | None) -> float | None:
    """Seconds from ``hh:mm:ss.fffffff`` (``d.hh:mm:ss`` too); None when it is not one."""
    if not raw:
        return 0.0
    parts = raw.strip().split(":")
    if len(parts) != 3:
        return None
    try:
        days = 0.0
        hours = parts[0]
        if "." in hours:
            d, hours = hours.split(".", 1)
            days = float(d)
        seconds = days * 86400 + float(hours) * 3600 + float(parts[1]) * 60 + float(parts[2])
    except ValueError:
        return None
    return seconds if 0.0 <= seconds < float("inf") else None


class TrxReader(FileReader):
    """Reads one TRX file (two passes)."""

    def __init__(self, col: Collector, display: str) -> None:
        super().__init__(col, display)
        self.classes: dict[str, str] = {}
        self.declared = 0
        self.summary_outcome = ""
        self.run_errors: list[str] = []
        self.nonpass = 0

    def definitions(self, source) -> None:
        """Pass 1: each test id's class, the run's counters and its summary."""
        it = iterparse(source, ("{*}UnitTest", "{*}Counters", "{*}ResultSummary", "{*}RunInfo"))
        for _event, el in it:
            tag = local_name(el.tag)
            if tag == "UnitTest":
                test_id = el.get("id")
                for child in el:
                    if isinstance(child.tag, str) and local_name(child.tag) == "TestMethod":
                        if test_id and child.get("className"):
                            self.classes[test_id] = sys.intern(child.get("className"))
                        break
                _drop(el)
            elif tag == "Counters":
                self.declared = sum(parse_count(el.get(k), k) for k in _DECLARED_FAILING)
                for key in ("total", "executed", "passed"):
                    parse_count(el.get(key), key)
            elif tag == "RunInfo":
                outcome = (el.get("outcome") or "").strip()
                text = message_of(_text(el, "Text"))
                if text:
                    if outcome.lower() in ("error", "failed"):
                        if len(self.run_errors) < RUN_INFOS_KEPT:
                            self.run_errors.append(text)
                    else:
                        self.warn(f"the run says ({outcome or 'info'}): {text}")
            else:  # ResultSummary
                self.summary_outcome = (el.get("outcome") or "").strip()
        root = it.root
        if root is None:  # pragma: no cover - lxml raises on an empty document
            raise Rejected("empty file: no XML at all")
        check_no_doctype(root)
        tag = local_name(root.tag) if isinstance(root.tag, str) else "?"
        if tag not in ROOTS:
            raise Rejected(
                f"not a TRX report: the root element is <{tag}>, not <TestRun>", root.sourceline
            )

    def results(self, source) -> None:
        """Pass 2: every top-level ``<UnitTestResult>``, streamed."""
        it = iterparse(source, ("{*}UnitTestResult",))
        for _event, el in it:
            parent = el.getparent()
            if parent is None or local_name(parent.tag) != "Results":
                continue  # a data-driven row: its parent result carries the outcome
            self.result(el)
            _drop(el)
        self.finish()

    def result(self, el) -> None:
        attrib = el.attrib
        test_id = attrib.get("testId") or ""
        full = attrib.get("testName") or ""
        classname = self.classes.get(test_id, "")
        name = (
            full[len(classname) + 1 :] if classname and full.startswith(classname + ".") else full
        )
        raw = (attrib.get("outcome") or "").strip()
        outcome = _OUTCOMES.get(raw.lower())
        problem = ""
        if outcome is None:
            outcome = ERROR
            problem = f"outcome {raw[:40]!r} is not a TRX outcome" if raw else "no outcome"
        tm = parse_duration(attrib.get("duration"))
        if tm is None:
            self.warn(
                f"test {classname or '(no class)'}::{name}: duration "
                f"{attrib.get('duration', '')[:40]!r} is not hh:mm:ss; counted as 0"
            )
            tm = 0.0
        message = details = ""
        if outcome in (FAILED, ERROR):
            self.nonpass += 1
            info = _find(el, ("Output", "ErrorInfo"))
            if info is None:
                info = _find(el, ("InnerResults", "UnitTestResult", "Output", "ErrorInfo"))
            if info is not None:
                message = message_of(_text(info, "Message"))
                if len(self.col.failures) < engine.DETAILED_FAILURES:
                    details = _text(info, "StackTrace")[:DETAIL_CHARS]
            if problem:
                message = problem + (f": {message}" if message else "")
        acc = self.flat_suite(classname or "(no class)")
        self.attempt((test_id, full), acc, classname, name, outcome, tm, message, details)

    def check_run(self) -> None:
        counted = self.nonpass
        if self.declared > counted:
            self.suite_error(
                "(run)",
                f"the run's counters declare {self.declared} failing result(s) but its results "
                f"show {counted}",
                self.declared,
                counted,
            )
        elif self.summary_outcome.lower() in _FAILED_RUN and counted == 0:
            why = "; ".join(self.run_errors) or "no reason given"
            self.suite_error(
                "(run)", f"the run's summary says {self.summary_outcome[:40]}: {why}", 1, 0
            )


def _drop(el) -> None:
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _find(el, path: tuple[str, ...]):
    node = el
    for want in path:
        for child in node:
            if isinstance(child.tag, str) and local_name(child.tag) == want:
                node = child
                break
        else:
            return None
    return node


def _text(el, tag: str) -> str:
    child = _find(el, (tag,))
    return "" if child is None else (child.text or "").strip()


def read(col: Collector, display: str, path: Path, open_source: Callable[[], object]) -> FileReader:
    """Read one TRX file."""
    reader = TrxReader(col, display)
    reader.definitions(open_source())
    reader.results(open_source())
    reader.check_run()
    return reader
