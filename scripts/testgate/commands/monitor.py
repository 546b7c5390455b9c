"""``testgate monitor``: scheduled, read-only smoke checks against an environment.

Runs the API tests marked ``@pytest.mark.smoke`` against the environment,
writes the per-check results and latencies as an OpenMetrics file (and pushes
them to a Pushgateway when one is set), and alerts a webhook when the state
changes (failing, or recovered). Alert or push trouble is reported, but the
exit code always says what the checks said.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from testgate import alerts, metrics, monitor
from testgate.commands import api_tests
from testgate.commands._common import make_parser, project, reports_dir, run
from testgate.config import ProjectConfig, resolve
from testgate.errors import ConfigError, ExitCode, ToolError
from testgate.platforms import Platform
from testgate.platforms.context import ci_context
from testgate.render.markdown import render_monitor_md

HELP = "run the read-only smoke checks against an environment: metrics and alerts"

EXAMPLES = """\
  testgate monitor --env prod
  testgate monitor --env prod --pushgateway-url http://pushgateway:9091
  TESTGATE_ALERT_WEBHOOK_URL=https://hooks.slack.com/services/... testgate monitor --env prod
  testgate monitor --env local                     # starts the example provider itself
  testgate monitor --env gamma --target-url https://green.inventory.gamma.example.com
"""

DEFAULT_TESTS = "tests/api"


def build_parser() -> argparse.ArgumentParser:
    """The ``monitor`` command's options."""
    parser = make_parser(
        "monitor",
        "Run the API tests marked as smoke checks (@pytest.mark.smoke, read-only) against an "
        "environment; export per-check result and latency as metrics; alert on state change.",
        EXAMPLES,
    )
    api_tests.add_environment_options(parser)
    parser.add_argument(
        "--tests",
        metavar="PATH",
        help="API tests (env TESTGATE_API_TESTS; testgate.toml [api-tests] tests)",
    )
    parser.add_argument(
        "--target-url",
        metavar="URL",
        help="check this URL instead of the environment's (env TESTGATE_TARGET_URL)",
    )
    parser.add_argument(
        "--service",
        metavar="NAME",
        help="service label of metrics and alerts (env TESTGATE_SERVICE)",
    )
    parser.add_argument(
        "--marker",
        metavar="EXPR",
        help="pytest marker expression of the smoke checks (env TESTGATE_MARKER, default smoke)",
    )
    parser.add_argument(
        "--junit", metavar="FILE", help="JUnit XML of the run (default REPORTS_DIR/monitor.xml)"
    )
    parser.add_argument(
        "--metrics-file",
        metavar="FILE",
        help="OpenMetrics text file (env TESTGATE_METRICS_FILE, default REPORTS_DIR/metrics.prom)",
    )
    parser.add_argument(
        "--pushgateway-url",
        "--pushgateway",
        dest="pushgateway_url",
        metavar="URL",
        help="push the metrics to this Prometheus Pushgateway (env TESTGATE_PUSHGATEWAY_URL)",
    )
    parser.add_argument(
        "--alert-webhook-url",
        "--alert-webhook",
        dest="alert_webhook_url",
        metavar="URL",
        help="Slack-compatible webhook for alerts; a secret: prefer env TESTGATE_ALERT_WEBHOOK_URL",
    )
    parser.add_argument(
        "--state-file",
        metavar="FILE",
        help="state carried between runs, to alert on change only "
        "(env TESTGATE_STATE_FILE, default REPORTS_DIR/monitor-state.json)",
    )
    parser.add_argument(
        "--alert-attempts",
        metavar="N",
        type=int,
        help="tries per alert before it is left for the next run (env TESTGATE_ALERT_ATTEMPTS, default 3)",
    )
    parser.add_argument(
        "--run-url",
        metavar="URL",
        help="link to this CI run, shown in alerts (env TESTGATE_RUN_URL; default: from the CI)",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        help="stop the smoke checks after this long (env TESTGATE_TIMEOUT, default 600)",
    )
    return parser


def _service(
    args: argparse.Namespace, environ: Mapping[str, str], env_values, proj: ProjectConfig
) -> str:
    return str(
        resolve(
            args.service,
            environ,
            "TESTGATE_SERVICE",
            env_values.get("TESTGATE_SERVICE"),
            proj.get("monitor", "service"),
            proj.get("provider", "name"),
            proj.root.name,
        )
    )


def _tests(args: argparse.Namespace, environ: Mapping[str, str], proj: ProjectConfig) -> list[str]:
    value = resolve(
        args.tests,
        environ,
        "TESTGATE_API_TESTS",
        proj.get("monitor", "tests"),
        proj.get("api-tests", "tests"),
        DEFAULT_TESTS,
    )
    items = value if isinstance(value, list) else str(value).split()
    return [str(proj.path(item)) for item in items]


def _timeout(args: argparse.Namespace, environ: Mapping[str, str]) -> float:
    raw = resolve(args.timeout, environ, "TESTGATE_TIMEOUT", 600.0)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"timeout must be a number of seconds, not {raw!r}",
            hint="pass --timeout 300 or set TESTGATE_TIMEOUT=300",
        ) from None
    if value <= 0:
        raise ConfigError(f"timeout must be positive, not {value}")
    return value


def _positive_int(flag: int | None, environ: Mapping[str, str], var: str, default: int) -> int:
    raw = resolve(flag, environ, var, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise ConfigError(f"{var} must be a whole number of at least 1, not {raw!r}")
    return value


def _body(args: argparse.Namespace, platform: Platform, environ: dict[str, str]) -> int:
    webhook = resolve(args.alert_webhook_url, environ, "TESTGATE_ALERT_WEBHOOK_URL")
    if webhook:
        platform.mask(webhook)  # first thing: nothing below may print it
        alerts.check_webhook_url(webhook)
    pushgateway = resolve(args.pushgateway_url, environ, "TESTGATE_PUSHGATEWAY_URL")
    if pushgateway:
        metrics.check_gateway_url(pushgateway)
        safe = metrics.redact_url(pushgateway)
        if safe != pushgateway:
            platform.mask(pushgateway)

    proj = project(environ)
    target = api_tests.environment(args, environ, proj)
    reports = reports_dir(environ)
    service = _service(args, environ, target.values, proj)
    target_url = resolve(args.target_url, environ, "TESTGATE_TARGET_URL")
    tests = _tests(args, environ, proj)
    marker = str(resolve(args.marker, environ, "TESTGATE_MARKER", monitor.SMOKE_MARKER))
    junit = Path(args.junit) if args.junit else reports / "monitor.xml"
    metrics_file = Path(
        resolve(args.metrics_file, environ, "TESTGATE_METRICS_FILE", str(reports / "metrics.prom"))
    )
    state_file = Path(
        resolve(
            args.state_file, environ, "TESTGATE_STATE_FILE", str(reports / "monitor-state.json")
        )
    )
    run_url = str(
        resolve(args.run_url, environ, "TESTGATE_RUN_URL", ci_context(environ).pipeline_url) or ""
    )
    timeout = _timeout(args, environ)
    attempts = _positive_int(args.alert_attempts, environ, "TESTGATE_ALERT_ATTEMPTS", 3)

    # Same wiring as `testgate api-tests`: --target-url wins, a local environment gets the
    # provider started in isolation, otherwise the URL comes from envs/<env>.env.
    url_var = proj.get("api-tests", "url-variable", "TESTGATE_TARGET_URL")
    with (
        api_tests.service_for(target, proj, dict(environ), target_url=target_url) as child,
        platform.group(f"Smoke checks on {target.name} ({service})"),
    ):
        result = monitor.run_smoke_checks(
            tests,
            junit.resolve(),
            environment=target.name,
            service=service,
            target_url=str(child.get(url_var) or ""),
            environ=child,
            cwd=proj.root,
            marker=marker,
            timeout=timeout,
        )
    platform.summary(render_monitor_md(result))
    for check in result.failing:
        platform.error(
            f"smoke check {check.check} {check.outcome}: {check.message.splitlines()[0] if check.message else ''}"
        )
    if result.error:
        platform.error(f"monitor could not decide: {result.error}")

    # Alerts: on state change only, de-duplicated by the state file.
    state, warning = alerts.load_state(state_file)
    if warning:
        platform.warning(warning)
    previous = state.get(result.environment, result.service)
    alert, delivery, target = alerts.announce(
        previous, result, webhook, run_url=run_url, attempts=attempts
    )
    if alert is None:
        platform.info(f"alerts: no state change ({result.state}); nothing sent")
    elif not webhook:
        platform.warning(
            f"alerts: state changed to {alert.kind}, but no webhook is set "
            "(--alert-webhook-url or TESTGATE_ALERT_WEBHOOK_URL)"
        )
    elif delivery is not None and delivery.sent:
        platform.info(f"alerts: sent {alert.kind} for {result.service} on {result.environment}")
    else:
        platform.error(
            f"alerts: {alert.kind} alert NOT delivered after {delivery.attempts if delivery else 0} attempts: "
            f"{delivery.error if delivery else 'not sent'}; the next run retries it"
        )
    platform.output("alert", alert.kind if alert else "none")
    platform.output(
        "alert-delivered", "true" if delivery is not None and delivery.sent else "false"
    )
    try:
        alerts.save_state(state.with_target(target), state_file)
    except ToolError as exc:
        platform.error(f"{exc} (the next run may repeat an alert)")

    # Metrics: always the file; the Pushgateway when set.
    exported = metrics.export_monitor_run(
        result,
        textfile=metrics_file,
        pushgateway_url=pushgateway,
        cumulative=target.counts,
    )
    platform.info(f"metrics: wrote {metrics_file}")
    if exported.pushed_to and exported.ok:
        platform.info(f"metrics: pushed to {exported.pushed_to}")
    elif exported.push_error:
        platform.error(f"metrics: {exported.push_error}")

    platform.output("state", result.state)
    platform.output("checks", str(len(result.checks)))
    platform.output("failed", str(len(result.failing)))
    if not result.decided:
        return ExitCode.UNDECIDED
    return ExitCode.OK if result.passed else ExitCode.GATE_FAILED


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate monitor`` and return its exit code."""
    return run(build_parser(), argv, environ, _body)
