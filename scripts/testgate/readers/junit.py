"""JUnit XML in all the dialects real test runners write (root ``<testsuites>``/``<testsuite>``).

One pass of the hardened iterparse, clearing every test case as soon as it is counted, so
memory stays flat however big the report is.

Outcome of a test case: error > failure > skipped > passed (the model's order). A test that
failed and then passed on a rerun (Surefire ``flakyFailure``/``flakyError``/``rerun*``
elements, or the same test id repeated right after its failing attempt, as
pytest-rerunfailures writes it) counts once, as passed, and is listed as flaky.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from testgate.model import ERROR, FAILED, PASSED, SKIPPED, after_rerun, make_test_id, worse
from testgate.readers import engine
from testgate.readers.engine import (
    DETAIL_CHARS,
    MESSAGE_CHARS,
    Collector,
    FileReader,
    Pending,
    SuiteAcc,
    flush_passes,
)
from testgate.readers.values import Rejected, parse_count, parse_line, parse_time
from testgate.readers.xmlsafe import check_no_doctype, check_root, iterparse, prune_before

ROOTS = ("testsuites", "testsuite")
_TAGS = ("testsuites", "testsuite", "testcase", "failure", "error")
_SUITE_TAGS = frozenset(ROOTS)
_SKIP_STATUSES = frozenset(("disabled", "skipped", "skip", "notrun", "not_run", "ignored"))
_ERROR_STATUSES = frozenset(("error", "errored", "broken"))
_FAIL_STATUSES = frozenset(("failed", "failure", "fail"))
_RESULT_TAGS = {"failure": FAILED, "error": ERROR, "skipped": SKIPPED}
# Suites whose writer repeats a test case once per attempt, earlier attempts possibly without
# a result element (pytest-rerunfailures >= 16.6.1 under pytest's junitxml, suite "pytest").
# A repeated id there is a rerun; elsewhere (TestNG, parametrised runs) it can be another test.
_RERUN_REPEAT_SUITES = frozenset(("pytest",))
# Suites whose writer never sets a ``status`` attribute (pytest's junitxml): the fast path
# need not look for one. Every other suite is checked on every test case.
_NO_STATUS_SUITES = frozenset(("pytest",))
_NO_NAME = object()
BATCH = 128
"""Read test cases are deleted from the tree in batches of this many."""


class JUnitReader(FileReader):
    """Reads one JUnit XML file."""

    def __init__(self, col: Collector, display: str) -> None:
        super().__init__(col, display)
        self.stack: list[SuiteAcc] = []

    # -- suites -------------------------------------------------------------
    def acc_for(self, elem) -> SuiteAcc:
        stack = self.stack
        if stack and stack[-1].elem is elem:
            return stack[-1]
        acc = SuiteAcc(elem, elem.get("name") or "")
        acc.repeats_are_reruns = acc.name in _RERUN_REPEAT_SUITES
        acc.may_have_status = acc.name not in _NO_STATUS_SUITES
        stack.append(acc)
        return acc

    def end_suite(self, elem) -> None:
        if self.pending is not None and self.pending.acc.elem is elem:
            self.commit_pending()
        stack = self.stack
        acc = (
            stack.pop()
            if stack and stack[-1].elem is elem
            else SuiteAcc(elem, elem.get("name") or "")
        )
        is_root = elem.tag == "testsuites"
        label = acc.name or ("(unnamed testsuites)" if is_root else "(unnamed suite)")
        try:
            declared = parse_count(elem.get("failures"), "failures") + parse_count(
                elem.get("errors"), "errors"
            )
            declared_tests = parse_count(elem.get("tests"), "tests")
        except Rejected as exc:
            raise Rejected(f"suite {label!r}: {exc}", elem.sourceline) from None
        counted = max(acc.nonpass, acc.elements)
        if acc.suite_results or declared > counted:
            if acc.suite_results:
                message = (
                    f"suite {label!r} reports a failure or error outside any test case: "
                    f"{acc.first_result or '(no message)'}"
                )
            else:
                message = (
                    f"suite {label!r} declares {declared} failure(s)/error(s) but its test "
                    f"cases show {counted}"
                )
            self.suite_error(
                label, message, max(declared, acc.suite_results), counted, elem.sourceline
            )
        if acc.stats.tests == 0 and declared_tests > 0 and not is_root:
            self.warn(f"suite {label!r} declares {elem.get('tests')} tests but contains none")
        if not is_root or acc.name:
            self.add_suite(acc.name or label, acc.stats)
        parent = elem.getparent()
        if parent is None:
            self.counts = acc.stats  # the root holds every test of the file
        else:  # into the enclosing suite, whatever wraps this one (a malformed file may)
            up_elem = parent if parent.tag in _SUITE_TAGS else _owner(parent)
            up = self.acc_for(up_elem)
            up.stats.add(acc.stats)
            up.nonpass += acc.nonpass
            up.elements += acc.elements + acc.suite_results
            # a nested suite's own result already was reported; count it as shown for the parent
        # Free what the suite held (properties, output, the emptied cases).
        elem.clear()
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]

    def suite_result(self, elem) -> None:
        """A ``<failure>``/``<error>`` directly under a suite (no test case backs it)."""
        parent = elem.getparent()
        acc = self.acc_for(parent)
        acc.suite_results += 1
        if not acc.first_result:
            acc.first_result = (elem.get("message") or (elem.text or "").strip())[:MESSAGE_CHARS]

    # -- test cases -----------------------------------------------------------
    def testcase(self, el, acc: SuiteAcc, tm: float, repeat_of=None) -> None:
        """Classify one ``<testcase>`` (called at its end tag, children still attached).

        ``tm`` is its time, already parsed by the loop (-1 when it needs the careful
        parser); ``acc`` its suite. ``repeat_of`` is the previous test case when it had the
        same id in a suite where a repeated id means a rerun (its attributes still readable).
        """
        outcome = PASSED
        reruns = 0
        flaky_runs = 0
        result = None
        if len(el):
            for child in el:
                tag = child.tag
                found = _RESULT_TAGS.get(tag) if isinstance(tag, str) else None
                if found is not None:
                    if found != SKIPPED:
                        acc.elements += 1
                    # the first element of the most severe kind carries the message
                    if worse(found, outcome) != outcome:
                        outcome, result = found, child
                elif tag in ("flakyFailure", "flakyError"):
                    flaky_runs += 1
                    acc.elements += 1
                elif tag in ("rerunFailure", "rerunError"):
                    reruns += 1
                    acc.elements += 1
        if acc.may_have_status and el.get("status") is not None:
            outcome = self.status_outcome(outcome, el.attrib)
        pending = self.pending
        col = self.col
        if (
            outcome == PASSED
            and pending is None
            and repeat_of is None
            and not (reruns or flaky_runs)
            and 0.0 <= tm <= col.slow_floor
            and col.spool is None
        ):  # a plain pass that only carried output: nothing to remember
            acc.stats.count(PASSED, tm)
            return
        attrib = el.attrib
        classname = attrib.get("classname") or ""
        name = attrib.get("name") or ""
        if tm < 0.0:  # the loop's marker for a time that needs the careful parser
            tm, problem = parse_time(attrib.get("time"))
            if problem:
                self.warn(f"test {make_test_id(classname, name, acc.name)!r}: {problem}")
        if pending is not None:
            if pending.name == name and pending.classname == classname and pending.acc is acc:
                # The same test again right after it failed: a rerun, not another test.
                pending.attempts += 1
                pending.time += tm
                final, flaky = after_rerun(outcome)
                if flaky and not (reruns or flaky_runs):
                    self.pending = None
                    self.commit(acc, classname, name, final, pending.time, pending.attempts, True)
                    return
                if outcome in (FAILED, ERROR):
                    acc.nonpass += 1
                    self.fill_pending(pending, outcome, result, el, attrib)
                    return
                # a skipped or Surefire-flaky case after a failure: the failure stands
            self.commit_pending()
        elif repeat_of is not None:
            # pytest-rerunfailures: every attempt is a test case, earlier ones maybe empty.
            last = self.last
            if last is not None and last[0] is acc and self.last_tests == acc.stats.tests:
                attempts, before = self.undo_last()  # it went through commit()
            else:  # the loop counted it as a plain pass
                before, _ = parse_time(repeat_of.get("time"))
                acc.stats.uncount(PASSED, before)
                attempts = 1
            attempts += 1 + reruns + flaky_runs
            if outcome in (FAILED, ERROR):
                acc.nonpass += 1
                p = Pending(acc, classname, name, outcome, before + tm, attempts)
                self.fill_pending(p, outcome, result, el, attrib)
                self.pending = p
            else:
                flaky = outcome == PASSED
                message = _message(result)
                self.commit(acc, classname, name, outcome, before + tm, attempts, flaky, message)
            return
        if outcome == PASSED:
            if flaky_runs or reruns:
                self.commit(acc, classname, name, PASSED, tm, 1 + flaky_runs + reruns, True)
            elif tm > self.col.slow_floor or self.col.spool is not None:
                self.commit(acc, classname, name, PASSED, tm, 1, False)
            else:
                acc.stats.count(PASSED, tm)
        elif outcome == SKIPPED:
            self.commit(acc, classname, name, SKIPPED, tm, 1, False, _message(result))
        else:
            acc.nonpass += 1
            p = Pending(acc, classname, name, outcome, tm, 1 + reruns)
            self.fill_pending(p, outcome, result, el, attrib)
            self.pending = p

    @staticmethod
    def status_outcome(outcome: str, attrib) -> str:
        status = (attrib.get("status") or attrib.get("result") or "").strip().lower()
        if status in _ERROR_STATUSES and outcome in (PASSED, SKIPPED):
            return ERROR
        if status in _FAIL_STATUSES and outcome in (PASSED, SKIPPED):
            return FAILED
        skipped_attr = (attrib.get("skipped") or "").strip().lower() in ("true", "1", "yes")
        if (status in _SKIP_STATUSES or skipped_attr) and outcome == PASSED:
            return SKIPPED
        return outcome

    def fill_pending(self, p: Pending, outcome: str, result, el, attrib) -> None:
        p.outcome = outcome
        p.message = _message(result)
        if len(self.col.failures) < engine.DETAILED_FAILURES and result is not None:
            p.details = (result.text or "").strip()[:DETAIL_CHARS]
        else:
            p.details = ""
        file = attrib.get("file") or (result.get("file") if result is not None else None)
        line = parse_line(
            attrib.get("line") or (result.get("line") if result is not None else None)
        )
        p.file, p.line = file or None, line

    # -- the loop -------------------------------------------------------------
    def parse(self, source):
        """Read the whole document; returns its root element.

        The hot loop: a plain passing test case costs a handful of attribute reads and two
        local additions; anything else (children, a status, a rerun, a pending failure, a slow
        test, a new suite) takes the careful way, which first flushes the local counters into
        the suite's (the one flush). Read test cases are deleted from the tree in batches,
        always keeping the previous one so a rerun can still read its attributes.
        """
        it = iterparse(source, _TAGS)
        col = self.col
        testcase = self.testcase
        spool = col.spool is not None
        suite_elem = acc = stats = parent = None
        rerun_suite = False
        status_suite = True
        prev_name = _NO_NAME
        prev_el = None
        slow = spool  # every case goes the careful way (per-test records, a pending failure)
        floor = col.slow_floor
        hot_n = 0
        hot_t = 0.0
        since = 0
        for _event, el in it:
            tag = el.tag
            repeat = False
            tm = -1.0
            if tag == "testcase":
                parent = el.getparent()
                if parent is suite_elem:
                    raw = el.get("time")
                    if raw is None:
                        tm = 0.0
                    else:
                        try:
                            tm = float(raw)
                        except ValueError:
                            tm = -1.0  # the careful way parses it
                        # (negative, NaN or infinite: also the careful way, by the test below)
                    if rerun_suite:
                        name = el.get("name")
                        repeat = name == prev_name and el.get("classname") == prev_el.get(
                            "classname"
                        )
                        prev_name = name
                    if not (
                        slow
                        or repeat
                        or not 0.0 <= tm <= floor
                        or len(el)
                        or (status_suite and el.get("status") is not None)
                    ):
                        hot_n += 1
                        hot_t += tm
                        prev_el = el
                        since += 1
                        if since >= BATCH:
                            since = 0
                            prune_before(parent, el)
                        continue
            # The careful way. First the one flush of the plain passes counted so far.
            if hot_n:
                flush_passes(stats, hot_n, hot_t)
                hot_n, hot_t = 0, 0.0
            if tag == "testcase":
                if parent is not suite_elem:  # the first case of a suite
                    acc = self.acc_for(_owner(parent))
                    suite_elem, stats = parent, acc.stats
                    rerun_suite = acc.repeats_are_reruns
                    status_suite = acc.may_have_status
                    prev_name = el.get("name") if rerun_suite else _NO_NAME
                    since = 0
                    tm = _time_of(el)
                testcase(el, acc, tm if 0.0 <= tm < _INF else -1.0, prev_el if repeat else None)
                slow = spool or self.pending is not None
                floor = col.slow_floor
                if len(el):
                    del el[:]  # captured output and traces: read, no longer needed
                prev_el = el
                since += 1
                if since >= BATCH:
                    since = 0
                    prune_before(parent, el)
            elif tag == "testsuite" or tag == "testsuites":
                self.end_suite(el)  # clears the suite and everything still in it
                suite_elem = prev_el = None
                slow = spool or self.pending is not None
            else:  # failure / error: only those outside a test case matter here
                up = el.getparent()
                if up is not None and up.tag in _SUITE_TAGS:
                    self.suite_result(el)
                    suite_elem = None
        self.finish()
        root = it.root
        if root is None:  # pragma: no cover - lxml raises on an empty document
            raise Rejected("empty file: no XML at all")
        check_no_doctype(root)
        return root


_INF = float("inf")


def _owner(parent):
    """The suite a test case belongs to: the nearest enclosing suite, whatever wraps the case."""
    owner = parent
    while owner is not None and owner.tag not in _SUITE_TAGS:
        owner = owner.getparent()
    return parent if owner is None else owner


def _time_of(el) -> float:
    raw = el.get("time")
    if raw is None:
        return 0.0
    try:
        return float(raw)
    except ValueError:
        return -1.0


def _message(result) -> str:
    if result is None:
        return ""
    msg = result.get("message")
    if msg:
        return msg.strip()[:MESSAGE_CHARS]
    text = (result.text or "").strip()
    return text.split("\n", 1)[0][:MESSAGE_CHARS]


def read(col: Collector, display: str, path: Path, open_source: Callable[[], object]) -> FileReader:
    """Read one JUnit XML file (``open_source()`` gives the path or a filtered stream)."""
    reader = JUnitReader(col, display)
    root = reader.parse(open_source())
    check_root(root, _SUITE_TAGS, "a JUnit report", "<testsuites> or <testsuite>")
    return reader
