"""JUnit XML: reading it (with every other report format, in :mod:`testgate.readers`) and writing it.

The readers live in ``testgate/readers/`` (one module per format, one counting engine); this
module keeps the names the commands and tests have always imported, and writes the merged
report as one JUnit XML file with junitparser.
"""

from __future__ import annotations

from pathlib import Path

from testgate.model import ERROR, FAILED, SKIPPED, Report
from testgate.readers import (
    FORMATS,
    InputFile,
    expand_paths,
    parse_reports,
    parse_time,
    read_test_entries,
    read_tests,
)
from testgate.readers.engine import DETAIL_CHARS, DETAILED_FAILURES, MESSAGE_CHARS, SLOWEST

__all__ = [
    "DETAILED_FAILURES",
    "DETAIL_CHARS",
    "FORMATS",
    "MESSAGE_CHARS",
    "SLOWEST",
    "InputFile",
    "expand_paths",
    "parse_reports",
    "parse_time",
    "read_test_entries",
    "read_tests",
    "write_junit",
]


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
    from testgate import files

    with files.atomic_open(path, what="merged JUnit report", binary=True) as fh:
        xml.write(fh, pretty=True)
