"""NUnit XML: NUnit 3 (root ``<test-run>``) and NUnit 2.x (root ``<test-results>``).

One pass of the hardened iterparse, like JUnit: plain passing ``<test-case>`` elements are
counted in bulk and dropped; everything else is classified by the model's rules.

Outcomes (NUnit 3 ``result``/``label``; NUnit 2 ``result``, or ``executed``/``success`` in
2.2-2.4 files):

| NUnit | testgate |
|---|---|
| Passed, Success, Warning | passed |
| Failed, Failure | failed |
| Failed with label Error/Cancelled/Invalid; Error, Cancelled, NotRunnable | error |
| Skipped (Ignored, Explicit), Ignored, Inconclusive, NotRun, ``executed="False"`` | skipped |
| anything else, or no result at all | error (fail closed) |

A suite (fixture) that fails on its own (a OneTimeSetUp/TearDown, TestFixtureSetUp/TearDown
failure) without a failing test case to show for it, and a run that declares more failures
than its test cases show, are suite-level errors: the gate fails on them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from testgate.model import ERROR, FAILED, PASSED, SKIPPED
from testgate.readers import engine
from testgate.readers.engine import (
    DETAIL_CHARS,
    MESSAGE_CHARS,
    Collector,
    FileReader,
    SuiteAcc,
    flush_passes,
    message_of,
)
from testgate.readers.values import Rejected, parse_count, parse_time
from testgate.readers.xmlsafe import check_no_doctype, check_root, iterparse, prune_before

ROOTS = ("test-run", "test-results", "test-suite")
_TAGS = ("test-case", "test-suite", "test-run", "test-results")
_PARAM_TYPES = frozenset(
    ("ParameterizedMethod", "ParameterizedTest", "Theory", "GenericMethod", "RowTest")
)
_RESULTS_3 = {
    "passed": PASSED,
    "warning": PASSED,
    "failed": FAILED,
    "skipped": SKIPPED,
    "inconclusive": SKIPPED,
}
_ERROR_LABELS = frozenset(("error", "cancelled", "invalid"))
_RESULTS_2 = {
    "success": PASSED,
    "failure": FAILED,
    "error": ERROR,
    "cancelled": ERROR,
    "notrunnable": ERROR,
    "ignored": SKIPPED,
    "skipped": SKIPPED,
    "inconclusive": SKIPPED,
    "notrun": SKIPPED,
}
_SUITE_FAILED = frozenset(("failed", "failure", "error", "cancelled"))
_CHILD_MESSAGES = ("One or more child tests had errors", "One or more child tests had warnings")
BATCH = 128


class _Suite(SuiteAcc):
    __slots__ = ("case_class", "direct", "kind", "parent")

    def __init__(self, elem, name: str, kind: str, parent) -> None:
        super().__init__(elem, name)
        self.direct = False  # holds test cases itself (a fixture): listed as a suite
        self.kind = kind
        self.parent = parent
        self.case_class = ""  # NUnit 2: the class its test cases name (the suite's full name)


class NUnitReader(FileReader):
    """Reads one NUnit 2 or 3 file."""

    def __init__(self, col: Collector, display: str) -> None:
        super().__init__(col, display)
        self.open: dict[object, _Suite] = {}
        self.version = 3
        self.root_nonpass = 0

    # -- suites -------------------------------------------------------------------
    def suite_of(self, elem) -> _Suite:
        acc = self.open.get(elem)
        if acc is None:
            kind = elem.get("type") or ""
            parent = _suite_parent(elem)
            if kind in _PARAM_TYPES and parent is not None:
                name = self.suite_of(parent).name  # a theory's rows belong to its fixture
            elif self.version == 3:
                name = elem.get("fullname") or elem.get("name") or ""
            else:
                name = elem.get("name") or ""  # until a test case names its class
            acc = self.open[elem] = _Suite(elem, name, kind, parent)
        return acc

    def end_suite(self, elem) -> None:
        acc = self.open.pop(elem, None) or self.suite_of(elem)
        self.open.pop(elem, None)
        label = acc.name or "(unnamed suite)"
        result = (elem.get("result") or "").strip().lower()
        own = _own_failure(elem)
        site = elem.get("site") or ""
        if self.version == 2 and elem.get("success") == "False" and not result:
            result = "failure"
        failed = result in _SUITE_FAILED or (elem.get("label") or "").lower() in _ERROR_LABELS
        # Its own failure (not "a child failed"): always after a OneTimeTearDown, else only
        # when no failing test case shows it (a SetUp failure fails every case already).
        if failed and (
            site == "TearDown" or (acc.nonpass == 0 and site != "Child" and own is not None)
        ):
            where = f" in its {site}" if site in ("SetUp", "TearDown") else ""
            self.suite_error(
                label,
                f"suite {label!r} failed{where} outside any test case: {own or '(no message)'}",
                counted=acc.nonpass,
                line=elem.sourceline,
            )
        if acc.kind in _PARAM_TYPES and acc.parent is not None:
            up = self.suite_of(acc.parent)
            up.direct = True
            if acc.case_class and not up.case_class:
                up.case_class = up.name = acc.case_class
        elif acc.direct:
            self.add_suite(label, acc.stats)
        if acc.parent is not None:
            up = self.suite_of(acc.parent)
            up.stats.add(acc.stats)
            up.nonpass += acc.nonpass
        else:
            self.counts.add(acc.stats)
            self.root_nonpass += acc.nonpass
        elem.clear()
        parent = elem.getparent()
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]

    def count_leftovers(self) -> None:
        """Test cases outside any suite (a malformed file) still count."""
        for acc in list(self.open.values()):
            self.counts.add(acc.stats)
            self.root_nonpass += acc.nonpass
            if acc.direct:
                self.add_suite(acc.name or "(unnamed suite)", acc.stats)
        self.open.clear()

    def end_root(self, elem) -> None:
        """Check what the run declares against what its test cases show."""
        self.count_leftovers()
        if self.version == 3:
            declared = parse_count(elem.get("failed"), "failed")
        else:
            declared = sum(
                parse_count(elem.get(key), key) for key in ("failures", "errors", "invalid")
            )
        parse_count(elem.get("total"), "total")
        counted = self.root_nonpass
        if declared > counted:
            self.suite_error(
                "(run)",
                f"the run declares {declared} failing test(s) but its test cases show {counted}",
                declared,
                counted,
                elem.sourceline,
            )

    # -- test cases ---------------------------------------------------------------------
    def testcase(self, el, acc: _Suite) -> None:
        attrib = el.attrib
        acc.direct = True
        name = attrib.get("name") or ""
        if self.version == 3:
            outcome, problem = _outcome_3(attrib)
            classname = attrib.get("classname") or acc.name
            raw_time = attrib.get("duration")
        else:
            outcome, problem = _outcome_2(attrib, el)
            classname, name = _split_name(name, acc.name)
            if not acc.case_class:
                acc.case_class = acc.name = classname
            raw_time = attrib.get("time")
        tm, bad_time = parse_time(raw_time)
        if bad_time:
            self.warn(f"test {classname}::{name}: {bad_time}")
        message = details = ""
        failure = _child(el, "failure")
        if outcome in (FAILED, ERROR):
            acc.nonpass += 1
            if failure is not None:
                message = message_of(_text(failure, "message"))
                if len(self.col.failures) < engine.DETAILED_FAILURES:
                    details = _text(failure, "stack-trace")[:DETAIL_CHARS]
            if problem:
                message = problem + (f": {message}" if message else "")
        elif outcome == SKIPPED:
            reason = _child(el, "reason")
            if reason is not None:
                message = message_of(_text(reason, "message"))
        self.commit(acc, classname, name, outcome, tm, 1, False, message[:MESSAGE_CHARS], details)

    def parse(self, source):
        """Read the whole document; returns its root element (the loop is JUnit's, see there)."""
        it = iterparse(source, _TAGS)
        col = self.col
        spool = col.spool is not None
        suite_elem = acc = stats = parent = None
        floor = col.slow_floor
        hot_n = 0
        hot_t = 0.0
        since = 0
        first = True
        for _event, el in it:
            tag = el.tag
            if first:  # the root is known from the first event on
                first = False
                root_tag = el.getroottree().getroot().tag
                if root_tag == "test-suite":  # a bare suite: NUnit 2 wraps cases in <results>
                    up = el.getparent()
                    self.version = 2 if up is not None and up.tag == "results" else 3
                else:
                    self.version = 2 if root_tag == "test-results" else 3
            if tag == "test-case":
                parent = el.getparent()
                if parent is suite_elem and not spool:
                    if self.version == 3:
                        fast = el.get("result") == "Passed"
                        raw = el.get("duration")
                    else:
                        fast = el.get("result") == "Success" and el.get("success") != "False"
                        raw = el.get("time")
                    if fast:
                        if raw is None:
                            tm = 0.0
                        else:
                            try:
                                tm = float(raw)
                            except ValueError:
                                tm = -1.0
                        if 0.0 <= tm <= floor:
                            hot_n += 1
                            hot_t += tm
                            if len(el):
                                del el[:]
                            since += 1
                            if since >= BATCH:
                                since = 0
                                prune_before(parent, el)
                            continue
            # The careful way, after the one flush of the plain passes counted so far.
            if hot_n:
                flush_passes(stats, hot_n, hot_t)
                hot_n, hot_t = 0, 0.0
            if tag == "test-case":
                if parent is not suite_elem:
                    owner = parent
                    while owner is not None and owner.tag != "test-suite":
                        owner = owner.getparent()  # NUnit 2 puts <results> in between
                    acc = self.suite_of(parent if owner is None else owner)
                    suite_elem, stats = parent, acc.stats
                    since = 0
                self.testcase(el, acc)
                floor = col.slow_floor
                if len(el):
                    del el[:]
                since += 1
                if since >= BATCH:
                    since = 0
                    prune_before(parent, el)
            elif tag == "test-suite":
                self.end_suite(el)
                suite_elem = None
            else:  # the root
                self.end_root(el)
        self.count_leftovers()
        self.finish()
        root = it.root
        if root is None:  # pragma: no cover - lxml raises on an empty document
            raise Rejected("empty file: no XML at all")
        check_no_doctype(root)
        return root


def _suite_parent(elem):
    """The enclosing ``<test-suite>`` (NUnit 2 puts a ``<results>`` in between), or None."""
    up = elem.getparent()
    if up is not None and up.tag == "results":
        up = up.getparent()
    return up if up is not None and up.tag == "test-suite" else None


def _split_name(full: str, suite: str) -> tuple[str, str]:
    """NUnit 2 names a test ``Namespace.Class.Method(args)``: class and the rest."""
    head = full.split("(", 1)[0]
    if "." in head:
        classname = head.rsplit(".", 1)[0]
        return classname, full[len(classname) + 1 :]
    return suite, full


def _outcome_3(attrib) -> tuple[str, str]:
    result = (attrib.get("result") or "").strip().lower()
    outcome = _RESULTS_3.get(result)
    if outcome is None:
        shown = attrib.get("result")
        why = f"result {shown[:40]!r} is not an NUnit result" if shown else "no result"
        return ERROR, why
    if outcome == FAILED and (attrib.get("label") or "").strip().lower() in _ERROR_LABELS:
        return ERROR, ""
    return outcome, ""


def _outcome_2(attrib, el) -> tuple[str, str]:
    result = (attrib.get("result") or "").strip().lower()
    if result:
        outcome = _RESULTS_2.get(result)
        if outcome is None:
            return ERROR, f"result {attrib.get('result', '')[:40]!r} is not an NUnit result"
        return outcome, ""
    # NUnit 2.2-2.4 files: executed, success and a failure element say it.
    executed = (attrib.get("executed") or "").strip().lower()
    success = (attrib.get("success") or "").strip().lower()
    if executed == "false":
        return SKIPPED, ""
    if _child(el, "failure") is not None or success == "false":
        return FAILED, ""
    if success == "true" or (executed == "true" and not success):
        return PASSED, ""
    if success:
        return ERROR, f"success {attrib.get('success', '')[:40]!r} is neither True nor False"
    return ERROR, "no result"


def _child(el, tag: str):
    for child in el:
        if child.tag == tag:
            return child
    return None


def _text(el, tag: str) -> str:
    child = _child(el, tag)
    if child is None:
        return ""
    return (child.text or "").strip()


def _own_failure(elem) -> str | None:
    """A suite's own failure message (not NUnit's "one or more child tests had errors")."""
    for tag in ("failure", "reason"):
        child = _child(elem, tag)
        if child is not None:
            text = message_of(_text(child, "message"))
            if text.startswith(_CHILD_MESSAGES):
                return None
            return text or "(no message)"
    return None


def read(col: Collector, display: str, path: Path, open_source: Callable[[], object]) -> FileReader:
    """Read one NUnit 2 or 3 file."""
    reader = NUnitReader(col, display)
    root = reader.parse(open_source())
    check_root(
        root,
        ROOTS,
        "an NUnit report",
        "<test-run> (NUnit 3), <test-results> (NUnit 2) or <test-suite>",
    )
    return reader
