"""``testgate report`` end to end: exit codes, outputs, env inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testgate.commands import report

PASSING = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="api" tests="2">
<testcase classname="tests.test_api" name="test_ok" time="0.5"/>
<testcase classname="tests.test_api" name="test_also_ok" time="1.5"/>
</testsuite></testsuites>"""

FAILING = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="api" tests="2" failures="1">
<testcase classname="tests.test_api" name="test_ok" time="0.5"/>
<testcase classname="tests.test_api" name="test_broken" time="0.25" file="tests/test_api.py" line="12">
<failure message="assert 1 == 2">Traceback...</failure></testcase>
</testsuite>"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_passing_report_exits_0_and_prints_totals(tmp_path, clean_environ, capsys):
    path = write(tmp_path, "a.xml", PASSING)
    assert report.main([str(path)], clean_environ) == 0
    out = capsys.readouterr().out
    assert "2 tests, 2 passed, 0 failed" in out
    assert "decision: PASS" in out


def test_failing_report_exits_1(tmp_path, clean_environ, capsys):
    path = write(tmp_path, "a.xml", FAILING)
    assert report.main([str(path)], clean_environ) == 1
    captured = capsys.readouterr()
    assert "decision: FAIL" in captured.out
    assert "tests.test_api::test_broken" in captured.out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", 3, id="empty-file"),
        pytest.param("<testsuites><testsuite name='x'><testcase name='a'", 3, id="truncated"),
        pytest.param("<html><body/></html>", 3, id="not-junit"),
        pytest.param("<testsuites/>", 1, id="zero-tests"),
        pytest.param(
            "<testsuite name='x'><testcase name='a'><skipped/></testcase></testsuite>",
            1,
            id="all-skipped",
        ),
    ],
)
def test_never_a_pass(tmp_path, clean_environ, text, expected):
    path = write(tmp_path, "bad.xml", text)
    assert report.main([str(path)], clean_environ) == expected


def test_missing_file_and_empty_glob_exit_3(tmp_path, clean_environ):
    assert report.main([str(tmp_path / "nope.xml")], clean_environ) == 3
    assert report.main([str(tmp_path / "*.xml")], clean_environ) == 3


def test_no_paths_is_a_usage_error(clean_environ):
    assert report.main([], clean_environ) == 2


def test_globs_and_directories_merge(tmp_path, clean_environ, capsys):
    write(tmp_path, "shard1/junit.xml", PASSING)
    write(tmp_path, "shard2/junit.xml", PASSING)
    write(tmp_path, "dir/sub/TEST-x.xml", PASSING)
    rc = report.main([str(tmp_path / "shard*/junit.xml"), str(tmp_path / "dir")], clean_environ)
    assert rc == 0
    assert "3 files, 6 tests" in capsys.readouterr().out


def test_env_report_paths(tmp_path, clean_environ, capsys):
    write(tmp_path, "r/a.xml", PASSING)
    env = {**clean_environ, "TESTGATE_REPORT_PATHS": f"{tmp_path}/r/*.xml"}
    assert report.main([], env) == 0


def test_json_contract(tmp_path, clean_environ):
    path = write(tmp_path, "a.xml", FAILING)
    out = tmp_path / "out" / "report.json"
    assert report.main([str(path), "--json", str(out)], clean_environ) == 1
    doc = json.loads(out.read_text())
    assert doc["schema"] == "testgate-report/1"
    assert doc["decision"] == "fail"
    assert doc["passed"] is False
    assert doc["dry_run"] is False
    assert doc["reasons"]
    assert doc["totals"] == {
        "tests": 2,
        "passed": 1,
        "failed": 1,
        "errors": 0,
        "skipped": 0,
        "flaky": 0,
        "quarantined": 0,
        "time": 0.75,
    }
    assert doc["files"][0]["path"] == str(path)
    assert doc["files"][0]["error"] is None
    failure = doc["failures"][0]
    assert failure["id"] == "tests.test_api::test_broken"
    assert failure["suite"] == "api"
    assert failure["classname"] == "tests.test_api"
    assert failure["name"] == "test_broken"
    assert failure["outcome"] == "failed"
    assert failure["message"] == "assert 1 == 2"
    assert failure["file"] == "tests/test_api.py"
    assert failure["line"] == 12
    assert doc["flaky"] == []
    assert doc["quarantined"] == []
    assert doc["slowest"][0] == {"id": "tests.test_api::test_ok", "time": 0.5}
    assert "tests" not in doc


def test_json_tests_lists_every_case(tmp_path, clean_environ):
    path = write(tmp_path, "a.xml", FAILING)
    out = tmp_path / "report.json"
    assert report.main([str(path), "--json", str(out), "--json-tests"], clean_environ) == 1
    doc = json.loads(out.read_text())
    assert doc["tests"] == [
        {
            "id": "tests.test_api::test_ok",
            "suite": "api",
            "outcome": "passed",
            "time": 0.5,
            "flaky": False,
        },
        {
            "id": "tests.test_api::test_broken",
            "suite": "api",
            "outcome": "failed",
            "time": 0.25,
            "flaky": False,
        },
    ]


def test_error_decision_in_json(tmp_path, clean_environ):
    path = write(tmp_path, "a.xml", "<testsuite")
    out = tmp_path / "report.json"
    assert report.main([str(path), "--json", str(out)], clean_environ) == 3
    doc = json.loads(out.read_text())
    assert doc["decision"] == "error"
    assert doc["passed"] is False
    assert doc["files"][0]["error"].startswith("malformed XML")
    assert doc["files"][0]["line"] == 1


def test_dry_run_reports_fail_but_exits_0(tmp_path, clean_environ, capsys):
    path = write(tmp_path, "a.xml", FAILING)
    out = tmp_path / "report.json"
    assert report.main([str(path), "--dry-run", "--json", str(out)], clean_environ) == 0
    doc = json.loads(out.read_text())
    assert doc["decision"] == "fail"
    assert doc["dry_run"] is True
    assert "FAIL (dry run: exit 0)" in capsys.readouterr().out


def test_dry_run_still_exits_3_when_undecided(tmp_path, clean_environ):
    path = write(tmp_path, "a.xml", "")
    assert report.main([str(path), "--dry-run"], clean_environ) == 3


def test_markdown_file(tmp_path, clean_environ):
    path = write(tmp_path, "a.xml", FAILING)
    md = tmp_path / "summary.md"
    assert report.main([str(path), "--markdown", str(md)], clean_environ) == 1
    text = md.read_text()
    assert text.startswith("## ❌ Test report: FAIL")
    assert "<details><summary><b>failed</b> tests.test_api::test_broken" in text
