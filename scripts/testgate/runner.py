"""Run a real test runner as a child process and keep its JUnit report.

Consumer contract tests, API tests and the monitor's smoke checks are the user's
own suites. A pytest suite runs in a fresh interpreter through :func:`run_pytest`
(judged by the JUnit file it writes and pytest's documented exit codes; every run
loads :mod:`testgate.pytest_smoke`, so the ``smoke`` and ``writes`` markers are
known). Any other runner (``node --test``, ``go test``, ``mvn test`` ...) runs
through :func:`run_command`: the command writes JUnit where testgate tells it, and
the report engine reads it back with the same rules as ``testgate report`` (no
report or zero tests never passes).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.errors import ConfigError, ToolError

if TYPE_CHECKING:
    from testgate.model import Totals

# Loaded into every pytest run testgate starts: registers the smoke and writes markers.
PYTEST_PLUGIN = "testgate.pytest_smoke"

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
    last so that nothing can move or reshape the report testgate judges. testgate's
    plugin (:data:`PYTEST_PLUGIN`: the ``smoke`` and ``writes`` markers) is loaded
    first, when pytest runs in testgate's own interpreter (another one may not have
    testgate installed).
    """
    plugin = ["-p", PYTEST_PLUGIN] if python in (None, sys.executable) else []
    return [
        python or sys.executable,
        "-m",
        "pytest",
        *(str(t) for t in tests),
        *plugin,
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
    code, output_tail, timed_out = _stream(
        argv, env=env, cwd=cwd, on_line=on_line, timeout=timeout, what=what, tool="pytest"
    )
    run = TestRun(exit_code=code, junit=junit, output_tail=output_tail, timed_out=timed_out)
    if check:
        _check(run, what, paths, timeout)
    return run


def _stream(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None,
    on_line: Callable[[str], None] | None,
    timeout: float | None,
    what: str,
    tool: str,
) -> tuple[int, str, bool]:
    """Run ``argv``, hand each output line to ``on_line``; (exit code, last 40 lines, timed out)."""
    tail: deque[str] = deque(maxlen=40)
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise ToolError(
            f"{what}: could not start {tool} ({argv[0]}): {exc}",
            hint="check the command is installed and on PATH" if tool != "pytest" else None,
        ) from exc

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail.append(line)
            if on_line:
                on_line(line)

    # The output is read on a thread so that the timeout holds even while the runner
    # (or a child it left behind, holding the pipe) prints nothing.
    reader = threading.Thread(target=pump, name="runner-output", daemon=True)
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
    return code, "\n".join(tail), timed_out


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


# -- any other test runner ------------------------------------------------------------------


@dataclass(frozen=True)
class CommandRun:
    """The outcome of a test command that is not pytest, judged by the JUnit report it wrote.

    Attributes:
        exit_code: the command's exit code.
        junit: the JUnit report it wrote (read with testgate's report engine).
        totals: what the report counts.
        output_tail: the last 40 lines of its output.
        problems: why the run did not pass, one line each (empty when it passed).
    """

    exit_code: int
    junit: Path
    totals: Totals
    output_tail: str
    problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """The command exited 0 and its report counts tests and no failure."""
        return not self.problems


def expand_command(argv: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """Replace the ``{name}`` placeholders of a command (``{python}``, ``{junit}``,
    ``{pact-dir}``) with their values; other braces are left alone."""
    out = []
    for part in argv:
        for name, value in values.items():
            part = part.replace("{" + name + "}", value)
        out.append(part)
    return out


def run_command(
    argv: Sequence[str],
    junit: Path,
    *,
    env: Mapping[str, str],
    cwd: Path,
    on_line: Callable[[str], None] | None = None,
    what: str = "tests",
    timeout: float | None = None,
) -> CommandRun:
    """Run a test command of any runner that writes a JUnit report to ``junit``.

    The report's folder is created first (node's JUnit reporter does not create it) and an
    earlier report is removed, so a run is never judged by another's. The report is read with
    the report engine (JUnit and the other formats ``testgate report`` reads).

    Raises:
        ConfigError: ``cwd`` does not exist, or the command is empty.
        ToolError: the command could not start, ran past ``timeout``, wrote no report or an
            unreadable one, or its report counts no test (a gate never passes on zero tests).
    """
    if not argv:
        raise ConfigError(f"{what}: the command is empty")
    if not cwd.is_dir():
        raise ConfigError(
            f"{what}: the folder to run in, {cwd}, does not exist",
            hint="point the tests (or cwd) setting at the folder the command runs in",
        )
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)  # never judge a run by the report of an earlier one
    code, tail, timed_out = _stream(
        argv, env=env, cwd=cwd, on_line=on_line, timeout=timeout, what=what, tool=argv[0]
    )
    shown = " ".join(argv)
    if timed_out:
        raise ToolError(
            f"{what}: `{shown}` ran past the {timeout:g} s timeout and was stopped\n{tail}",
            hint="a test waits on something that never answers, or the timeout is too short",
        )
    if not junit.is_file():
        raise ToolError(
            f"{what}: `{shown}` exited {code} and wrote no JUnit report at {junit}\n{tail}",
            hint="the command must write JUnit XML where testgate says: put {junit} in the "
            "command (node: --test-reporter=junit --test-reporter-destination={junit})",
        )
    from testgate.readers import expand_paths, parse_reports  # only after a run: not for --help

    report = parse_reports(expand_paths([str(junit)]))
    for bad in report.file_errors:
        raise ToolError(
            f"{what}: the report `{shown}` wrote at {junit} cannot be read: {bad.error}",
            hint="write JUnit XML (or another format testgate report reads) to {junit}",
        )
    totals = report.totals
    if totals.tests == 0:
        raise ToolError(
            f"{what}: `{shown}` exited {code} and its report {junit} counts no tests",
            hint="a gate never passes on zero tests: check the command selects your tests",
        )
    problems = []
    if totals.failed or totals.errors or report.suite_errors:
        problems.append(
            f"{totals.failed} failed and {totals.errors} errors of {totals.tests} tests"
            + (f", {len(report.suite_errors)} suite-level errors" if report.suite_errors else "")
        )
    if totals.skipped == totals.tests:
        problems.append(f"all {totals.tests} tests were skipped")
    if code != 0:
        problems.append(
            f"`{shown}` exited {code}"
            + ("" if problems else " (a failure the report does not show: see its output)")
        )
    return CommandRun(code, junit, totals, tail, tuple(problems))
