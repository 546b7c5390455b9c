"""``testgate api-tests``: the markers the README recommends, and any test runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from testgate.commands import api_tests

MARKED = """
import os
import pytest


@pytest.mark.smoke
def test_reads():
    assert os.environ["SERVICE_URL"] == "http://127.0.0.1:9"


@pytest.mark.writes
def test_writes():
    assert True
"""

# Not pytest: a runner of its own that reads the service URL and writes JUnit to argv[1].
RUNNER = r"""
import os, sys
from pathlib import Path

url = os.environ["SERVICE_URL"]
ok = url == "http://127.0.0.1:9"
failure = "" if ok else "<failure message='wrong url'/>"
Path(sys.argv[1]).write_text(
    "<testsuites><testsuite name='api'>"
    f"<testcase classname='api' name='health'>{failure}</testcase>"
    "<testcase classname='api' name='list'/>"
    "</testsuite></testsuites>"
)
sys.exit(0 if ok else 1)
"""


@pytest.fixture
def env(clean_environ: dict[str, str]) -> dict[str, str]:
    environ = {k: v for k, v in clean_environ.items() if k != "TESTGATE_REPORTS_DIR"}
    return dict(environ, TESTGATE_PLATFORM="local", PYTEST_ADDOPTS="-p no:hypothesispytest")


def test_smoke_and_writes_marks_do_not_warn_under_api_tests(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    """Issue 12 point 10: the README's @pytest.mark.smoke, in a project that registers nothing."""
    tests = tmp_path / "tests" / "api"
    tests.mkdir(parents=True)
    (tests / "test_api.py").write_text(MARKED)
    (tmp_path / "testgate.toml").write_text(
        '[api-tests]\ntests = "tests/api"\nurl-variable = "SERVICE_URL"\n'
    )
    monkeypatch.chdir(tmp_path)
    code = api_tests.main(["--target-url", "http://127.0.0.1:9"], env)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 passed" in out
    assert "PytestUnknownMarkWarning" not in out
    assert "Unknown pytest.mark" not in out


def test_strict_markers_projects_need_not_declare_them(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    tests = tmp_path / "tests" / "api"
    tests.mkdir(parents=True)
    (tests / "test_api.py").write_text(MARKED)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    (tmp_path / "testgate.toml").write_text(
        '[api-tests]\ntests = "tests/api"\nurl-variable = "SERVICE_URL"\n'
    )
    monkeypatch.chdir(tmp_path)
    code = api_tests.main(["--target-url", "http://127.0.0.1:9", "-m", "smoke"], env)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 passed, 1 deselected" in out


def write_command_project(root: Path) -> Path:
    tests = root / "api-tests"
    tests.mkdir(parents=True)
    (tests / "run.py").write_text(RUNNER)
    (root / "testgate.toml").write_text(
        "[api-tests]\n"
        'command = ["{python}", "run.py", "{junit}"]\n'
        'cwd = "api-tests"\n'
        'junit = "build/reports/api.xml"\n'
        'url-variable = "SERVICE_URL"\n'
    )
    return root


def test_an_api_tests_command_gets_the_url_and_is_judged_by_its_junit(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = write_command_project(tmp_path / "svc")
    monkeypatch.chdir(root)
    code = api_tests.main(["--target-url", "http://127.0.0.1:9"], env)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 tests, 2 passed, 0 failed" in out
    assert (root / "build" / "reports" / "api.xml").is_file()  # its folder made for it


def test_an_api_tests_command_with_a_failing_test_is_exit_1(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = write_command_project(tmp_path / "svc")
    monkeypatch.chdir(root)
    code = api_tests.main(["--target-url", "http://127.0.0.1:8"], env)
    assert code == 1, capsys.readouterr()


def test_a_marker_with_a_command_is_a_usage_error(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = write_command_project(tmp_path / "svc")
    monkeypatch.chdir(root)
    code = api_tests.main(["--target-url", "http://127.0.0.1:9", "-m", "smoke"], env)
    assert code == 2
    assert "api-tests-command runs another runner" in capsys.readouterr().err
