"""testgate.runner: the one pytest runner (consumer, API tests and the monitor), with real pytest."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from testgate import monitor, runner
from testgate.errors import ConfigError, ToolError

PASSING = "def test_one():\n    assert True\n\ndef test_two():\n    assert True\n"
FAILING = "def test_bad():\n    assert 1 == 2, 'one is not two'\n"
NOTHING = "def helper():\n    pass\n"
HANGING = "import time\n\ndef test_hangs():\n    time.sleep(60)\n"
LEAVES_A_CHILD = (
    "import subprocess, sys, time\n\n"
    "def test_leaves_a_child_holding_the_pipe():\n"
    "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
    "    time.sleep(60)\n"
)


@pytest.fixture
def env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
    return {
        **{k: os.environ[k] for k in keep if k in os.environ},
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def project(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def test_a_passing_run_streams_its_output_and_writes_junit(tmp_path, env) -> None:
    tests = project(tmp_path, test_ok=PASSING)
    stale = tmp_path / "out" / "junit.xml"
    stale.parent.mkdir()
    stale.write_text("<stale/>")
    lines: list[str] = []
    run = runner.run_pytest(tests, stale, env=env, on_line=lines.append)
    assert (run.exit_code, run.passed, run.decided, run.timed_out) == (0, True, True, False)
    assert "<stale/>" not in stale.read_text()  # the earlier run's report is never judged
    assert 'tests="2"' in stale.read_text()
    assert any("2 passed" in line for line in lines)
    assert "2 passed" in run.output_tail


def test_a_failing_run_is_exit_1_not_an_error(tmp_path, env) -> None:
    tests = project(tmp_path, test_bad=FAILING)
    run = runner.run_pytest(tests, tmp_path / "j.xml", env=env)
    assert (run.exit_code, run.passed, run.decided) == (1, False, True)
    assert "one is not two" in (tmp_path / "j.xml").read_text()


def test_several_paths_relative_to_cwd_with_extra_args(tmp_path, env) -> None:
    project(tmp_path, test_ok=PASSING, test_bad=FAILING)
    run = runner.run_pytest(
        [Path("suite/test_ok.py"), "suite/test_bad.py"],
        tmp_path / "j.xml",
        env=env,
        cwd=tmp_path,
        extra_args=["-k", "one or bad"],
    )
    assert run.exit_code == 1
    junit = (tmp_path / "j.xml").read_text()
    assert 'name="test_one"' in junit
    assert 'name="test_bad"' in junit
    assert 'name="test_two"' not in junit


def test_zero_tests_is_an_error_unless_the_caller_judges_it(tmp_path, env) -> None:
    tests = project(tmp_path, test_nothing=NOTHING)
    with pytest.raises(ToolError, match="collected no tests"):
        runner.run_pytest(tests, tmp_path / "j.xml", env=env, what="API tests")
    run = runner.run_pytest(tests, tmp_path / "j.xml", env=env, check=False)
    assert (run.no_tests, run.passed, run.decided) == (True, False, False)


def test_a_usage_error_of_pytest_is_an_error_unless_the_caller_judges_it(tmp_path, env) -> None:
    tests = project(tmp_path, test_ok=PASSING)
    with pytest.raises(ToolError, match="exit code 4 before deciding"):
        runner.run_pytest(tests, tmp_path / "j.xml", env=env, extra_args=["--no-such-option"])
    run = runner.run_pytest(
        tests, tmp_path / "j.xml", env=env, extra_args=["--no-such-option"], check=False
    )
    assert (run.exit_code, run.decided) == (4, False)
    assert "--no-such-option" in run.output_tail


def test_a_run_past_its_timeout_is_stopped(tmp_path, env) -> None:
    tests = project(tmp_path, test_hang=HANGING)
    start = time.monotonic()
    run = runner.run_pytest(tests, tmp_path / "j.xml", env=env, timeout=2, check=False)
    assert time.monotonic() - start < 15
    assert (run.timed_out, run.passed, run.decided, run.no_tests) == (True, False, False, False)
    with pytest.raises(ToolError, match="ran past the 2 s timeout"):
        runner.run_pytest(tests, tmp_path / "j.xml", env=env, timeout=2)


def test_a_child_left_holding_the_output_pipe_does_not_stall_the_timeout(tmp_path, env) -> None:
    tests = project(tmp_path, test_child=LEAVES_A_CHILD)
    start = time.monotonic()
    run = runner.run_pytest(tests, tmp_path / "j.xml", env=env, timeout=2, check=False)
    assert run.timed_out
    assert time.monotonic() - start < 2 + runner._GRACE_SECONDS + 8


def test_missing_tests_are_a_usage_error(tmp_path, env) -> None:
    with pytest.raises(ConfigError, match="nope does not exist"):
        runner.run_pytest([tmp_path / "nope"], tmp_path / "j.xml", env=env)


def test_the_junit_options_come_last_so_nothing_can_reshape_the_report(tmp_path) -> None:
    argv = runner.pytest_argv(["t"], tmp_path / "j.xml", extra_args=["-o", "junit_family=xunit1"])
    assert argv[:4] == [sys.executable, "-m", "pytest", "t"]
    assert argv.index("junit_family=xunit2") > argv.index("junit_family=xunit1")
    assert argv[-6:-4] == ["-o", "junit_family=xunit2"]


def test_the_monitor_runs_through_the_same_runner(tmp_path, env, monkeypatch) -> None:
    calls = []

    def fake(tests, junit, **kwargs):
        calls.append((tests, kwargs))
        return runner.TestRun(exit_code=5, junit=junit, output_tail="")

    monkeypatch.setattr(runner, "run_pytest", fake)
    (tmp_path / "tests").mkdir()
    run = monitor.run_smoke_checks(
        ["tests"],
        tmp_path / "m.xml",
        environment="prod",
        service="svc",
        target_url="https://svc.example",
        environ=env,
        cwd=tmp_path,
        timeout=7,
    )
    [(tests, kwargs)] = calls
    assert tests == [Path("tests")]
    assert (kwargs["cwd"], kwargs["timeout"], kwargs["check"]) == (tmp_path, 7, False)
    assert kwargs["extra_args"][:2] == ["-m", "smoke"]
    assert "--testgate-read-only" in kwargs["extra_args"]
    assert kwargs["env"]["TESTGATE_TARGET_URL"] == "https://svc.example"
    assert not run.decided
    assert "no smoke checks selected" in run.error
