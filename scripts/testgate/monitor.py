"""Production monitoring: run the read-only smoke checks against an environment.

A *smoke check* is an API test marked ``@pytest.mark.smoke``: read-only, safe to
run against production on a schedule. :func:`run_smoke_checks` runs them with
pytest (with the :mod:`testgate.pytest_smoke` plugin, which refuses any request
that could change data), and :func:`read_checks` turns the JUnit file that the
run writes into one :class:`CheckResult` per check with its outcome and latency.

The library never prints and never reads ``os.environ``: the ``monitor`` command
passes the environment in and reports the :class:`MonitorRun` it gets back.
Its Markdown summary is :func:`testgate.render.markdown.render_monitor_md`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from testgate import runner
from testgate.errors import ReportError, ToolError
from testgate.junit import expand_paths, parse_reports, read_tests

SMOKE_MARKER = "smoke"
PYTEST_PLUGIN = "testgate.pytest_smoke"

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"


@dataclass(frozen=True)
class CheckResult:
    """One smoke check as the run saw it.

    Attributes:
        check: the check's id, ``"<classname>::<name>"`` (the report's test id).
        outcome: ``passed``, ``failed``, ``error`` or ``skipped``.
        duration: seconds the check's call took (pytest's ``call`` phase: its latency).
        message: the failure or error message, empty when it passed.
    """

    check: str
    outcome: str
    duration: float
    message: str = ""

    @property
    def success(self) -> bool:
        """True when the check passed (a skipped check is neither up nor down)."""
        return self.outcome == PASSED


@dataclass(frozen=True)
class MonitorRun:
    """The result of one monitor run against one environment.

    Attributes:
        environment: the environment name (``prod``, ``local``...).
        service: the service the checks watch (metric label).
        target_url: the base URL the checks ran against ("" when the tests pick it).
        checks: every check that ran, in report order.
        started_at: when the run started (UTC).
        elapsed: seconds the whole run took.
        junit: the JUnit file the run wrote.
        error: why the run could not decide (no checks, unreadable JUnit), else "".
    """

    environment: str
    service: str
    target_url: str
    checks: tuple[CheckResult, ...]
    started_at: datetime
    elapsed: float
    junit: Path | None = None
    error: str = ""
    totals: Mapping[str, int] = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        """False when the run could not tell whether the service works."""
        return not self.error and any(c.outcome != SKIPPED for c in self.checks)

    @property
    def failing(self) -> tuple[CheckResult, ...]:
        """The checks that failed or errored."""
        return tuple(c for c in self.checks if c.outcome in (FAILED, ERROR))

    @property
    def passed(self) -> bool:
        """True only when the run decided and no check failed (fails closed)."""
        return self.decided and not self.failing

    @property
    def state(self) -> str:
        """``pass`` or ``fail``: what alerts compare between runs (undecided is ``fail``)."""
        return "pass" if self.passed else "fail"


def count_outcomes(checks: Sequence[CheckResult]) -> dict[str, int]:
    """Totals in the report's shape: tests, passed, failed, errors, skipped."""
    totals = {"tests": len(checks), "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    key = {PASSED: "passed", FAILED: "failed", ERROR: "errors", SKIPPED: "skipped"}
    for check in checks:
        totals[key[check.outcome]] += 1
    return totals


def smoke_args(marker: str = SMOKE_MARKER, *, read_only: bool = True) -> list[str]:
    """The pytest arguments that make a run a monitor run (given to :func:`runner.run_pytest`)."""
    args = [
        "-m",
        marker,
        # The JUnit time of a check is then its call, not fixture setup: the latency.
        "-o",
        "junit_duration_report=call",
        "-p",
        PYTEST_PLUGIN,
    ]
    if read_only:
        args.append("--testgate-read-only")
    return args


def build_pytest_argv(
    tests: Sequence[str | Path],
    junit: Path,
    *,
    marker: str = SMOKE_MARKER,
    read_only: bool = True,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
) -> list[str]:
    """The pytest command line of a monitor run (the runner's, with :func:`smoke_args`).

    Args:
        tests: test files or folders holding the API tests.
        junit: where pytest writes its JUnit XML.
        marker: the marker expression that selects the smoke checks.
        read_only: load the guard that fails any request other than GET/HEAD/OPTIONS.
        extra_args: more pytest arguments (for example ``-x``).
        python: the interpreter that runs pytest.
    """
    args = [*smoke_args(marker, read_only=read_only), *extra_args]
    return runner.pytest_argv(tests, junit, extra_args=args, python=python)


def run_smoke_checks(
    tests: Sequence[str | Path],
    junit: Path,
    *,
    environment: str,
    service: str,
    target_url: str,
    environ: Mapping[str, str],
    cwd: Path,
    marker: str = SMOKE_MARKER,
    timeout: float = 600.0,
    extra_args: Sequence[str] = (),
) -> MonitorRun:
    """Run the smoke checks with pytest (:func:`testgate.runner.run_pytest`) and read them back.

    The tests see ``TESTGATE_TARGET_URL`` and ``TESTGATE_ENV`` in their
    environment, plus ``TESTGATE_READ_ONLY=true``.

    Args:
        tests: test files or folders holding the API tests.
        junit: where the JUnit XML goes (its folder is created).
        environment: the environment name.
        service: the service name (metric and alert label).
        target_url: the base URL of the environment ("" to let the tests decide).
        environ: the environment the tests run with.
        cwd: the folder pytest runs in (the project root).
        marker: the marker expression that selects the smoke checks.
        timeout: seconds before the whole run is stopped.
        extra_args: more pytest arguments.

    Returns:
        The run; ``error`` says why it could not decide, if it could not.

    Raises:
        ToolError: the tests are not there, or pytest could not be started. A run
            past ``timeout`` is stopped and returned as undecided (``error`` says
            so), which alerts like a failure.
    """
    for path in tests:
        if not Path(cwd, path).exists():
            raise ToolError(
                f"smoke checks not found: {path} does not exist",
                hint="point --tests (or TESTGATE_API_TESTS) at the API tests folder",
            )
    env = dict(environ)
    env.update(
        {
            "TESTGATE_ENV": environment,
            "TESTGATE_READ_ONLY": "true",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if target_url:
        env["TESTGATE_TARGET_URL"] = target_url
    started_at = datetime.now(UTC)
    start = time.monotonic()
    # check=False: a hanging service, no smoke checks or a crashed run are the
    # monitor's findings (an undecided run that alerts), not a tool error.
    result = runner.run_pytest(
        [Path(t) for t in tests],
        junit,
        env=env,
        extra_args=[*smoke_args(marker), *extra_args],
        cwd=cwd,
        timeout=timeout,
        check=False,
        what="smoke checks",
    )
    elapsed = time.monotonic() - start

    def run(checks: tuple[CheckResult, ...], error: str = "") -> MonitorRun:
        return MonitorRun(
            environment=environment,
            service=service,
            target_url=target_url,
            checks=checks,
            started_at=started_at,
            elapsed=elapsed,
            junit=junit if junit.is_file() else None,
            error=error,
            totals=count_outcomes(checks),
        )

    if result.timed_out:
        # A service that hangs is down as far as its users can tell: a failing run
        # (alerts, metrics), not a tool error. The runner stopped pytest.
        return run(
            (),
            f"the smoke checks ran past the {timeout:g} s timeout and were stopped "
            "(a hanging service, or raise --timeout / TESTGATE_TIMEOUT)",
        )
    if result.no_tests:
        return run(
            (),
            f"no smoke checks selected by -m {marker!r} in {', '.join(map(str, tests))}: "
            "mark the read-only API tests with @pytest.mark.smoke",
        )
    if not result.decided:
        tail = result.output_tail.strip().splitlines()[-5:]
        return run((), f"pytest exited {result.exit_code}: " + " | ".join(tail))
    try:
        checks = read_checks(junit)
    except ReportError as exc:
        return run((), str(exc))
    if not checks:
        return run((), f"{junit} holds no test cases")
    return run(checks)


def read_checks(junit: Path) -> tuple[CheckResult, ...]:
    """One :class:`CheckResult` per test case of a JUnit file, read by the report engine.

    The same hardened, streaming reader as ``testgate report`` (no DOCTYPE, no
    entities, no network), so a check counts exactly as the report would count it.

    Raises:
        ReportError: the file is missing or is not JUnit XML.
    """
    report = parse_reports(expand_paths([str(junit)]), keep_tests=True)
    try:
        error = next((f.error for f in report.files if f.error), None)
        if error:
            raise ReportError(
                f"cannot read the monitor's JUnit file {junit}: {error}",
                hint="the smoke-check run did not finish; see its log",
            )
        return tuple(
            CheckResult(t["id"], t["outcome"], float(t["time"]), (t["message"] or "").strip()[:500])
            for t in read_tests(report)
        )
    finally:
        if report.tests_file is not None:
            report.tests_file.unlink(missing_ok=True)
