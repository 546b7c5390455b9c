"""``testgate ci report`` counts only this run's reports (issue 12, item 8).

A report job's workspace on GitLab is a checkout plus the earlier jobs' artifacts: a report file
the repository holds unchanged is a leftover, never a result of this run. These tests run the
real ``git`` on a scratch repository; the GitLab example (tests/templates/test_gitlab_run.py)
checks the same through the template.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from testgate.commands import ci

pytestmark = pytest.mark.skipif(not shutil.which("git"), reason="needs git")

FRESH = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="api" tests="2">
<testcase classname="tests.test_api" name="test_ok" time="0.5"/>
<testcase classname="tests.test_api" name="test_also_ok" time="0.5"/>
</testsuite>"""

STALE = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="old" tests="3">
<testcase classname="tests.test_old" name="test_a"/>
<testcase classname="tests.test_old" name="test_b"/>
<testcase classname="tests.test_old" name="test_c"/>
</testsuite>"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def checkout(tmp_path: Path, clean_environ: dict[str, str], monkeypatch) -> Path:
    """A GitLab report job's workspace: a checkout with a committed reports/old.xml."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "old.xml").write_text(STALE, encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "a committed report")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def env(checkout: Path, clean_environ: dict[str, str]) -> dict[str, str]:
    return {
        **clean_environ,
        "GITLAB_CI": "true",
        "CI_COMMIT_SHA": "0123456789abcdef0123456789abcdef01234567",
        "CI_COMMIT_BRANCH": "main",
        "CI_JOB_NAME": "pact-test-report",
        "TESTGATE_REPORTS_DIR": str(checkout / "reports"),
        "TESTGATE_HISTORY": "false",
    }


def report(checkout: Path) -> dict:
    return json.loads((checkout / "reports" / "testgate-report.json").read_text("utf-8"))


def test_a_committed_report_is_not_counted_and_is_named(checkout, env, capsys):
    (checkout / "reports" / "api.xml").write_text(FRESH, encoding="utf-8")  # an artifact
    assert ci.main(["report"], env) == 0
    doc = report(checkout)
    assert doc["totals"]["tests"] == 2, "only the artifact of this run"
    assert [Path(f["path"]).name for f in doc["files"]] == ["api.xml"]
    out = capsys.readouterr()
    assert "old.xml is committed to the repository, unchanged" in out.out + out.err


def test_the_same_file_written_by_this_run_is_counted(checkout, env):
    """A committed placeholder that a test job overwrote is this run's result."""
    (checkout / "reports" / "old.xml").write_text(FRESH, encoding="utf-8")
    assert ci.main(["report"], env) == 0
    assert report(checkout)["totals"]["tests"] == 2


def test_a_glob_is_filtered_the_same_way(checkout, env):
    (checkout / "reports" / "api.xml").write_text(FRESH, encoding="utf-8")
    assert ci.main(["report", "reports/*.xml"], env) == 0
    assert [Path(f["path"]).name for f in report(checkout)["files"]] == ["api.xml"]


def test_only_committed_reports_is_undecided_naming_them(checkout, env, capsys):
    assert ci.main(["report"], env) == 3
    err = capsys.readouterr()
    text = err.out + err.err
    assert "no report of this run" in text
    assert "old.xml" in text


def test_outside_a_checkout_nothing_is_left_out(tmp_path, clean_environ, monkeypatch):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "old.xml").write_text(STALE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env = {**clean_environ, "TESTGATE_HISTORY": "false"}
    assert ci.main(["report", "--platform", "local"], env) == 0
    assert report(tmp_path)["totals"]["tests"] == 3
