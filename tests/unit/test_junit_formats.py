"""Every report format testgate reads besides JUnit: counts checked against independent figures,
golden summaries, detection from content, the model's rules in every format, and bad input.

Independent counts: ``tests/fixtures/formats/expected.json`` (real files, counts from the files'
own totals) and ``../shared/report-formats/expected.json`` (dorny/test-reporter's and CTRF's
fixtures with the counts those projects expect; read when present, required on CI).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from testgate.commands import report as report_command
from testgate.gate import decide_gate
from testgate.junit import FORMATS, expand_paths, parse_reports, read_tests
from testgate.policy import Policy
from testgate.render import RenderContext, render_report_md

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "formats"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
TODAY = dt.date(2026, 11, 23)


def read(path: Path | str, **kwargs):
    return parse_reports(expand_paths([str(path)]), **kwargs)


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def counts(r) -> dict:
    t = r.totals
    return {
        "tests": t.tests,
        "passed": t.passed,
        "failed": t.failed + t.errors,
        "skipped": t.skipped,
    }


# -- independent counts ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_counts_match_the_files_own_totals(name):
    want = EXPECTED[name]
    r = read(FIXTURES / name)
    (f,) = r.files
    assert f.error is None, f.error
    assert f.format == want["format"]
    assert counts(r) == {k: want[k] for k in ("tests", "passed", "failed", "skipped")}
    assert r.totals.flaky == want.get("flaky", 0)


def test_every_format_has_a_real_fixture():
    assert {e["format"] for e in EXPECTED.values()} == set(FORMATS) - {"junit"}


def _shared() -> Path:
    candidates = []
    if os.environ.get("TESTGATE_REPORT_FORMATS"):
        candidates.append(Path(os.environ["TESTGATE_REPORT_FORMATS"]))
    candidates.append(ROOT.parent / "shared" / "report-formats")
    for path in candidates:
        if (path / "expected.json").is_file():
            return path
    message = f"report-format corpus not found (looked in {', '.join(map(str, candidates))})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


def test_shared_corpus_counts_match_expected():
    shared = _shared()
    expected = json.loads((shared / "expected.json").read_text(encoding="utf-8"))
    checked = 0
    for rel, want in sorted(expected.items()):
        if want.get("passed") is None:  # a file nobody counted (listed for information)
            continue
        r = read(shared / rel)
        (f,) = r.files
        assert f.error is None, (rel, f.error)
        skipped = want["skipped"] + want.get("pending", 0) + want.get("other", 0)
        got = counts(r)
        assert got == {
            "tests": want["total"],
            "passed": want["passed"],
            "failed": want["failed"],
            "skipped": skipped,
        }, rel
        checked += 1
    assert checked >= 22


def test_shared_corpus_every_file_is_read_or_named(tmp_path):
    shared = _shared()
    files = [p for p in sorted(shared.rglob("*")) if p.is_file() and p.suffix != ".md"]
    reports = [p for p in files if p.name not in ("expected.json", "ctrf.schema.json")]
    assert len(reports) >= 23
    r = parse_reports(expand_paths([str(p) for p in reports]))
    assert [f.path for f in r.file_errors] == []
    assert {f.format for f in r.files} == set(FORMATS) - {"junit", "xunit"}


# -- golden summaries, one per fixture ----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_summary(name, request):
    r = parse_reports(expand_paths([name], cwd=FIXTURES))
    decision = decide_gate(r, Policy(), today=TODAY)
    ctx = RenderContext(version="golden", generated_at="2026-11-23T00:00:00Z", full_report="r.json")
    actual = render_report_md(r, decision, ctx)
    golden = FIXTURES / f"{name}.md"
    if request.config.getoption("--update-golden", default=False):
        golden.write_bytes(actual.encode("utf-8"))  # bytes: a CR in a message stays a CR
        return
    assert golden.is_file(), f"no golden file {golden}: run with --update-golden"
    assert actual == golden.read_bytes().decode("utf-8")


# -- detection ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        pytest.param('<testsuites><testsuite name="s"/></testsuites>', "junit", id="junit"),
        pytest.param("<test-run><test-suite/></test-run>", "nunit", id="nunit3"),
        pytest.param("<test-results><test-suite/></test-results>", "nunit", id="nunit2"),
        pytest.param("<assemblies><assembly/></assemblies>", "xunit", id="xunit2"),
        pytest.param('<assembly name="a"><class name="c"/></assembly>', "xunit", id="xunit1"),
        pytest.param(
            '<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"/>',
            "trx",
            id="trx",
        ),
        pytest.param('{"results": {"tool": {"name": "x"}, "tests": []}}', "ctrf", id="ctrf"),
        pytest.param('{"reportFormat": "CTRF"}', "ctrf", id="ctrf-format"),
        pytest.param('{"stats": {"tests": 0}, "tests": [], "passes": []}', "mocha", id="mocha"),
        pytest.param('{"version": "3.13.0", "examples": []}', "rspec", id="rspec"),
        pytest.param(
            '{"protocolVersion":"0.1.1","type":"start","time":0}\n{"type":"done","time":1}\n',
            "dart",
            id="dart",
        ),
        pytest.param('{"Action":"start","Package":"p"}\n', "golang", id="golang"),
    ],
)
def test_format_is_detected_from_content_not_name(tmp_path, data, fmt):
    r = read(write(tmp_path, "report.txt", data))
    assert r.files[0].format == fmt, r.files[0].error


def test_unknown_format_through_the_command_exits_3_naming_file_and_formats(
    tmp_path, clean_environ, capsys
):
    path = write(tmp_path, "weird.xml", "<coverage line-rate='1'/>")
    rc = report_command.main([str(path), "--platform", "local"], clean_environ)
    out = capsys.readouterr().out
    assert rc == 3
    assert "weird.xml" in out
    assert "<coverage>" in out
    for name in FORMATS:
        assert name in out


def test_forced_format_reads_only_that_format(tmp_path):
    path = write(tmp_path, "r.json", (FIXTURES / "mocha.json").read_text(encoding="utf-8"))
    r = read(path, format="ctrf")
    assert "results: expected an object, found nothing" in (r.files[0].error or "")
    assert r.totals.tests == 0
    assert read(path, format="mocha").totals.tests == 6


def test_forced_format_directories_take_its_extension(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.json").write_text("{}")
    (tmp_path / "d" / "b.xml").write_text("<x/>")
    got = expand_paths(["d"], cwd=tmp_path, format="ctrf")
    assert [i.display for i in got] == ["d/a.json"]
    got = expand_paths(["d"], cwd=tmp_path)
    assert [i.display for i in got] == ["d/b.xml"]


def test_unknown_forced_format_is_a_config_error(tmp_path):
    from testgate.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown report format 'cobol'"):
        read(write(tmp_path, "r.xml", "<x/>"), format="cobol")


def test_format_setting_from_env_and_flag(tmp_path, clean_environ):
    path = write(tmp_path, "r.json", (FIXTURES / "rspec.json").read_text(encoding="utf-8"))
    assert report_command.main([str(path), "--format", "rspec"], clean_environ) == 1
    env = {**clean_environ, "TESTGATE_REPORT_FORMAT": "ctrf"}
    assert report_command.main([str(path)], env) == 3  # read as CTRF: no results.tests
    env = {**clean_environ, "TESTGATE_REPORT_FORMAT": "cobol"}
    assert report_command.main([str(path)], env) == 2


# -- the model's outcome order and rerun rules, in every format ---------------------------------------
NUNIT3 = """<test-run total="{n}"><test-suite type="TestFixture" name="F" fullname="Ns.F">{cases}
</test-suite></test-run>"""


@pytest.mark.parametrize(
    ("attrs", "outcome"),
    [
        pytest.param('result="Passed"', "passed", id="passed"),
        pytest.param('result="Warning"', "passed", id="warning"),
        pytest.param('result="Failed"', "failed", id="failed"),
        pytest.param('result="Failed" label="Error"', "error", id="error"),
        pytest.param('result="Failed" label="Invalid"', "error", id="invalid"),
        pytest.param('result="Skipped" label="Ignored"', "skipped", id="ignored"),
        pytest.param('result="Inconclusive"', "skipped", id="inconclusive"),
        pytest.param('result="Bogus"', "error", id="unknown-fails-closed"),
        pytest.param("", "error", id="no-result-fails-closed"),
    ],
)
def test_nunit3_outcomes(tmp_path, attrs, outcome):
    doc = NUNIT3.format(n=1, cases=f'<test-case name="t" classname="Ns.F" {attrs} duration="0.5"/>')
    r = read(write(tmp_path, "n.xml", doc), keep_tests=True)
    assert [t["outcome"] for t in read_tests(r)] == [outcome]
    assert [t["id"] for t in read_tests(r)] == ["Ns.F::t"]


@pytest.mark.parametrize(
    ("attrs", "outcome"),
    [
        pytest.param('result="Success" executed="True"', "passed", id="success"),
        pytest.param('result="Failure"', "failed", id="failure"),
        pytest.param('result="Error"', "error", id="error"),
        pytest.param('result="NotRunnable"', "error", id="not-runnable"),
        pytest.param('result="Ignored" executed="False"', "skipped", id="ignored"),
        pytest.param('executed="False"', "skipped", id="not-executed"),
        pytest.param('executed="True" success="True"', "passed", id="nunit22-success"),
        pytest.param('executed="True" success="False"', "failed", id="nunit22-failure"),
        pytest.param('executed="True" success="Maybe"', "error", id="odd-success-fails-closed"),
    ],
)
def test_nunit2_outcomes(tmp_path, attrs, outcome):
    doc = (
        '<test-results total="1"><test-suite type="TestFixture" name="F"><results>'
        f'<test-case name="Ns.F.t(1)" {attrs} time="0.5"/></results></test-suite></test-results>'
    )
    r = read(write(tmp_path, "n.xml", doc), keep_tests=True)
    assert [(t["id"], t["outcome"]) for t in read_tests(r)] == [("Ns.F::t(1)", outcome)]


def test_nunit3_one_time_teardown_failure_fails_the_gate(tmp_path):
    doc = """<test-run failed="0"><test-suite type="TestFixture" name="F" fullname="Ns.F"
      result="Failed" site="TearDown"><failure><message>cleanup exploded</message></failure>
      <test-case name="t" classname="Ns.F" result="Passed" duration="0.1"/></test-suite></test-run>"""
    r = read(write(tmp_path, "n.xml", doc))
    assert r.totals.passed == 1
    assert "cleanup exploded" in r.suite_errors[0].message
    assert decide_gate(r, Policy(), today=TODAY).decision == "fail"


def test_nunit3_setup_failure_shows_as_failing_cases_not_twice(tmp_path):
    doc = """<test-run failed="1"><test-suite type="TestFixture" name="F" fullname="Ns.F"
      result="Failed" site="SetUp"><failure><message>setup exploded</message></failure>
      <test-case name="t" classname="Ns.F" result="Failed" site="Parent" duration="0"/>
      </test-suite></test-run>"""
    r = read(write(tmp_path, "n.xml", doc))
    assert r.totals.failed == 1
    assert r.suite_errors == ()


def test_nunit3_run_declaring_more_failures_than_shown_fails(tmp_path):
    doc = NUNIT3.format(n=1, cases='<test-case name="t" classname="C" result="Passed"/>')
    doc = doc.replace('<test-run total="1">', '<test-run total="2" failed="1">')
    r = read(write(tmp_path, "n.xml", doc))
    assert "declares 1 failing" in r.suite_errors[0].message


def test_nunit3_theory_rows_belong_to_their_fixture(tmp_path):
    doc = """<test-run><test-suite type="TestFixture" name="F" fullname="Ns.F">
      <test-suite type="Theory" name="T" fullname="Ns.F.T">
        <test-case name="T(1)" classname="Ns.F" result="Passed"/>
        <test-case name="T(2)" classname="Ns.F" result="Failed"><failure><message>m</message>
        <stack-trace>at x</stack-trace></failure></test-case>
      </test-suite><test-case name="u" classname="Ns.F" result="Passed"/></test-suite></test-run>"""
    r = read(write(tmp_path, "n.xml", doc))
    assert list(r.suites) == ["Ns.F"]
    assert r.suites["Ns.F"].tests == 3
    assert (r.failures[0].id, r.failures[0].message, r.failures[0].details) == (
        "Ns.F::T(2)",
        "m",
        "at x",
    )


def test_xunit2_assembly_errors_fail_the_gate(tmp_path):
    doc = """<assemblies><assembly name="a.dll" total="1" passed="1" failed="0" errors="1">
      <errors><error type="test-class-cleanup" name="Ns.C"><failure exception-type="X">
      <message>Dispose threw</message></failure></error></errors>
      <collection name="Test collection for Ns.C">
      <test name="Ns.C.T" type="Ns.C" method="T" result="Pass" time="0.1"/></collection>
      </assembly></assemblies>"""
    r = read(write(tmp_path, "x.xml", doc))
    assert r.totals.passed == 1
    assert "Dispose threw" in r.suite_errors[0].message
    assert decide_gate(r, Policy(), today=TODAY).decision == "fail"


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        ("Pass", "passed"),
        ("Fail", "failed"),
        ("Skip", "skipped"),
        ("NotRun", "skipped"),
        ("X", "error"),
    ],
)
def test_xunit_results(tmp_path, result, outcome):
    doc = (
        '<assemblies><assembly name="a"><collection name="c">'
        f'<test name="Ns.C.T(x: 1)" type="Ns.C" method="T" result="{result}"/>'
        "</collection></assembly></assemblies>"
    )
    r = read(write(tmp_path, "x.xml", doc), keep_tests=True)
    assert [(t["id"], t["outcome"]) for t in read_tests(r)] == [("Ns.C::T(x: 1)", outcome)]


def test_xunit1_class_failure_is_a_suite_error(tmp_path):
    doc = """<assembly name="a" total="1" passed="1" failed="0"><class name="Ns.C">
      <failure exception-type="X"><message>fixture ctor threw</message></failure>
      <test name="Ns.C.T" type="Ns.C" method="T" result="Pass"/></class></assembly>"""
    r = read(write(tmp_path, "x.xml", doc))
    assert "fixture ctor threw" in r.suite_errors[0].message


TRX = """<?xml version="1.0" encoding="utf-8"?>
<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"><Results>{results}
</Results><TestDefinitions>
<UnitTest id="a"><TestMethod className="Ns.C" name="T"/></UnitTest>
<UnitTest id="b"><TestMethod className="Ns.C" name="U"/></UnitTest>
</TestDefinitions><ResultSummary outcome="{summary}"><Counters total="2" failed="{failed}"/>
<RunInfos><RunInfo outcome="Error"><Text>testhost crashed</Text></RunInfo></RunInfos>
</ResultSummary></TestRun>"""


def trx_result(test_id: str, name: str, outcome: str, duration: str = "00:00:01.5000000") -> str:
    inner = ""
    if outcome == "Failed":
        inner = "<Output><ErrorInfo><Message>boom</Message><StackTrace>at x</StackTrace></ErrorInfo></Output>"
    return (
        f'<UnitTestResult testId="{test_id}" testName="{name}" outcome="{outcome}" '
        f'duration="{duration}">{inner}</UnitTestResult>'
    )


def test_trx_rerun_later_in_the_file_is_one_flaky_test(tmp_path):
    results = (
        trx_result("a", "Ns.C.T", "Failed")
        + trx_result("b", "Ns.C.U", "Passed")
        + trx_result("a", "Ns.C.T", "Passed")
    )
    doc = TRX.format(results=results, summary="Completed", failed=1)
    r = read(write(tmp_path, "r.trx", doc))
    t = r.totals
    assert (t.tests, t.passed, t.failed, t.flaky) == (2, 2, 0, 1)
    assert (r.flaky[0].id, r.flaky[0].attempts) == ("Ns.C::T", 2)
    assert t.time == pytest.approx(4.5)


def test_trx_rerun_that_keeps_failing_is_one_failure(tmp_path):
    results = trx_result("a", "Ns.C.T", "Failed") + trx_result("a", "Ns.C.T", "Failed")
    r = read(write(tmp_path, "r.trx", TRX.format(results=results, summary="Failed", failed=2)))
    assert (r.totals.tests, r.totals.failed) == (1, 1)
    assert (r.failures[0].attempts, r.failures[0].message, r.failures[0].details) == (
        2,
        "boom",
        "at x",
    )


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("NotExecuted", "skipped"),
        ("Inconclusive", "skipped"),
        ("Timeout", "error"),
        ("Aborted", "error"),
        ("PassedButRunAborted", "passed"),
        ("Weird", "error"),
    ],
)
def test_trx_outcomes(tmp_path, outcome, expected):
    doc = TRX.format(results=trx_result("a", "Ns.C.T", outcome), summary="Completed", failed=0)
    r = read(write(tmp_path, "r.trx", doc), keep_tests=True)
    assert [(t["id"], t["outcome"]) for t in read_tests(r)] == [("Ns.C::T", expected)]


def test_trx_crashed_run_with_only_passes_fails_closed(tmp_path):
    doc = TRX.format(results=trx_result("a", "Ns.C.T", "Passed"), summary="Failed", failed=0)
    r = read(write(tmp_path, "r.trx", doc))
    assert "testhost crashed" in r.suite_errors[0].message
    assert decide_gate(r, Policy(), today=TODAY).decision == "fail"


def test_trx_counters_declaring_more_failures_fail_closed(tmp_path):
    doc = TRX.format(results=trx_result("a", "Ns.C.T", "Passed"), summary="Completed", failed=3)
    r = read(write(tmp_path, "r.trx", doc))
    assert "declare 3 failing" in r.suite_errors[0].message


def ctrf(*tests: dict) -> str:
    return json.dumps({"results": {"tool": {"name": "t"}, "tests": list(tests)}})


def test_ctrf_flaky_and_retries_follow_the_rerun_rule(tmp_path):
    doc = ctrf(
        {"name": "a", "status": "passed", "duration": 10, "flaky": True, "retries": 2},
        {"name": "b", "status": "failed", "duration": 10, "retries": 1, "message": "m\nmore"},
        {"name": "c", "status": "other", "duration": 1, "suite": ["f.ts", "G"]},
        {"name": "d", "status": "pending", "duration": 0},
    )
    r = read(write(tmp_path, "c.json", doc), keep_tests=True)
    t = r.totals
    assert (t.tests, t.passed, t.failed, t.skipped, t.flaky) == (4, 1, 1, 2, 1)
    assert r.flaky[0].attempts == 3
    assert (r.failures[0].attempts, r.failures[0].message) == (2, "m")
    assert [x["id"] for x in read_tests(r)][2] == "f.ts > G::c"
    assert any("status 'other' counted as skipped" in w for w in r.warnings)


@pytest.mark.parametrize(
    ("test", "path"),
    [
        pytest.param(
            {"name": "a", "status": "passed", "duration": "12"},
            "results.tests[1].duration",
            id="string-duration",
        ),
        pytest.param(
            {"name": 3, "status": "passed", "duration": 1},
            "results.tests[1].name",
            id="number-name",
        ),
        pytest.param(
            {"status": "passed", "duration": 1}, "results.tests[1].name", id="missing-name"
        ),
        pytest.param(
            {"name": "a", "status": "green", "duration": 1},
            "results.tests[1].status",
            id="bad-status",
        ),
        pytest.param(
            {"name": "a", "status": "passed", "duration": 1, "suite": [1]},
            "results.tests[1].suite[0]",
            id="bad-suite",
        ),
        pytest.param(
            {"name": "a", "status": "passed", "duration": 1, "retries": "2"},
            "results.tests[1].retries",
            id="string-retries",
        ),
        pytest.param("not a test", "results.tests[1]", id="not-an-object"),
    ],
)
def test_ctrf_wrong_shape_names_the_json_path(tmp_path, test, path):
    doc = ctrf({"name": "ok", "status": "passed", "duration": 1}, test)
    good = write(tmp_path, "good.json", ctrf({"name": "x", "status": "passed", "duration": 1}))
    r = parse_reports(expand_paths([str(write(tmp_path, "c.json", doc)), str(good)]))
    bad = r.files[0]
    assert (bad.error or "").startswith(path + ": expected"), bad.error
    assert r.totals.tests == 1  # only the good file counts
    assert decide_gate(r, Policy(), today=TODAY).decision == "error"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        pytest.param(
            '{"results": {"tool": {"name": "x"}, "tests": "none"}}',
            "results.tests: expected an array",
            id="tests-string",
        ),
        pytest.param(
            '{"results": {"tool": {"name": "x"}, "summary": {}}}',
            "results.tests: expected an array, found nothing",
            id="tests-missing",
        ),
        pytest.param(
            '{"results": {"tool": {"name": "x"}, "tests": [{"name": "a", "status": "pa',
            "truncated JSON",
            id="truncated",
        ),
        pytest.param(
            '{"results": {"tool": {"name": "x"}, "tests": [}', "malformed JSON", id="malformed"
        ),
    ],
)
def test_ctrf_broken_files_are_named_errors(tmp_path, doc, message):
    r = read(write(tmp_path, "c.json", doc))
    assert message in (r.files[0].error or ""), r.files[0].error
    assert r.totals.tests == 0


@pytest.mark.parametrize("number", ["1" + "0" * 400, "1e400", "-1e400"])
def test_ctrf_absurd_numbers_are_an_input_error_of_that_file(tmp_path, number):
    doc = ctrf({"name": "a", "status": "passed", "duration": 1}).replace(
        '"duration": 1', f'"duration": {number}'
    )
    r = read(write(tmp_path, "a.json", doc))
    assert "overflow" in (r.files[0].error or ""), r.files[0].error
    assert r.totals.tests == 0


def test_mocha_retry_hook_failure_and_stats(tmp_path):
    doc = {
        "stats": {"tests": 2, "passes": 1, "failures": 2, "pending": 0},
        "tests": [],
        "pending": [],
        "passes": [
            {
                "title": "t",
                "fullTitle": "G t",
                "file": "a.js",
                "duration": 5,
                "currentRetry": 2,
                "err": {},
            }
        ],
        "failures": [
            {
                "title": '"before each" hook for "u"',
                "fullTitle": 'G "before each" hook for "u"',
                "file": "a.js",
                "err": {"message": "db down", "stack": "Error: db down\n at x"},
            }
        ],
    }
    r = read(write(tmp_path, "m.json", json.dumps(doc)))
    t = r.totals
    assert (t.tests, t.passed, t.failed, t.flaky) == (2, 1, 1, 1)
    assert r.flaky[0].attempts == 3
    assert (r.failures[0].id, r.failures[0].message) == ('G::"before each" hook for "u"', "db down")
    assert "stats declares 2 failure(s)" in r.suite_errors[0].message


def test_mocha_wrong_shape_names_the_path(tmp_path):
    doc = {
        "stats": {},
        "passes": [{"title": "t", "duration": "fast"}],
        "failures": [],
        "pending": [],
    }
    r = read(write(tmp_path, "m.json", json.dumps(doc)))
    assert r.files[0].error == "passes[0].duration: expected a number, found a string ('fast')"


def test_rspec_errors_outside_examples_fail_the_gate(tmp_path):
    doc = {
        "version": "3.13.0",
        "messages": ["An error occurred while loading ./spec/broken_spec.rb."],
        "examples": [
            {
                "description": "works",
                "full_description": "X works",
                "status": "passed",
                "file_path": "./spec/x_spec.rb",
                "line_number": 3,
                "run_time": 0.1,
            }
        ],
        "summary": {"example_count": 1, "failure_count": 0, "errors_outside_of_examples_count": 1},
    }
    r = read(write(tmp_path, "r.json", json.dumps(doc)))
    assert r.totals.passed == 1
    assert "broken_spec.rb" in r.suite_errors[0].message
    assert decide_gate(r, Policy(), today=TODAY).decision == "fail"


def test_rspec_failure_points_at_the_example(tmp_path):
    doc = {
        "examples": [
            {
                "description": "b",
                "full_description": "A b",
                "status": "failed",
                "file_path": "./s.rb",
                "line_number": 7,
                "exception": {"class": "E", "message": "nope\nmore", "backtrace": ["./s.rb:8"]},
            }
        ],
        "summary": {"failure_count": 1},
    }
    r = read(write(tmp_path, "r.json", json.dumps(doc)))
    f = r.failures[0]
    assert (f.id, f.message, f.file, f.line) == ("A::b", "nope", "./s.rb", 7)
    assert "./s.rb:8" in f.details


def dart_lines(*events: dict) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def test_dart_load_failure_and_unfinished_test_fail_closed(tmp_path):
    doc = dart_lines(
        {"protocolVersion": "0.1.1", "type": "start", "time": 0},
        {"type": "suite", "suite": {"id": 0, "path": "test/a_test.dart"}},
        {"type": "suite", "suite": {"id": 1, "path": "test/b_test.dart"}},
        {
            "type": "testStart",
            "test": {"id": 1, "name": "loading test/b_test.dart", "suiteID": 1},
            "time": 1,
        },
        {"type": "error", "testID": 1, "error": "Compilation failed", "stackTrace": ""},
        {
            "type": "testDone",
            "testID": 1,
            "result": "error",
            "hidden": True,
            "skipped": False,
            "time": 2,
        },
        {"type": "group", "group": {"id": 2, "suiteID": 0, "name": "G"}},
        {
            "type": "testStart",
            "test": {"id": 3, "name": "G passes", "suiteID": 0, "groupIDs": [2]},
            "time": 3,
        },
        {
            "type": "testDone",
            "testID": 3,
            "result": "success",
            "hidden": False,
            "skipped": False,
            "time": 1003,
        },
        {
            "type": "testStart",
            "test": {"id": 4, "name": "G hangs", "suiteID": 0, "groupIDs": [2]},
            "time": 5,
        },
    )
    r = read(write(tmp_path, "d.json", doc), keep_tests=True)
    assert [(t["id"], t["outcome"], t["time"]) for t in read_tests(r)] == [
        ("G::passes", "passed", 1.0),
        ("G::hangs", "error", 0.0),
    ]
    assert "Compilation failed" in r.suite_errors[0].message


def test_dart_wrong_shape_names_the_line_and_key(tmp_path):
    doc = dart_lines(
        {"protocolVersion": "0.1.1", "type": "start", "time": 0},
        {"type": "testStart", "test": {"id": "one", "name": "x"}, "time": 1},
    )
    r = read(write(tmp_path, "d.json", doc))
    assert r.files[0].error == "line 2.test.id: expected a whole number, found a string ('one')"


def go_lines(*events: tuple) -> str:
    out = []
    for action, test, extra in events:
        event = {"Action": action, "Package": "example.com/p"}
        if test:
            event["Test"] = test
        event.update(extra)
        out.append(json.dumps(event) + "\n")
    return "".join(out)


def test_go_rerun_later_in_the_stream_is_flaky(tmp_path):
    doc = go_lines(
        ("start", None, {}),
        ("run", "TestA", {}),
        ("output", "TestA", {"Output": "    a_test.go:9: got 1\n"}),
        ("fail", "TestA", {"Elapsed": 0.5}),
        ("fail", None, {"Elapsed": 0.6}),
        ("start", None, {}),
        ("run", "TestA", {}),
        ("pass", "TestA", {"Elapsed": 0.25}),
        ("pass", None, {"Elapsed": 0.3}),
    )
    r = read(write(tmp_path, "g.json", doc))
    t = r.totals
    assert (t.tests, t.passed, t.flaky, t.failed) == (1, 1, 1, 0)
    assert r.suite_errors == ()
    assert t.time == pytest.approx(0.75)


def test_go_failure_message_build_failure_and_cut_stream(tmp_path):
    doc = go_lines(
        ("start", None, {}),
        ("run", "TestA", {}),
        ("output", "TestA", {"Output": "=== RUN   TestA\n"}),
        ("output", "TestA", {"Output": "    a_test.go:9: want 2, got 1\n"}),
        ("fail", "TestA", {"Elapsed": 0.5}),
        ("run", "TestB", {}),
    )
    doc += (
        json.dumps(
            {
                "Action": "output",
                "Package": "example.com/q",
                "Output": "FAIL\texample.com/q [build failed]\n",
            }
        )
        + "\n"
    )
    doc += json.dumps({"Action": "fail", "Package": "example.com/q"}) + "\n"
    r = read(write(tmp_path, "g.json", doc), keep_tests=True)
    assert r.failures[0].message == "a_test.go:9: want 2, got 1"
    assert [(t["id"], t["outcome"]) for t in read_tests(r)] == [
        ("example.com/p::TestA", "failed"),
        ("example.com/p::TestB", "error"),
    ]
    messages = [e.message for e in r.suite_errors]
    assert any("build failed" in m for m in messages)
    assert any("stream ends before its result" in m for m in messages)


def test_go_truncated_last_line_is_an_input_error(tmp_path):
    doc = go_lines(("start", None, {}), ("run", "TestA", {}))
    r = read(write(tmp_path, "g.json", doc + '{"Action":"pa'))
    assert r.files[0].error.startswith("truncated: line 3")
    assert r.totals.tests == 0


def test_go_compiler_output_lines_are_skipped_with_a_warning(tmp_path):
    doc = go_lines(("start", None, {}), ("run", "TestA", {}))
    doc += "# example.com/p\n./a.go:3: undefined: x\n"
    doc += go_lines(("pass", "TestA", {"Elapsed": 0}), ("pass", None, {}))
    r = read(write(tmp_path, "g.json", doc))
    assert r.totals.passed == 1
    assert any("2 line(s) that are not test2json events" in w for w in r.warnings)


# -- hardening applies to every XML format ----------------------------------------------------------------
@pytest.mark.parametrize(
    "root",
    [
        "test-run",
        "test-results",
        "assemblies",
        'TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"',
    ],
)
def test_doctype_is_refused_in_every_xml_format(tmp_path, root):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    tag = root.split()[0]
    doc = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]><{root}>&e;</{tag}>'
    r = read(write(tmp_path, "x.xml", doc))
    assert (r.files[0].error or "").startswith("refused: the file declares a DOCTYPE")
    assert "TOP-SECRET" not in repr(r)


@pytest.mark.parametrize("name", ["nunit3-dotnet.xml", "trx-dotnet.trx", "xunit2-jenkins.xml"])
def test_truncated_xml_of_every_format_is_an_input_error(tmp_path, name):
    data = (FIXTURES / name).read_bytes()
    r = read(write(tmp_path, name, data[: len(data) * 2 // 3]))
    assert (r.files[0].error or "").startswith("malformed XML"), r.files[0].error
    assert r.totals.tests == 0


@pytest.mark.parametrize("name", ["mocha.json", "rspec.json", "ctrf-all-statuses.json"])
def test_truncated_json_of_every_format_is_an_input_error(tmp_path, name):
    data = (FIXTURES / name).read_bytes()
    r = read(write(tmp_path, name, data[: len(data) // 2]))
    assert "JSON" in (r.files[0].error or ""), r.files[0].error
    assert r.totals.tests == 0


def test_utf8_bom_and_utf16_json_are_read(tmp_path):
    text = ctrf({"name": "é", "status": "passed", "duration": 1})
    assert read(write(tmp_path, "a.json", b"\xef\xbb\xbf" + text.encode())).totals.passed == 1
    assert read(write(tmp_path, "b.json", text.encode("utf-16"))).totals.passed == 1


def test_mixed_formats_merge_into_one_decision(tmp_path, clean_environ, capsys):
    paths = [
        str(FIXTURES / n) for n in ("nunit3-dotnet.xml", "golang.json", "ctrf-with-retries.json")
    ]
    out = tmp_path / "r.json"
    rc = report_command.main([*paths, "--json", str(out)], clean_environ)
    doc = json.loads(out.read_text())
    assert rc == 1
    assert doc["totals"]["tests"] == 9 + 12 + 2
    assert [f["tests"] for f in doc["files"]] == [9, 12, 2]


def test_utf16_json_lines_are_read(tmp_path):
    data = (FIXTURES / "golang.json").read_text(encoding="utf-8").encode("utf-16")
    r = read(write(tmp_path, "g.json", data))
    assert r.files[0].format == "golang"
    assert counts(r) == {"tests": 12, "passed": 5, "failed": 6, "skipped": 1}
