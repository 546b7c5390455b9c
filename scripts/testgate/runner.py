"""Run a real test runner (pytest) as a child process and keep its JUnit report.

Consumer contract tests and API tests are the user's own pytest suites: testgate
runs them in a fresh interpreter, streams their output, and judges them by the
JUnit file they write and pytest's documented exit codes.
"""

from __future__ import annotations

import subprocess
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from testgate.errors import ConfigError, ToolError

# pytest's documented exit codes (pytest.ExitCode)
PYTEST_OK = 0
PYTEST_TESTS_FAILED = 1
PYTEST_NO_TESTS = 5


@dataclass(frozen=True)
class TestRun:
    """The outcome of one pytest run."""

    __test__ = False

    exit_code: int
    junit: Path
    output_tail: str

    @property
    def passed(self) -> bool:
        return self.exit_code == PYTEST_OK


def run_pytest(
    tests: Path,
    junit: Path,
    *,
    env: Mapping[str, str],
    extra_args: Sequence[str] = (),
    on_line: Callable[[str], None] | None = None,
    python: str | None = None,
    what: str = "tests",
    selection: Sequence[str] | None = None,
) -> TestRun:
    """Run pytest on ``tests`` writing JUnit XML to ``junit``.

    Args:
        tests: a test file or folder.
        junit: where the JUnit report goes (its folder is created).
        env: the complete environment of the child process.
        extra_args: more pytest arguments (``-m smoke``, ``-k ...``).
        on_line: called with each line of pytest's output, as it comes.
        python: the interpreter (default: the one running testgate).
        what: how messages name these tests ("consumer contract tests").
        selection: run only these pytest node ids (one shard of the suite), not all of ``tests``.

    Returns:
        The run; ``exit_code`` 0 (passed) or 1 (tests failed).

    Raises:
        ConfigError: ``tests`` does not exist.
        ToolError: pytest collected no tests, could not run, or wrote no report.
    """
    if not tests.exists():
        raise ConfigError(
            f"{what}: {tests} does not exist",
            hint="point the setting at your test folder (see testgate.toml or --tests)",
        )
    junit.parent.mkdir(parents=True, exist_ok=True)
    if junit.exists():
        junit.unlink()  # never judge a run by the report of an earlier one
    argv = [
        python or sys.executable,
        "-m",
        "pytest",
        *(selection if selection is not None else [str(tests)]),
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit2",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rfE",
        *extra_args,
    ]
    tail: deque[str] = deque(maxlen=40)
    try:
        proc = subprocess.Popen(
            argv,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise ToolError(f"{what}: could not start pytest: {exc}") from exc
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip("\n")
        tail.append(line)
        if on_line:
            on_line(line)
    code = proc.wait()
    tail_text = "\n".join(tail)
    if code == PYTEST_NO_TESTS:
        raise ToolError(
            f"{what}: pytest collected no tests in {tests}",
            hint="a gate never passes on zero tests: check the path and the test names",
        )
    if code not in (PYTEST_OK, PYTEST_TESTS_FAILED):
        raise ToolError(
            f"{what}: pytest stopped with exit code {code} before deciding\n{tail_text}",
            hint="fix the error above (an import error, a broken conftest, a bad option)",
        )
    if not junit.is_file():
        raise ToolError(f"{what}: pytest wrote no JUnit report at {junit}")
    return TestRun(exit_code=code, junit=junit, output_tail=tail_text)


def collect_tests(
    tests: Path,
    *,
    env: Mapping[str, str],
    extra_args: Sequence[str] = (),
    python: str | None = None,
    what: str = "tests",
) -> list[str]:
    """The pytest node ids under ``tests`` (``pytest --collect-only -q``), in run order.

    Raises:
        ConfigError: ``tests`` does not exist.
        ToolError: collection failed or found nothing.
    """
    if not tests.exists():
        raise ConfigError(f"{what}: {tests} does not exist")
    argv = [
        python or sys.executable,
        "-m",
        "pytest",
        str(tests),
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        *extra_args,
    ]
    proc = subprocess.run(argv, env=dict(env), capture_output=True, text=True, check=False)
    ids = [
        line.strip()
        for line in proc.stdout.splitlines()
        if "::" in line and " " not in line.strip()
    ]
    if proc.returncode == PYTEST_NO_TESTS or (proc.returncode == PYTEST_OK and not ids):
        raise ToolError(f"{what}: pytest collected no tests in {tests}")
    if proc.returncode != PYTEST_OK:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise ToolError(
            f"{what}: collecting the tests failed (pytest exit {proc.returncode})\n{tail}"
        )
    return ids
