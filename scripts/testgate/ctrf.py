"""CTRF out: the merged run as a Common Test Report Format document (JSON, spec 1.0.0).

Any tool of the CTRF ecosystem (reporters, dashboards, AI summaries) can then take testgate's
merged result, whatever formats it was read from. The document is produced in chunks
(:func:`iter_ctrf`), one test at a time from the report's per-test spool, so a run of a
million tests is never held in memory; the caller writes the chunks to a file.

Mapping: passed, failed and skipped stay; an ``error`` is ``failed`` with ``rawStatus``
``error``; a flaky test is ``passed`` with ``flaky: true`` and ``retries`` (attempts - 1). The
suite is ``[suite, classname]`` (the class only when it differs). Durations are whole
milliseconds. What CTRF has no field for (the testgate id, the source report, unreadable
files and suite-level errors) goes under ``extra``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator

from testgate.model import ERROR, FAILED, PASSED, SKIPPED, Report
from testgate.readers import read_tests

SPEC_VERSION = "1.0.0"
_STATUS = {PASSED: "passed", FAILED: "failed", ERROR: "failed", SKIPPED: "skipped"}


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def iter_ctrf(
    report: Report,
    *,
    version: str,
    generated_at: dt.datetime,
    report_id: str | None = None,
) -> Iterator[str]:
    """The CTRF document of ``report`` as JSON text chunks.

    Args:
        report: parsed with ``keep_tests=True`` (its per-test spool is read once).
        version: testgate's version (``results.tool.version``, ``generatedBy``).
        generated_at: when the document is written (``timestamp``, ``summary.stop``).
        report_id: a UUID for ``reportId`` (default: a new random one).

    Raises:
        ValueError: the report has tests but no per-test spool (parse with keep_tests=True).
    """
    totals = report.totals
    if report.tests_file is None and totals.tests:
        raise ValueError("CTRF needs the per-test records: parse with keep_tests=True")
    stop = int(generated_at.timestamp() * 1000)
    duration = _ms(totals.time)
    head = {
        "reportFormat": "CTRF",
        "specVersion": SPEC_VERSION,
        "reportId": report_id or str(uuid.uuid4()),
        "timestamp": generated_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generatedBy": f"testgate {version}",
    }
    summary = {
        "tests": totals.tests,
        "passed": totals.passed,
        "failed": totals.failed + totals.errors,
        "skipped": totals.skipped,
        "pending": 0,
        "other": 0,
        "flaky": totals.flaky,
        "suites": len(report.suites),
        # testgate knows each test's time, not the wall clock of the run: start is derived
        "start": stop - duration,
        "stop": stop,
        "duration": duration,
    }
    yield _dump(head)[:-1]
    yield ', "results": {"tool": {"name": "testgate", "version": ' + _dump(version) + "}, "
    yield '"summary": ' + _dump(summary) + ', "tests": ['
    failures = {}
    for f in report.failures:
        failures.setdefault(f.id, f)
    flaky = {}
    for f in report.flaky:
        flaky.setdefault(f.id, f)
    first = True
    for rec in read_tests(report):
        yield ("" if first else ", ") + _dump(_test(rec, failures, flaky))
        first = False
    extra = {
        "testgate": {
            "files": [
                {
                    "path": f.path,
                    "format": f.format,
                    "tests": f.tests,
                    "error": f.error,
                }
                for f in report.files
            ],
            "suiteErrors": [
                {"suite": e.suite, "report": e.report, "message": e.message}
                for e in report.suite_errors
            ],
        }
    }
    yield '], "extra": ' + _dump(extra) + "}}\n"


def _test(rec: dict, failures: dict, flaky: dict) -> dict:
    outcome = rec["outcome"]
    test: dict = {
        "name": rec["name"] or rec["id"],
        "status": _STATUS[outcome],
        "duration": _ms(rec["time"]),
    }
    suite = [s for s in (rec["suite"], rec["classname"]) if s]
    if len(suite) == 2 and suite[0] == suite[1]:
        suite.pop()
    if suite:
        test["suite"] = suite
    if outcome == ERROR:
        test["rawStatus"] = "error"
    failure = failures.get(rec["id"]) if outcome in (FAILED, ERROR) else None
    if failure is not None:
        if failure.message:
            test["message"] = failure.message
        if failure.details:
            test["trace"] = failure.details
        if failure.file:
            test["filePath"] = failure.file
        if failure.line:
            test["line"] = failure.line
        if failure.attempts > 1:
            test["retries"] = failure.attempts - 1
    elif rec["message"]:
        test["message"] = rec["message"]
    if rec["flaky"]:
        test["flaky"] = True
        attempts = flaky[rec["id"]].attempts if rec["id"] in flaky else 2
        test["retries"] = max(1, attempts - 1)
    test["extra"] = {"id": rec["id"]}
    return test
