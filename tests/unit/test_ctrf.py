"""CTRF out: the merged run as a CTRF document, valid against CTRF's own JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from testgate.commands import report as report_command
from testgate.ctrf import iter_ctrf
from testgate.junit import expand_paths, parse_reports

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT / "tests" / "fixtures" / "formats"
JUNIT = ROOT / "tests" / "fixtures" / "junit"
SCHEMA = json.loads((FORMATS / "ctrf.schema.json").read_text(encoding="utf-8"))
STAMP = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
MIXED = [
    str(FORMATS / "nunit3-dotnet.xml"),
    str(FORMATS / "golang.json"),
    str(FORMATS / "ctrf-all-statuses.json"),
    str(FORMATS / "trx-xunitv3.trx"),
    str(JUNIT / "surefire-flaky.xml"),
    str(JUNIT / "pytest.xml"),
]


def validate(doc: dict) -> None:
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def ctrf_of(paths: list[str], tmp_path: Path) -> tuple[dict, object]:
    report = parse_reports(expand_paths(paths), keep_tests=True, spool_dir=tmp_path)
    try:
        text = "".join(
            iter_ctrf(
                report,
                version="9.9.9",
                generated_at=STAMP,
                report_id="3f1c2d8e-6a4b-4c1e-9f0a-2b7d5e8c9a10",
            )
        )
    finally:
        report.tests_file.unlink()
    return json.loads(text), report


def test_the_schema_is_ctrfs_own():
    assert SCHEMA["title"] == "CTRF JSON Schema"
    assert SCHEMA["required"] == ["results", "reportFormat", "specVersion"]


def test_a_mixed_run_is_valid_ctrf_with_the_same_totals(tmp_path):
    doc, report = ctrf_of(MIXED, tmp_path)
    validate(doc)
    t = report.totals
    summary = doc["results"]["summary"]
    assert summary["tests"] == t.tests == len(doc["results"]["tests"])
    assert summary["passed"] == t.passed
    assert summary["failed"] == t.failed + t.errors
    assert summary["skipped"] == t.skipped
    assert summary["flaky"] == t.flaky > 0
    assert summary["stop"] == int(STAMP.timestamp() * 1000)
    assert summary["stop"] - summary["start"] == summary["duration"]
    statuses = [x["status"] for x in doc["results"]["tests"]]
    assert statuses.count("failed") == summary["failed"]
    assert doc["generatedBy"] == "testgate 9.9.9"
    assert doc["results"]["tool"] == {"name": "testgate", "version": "9.9.9"}


def test_errors_flaky_and_failure_details_map_to_ctrf_fields(tmp_path):
    doc, report = ctrf_of(MIXED, tmp_path)
    tests = {x["extra"]["id"]: x for x in doc["results"]["tests"]}
    error = next(f for f in report.failures if f.outcome == "error")
    entry = tests[error.id]
    assert (entry["status"], entry["rawStatus"]) == ("failed", "error")
    assert entry["message"] == error.message
    flaky = report.flaky[0]
    assert tests[flaky.id]["flaky"] is True
    assert tests[flaky.id]["retries"] == flaky.attempts - 1
    nunit = tests["DotnetTests.XUnitTests.CalculatorTests::Failing_Test"]
    assert nunit["suite"] == ["DotnetTests.XUnitTests.CalculatorTests"]
    assert nunit["trace"].startswith("at DotnetTests.XUnitTests.CalculatorTests.Failing_Test()")


def test_unreadable_files_and_suite_errors_travel_in_extra(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuite name='x'><testcase", encoding="utf-8")
    go = str(ROOT.parent / "shared" / "report-formats" / "gotestsum" / "go-test-json.out")
    paths = [str(bad), str(FORMATS / "nunit2-pickles.xml")]
    if Path(go).is_file():
        paths.append(go)
    doc, report = ctrf_of(paths, tmp_path)
    validate(doc)
    files = doc["results"]["extra"]["testgate"]["files"]
    assert files[0]["path"] == str(bad)
    assert files[0]["error"].startswith("malformed XML")
    assert files[1]["format"] == "nunit"
    errors = doc["results"]["extra"]["testgate"]["suiteErrors"]
    assert len(errors) == len(report.suite_errors)


def test_ctrf_read_back_gives_the_same_counts(tmp_path):
    doc, report = ctrf_of(MIXED, tmp_path)
    path = tmp_path / "out.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    again = parse_reports(expand_paths([str(path)]))
    t, u = report.totals, again.totals
    assert again.files[0].format == "ctrf"
    assert (u.tests, u.passed, u.failed, u.skipped, u.flaky) == (
        t.tests,
        t.passed,
        t.failed + t.errors,
        t.skipped,
        t.flaky,
    )


def test_needs_per_test_records():
    report = parse_reports(expand_paths([str(FORMATS / "rspec.json")]))
    with pytest.raises(ValueError, match="keep_tests"):
        list(iter_ctrf(report, version="1", generated_at=STAMP))


def test_report_command_writes_ctrf(tmp_path, clean_environ):
    out = tmp_path / "out" / "ctrf.json"
    rc = report_command.main([*MIXED[:2], "--ctrf", str(out)], clean_environ)
    assert rc == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    validate(doc)
    assert doc["results"]["summary"]["tests"] == 9 + 12
    env = {**clean_environ, "TESTGATE_CTRF": str(tmp_path / "env.json")}
    assert report_command.main([MIXED[0]], env) == 1
    validate(json.loads((tmp_path / "env.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(lambda d: d["results"]["tests"][0].update(duration=1.5), id="float-duration"),
        pytest.param(lambda d: d["results"]["tests"][0].update(status="error"), id="bad-status"),
        pytest.param(lambda d: d["results"]["summary"].pop("start"), id="no-start"),
        pytest.param(lambda d: d.update(reportId="not-a-uuid"), id="bad-uuid"),
    ],
)
def test_the_schema_check_can_fail(tmp_path, break_it):
    doc, _ = ctrf_of(MIXED[:1], tmp_path)
    break_it(doc)
    with pytest.raises(AssertionError):
        validate(doc)
