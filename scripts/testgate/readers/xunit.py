"""xUnit.net XML: v2 and v3 (root ``<assemblies>``) and v1 (root ``<assembly>``).

v2/v3: ``<assemblies>`` > ``<assembly>`` > ``<collection>`` > ``<test>``, with assembly-level
``<errors>`` (a fixture's cleanup or constructor that threw). v1: ``<assembly>`` > ``<class>``
> ``<test>``. A test's ``result``: Pass -> passed, Fail -> failed, Skip and NotRun (v3) ->
skipped; anything else is an error (fail closed). The suite is the collection (v2) or class
(v1); the test id is ``<type>::<name without the type prefix>``.

Assembly errors, a class-level failure (v1) and an assembly that declares more failures than
its tests show are suite-level errors: the gate fails on them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from testgate.model import ERROR, FAILED, PASSED, SKIPPED
from testgate.readers import engine
from testgate.readers.engine import (
    DETAIL_CHARS,
    Collector,
    FileReader,
    SuiteAcc,
    message_of,
)
from testgate.readers.values import Rejected, parse_count, parse_time
from testgate.readers.xmlsafe import check_no_doctype, check_root, iterparse

ROOTS = ("assemblies", "assembly")
_TAGS = ("test", "collection", "class", "assembly", "assemblies", "error")
_RESULTS = {"pass": PASSED, "fail": FAILED, "skip": SKIPPED, "notrun": SKIPPED}
BATCH = 128


class XUnitReader(FileReader):
    """Reads one xUnit.net file."""

    def __init__(self, col: Collector, display: str) -> None:
        super().__init__(col, display)
        self.suites_open: dict[object, SuiteAcc] = {}
        self.assembly_nonpass = 0

    def suite_of(self, elem) -> SuiteAcc:
        acc = self.suites_open.get(elem)
        if acc is None:
            acc = self.suites_open[elem] = SuiteAcc(elem, elem.get("name") or "")
        return acc

    def test(self, el, acc: SuiteAcc) -> None:
        attrib = el.attrib
        classname = attrib.get("type") or ""
        name = attrib.get("name") or attrib.get("method") or ""
        if classname and name.startswith(classname + "."):
            name = name[len(classname) + 1 :]
        raw = (attrib.get("result") or "").strip()
        outcome = _RESULTS.get(raw.lower())
        problem = ""
        if outcome is None:
            outcome = ERROR
            problem = f"result {raw[:40]!r} is not an xUnit.net result" if raw else "no result"
        tm, bad_time = parse_time(attrib.get("time"))
        if bad_time:
            self.warn(f"test {classname or acc.name}::{name}: {bad_time}")
        message = details = ""
        if outcome in (FAILED, ERROR):
            acc.nonpass += 1
            failure = _child(el, "failure")
            if failure is not None:
                message = message_of(_text(failure, "message") or (failure.text or ""))
                if len(self.col.failures) < engine.DETAILED_FAILURES:
                    details = _text(failure, "stack-trace")[:DETAIL_CHARS]
            if problem:
                message = problem + (f": {message}" if message else "")
        elif outcome == SKIPPED:
            reason = _child(el, "reason")
            if reason is not None:
                message = message_of(_text(reason, "message") or (reason.text or ""))
        self.commit(acc, classname, name, outcome, tm, 1, False, message, details)

    def end_suite(self, elem) -> None:
        """A ``<collection>`` (v2) or ``<class>`` (v1) ends."""
        acc = self.suites_open.pop(elem, None) or SuiteAcc(elem, elem.get("name") or "")
        label = acc.name or "(unnamed suite)"
        failure = _child(elem, "failure")
        if failure is not None:  # v1: the class itself failed (fixture, constructor)
            text = message_of(_text(failure, "message") or (failure.text or ""))
            self.suite_error(
                label,
                f"suite {label!r} reports a failure outside any test: {text or '(no message)'}",
                counted=acc.nonpass,
                line=elem.sourceline,
            )
        self.add_suite(label, acc.stats)
        self.counts.add(acc.stats)
        self.assembly_nonpass += acc.nonpass
        _drop(elem)

    def end_error(self, elem) -> None:
        """An assembly-level ``<error>`` (v2): a cleanup or fixture that threw."""
        up = elem.getparent()
        if up is None or up.tag != "errors":
            return
        kind = elem.get("type") or "error"
        where = elem.get("name") or ""
        failure = _child(elem, "failure")
        text = message_of(_text(failure, "message")) if failure is not None else ""
        label = where or kind
        self.suite_error(
            label,
            f"{kind} failure{f' in {where!r}' if where else ''} outside any test: "
            f"{text or '(no message)'}",
            line=elem.sourceline,
        )

    def end_assembly(self, elem) -> None:
        label = elem.get("name") or "(unnamed assembly)"
        own = self.suites_open.pop(elem, None)
        if own is not None:  # tests right under the assembly (no collection or class)
            self.add_suite(own.name or label, own.stats)
            self.counts.add(own.stats)
            self.assembly_nonpass += own.nonpass
        try:
            declared = parse_count(elem.get("failed"), "failed")
            parse_count(elem.get("total"), "total")
            parse_count(elem.get("errors"), "errors")
        except Rejected as exc:
            raise Rejected(f"assembly {label!r}: {exc}", elem.sourceline) from None
        if declared > self.assembly_nonpass:
            self.suite_error(
                label,
                f"assembly {label!r} declares {declared} failed test(s) but its tests show "
                f"{self.assembly_nonpass}",
                declared,
                self.assembly_nonpass,
                elem.sourceline,
            )
        self.assembly_nonpass = 0
        if elem.getparent() is not None:
            _drop(elem)

    def parse(self, source):
        it = iterparse(source, _TAGS)
        suite_elem = acc = parent = None
        since = 0
        for _event, el in it:
            tag = el.tag
            if tag == "test":
                parent = el.getparent()
                if parent is None:
                    continue
                if parent is not suite_elem:
                    owner = parent
                    while owner is not None and owner.tag not in ("collection", "class"):
                        owner = owner.getparent()
                    acc = self.suite_of(parent if owner is None else owner)
                    suite_elem = parent
                    since = 0
                self.test(el, acc)
                if len(el):
                    del el[:]
                since += 1
                if since >= BATCH:
                    since = 0
                    index = parent.index(el)
                    if index > 1:
                        del parent[: index - 1]
            elif tag in ("collection", "class"):
                self.end_suite(el)
                suite_elem = None
            elif tag == "error":
                self.end_error(el)
            elif tag == "assembly":
                self.end_assembly(el)
        for acc in self.suites_open.values():  # tests outside any collection still count
            self.add_suite(acc.name or "(unnamed suite)", acc.stats)
            self.counts.add(acc.stats)
        self.suites_open.clear()
        self.finish()
        root = it.root
        if root is None:  # pragma: no cover - lxml raises on an empty document
            raise Rejected("empty file: no XML at all")
        check_no_doctype(root)
        return root


def _child(el, tag: str):
    for child in el:
        if child.tag == tag:
            return child
    return None


def _text(el, tag: str) -> str:
    child = _child(el, tag)
    return "" if child is None else (child.text or "").strip()


def _drop(elem) -> None:
    elem.clear()
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def read(col: Collector, display: str, path: Path, open_source: Callable[[], object]) -> FileReader:
    """Read one xUnit.net v1, v2 or v3 file."""
    reader = XUnitReader(col, display)
    root = reader.parse(open_source())
    check_root(root, ROOTS, "an xUnit.net report", "<assemblies> (v2, v3) or <assembly> (v1)")
    return reader
