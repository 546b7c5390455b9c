"""testgate.monitor: reading the smoke checks' JUnit and deciding the run (no subprocess here)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from testgate import monitor
from testgate.errors import ReportError
from testgate.monitor import CheckResult, MonitorRun, count_outcomes
from testgate.render.markdown import render_monitor_md

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
  <testcase classname="tests.api.test_items" name="test_list" time="0.042"/>
  <testcase classname="tests.api.test_items" name="test_get" time="0.5">
    <failure message="assert 500 == 200">long traceback</failure></testcase>
  <testcase classname="tests.api.test_items" name="test_broken" time="0.001">
    <error message="fixture 'x' not found"/></testcase>
  <testcase classname="" name="test_skip" time="0"><skipped message="not on prod"/></testcase>
</testsuite></testsuites>
"""


def test_read_checks_gives_outcome_latency_and_message(tmp_path: Path) -> None:
    path = tmp_path / "monitor.xml"
    path.write_text(JUNIT)
    assert monitor.read_checks(path) == (
        CheckResult("tests.api.test_items::test_list", "passed", 0.042),
        CheckResult("tests.api.test_items::test_get", "failed", 0.5, "assert 500 == 200"),
        CheckResult("tests.api.test_items::test_broken", "error", 0.001, "fixture 'x' not found"),
        CheckResult("pytest::test_skip", "skipped", 0.0, "not on prod"),
    )


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("<testsuites><testcase", id="truncated"),
        pytest.param("<html><body>502</body></html>", id="not-junit"),
    ],
)
def test_unreadable_junit_is_a_report_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "monitor.xml"
    path.write_text(content)
    with pytest.raises(ReportError):
        monitor.read_checks(path)


def test_entities_are_never_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    path = tmp_path / "monitor.xml"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<testsuite name="s"><testcase classname="c" name="n"><failure message="&x;"/>'
        "</testcase></testsuite>"
    )
    # lxml refuses the external entity (resolve_entities=False): the file is rejected whole.
    with pytest.raises(ReportError) as info:
        monitor.read_checks(path)
    assert "TOPSECRET" not in str(info.value)


def make_run(*outcomes: str, error: str = "") -> MonitorRun:
    checks = tuple(
        CheckResult(f"c::{i}", o, 0.01, "why" if o != "passed" else "")
        for i, o in enumerate(outcomes)
    )
    return MonitorRun(
        "prod",
        "svc",
        "",
        checks,
        datetime(2026, 11, 23, tzinfo=UTC),
        0.1,
        error=error,
        totals=count_outcomes(checks),
    )


@pytest.mark.parametrize(
    ("outcomes", "error", "decided", "passed"),
    [
        pytest.param(("passed", "skipped"), "", True, True, id="pass"),
        pytest.param(("passed", "failed"), "", True, False, id="fail"),
        pytest.param(("error",), "", True, False, id="error-fails"),
        pytest.param(("skipped", "skipped"), "", False, False, id="all-skipped-undecided"),
        pytest.param((), "no checks", False, False, id="no-checks-undecided"),
    ],
)
def test_run_decision_fails_closed(outcomes, error, decided, passed) -> None:
    run = make_run(*outcomes, error=error)
    assert (run.decided, run.passed, run.state) == (decided, passed, "pass" if passed else "fail")


def test_pytest_argv_selects_smoke_checks_read_only_with_call_latency(tmp_path: Path) -> None:
    argv = monitor.build_pytest_argv(["tests/api"], tmp_path / "m.xml", python="py")
    assert argv[:4] == ["py", "-m", "pytest", "tests/api"]
    assert argv[argv.index("-m", 3) + 1] == "smoke"
    assert "junit_duration_report=call" in argv
    assert argv[argv.index("-p") + 1] == "testgate.pytest_smoke"
    assert "--testgate-read-only" in argv


def test_summary_lists_each_check_with_latency() -> None:
    md = render_monitor_md(make_run("passed", "failed"))
    assert md.startswith("## testgate monitor: FAIL")
    assert "| `c::0` | ✅ pass | 10 ms |" in md
    assert "- `c::1`: why" in md
    assert render_monitor_md(make_run(error="no checks")).startswith("## testgate monitor: ERROR")
