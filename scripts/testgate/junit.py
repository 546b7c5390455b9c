"""Streaming, hardened reader for JUnit XML in all the dialects real test runners write.

One pass of ``lxml.etree.iterparse`` per file, clearing every test case as soon as
it is counted, so memory stays flat however big the report is. Only failures,
flaky tests and the slowest few are kept; per-test records go to a spool file
when asked for (``keep_tests``).

Outcome of a test case: error > failure > skipped > passed. A test that failed
and then passed on a rerun (Surefire ``flakyFailure``/``flakyError``/``rerun*``
elements, or the same test id repeated right after its failing attempt, as
pytest-rerunfailures writes it) counts once, as passed, and is listed as flaky.

Hardened: a DOCTYPE (and so any entity) is refused before parsing, the parser
never resolves entities, loads DTDs or touches the network.
"""

from __future__ import annotations

import glob
import heapq
import json
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _json_str  # C: the spool writes a line per test
from pathlib import Path
from typing import IO

from lxml import etree

from testgate.model import (
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    Counts,
    Failure,
    FileResult,
    Flaky,
    Report,
    SuiteError,
    Totals,
    make_test_id,
)

SLOWEST = 10
"""How many of the slowest tests a report keeps."""
DETAILED_FAILURES = 500
"""Failures beyond this many keep only a short message (bounded memory on huge reports)."""
MESSAGE_CHARS = 1000
DETAIL_CHARS = 4000
WARNINGS_PER_FILE = 20

_HEAD_BYTES = 1024 * 1024
_PROLOG_NOISE = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_PROLOG = re.compile(r"<(!DOCTYPE|!ENTITY|[A-Za-z_:])")
_TAGS = ("testsuites", "testsuite", "testcase", "failure", "error")
_SUITE_TAGS = frozenset(("testsuites", "testsuite"))
_SKIP_STATUSES = frozenset(("disabled", "skipped", "skip", "notrun", "not_run", "ignored"))
_ERROR_STATUSES = frozenset(("error", "errored", "broken"))
_FAIL_STATUSES = frozenset(("failed", "failure", "fail"))
_INF = math.inf
# Suites whose writer repeats a test case once per attempt, earlier attempts possibly without
# a result element (pytest-rerunfailures >= 16.6.1 under pytest's junitxml, suite "pytest").
# A repeated id there is a rerun; elsewhere (TestNG, parametrised runs) it can be another test.
_RERUN_REPEAT_SUITES = frozenset(("pytest",))
# Suites whose writer never sets a ``status`` attribute (pytest's junitxml): the fast path
# need not look for one. Every other suite is checked on every test case.
_NO_STATUS_SUITES = frozenset(("pytest",))


class _Rejected(Exception):
    """A file that must not be parsed (carries the message for its FileResult)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class InputFile:
    """One file to read, as the user named it (``display``), or a pattern that matched nothing."""

    display: str
    path: Path | None
    error: str | None = None


def expand_paths(patterns: Iterable[str], cwd: Path | None = None) -> list[InputFile]:
    """Turn files, directories (every ``*.xml`` below) and globs into a list of files.

    A pattern that matches nothing is kept as an :class:`InputFile` with an
    ``error``: a missing report must never be silently ignored.

    Args:
        patterns: paths, directories or glob patterns (``**`` recurses).
        cwd: base for relative patterns (default: the current directory).
    """
    base = cwd or Path.cwd()
    seen: set[Path] = set()
    out: list[InputFile] = []

    def add(p: Path, display: str) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(InputFile(display, p))

    for pattern in patterns:
        if not pattern:
            continue
        path = Path(pattern)
        full = path if path.is_absolute() else base / path
        if glob.has_magic(pattern):
            root = "/" if path.is_absolute() else str(base)
            matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))
            files = [m for m in matches if (Path(root) / m).is_file()]
            for m in files:
                add(Path(root) / m, m)
            if not files:
                out.append(InputFile(pattern, None, "no file matches this pattern"))
        elif full.is_dir():
            files = sorted(p for p in full.rglob("*.xml") if p.is_file())
            for p in files:
                add(p, str(path / p.relative_to(full)))
            if not files:
                out.append(InputFile(pattern, None, "directory holds no *.xml files"))
        elif full.is_file():
            add(full, pattern)
        else:
            out.append(InputFile(pattern, None, "file not found"))
    return out


def parse_time(raw: str | None) -> tuple[float, str | None]:
    """Seconds from a JUnit ``time`` attribute, and a warning when it had to be fixed.

    Accepts ``1.5``, ``1e-3``, ``0,288`` (decimal comma), ``2,503.1`` (thousands
    separators) and surrounding spaces. Missing -> 0. Negative, non-numeric or
    infinite -> 0 with a warning.
    """
    if raw is None:
        return 0.0, None
    try:
        value = float(raw)
    except ValueError:
        text = raw.strip().replace("\u00a0", "").replace(" ", "").replace("_", "")
        if "," in text and "." in text:
            text = text.replace(",", "")  # 2,503.1: thousands separators
        elif text.count(",") == 1:
            text = text.replace(",", ".")  # 0,288: decimal comma
        else:
            text = text.replace(",", "")  # 1,234,567
        try:
            value = float(text)
        except ValueError:
            return 0.0, f"time {raw!r} is not a number; counted as 0"
    if not 0.0 <= value < _INF:
        return 0.0, f"time {raw!r} is negative or not finite; counted as 0"
    return value, None


def _int_attr(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        return int(float(raw.strip().replace(",", "")))
    except ValueError:
        return 0


def _line_attr(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _check_prolog(path: Path) -> None:
    """Refuse empty files and any DOCTYPE before the root element (XXE, billion laughs)."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if not head.strip():
        raise _Rejected("empty file: no XML at all")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "replace")
    else:
        text = head.decode("latin-1")
    match = _PROLOG.search(_PROLOG_NOISE.sub(" ", text))
    if match and match.group(1) in ("!DOCTYPE", "!ENTITY"):
        line = text.count("\n", 0, text.find("<" + match.group(1))) + 1
        raise _Rejected(
            "refused: the file declares a DOCTYPE (DTDs and entities are never processed in "
            "JUnit reports, which do not use them)",
            line,
        )


_CHAR_REF = re.compile(rb"&#(x[0-9a-fA-F]+|[0-9]+);")
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _valid_xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _fix_char_ref(match: re.Match[bytes]) -> bytes:
    body = match.group(1)
    code = int(body[1:], 16) if body[:1] in (b"x",) else int(body)
    return match.group(0) if _valid_xml_char(code) else b"&#xFFFD;"


class _ControlCharFilter:
    """A binary stream that replaces control characters XML 1.0 forbids (old Ant/Jenkins reports).

    Used only on a second attempt, after the strict parse failed on them.
    """

    def __init__(self, raw: IO[bytes], raw_controls: bool) -> None:
        self._raw = raw
        self._tail = b""
        self._raw_controls = raw_controls

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size if size and size > 0 else 1 << 16)
        data = self._tail + chunk
        self._tail = b""
        if chunk:
            amp = data.rfind(b"&", max(0, len(data) - 12))
            if amp != -1 and b";" not in data[amp:]:
                data, self._tail = data[:amp], data[amp:]
        data = _CHAR_REF.sub(_fix_char_ref, data)
        if self._raw_controls:
            data = _RAW_CONTROL.sub(b"?", data)
        return data


@dataclass(slots=True)
class _SuiteAcc:
    """Counters of one open ``<testsuite>`` (its own and its nested suites' cases)."""

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
class _Pending:
    """A failing test case waiting to see whether the next case is its rerun."""

    acc: _SuiteAcc
    classname: str
    name: str
    outcome: str
    time: float
    attempts: int
    message: str
    details: str
    file: str | None
    line: int | None


class _Collector:
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

    def finish(self) -> None:
        if self.spool is not None:
            self.spool.close()


class _FileReader:
    """Reads one file into a :class:`_Collector`."""

    def __init__(self, col: _Collector, display: str) -> None:
        self.col = col
        self.display = display
        self.counts = Counts()
        self.suites: dict[str, Counts] = {}
        self.suite_errors: list[SuiteError] = []
        self.warnings: list[str] = []
        self.stack: list[_SuiteAcc] = []
        self.pending: _Pending | None = None
        # What the last commit() changed, so a rerun that follows can fold it in.
        self.last: tuple | None = None
        self.last_tests = -1  # its suite's test count right after it

    # -- warnings -----------------------------------------------------------
    def warn(self, message: str) -> None:
        if len(self.warnings) < WARNINGS_PER_FILE:
            self.warnings.append(f"{self.display}: {message}")
        elif len(self.warnings) == WARNINGS_PER_FILE:
            self.warnings.append(f"{self.display}: more warnings not shown")

    # -- suites -------------------------------------------------------------
    def acc_for(self, elem) -> _SuiteAcc:
        stack = self.stack
        if stack and stack[-1].elem is elem:
            return stack[-1]
        acc = _SuiteAcc(elem, elem.get("name") or "")
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
            else _SuiteAcc(elem, elem.get("name") or "")
        )
        is_root = elem.tag == "testsuites"
        declared = _int_attr(elem.get("failures")) + _int_attr(elem.get("errors"))
        counted = max(acc.nonpass, acc.elements)
        label = acc.name or ("(unnamed testsuites)" if is_root else "(unnamed suite)")
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
            self.suite_errors.append(
                SuiteError(
                    suite=label,
                    report=self.display,
                    message=message,
                    declared=max(declared, acc.suite_results),
                    counted=counted,
                    line=elem.sourceline,
                )
            )
        if acc.stats.tests == 0 and _int_attr(elem.get("tests")) > 0 and not is_root:
            self.warn(f"suite {label!r} declares {elem.get('tests')} tests but contains none")
        if not is_root or acc.name:
            key = acc.name or label
            into = self.suites.get(key)
            if into is None:
                self.suites[key] = into = Counts()
            into.add(acc.stats)
        parent = elem.getparent()
        if parent is None:
            self.counts = acc.stats  # the root holds every test of the file
        elif parent.tag in _SUITE_TAGS:
            up = self.acc_for(parent)
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
    def commit(
        self,
        acc: _SuiteAcc,
        classname: str,
        name: str,
        outcome: str,
        tm: float,
        attempts: int,
        flaky: bool,
        message: str = "",
        details: str = "",
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """Count one test (after reruns were folded into it)."""
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
        self.last_tests = c.tests + 1
        c.tests += 1
        c.time += tm
        if outcome == PASSED:
            c.passed += 1
        elif outcome == FAILED:
            c.failed += 1
        elif outcome == ERROR:
            c.errors += 1
        else:
            c.skipped += 1
        if flaky:
            c.flaky += 1
        tid = None
        if outcome in (FAILED, ERROR):
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
        c = acc.stats
        c.tests -= 1
        c.time -= tm
        if outcome == PASSED:
            c.passed -= 1
        elif outcome == FAILED:
            c.failed -= 1
        elif outcome == ERROR:
            c.errors -= 1
        else:
            c.skipped -= 1
        if flaky:
            c.flaky -= 1
        col = self.col
        if outcome in (FAILED, ERROR):
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

    def testcase(self, el, acc: _SuiteAcc, tm: float, repeat_of=None) -> None:
        """Classify one ``<testcase>`` (called at its end tag, children still attached).

        ``tm`` is its time, already parsed by the loop; ``acc`` its suite. ``repeat_of``
        is the previous test case when it had the same id in a suite where a repeated
        id means a rerun (its attributes are still readable).
        """
        outcome = PASSED
        reruns = 0
        flaky_runs = 0
        result = None
        if len(el):
            for child in el:
                tag = child.tag
                if tag == "failure":
                    if outcome != ERROR:
                        outcome, result = FAILED, result if outcome == FAILED else child
                    acc.elements += 1
                elif tag == "error":
                    if outcome != ERROR:
                        result = child
                    outcome = ERROR
                    acc.elements += 1
                elif tag == "skipped":
                    if outcome == PASSED:
                        outcome, result = SKIPPED, child
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
            st = acc.stats
            st.tests += 1
            st.passed += 1
            st.time += tm
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
                if outcome in (PASSED, SKIPPED) and not (reruns or flaky_runs):
                    self.pending = None
                    self.commit(acc, classname, name, PASSED, pending.time, pending.attempts, True)
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
                st = acc.stats
                st.tests -= 1
                st.passed -= 1
                st.time -= before
                attempts = 1
            attempts += 1 + reruns + flaky_runs
            if outcome in (FAILED, ERROR):
                acc.nonpass += 1
                p = _Pending(
                    acc, classname, name, outcome, before + tm, attempts, "", "", None, None
                )
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
                st = acc.stats
                st.tests += 1
                st.passed += 1
                st.time += tm
        elif outcome == SKIPPED:
            self.commit(acc, classname, name, SKIPPED, tm, 1, False, _message(result))
        else:
            acc.nonpass += 1
            p = _Pending(acc, classname, name, outcome, tm, 1 + reruns, "", "", None, None)
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

    def fill_pending(self, p: _Pending, outcome: str, result, el, attrib) -> None:
        p.outcome = outcome
        p.message = _message(result)
        if len(self.col.failures) < DETAILED_FAILURES and result is not None:
            p.details = (result.text or "").strip()[:DETAIL_CHARS]
        else:
            p.details = ""
        file = attrib.get("file") or (result.get("file") if result is not None else None)
        line = _line_attr(
            attrib.get("line") or (result.get("line") if result is not None else None)
        )
        p.file, p.line = file or None, line

    def finish(self) -> None:
        self.commit_pending()


def _message(result) -> str:
    if result is None:
        return ""
    msg = result.get("message")
    if msg:
        return msg.strip()[:MESSAGE_CHARS]
    text = (result.text or "").strip()
    return text.split("\n", 1)[0][:MESSAGE_CHARS]


def _iterparse(source):
    return etree.iterparse(
        source,
        events=("end",),
        tag=_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # long captured output is real; DTDs are refused before this point
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _read_file(col: _Collector, item: InputFile) -> FileResult:
    """Parse one file into ``col``; on any problem return a FileResult with ``error``."""
    assert item.path is not None
    try:
        _check_prolog(item.path)
    except _Rejected as exc:
        return FileResult(item.display, error=str(exc), line=exc.line)
    except OSError as exc:
        return FileResult(item.display, error=f"cannot read: {exc.strerror or exc}")
    failures_mark = len(col.failures)
    flaky_mark = len(col.flaky)
    spool_mark = col.spool_pos
    reader = None
    for attempt in (0, 1):
        reader = _FileReader(col, item.display)
        try:
            if attempt == 0:
                root = _parse_into(reader, str(item.path))
            else:
                with item.path.open("rb") as raw:
                    head = raw.read(2)
                    raw.seek(0)
                    utf16 = head in (b"\xff\xfe", b"\xfe\xff")
                    root = _parse_into(reader, _ControlCharFilter(raw, not utf16))
            break
        except etree.XMLSyntaxError as exc:
            _rollback(col, failures_mark, flaky_mark, spool_mark)
            msg = exc.msg or str(exc)
            if attempt == 0 and ("xmlChar" in msg or "invalid Char" in msg or "CharRef" in msg):
                continue  # control characters an old writer let through: try once more, filtered
            return FileResult(item.display, error=f"malformed XML: {_clean(msg)}", line=exc.lineno)
        except _Rejected as exc:
            _rollback(col, failures_mark, flaky_mark, spool_mark)
            return FileResult(item.display, error=str(exc), line=exc.line)
        except OSError as exc:
            _rollback(col, failures_mark, flaky_mark, spool_mark)
            return FileResult(item.display, error=f"cannot read: {exc.strerror or exc}")
    assert reader is not None
    tag = root.tag if isinstance(root.tag, str) else "?"
    if tag not in _SUITE_TAGS:
        _rollback(col, failures_mark, flaky_mark, spool_mark)
        return FileResult(
            item.display,
            error=f"not a JUnit report: the root element is <{tag}>, not <testsuites> or <testsuite>",
            line=root.sourceline,
        )
    if attempt == 1:
        reader.warn("control characters that XML forbids were replaced by U+FFFD")
    c = reader.counts
    col.totals.add(c)
    for key, counts in reader.suites.items():
        into = col.suites.get(key)
        if into is None:
            col.suites[key] = into = Counts()
        into.add(counts)
    col.suite_errors.extend(reader.suite_errors)
    col.warnings.extend(reader.warnings)
    if c.tests == 0:
        col.warnings.append(f"{item.display}: no test cases")
    return FileResult(
        item.display,
        tests=c.tests,
        passed=c.passed,
        failed=c.failed,
        errors=c.errors,
        skipped=c.skipped,
        flaky=c.flaky,
        time=round(c.time, 6),
    )


def _clean(msg: str) -> str:
    # lxml appends "(<string>, line N)"-style suffixes; the FileResult carries the line.
    return re.sub(r",? *\(<?[^()]*>?, line \d+\)$", "", msg).strip()


def _rollback(col: _Collector, failures_mark: int, flaky_mark: int, spool_mark: int) -> None:
    del col.failures[failures_mark:]
    del col.flaky[flaky_mark:]
    if col.spool is not None:
        col.spool.seek(spool_mark)
        col.spool.truncate()
        col.spool_pos = spool_mark
    # the slowest heap may hold entries of the rolled-back file; they are dropped at the end


_NO_NAME = object()
_BATCH = 128


def _parse_into(reader: _FileReader, source) -> etree._Element:
    # The hot loop: a plain passing test case costs a handful of attribute reads and
    # two local additions (flushed into the suite's counters before anything else
    # looks at them); anything else (children, a status, a rerun, a pending failure,
    # a slow test) goes to reader.testcase, which drops the case's children (output,
    # traces) once read. Read test cases are deleted from the tree in batches,
    # always keeping the previous one so a rerun can still read its attributes.
    it = _iterparse(source)
    col = reader.col
    testcase = reader.testcase
    spool = col.spool is not None
    suite_elem = acc = stats = None
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
        if tag == "testcase":
            parent = el.getparent()
            if parent is not suite_elem:
                if hot_n:
                    stats.tests += hot_n
                    stats.passed += hot_n
                    stats.time += hot_t
                    hot_n, hot_t = 0, 0.0
                acc = reader.acc_for(parent)
                suite_elem, stats = parent, acc.stats
                rerun_suite = acc.repeats_are_reruns
                status_suite = acc.may_have_status
                prev_name = _NO_NAME
                since = 0
            raw = el.get("time")
            if raw is None:
                tm = 0.0
            else:
                try:
                    tm = float(raw)
                except ValueError:
                    tm = -1.0  # the slow path parses it carefully
                # (negative, NaN or infinite: also the slow path, by the test below)
            repeat = False
            if rerun_suite:
                name = el.get("name")
                repeat = name == prev_name and el.get("classname") == prev_el.get("classname")
                prev_name = name
            if (
                slow
                or repeat
                or not 0.0 <= tm <= floor
                or len(el)
                or (status_suite and el.get("status") is not None)
            ):
                if hot_n:
                    stats.tests += hot_n
                    stats.passed += hot_n
                    stats.time += hot_t
                    hot_n, hot_t = 0, 0.0
                testcase(el, acc, tm if 0.0 <= tm < _INF else -1.0, prev_el if repeat else None)
                slow = spool or reader.pending is not None
                floor = col.slow_floor
                if len(el):
                    del el[:]  # captured output and traces: read, no longer needed
            else:
                hot_n += 1
                hot_t += tm
            prev_el = el
            since += 1
            if since >= _BATCH:
                # Only what precedes el: the parser may already have built later siblings.
                since = 0
                index = parent.index(el)
                if index > 1:
                    del parent[: index - 1]
        elif tag == "testsuite" or tag == "testsuites":
            if hot_n:
                stats.tests += hot_n
                stats.passed += hot_n
                stats.time += hot_t
                hot_n, hot_t = 0, 0.0
            reader.end_suite(el)  # clears the suite and everything still in it
            suite_elem = prev_el = None
            slow = spool or reader.pending is not None
        else:  # failure / error: only those outside a test case matter here
            parent = el.getparent()
            if parent is not None and parent.tag in _SUITE_TAGS:
                reader.suite_result(el)
                suite_elem = None
    if hot_n:  # test cases after the last suite end cannot happen in well-formed XML
        stats.tests += hot_n
        stats.passed += hot_n
        stats.time += hot_t
    reader.finish()
    root = it.root
    if root is None:  # pragma: no cover - lxml raises on an empty document
        raise _Rejected("empty file: no XML at all")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _Rejected(
            "refused: the file declares a DOCTYPE (DTDs and entities are never processed)"
        )
    return root


def parse_reports(
    inputs: Sequence[InputFile],
    *,
    keep_tests: bool = False,
    spool_dir: Path | None = None,
    progress: Callable[[int, int, FileResult], None] | None = None,
) -> Report:
    """Read every input file and merge the results.

    Args:
        inputs: from :func:`expand_paths`.
        keep_tests: also write one record per test case to a JSON-lines spool
            (``Report.tests_file``; the caller deletes it).
        spool_dir: where the spool goes (default: the system temp folder).
        progress: called after each file with (index, count, result).

    Returns:
        The merged :class:`Report`. Unreadable files are in ``Report.files`` with an
        ``error``; they contribute no tests.
    """
    col = _Collector(keep_tests, spool_dir)
    try:
        for index, item in enumerate(inputs, 1):
            if item.path is None:
                result = FileResult(item.display, error=item.error or "not found")
            else:
                result = _read_file(col, item)
            col.files.append(result)
            if progress is not None:
                progress(index, len(inputs), result)
    finally:
        col.finish()
    bad = {f.path for f in col.files if f.error}
    slowest = []
    retracted = list(col.retracted)
    for tm, _seq, key in sorted(col.slowest, reverse=True):
        if (tm, key) in retracted:  # an attempt later folded into its rerun group
            retracted.remove((tm, key))
            continue
        report, tid = key.split("\x00", 1)
        if report not in bad:
            slowest.append((tid, round(tm, 6)))
    return Report(
        files=tuple(col.files),
        totals=Totals.of(col.totals),
        suites={k: Totals.of(v) for k, v in col.suites.items()},
        failures=tuple(col.failures),
        flaky=tuple(col.flaky),
        suite_errors=tuple(col.suite_errors),
        slowest=tuple(slowest),
        warnings=tuple(col.warnings),
        tests_file=col.spool_path,
    )


def read_test_entries(report: Report) -> Iterable[str]:
    """The report JSON's ``tests`` entries as JSON text, in report order (``keep_tests=True``)."""
    if report.tests_file is None:
        return
    with report.tests_file.open(encoding="utf-8") as fh:
        for line in fh:
            yield line.split("\t", 1)[0]


def read_tests(report: Report) -> Iterable[dict]:
    """The per-test records of a report parsed with ``keep_tests=True``, in report order.

    Each has ``id``, ``suite``, ``outcome``, ``time``, ``flaky``, ``classname``, ``name``
    and ``message``.
    """
    if report.tests_file is None:
        return
    with report.tests_file.open(encoding="utf-8") as fh:
        for line in fh:
            entry, extra = line.split("\t", 1)
            record = json.loads(entry)
            record["classname"], record["name"], record["message"] = json.loads(extra)
            yield record


def write_junit(report: Report, path: Path) -> None:
    """Write the merged report as one JUnit XML file, with junitparser.

    Needs a report parsed with ``keep_tests=True`` (one suite per source suite name,
    test cases in report order). Holds the merged tree in memory while writing.
    """
    from junitparser import Error, JUnitXml, Skipped, TestCase, TestSuite
    from junitparser import Failure as JFailure

    xml = JUnitXml()
    suites: dict[str, TestSuite] = {}
    details = {f.id: f for f in report.failures}
    for rec in read_tests(report):
        suite = suites.get(rec["suite"])
        if suite is None:
            suite = suites[rec["suite"]] = TestSuite(rec["suite"] or "(unnamed suite)")
        case = TestCase(rec["name"], rec["classname"] or None, rec["time"])
        outcome = rec["outcome"]
        if outcome in (FAILED, ERROR):
            failure = details.get(rec["id"])
            cls = JFailure if outcome == FAILED else Error
            result = cls(rec["message"] or None)
            if failure is not None and failure.details:
                result.text = failure.details
            case.result = [result]
        elif outcome == SKIPPED:
            case.result = [Skipped(rec["message"] or None)]
        suite.append(case)  # add_testcase() recounts the suite each time: quadratic
    for suite in suites.values():
        suite.update_statistics()
        xml.add_testsuite(suite)
    xml.update_statistics()
    path.parent.mkdir(parents=True, exist_ok=True)
    xml.write(str(path), pretty=True)
