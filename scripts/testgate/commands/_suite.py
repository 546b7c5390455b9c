"""Running a project's test suite for a command: pytest, or the project's own test command."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.errors import ConfigError
from testgate.settings import setting

if TYPE_CHECKING:
    from testgate.platforms import Platform


@dataclass(frozen=True)
class SuiteRun:
    """A suite that ran to a decision: passed, or the reasons it did not."""

    passed: bool
    reasons: tuple[str, ...] = ()


def command_cwd(tests: Sequence[Path] | Path | None, cwd: Path | None, root: Path) -> Path:
    """Where a test command runs: ``cwd`` if set, else the tests' (one) folder, else the root."""
    if cwd is not None:
        return cwd
    paths = [tests] if isinstance(tests, Path) else list(tests or ())
    if len(paths) == 1:
        return paths[0] if paths[0].is_dir() else paths[0].parent
    return root


def require_tests_or_command(
    tests: object, command: object, tests_setting: str, command_setting: str
) -> None:
    """Exit 2 when neither the tests nor a command to run them is set (named both ways)."""
    if tests or command:
        return
    raise ConfigError(
        f"{tests_setting} is required ({_common.how_to_set(tests_setting)})",
        hint=f"or run another test runner with {command_setting} "
        f"({_common.how_to_set(command_setting)}) and its JUnit report",
    )


def run_suite(
    *,
    platform: Platform,
    what: str,
    tests: Path | Sequence[Path] | None,
    command: Sequence[str] | None,
    cwd: Path,
    junit: Path,
    junit_setting: str,
    env: Mapping[str, str],
    placeholders: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    selection: Sequence[str] | None = None,
) -> SuiteRun:
    """Run the suite with pytest, or with ``command`` (any runner that writes JUnit).

    A command gets ``{python}``, ``{junit}`` and the ``placeholders`` replaced (the JUnit
    path also in the ``junit_setting``'s variable), runs in ``cwd``, and is judged by its report through the report engine: no report, an
    unreadable one or zero tests cannot decide (exit 3), a failed test fails.
    """
    from testgate import runner

    if command:
        values = {"python": sys.executable, "junit": str(junit.resolve()), **(placeholders or {})}
        argv = runner.expand_command(command, values)
        child = dict(env)
        child[setting(junit_setting).env or ""] = values["junit"]  # also as a variable
        run = runner.run_command(argv, junit, env=child, cwd=cwd, on_line=platform.info, what=what)
        platform.info(
            f"{what}: {run.totals.tests} tests, {run.totals.passed} passed, "
            f"{run.totals.failed} failed, {run.totals.errors} errors, "
            f"{run.totals.skipped} skipped (read from {junit})"
        )
        return SuiteRun(run.passed, run.problems)
    assert tests is not None
    paths = [tests] if isinstance(tests, Path) else list(tests)
    result = runner.run_pytest(
        paths[0] if len(paths) == 1 else paths,
        junit,
        env=env,
        extra_args=extra_args,
        on_line=platform.info,
        what=what,
        selection=selection,
    )
    return SuiteRun(result.passed, () if result.passed else ("pytest reported failed tests",))
