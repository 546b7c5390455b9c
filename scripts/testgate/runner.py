"""Run a real test runner (pytest) as a child process and keep its JUnit report.

Consumer contract tests, API tests and the monitor's smoke checks are the user's
own pytest suites: testgate runs them in a fresh interpreter with one function,
:func:`run_pytest`, streams their output, and judges them by the JUnit file they
write and pytest's documented exit codes.
"""

from __future__ import annotations

import subprocess
import sys
import threading
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
    """The outcome of one pytest run.

    Attributes:
        exit_code: pytest's exit code (-9 or similar when it was stopped).
        junit: where the JUnit report was asked for (see ``junit_written``).
        output_tail: the last 40 lines of pytest's output.
        timed_out: the run passed its timeout and was stopped.
    """

    __test__ = False

    exit_code: int
    junit: Path
    output_tail: str
    timed_out: bool = False

    @property
    def passed(self) -> bool:
        """pytest said every selected test passed."""
        return self.exit_code == PYTEST_OK and not self.timed_out

    @property
    def no_tests(self) -> bool:
        """pytest selected no tests (exit code 5)."""
        return self.exit_code == PYTEST_NO_TESTS and not self.timed_out

    @property
    def decided(self) -> bool:
        """The tests ran to the end and wrote their JUnit report (passed or failed)."""
        return (
            not self.timed_out
            and self.exit_code in (PYTEST_OK, PYTEST_TESTS_FAILED)
            and self.junit.is_file()
        )


def pytest_argv(
    tests: Sequence[str | Path],
    junit: Path,
    *,
    extra_args: Sequence[str] = (),
    python: str | None = None,
) -> list[str]:
    """The pytest command line every testgate run uses.

    The caller's arguments come right after the tests; the JUnit options come
    last so that nothing can move or reshape the report testgate judges.
    """
    return [
        python or sys.executable,
        "-m",
        "pytest",
        *(str(t) for t in tests),
        *extra_args,
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit2",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rfE",
    ]


def run_pytest(
    tests: Path | Sequence[Path | str],
    junit: Path,
    *,
    env: Mapping[str, str],
    extra_args: Sequence[str] = (),
    on_line: Callable[[str], None] | None = None,
    python: str | None = None,
    what: str = "tests",
    selection: Sequence[str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> TestRun:
    """Run pytest on ``tests`` writing JUnit XML to ``junit``.

    Args:
        tests: a test file or folder, or several (relative ones to ``cwd``).
        junit: where the JUnit report goes (its folder is created; an old one is removed).
        env: the complete environment of the child process.
        extra_args: more pytest arguments (``-m smoke``, ``-k ...``, ``-p plugin``).
        on_line: called with each line of pytest's output, as it comes.
        python: the interpreter (default: the one running testgate).
        what: how messages name these tests ("consumer contract tests").
        selection: run only these pytest node ids (one shard of the suite), not all of ``tests``.
        cwd: the folder pytest runs in (default: the current one).
        timeout: seconds before pytest is stopped (killed); None waits as long as it takes.
        check: True: anything but a run that passed or failed is an error (below).
            False: every run that started is returned for the caller to judge
            (``no_tests``, ``timed_out``, ``decided``), as the monitor does.

    Returns:
        The run; with ``check``, ``exit_code`` is 0 (passed) or 1 (tests failed).

    Raises:
        ConfigError: a path in ``tests`` does not exist.
        ToolError: pytest could not start; with ``check`` also: it collected no
            tests, stopped with another exit code, ran past ``timeout``, or wrote
            no report.
    """
    paths = [Path(tests)] if isinstance(tests, str | Path) else [Path(t) for t in tests]
    for path in paths:
        if not (Path(cwd) / path if cwd else path).exists():
            raise ConfigError(
                f"{what}: {path} does not exist",
                hint="point the setting at your test folder (see testgate.toml or --tests)",
            )
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)  # never judge a run by the report of an earlier one
    targets = selection if selection is not None else paths
    argv = pytest_argv(targets, junit, extra_args=extra_args, python=python)
    tail: deque[str] = deque(maxlen=40)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise ToolError(f"{what}: could not start pytest ({argv[0]}): {exc}") from exc

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail.append(line)
            if on_line:
                on_line(line)

    # The output is read on a thread so that the timeout holds even while pytest
    # (or a child it left behind, holding the pipe) prints nothing.
    reader = threading.Thread(target=pump, name="pytest-output", daemon=True)
    reader.start()
    timed_out = False
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        code = proc.wait()
    finally:
        reader.join(timeout=_GRACE_SECONDS if timed_out else None)
    run = TestRun(exit_code=code, junit=junit, output_tail="\n".join(tail), timed_out=timed_out)
    if check:
        _check(run, what, paths, timeout)
    return run


_GRACE_SECONDS = 5.0
"""After a timeout, how long the output of what pytest left behind is still read."""


def _check(run: TestRun, what: str, paths: Sequence[Path], timeout: float | None) -> None:
    where = ", ".join(map(str, paths))
    if run.timed_out:
        raise ToolError(
            f"{what}: pytest ran past the {timeout:g} s timeout and was stopped\n{run.output_tail}",
            hint="a test waits on something that never answers, or the timeout is too short",
        )
    if run.no_tests:
        raise ToolError(
            f"{what}: pytest collected no tests in {where}",
            hint="a gate never passes on zero tests: check the path and the test names",
        )
    if run.exit_code not in (PYTEST_OK, PYTEST_TESTS_FAILED):
        raise ToolError(
            f"{what}: pytest stopped with exit code {run.exit_code} before deciding\n"
            f"{run.output_tail}",
            hint="fix the error above (an import error, a broken conftest, a bad option)",
        )
    if not run.junit.is_file():
        raise ToolError(f"{what}: pytest wrote no JUnit report at {run.junit}")


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
