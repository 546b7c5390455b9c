"""Hostile test names and failure texts reach the job log through ``testgate report``.

The fixture ``tests/fixtures/untrusted/workflow-commands.xml`` holds names and messages with a
newline (or CR) followed by ``::add-mask::``, ``::stop-commands::``, ``::set-output``,
``::error title=...``, the older ``##[...]`` form, GitLab section markers and a CR that
redraws FAILED as PASSED. On every platform the log must carry no command, no section and no
raw CR from them, and testgate's own annotations must still reach GitHub.
"""

from __future__ import annotations

from pathlib import Path

import ci_logs
import pytest
from testgate.commands import report

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "untrusted" / "workflow-commands.xml"
PLATFORM_ENV = {
    "github": {"GITHUB_ACTIONS": "true"},
    "gitlab": {"GITLAB_CI": "true", "CI_JOB_NAME": "report"},
    "jenkins": {"JENKINS_URL": "http://jenkins.example"},
    "local": {},
}
FAILURES = 6  # failing test cases in the fixture


def _run(name: str, tmp_path: Path, environ: dict[str, str], capfd) -> str:
    env = {**environ, **PLATFORM_ENV[name]}
    if name == "github":
        env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
        env["GITHUB_OUTPUT"] = str(tmp_path / "output")
    assert report.main([str(FIXTURE)], env) == 1
    captured = capfd.readouterr()
    return captured.out + captured.err


def test_the_fixture_really_carries_the_attacks():
    """Printed without fences, the fixture's text would run commands (what the issue found)."""
    text = FIXTURE.read_text(encoding="utf-8").replace("&#10;", "\n").replace("&#13;", "\r")
    executed = {c.name for c in ci_logs.github_runner(text).executed}
    assert {"add-mask", "stop-commands"} <= executed  # ... which pauses all the others
    unpaused = text.replace("::stop-commands::", "")
    executed = {c.name for c in ci_logs.github_runner(unpaused).executed}
    assert {"add-mask", "set-output", "error"} <= executed


def test_github_log_runs_only_testgates_own_commands(tmp_path, clean_environ, capfd):
    log = _run("github", tmp_path, clean_environ, capfd)
    run = ci_logs.github_runner(log)
    assert not run.stopped_at_end
    names = [c.name for c in run.executed]
    assert set(names) <= {"stop-commands", "resume", "error", "warning"}, names
    assert names.count("stop-commands") == names.count("resume") >= 1
    errors = [c for c in run.executed if c.name == "error"]
    # one annotation per failing test and one for the decision, all testgate's
    assert len(errors) == FAILURES + 1
    assert all(not c.properties.get("title") for c in errors)
    assert all(c.data.startswith("failed: tests.hostile::") for c in errors[:-1])
    assert errors[-1].data.startswith("gate failed: 6 failing tests")
    for c in ci_logs.act_runner(log):
        assert ci_logs.act_own_command(c.name), c
    # the person reading the log still sees the names, control characters spelled out
    assert "::add-mask::x" in log
    assert "redraw FAILED\\rPASSED" in log


@pytest.mark.parametrize("name", ["gitlab", "jenkins", "local"])
def test_other_logs_open_no_section_and_redraw_nothing(name, tmp_path, clean_environ, capfd):
    log = _run(name, tmp_path, clean_environ, capfd)
    assert ci_logs.gitlab_sections(log) == []
    assert ci_logs.raw_controls(log) == []
    shown = ci_logs.gitlab_visible_lines(log)
    assert any("redraw FAILED\\rPASSED" in line for line in shown)


def test_shard_never_prints_an_id_that_could_steer_the_log(tmp_path, capsys) -> None:
    """``testgate shard`` prints test ids raw (for ``pytest $(...)``): one holding a workflow
    command or a control character is left out, with a warning, never printed."""
    from testgate.commands import shard as shard_command

    ids = tmp_path / "tests.txt"
    ids.write_text(
        "tests/test_a.py::test_ok\n::add-mask::secret\n  ##[set-output name=x]y\n"
        "tests/test_b.py::test_\x1b[2Kredrawn\n",
        encoding="utf-8",
    )
    code = shard_command.main(
        ["--shards", "1", "--shard-index", "1", "--tests-from", str(ids)],
        {"PATH": "/usr/bin", "TESTGATE_PLATFORM": "local"},
    )
    out = capsys.readouterr()
    assert code == 0
    assert out.out == "tests/test_a.py::test_ok\n"
    assert "test id(s) left out" in out.err
