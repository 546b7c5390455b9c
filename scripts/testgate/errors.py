"""Exit codes and the exceptions that carry them.

Every command returns one of these codes; the CI templates rely on them.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The documented exit codes of every ``testgate`` command."""

    OK = 0
    """Passed, or the gate failed under an explicit dry run (the report still says FAIL)."""
    GATE_FAILED = 1
    """Tests, verification or can-i-deploy said no."""
    USAGE = 2
    """Usage or configuration error: the message names the input or variable and the fix."""
    UNDECIDED = 3
    """Could not decide: unreadable report, broker unreachable, tool missing."""


class TestgateError(Exception):
    """Base of every error a user can cause or meet; never shown as a traceback."""

    __test__ = False  # not a pytest test class despite the name
    exit_code: ExitCode = ExitCode.UNDECIDED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  fix: {self.hint}"
        return self.message


class ConfigError(TestgateError):
    """A missing or invalid setting, flag or input (exit 2)."""

    exit_code = ExitCode.USAGE


class ToolError(TestgateError):
    """A tool, service or server that testgate needs did not work (exit 3)."""

    exit_code = ExitCode.UNDECIDED


class ReportError(TestgateError):
    """A report that cannot be read or trusted (exit 3)."""

    exit_code = ExitCode.UNDECIDED
