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
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.commands.api_tests import ENVIRONMENT, environment, service_for
from testgate.errors import ExitCode, ToolError
from testgate.settings import CommandSpec, Settings, in_reports, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "run the read-only smoke checks against an environment: metrics and alerts"

SPEC = CommandSpec(
    name="monitor",
    help=HELP,
    description="Run the API tests marked as smoke checks (@pytest.mark.smoke, read-only) against "
    "an environment; export per-check result and latency as metrics; alert on state change.",
    examples="""\
  testgate monitor --env prod
  testgate monitor --env prod --pushgateway-url http://pushgateway:9091
  testgate monitor --env prod --state-file .cache/monitor-state.json   # alert on change only
  testgate monitor --env local                     # starts the example provider itself
  testgate monitor --env gamma --target-url https://green.inventory.gamma.example.com""",
    uses=(
        use("api-tests", default="tests/api"),
        *ENVIRONMENT,
        use("service"),
        use("marker", default="smoke", help="pytest marker expression of the smoke checks"),
        use("monitor-junit", default=in_reports("monitor.xml")),
        use("metrics-file", default=in_reports("metrics.prom")),
        use("pushgateway-url"),
        use("alert-webhook-url"),
        use("state-file", default=in_reports("monitor-state.json")),
        use("alert-attempts"),
        use("build-url", help="link to this CI run, shown in alerts (default: from the CI)"),
        use("timeout"),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``monitor`` command's options."""
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate monitor`` and return its exit code."""
    return _common.execute(SPEC, argv, environ, _run)


def _run(cfg: Settings, platform: Platform) -> int:
    from testgate import alerts, metrics, monitor
    from testgate.render.markdown import render_monitor_md

    webhook = cfg.alert_webhook_url
    if webhook:
        platform.mask(webhook)  # first thing: nothing below may print it
        alerts.check_webhook_url(webhook)
    pushgateway = cfg.pushgateway_url
    if pushgateway:
        metrics.check_gateway_url(pushgateway)
        safe = metrics.redact_url(pushgateway)
        if safe != pushgateway:
            platform.mask(pushgateway)

    target = environment(cfg)
    service = str(cfg.service)
    state_file = cfg.state_file
    metrics_file = cfg.metrics_file

    # Same wiring as `testgate api-tests`: --target-url wins, a local environment gets the
    # provider started in isolation, otherwise the URL comes from envs/<env>.env.
    with (
        service_for(cfg, target) as child,
        platform.group(f"Smoke checks on {target.name} ({service})"),
    ):
        result = monitor.run_smoke_checks(
            [str(cfg.api_tests)],
            cfg.monitor_junit.resolve(),
            environment=target.name,
            service=service,
            target_url=str(child.get(cfg.url_variable) or ""),
            environ=child,
            cwd=cfg.project.root,
            marker=cfg.marker,
            timeout=cfg.timeout,
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
    alert, delivery, alert_target = alerts.announce(
        previous,
        result,
        webhook,
        run_url=cfg.build.build_url or "",
        attempts=cfg.alert_attempts,
    )
    if alert is None:
        platform.info(f"alerts: no state change ({result.state}); nothing sent")
    elif not webhook:
        platform.warning(
            f"alerts: state changed to {alert.kind}, but no webhook is set "
            f"(alert-webhook-url: {_common.how_to_set('alert-webhook-url')})"
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
        alerts.save_state(state.with_target(alert_target), state_file)
    except ToolError as exc:
        platform.error(f"{exc} (the next run may repeat an alert)")

    # Metrics: always the file; the Pushgateway when set.
    exported = metrics.export_monitor_run(
        result,
        textfile=metrics_file,
        pushgateway_url=pushgateway,
        cumulative=alert_target.counts,
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
