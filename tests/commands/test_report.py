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
        pytest.param("<testsuites/>", 3, id="zero-tests"),
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


def many_failures(n: int) -> str:
    cases = "".join(
        f'<testcase classname="c" name="t{i}" file="src/t.py" line="{i + 1}">'
        f'<failure message="boom {i}"/></testcase>'
        for i in range(n)
    )
    return f'<testsuite name="s">{cases}</testsuite>'


def test_github_annotations_are_capped(tmp_path, clean_environ, capsys):
    path = write(tmp_path, "a.xml", many_failures(30))
    summary = tmp_path / "summary.md"
    outputs = tmp_path / "outputs.txt"
    env = {
        **clean_environ,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    assert report.main([str(path)], env) == 1
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("::error")]
    assert len(errors) == 10
    assert errors[0] == "::error file=src/t.py,line=1::failed: c::t0: boom 0"
    assert errors[-1].startswith("::error::gate failed: 30 failing tests")
    assert "21 more failures in the summary" in errors[-1]
    assert summary.read_text().startswith("## ❌ Test report: FAIL")
    assert "decision=fail" in outputs.read_text()


def test_progress_is_shown_for_many_files(tmp_path, clean_environ, capsys):
    for i in range(12):
        write(tmp_path, f"shards/s{i:02d}.xml", PASSING)
    assert report.main([str(tmp_path / "shards")], clean_environ) == 0
    out = capsys.readouterr().out
    assert "[1/12] files read, 2 tests so far" in out
    assert "[12/12] files read, 24 tests so far" in out


def test_junit_out_round_trips(tmp_path, clean_environ):
    src = write(tmp_path, "a.xml", FAILING)
    write(tmp_path, "b.xml", PASSING)
    merged = tmp_path / "out" / "merged.xml"
    rc = report.main([str(src), str(tmp_path / "b.xml"), "--junit-out", str(merged)], clean_environ)
    assert rc == 1
    again = tmp_path / "again.json"
    assert report.main([str(merged), "--json", str(again)], clean_environ) == 1
    doc = json.loads(again.read_text())
    assert doc["totals"]["tests"] == 4
    assert doc["totals"]["failed"] == 1
    assert doc["failures"][0]["id"] == "tests.test_api::test_broken"
    assert doc["failures"][0]["message"] == "assert 1 == 2"
    assert doc["suite_errors"] == []


def test_baseline_only_new_failures_fail(tmp_path, clean_environ, capsys):
    path = write(tmp_path, "a.xml", FAILING)
    base = tmp_path / "base.json"
    assert report.main([str(path), "--json", str(base)], clean_environ) == 1
    md = tmp_path / "s.md"
    rc = report.main([str(path), "--baseline", str(base), "--markdown", str(md)], clean_environ)
    assert rc == 0
    assert "0 new, 1 still failing, 0 fixed" in md.read_text()
    assert report.main([str(path), "--baseline", str(tmp_path / "nope.json")], clean_environ) == 2


def test_policy_from_flag_and_env(tmp_path, clean_environ):
    path = write(tmp_path, "a.xml", FAILING)
    lenient = write(tmp_path, "gate.toml", "[gate]\nmax-failures = 1\n")
    assert report.main([str(path), "--policy", str(lenient)], clean_environ) == 0
    assert report.main([str(path)], {**clean_environ, "TESTGATE_POLICY": str(lenient)}) == 0
    broken = write(tmp_path, "bad.toml", "[gate]\nmax-failurez = 1\n")
    assert report.main([str(path), "--policy", str(broken)], clean_environ) == 2


def test_quarantine_via_policy(tmp_path, clean_environ):
    path = write(tmp_path, "a.xml", FAILING)
    policy = write(
        tmp_path,
        "gate.toml",
        '[[quarantine]]\ntest = "tests.test_api::test_broken"\nowner = "team-api"\n'
        'reason = "API-42"\nexpires = 2999-01-01\n',
    )
    out = tmp_path / "r.json"
    assert report.main([str(path), "--policy", str(policy), "--json", str(out)], clean_environ) == 0
    doc = json.loads(out.read_text())
    assert doc["totals"]["quarantined"] == 1
    assert doc["quarantined"][0]["owner"] == "team-api"
    assert doc["failures"][0]["quarantined"] is True


@pytest.mark.parametrize("value", ["abc", "10"])
def test_bad_max_size_is_a_usage_error(tmp_path, clean_environ, value):
    path = write(tmp_path, "a.xml", PASSING)
    assert report.main([str(path), "--max-size", value], clean_environ) == 2


def test_max_size_for_pr_comment(tmp_path, clean_environ):
    path = write(tmp_path, "a.xml", many_failures(2000))
    md = tmp_path / "comment.md"
    full = tmp_path / "full.json"
    rc = report.main(
        [str(path), "--markdown", str(md), "--max-size", "65000", "--json", str(full)],
        clean_environ,
    )
    assert rc == 1
    text = md.read_text()
    assert len(text.encode()) <= 65000
    assert f"The full report is in `{full}`" in text
    assert len(json.loads(full.read_text())["failures"]) == 2000


def test_xxe_leaks_nothing_anywhere(tmp_path, clean_environ, capsys):
    secret = write(tmp_path, "secret.txt", "SECRET-FROM-DISK")
    xxe = write(
        tmp_path,
        "xxe.xml",
        f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<testsuite name="&x;"><testcase name="&x;"><failure message="&x;">&x;</failure>'
        "</testcase></testsuite>",
    )
    outs = [tmp_path / "o.json", tmp_path / "o.md", tmp_path / "o.xml"]
    rc = report.main(
        [
            str(xxe),
            "--json",
            str(outs[0]),
            "--json-tests",
            "--markdown",
            str(outs[1]),
            "--junit-out",
            str(outs[2]),
        ],
        clean_environ,
    )
    assert rc == 3
    captured = capsys.readouterr()
    for text in (captured.out, captured.err, *(p.read_text() for p in outs)):
        assert "SECRET-FROM-DISK" not in text
    assert "refused: the file declares a DOCTYPE" in captured.out


def test_main_via_cli_dispatch(tmp_path, clean_environ):
    from testgate import cli

    path = write(tmp_path, "a.xml", PASSING)
    assert cli.main(["report", str(path)], clean_environ) == 0


def test_warning_annotations_are_capped(tmp_path, clean_environ, capsys):
    cases = "".join(f'<testcase classname="c" name="t{i}" time="-{i + 1}"/>' for i in range(15))
    path = write(tmp_path, "a.xml", f'<testsuite name="s">{cases}</testsuite>')
    env = {**clean_environ, "GITHUB_ACTIONS": "true"}
    assert report.main([str(path)], env) == 0
    warnings = [x for x in capsys.readouterr().out.splitlines() if x.startswith("::warning")]
    assert len(warnings) == 10
    assert warnings[-1] == "::warning::6 more warnings (see the summary or JSON)"


def test_report_exports_html_metrics_and_count_outputs(tmp_path, clean_environ) -> None:
    """The report's totals as the monitor's metrics (pass rate over time for CI runs too)."""
    from testgate.commands import report as report_command

    junit = tmp_path / "r.xml"
    junit.write_text(
        '<testsuite name="s" tests="3"><testcase classname="a" name="ok"/>'
        '<testcase classname="a" name="bad"><failure message="boom"/></testcase>'
        '<testcase classname="a" name="skip"><skipped/></testcase></testsuite>'
    )
    out = tmp_path / "out"
    env = dict(
        clean_environ,
        GITHUB_ACTIONS="true",
        GITHUB_OUTPUT=str(tmp_path / "gh-out"),
        TESTGATE_ENV="beta",
    )
    code = report_command.main(
        [
            str(junit),
            "--html",
            str(out / "r.html"),
            "--metrics-file",
            str(out / "m.prom"),
            "--service",
            "orders",
        ],
        env,
    )
    assert code == 1
    prom = (out / "m.prom").read_text()
    assert 'testgate_tests{environment="beta",outcome="failed",service="orders"} 1.0' in prom
    assert 'testgate_tests{environment="beta",outcome="skipped",service="orders"} 1.0' in prom
    assert "<html" in (out / "r.html").read_text().lower()
    outputs = (tmp_path / "gh-out").read_text()
    for line in (
        "decision=fail",
        "tests=3",
        "failed=1",
        "passed=1",
        "skipped=1",
        "errors=0",
        "flaky=0",
    ):
        assert f"{line}\n" in outputs


def test_report_metrics_push_failure_warns_but_keeps_the_decision(
    tmp_path, clean_environ, capsys
) -> None:
    from testgate.commands import report as report_command

    junit = tmp_path / "r.xml"
    junit.write_text(
        '<testsuite name="s" tests="1"><testcase classname="a" name="ok"/></testsuite>'
    )
    code = report_command.main(
        [str(junit), "--pushgateway-url", "http://user:s3cret-pw@127.0.0.1:9"], clean_environ
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "s3cret-pw" not in captured.out + captured.err
    assert "Pushgateway" in captured.err


def test_a_closed_stdout_ends_quietly_with_the_decisions_exit_code(tmp_path, clean_environ):
    """`testgate report ... | head -1` (issue 11): the reader goes away after one line; the
    decision is still made, its files written and its exit code returned, without a word."""
    import subprocess
    import sys

    path = write(tmp_path, "a.xml", many_failures(3000))  # far more than a pipe buffer
    out = tmp_path / "out.json"
    exe = Path(sys.executable).parent / "testgate"
    proc = subprocess.Popen(
        [str(exe), "report", str(path), "--json", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_environ,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # what head -1 does after its line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert first.startswith(b"testgate report: 1 file, 3000 tests")
    assert "BrokenPipe" not in err
    assert "internal error" not in err
    assert "Exception ignored" not in err
    assert json.loads(out.read_text())["decision"] == "fail"


def test_the_merged_junit_written_last_time_is_not_read_again(tmp_path, clean_environ):
    reports = tmp_path / "reports"
    write(reports, "api.xml", FAILING)
    merged = reports / "merged.xml"
    out = tmp_path / "r.json"
    argv = [str(reports), "--junit-out", str(merged), "--json", str(out)]
    assert report.main(argv, clean_environ) == 1
    assert report.main(argv, clean_environ) == 1  # merged.xml is in reports/ now
    assert json.loads(out.read_text())["totals"]["tests"] == 2
