"""Alerts on state change only: pass -> fail ("failing") and fail -> pass ("recovered").

A small JSON state file travels between monitor runs (a CI cache or artifact).
For each environment/service it records the last state the monitor saw, the
last state it *announced*, the cumulative check counters (for the
``testgate_checks_total`` counter) and a short history of runs.

De-duplication compares the new state with the last state announced, not the
last one seen: a failure whose alert could not be delivered (webhook down) is
announced on the next run that can reach the webhook, and an outage that ends
before the webhook comes back sends nothing at all. The first run ever alerts
only when it fails (a monitor started against a broken service must say so).

The webhook gets a Slack-compatible JSON body (``text`` plus ``blocks``), which
Slack incoming webhooks, Mattermost and Rocket.Chat accept. The webhook URL is
a secret: nothing here puts it in a message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from testgate.errors import ConfigError, ReportError
from testgate.files import read_json, write_text
from testgate.monitor import MonitorRun
from testgate.render.text import http_url

SCHEMA = "testgate-monitor-state/1"
HISTORY_LIMIT = 50
FAILING, RECOVERED = "failing", "recovered"
_OUTCOMES = ("passed", "failed", "error", "skipped")
_FIRST_RUN: Any = object()


@dataclass(frozen=True)
class RunRecord:
    """One past run in the state file's history."""

    at: str
    state: str
    checks: int
    failed: int
    elapsed: float


@dataclass(frozen=True)
class TargetState:
    """What the state file remembers about one environment/service.

    Attributes:
        environment: environment name.
        service: service name.
        state: ``pass`` or ``fail``, as seen by the last run.
        since: when ``state`` began (ISO 8601, UTC).
        notified: the last state announced to the webhook (None: never announced).
        last_run: when the last run started.
        consecutive_failures: failing runs in a row (0 when passing).
        failing: ids of the checks failing in the last run.
        counts: checks run so far, by outcome (cumulative; the metrics counter).
        runs: the latest runs, oldest first (at most ``HISTORY_LIMIT``).
    """

    environment: str
    service: str
    state: str
    since: str
    notified: str | None = None
    last_run: str = ""
    consecutive_failures: int = 0
    failing: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    runs: tuple[RunRecord, ...] = ()


@dataclass(frozen=True)
class MonitorState:
    """The whole state file: one :class:`TargetState` per ``<environment>/<service>``."""

    targets: Mapping[str, TargetState] = field(default_factory=dict)

    def get(self, environment: str, service: str) -> TargetState | None:
        """The remembered state of one target, or None when it was never monitored."""
        return self.targets.get(target_key(environment, service))

    def with_target(self, target: TargetState) -> MonitorState:
        """A copy of the state with ``target`` replaced."""
        targets = dict(self.targets)
        targets[target_key(target.environment, target.service)] = target
        return MonitorState(targets=targets)


@dataclass(frozen=True)
class Alert:
    """A state change to announce.

    Attributes:
        kind: ``failing`` or ``recovered``.
        environment: environment name.
        service: service name.
        failing: ids of the failing checks (empty on recovery).
        messages: the first line of each failing check's message, same order.
        reason: why the run could not decide, when that is why it failed.
        since: when the previous state began (for "down for ...").
        checks: how many checks ran.
        target_url: the monitored URL (non-secret; "" when unknown).
        run_url: a link to the CI run, when the platform gives one.
    """

    kind: str
    environment: str
    service: str
    failing: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    reason: str = ""
    since: str = ""
    checks: int = 0
    target_url: str = ""
    run_url: str = ""


@dataclass(frozen=True)
class Delivery:
    """The outcome of sending one alert.

    Attributes:
        sent: True when the webhook answered 2xx.
        attempts: how many requests were made.
        error: why it was not delivered ("" when sent); never contains the URL.
    """

    sent: bool
    attempts: int
    error: str = ""


def target_key(environment: str, service: str) -> str:
    """The state file key of one monitored target."""
    return f"{environment}/{service}"


def _now_iso(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the state file ---------------------------------------------------------------


def _target_from_json(data: Mapping[str, Any]) -> TargetState:
    runs = tuple(
        RunRecord(
            at=str(r["at"]),
            state=str(r["state"]),
            checks=int(r.get("checks", 0)),
            failed=int(r.get("failed", 0)),
            elapsed=float(r.get("elapsed", 0.0)),
        )
        for r in data.get("runs", [])
    )
    state = str(data["state"])
    notified = data.get("notified")
    if state not in ("pass", "fail") or notified not in (None, "pass", "fail"):
        raise ValueError(f"bad state {state!r} / notified {notified!r}")
    return TargetState(
        environment=str(data["environment"]),
        service=str(data["service"]),
        state=state,
        since=str(data.get("since", "")),
        notified=notified,
        last_run=str(data.get("last_run", "")),
        consecutive_failures=int(data.get("consecutive_failures", 0)),
        failing=tuple(str(f) for f in data.get("failing", [])),
        counts={k: int(v) for k, v in dict(data.get("counts", {})).items()},
        runs=runs,
    )


def load_state(path: Path) -> tuple[MonitorState, str]:
    """Read the state file.

    A missing file is a first run. An unreadable or foreign file is not fatal
    (the worst outcome is one repeated alert): it is ignored, and the second
    value says why, for the command to warn about.

    Returns:
        The state, and a warning ("" when there is none).
    """
    try:
        data = read_json(path, "monitor state file", default=_FIRST_RUN)
    except ReportError as exc:
        return MonitorState(), _ignoring(path, exc.message)
    if data is _FIRST_RUN:
        return MonitorState(), ""
    try:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError(f"schema is not {SCHEMA!r}")
        targets = {k: _target_from_json(v) for k, v in dict(data.get("targets", {})).items()}
    except (ValueError, KeyError, TypeError) as exc:
        return MonitorState(), _ignoring(path, f"{type(exc).__name__}: {exc}")
    return MonitorState(targets=targets), ""


def _ignoring(path: Path, why: str) -> str:
    return (
        f"ignoring the monitor state file {path} ({why}); "
        "starting a new history (an alert may repeat once)"
    )


def state_to_json(state: MonitorState) -> dict[str, Any]:
    """The state as the JSON document the state file holds."""
    targets = {}
    for key, t in sorted(state.targets.items()):
        targets[key] = {
            "environment": t.environment,
            "service": t.service,
            "state": t.state,
            "since": t.since,
            "notified": t.notified,
            "last_run": t.last_run,
            "consecutive_failures": t.consecutive_failures,
            "failing": list(t.failing),
            "counts": dict(t.counts),
            "runs": [
                {
                    "at": r.at,
                    "state": r.state,
                    "checks": r.checks,
                    "failed": r.failed,
                    "elapsed": r.elapsed,
                }
                for r in t.runs
            ],
        }
    return {"schema": SCHEMA, "targets": targets}


def save_state(state: MonitorState, path: Path) -> Path:
    """Write the state file atomically (see :func:`testgate.files.atomic_open`).

    Raises:
        ConfigError: the path is a folder or cannot be written.
        ToolError: the disk is full or another I/O error happened.
    """
    text = json.dumps(state_to_json(state), indent=2) + "\n"
    return write_text(path, text, what="monitor state file")


# -- deciding -----------------------------------------------------------------------


def plan_alert(previous: TargetState | None, run: MonitorRun, *, run_url: str = "") -> Alert | None:
    """The alert this run calls for, or None.

    Compares the run's state with the last state *announced* (never announced
    counts as ``pass``): only a change is announced.
    """
    announced = previous.notified if previous and previous.notified else "pass"
    if run.state == announced:
        return None
    if run.state == "fail":
        first_lines = tuple(
            (c.message.splitlines()[0] if c.message else "(no message)")[:300] for c in run.failing
        )
        since = (
            previous.since if previous and previous.state == "fail" else _now_iso(run.started_at)
        )
        return Alert(
            kind=FAILING,
            environment=run.environment,
            service=run.service,
            failing=tuple(c.check for c in run.failing),
            messages=first_lines,
            reason=run.error,
            since=since,
            checks=len(run.checks),
            target_url=run.target_url,
            run_url=run_url,
        )
    since = previous.since if previous and previous.state == "fail" else ""
    return Alert(
        kind=RECOVERED,
        environment=run.environment,
        service=run.service,
        since=since,
        checks=len(run.checks),
        target_url=run.target_url,
        run_url=run_url,
    )


def next_state(
    previous: TargetState | None,
    run: MonitorRun,
    *,
    announced: str | None = None,
) -> TargetState:
    """The target's state after ``run``.

    Args:
        previous: the state before the run (None on the first run).
        run: the run.
        announced: the state just announced to the webhook, or None when no alert
            was delivered (then the last announced state is kept, so the alert is
            retried by the next run).
    """
    at = _now_iso(run.started_at)
    changed = previous is None or previous.state != run.state
    counts = {k: int((previous.counts if previous else {}).get(k, 0)) for k in _OUTCOMES}
    for check in run.checks:
        counts[check.outcome] = counts.get(check.outcome, 0) + 1
    record = RunRecord(
        at=at,
        state=run.state,
        checks=len(run.checks),
        failed=len(run.failing),
        elapsed=round(run.elapsed, 3),
    )
    runs = ((previous.runs if previous else ()) + (record,))[-HISTORY_LIMIT:]
    failures = (previous.consecutive_failures if previous else 0) + 1 if run.state == "fail" else 0
    return TargetState(
        environment=run.environment,
        service=run.service,
        state=run.state,
        since=at if changed else previous.since,  # type: ignore[union-attr]
        notified=announced if announced is not None else (previous.notified if previous else None),
        last_run=at,
        consecutive_failures=failures,
        failing=tuple(c.check for c in run.failing),
        counts=counts,
        runs=runs,
    )


# -- sending ------------------------------------------------------------------------


def _duration_since(since: str, now: datetime) -> str:
    try:
        start = datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return ""
    seconds = max(0, int((now - start).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def alert_text(alert: Alert, now: datetime | None = None) -> str:
    """The one-line text of an alert (Slack's notification and fallback text)."""
    where = f"{alert.service} on {alert.environment}"
    if alert.kind == RECOVERED:
        down = _duration_since(alert.since, now or datetime.now(UTC)) if alert.since else ""
        return f":white_check_mark: RECOVERED: {where}: all {alert.checks} smoke checks pass" + (
            f" (failing for {down})" if down else ""
        )
    if alert.reason and not alert.failing:
        return f":rotating_light: FAILING: {where}: the monitor could not run its checks"
    return f":rotating_light: FAILING: {where}: {len(alert.failing)} of {alert.checks} smoke checks fail"


def _slack(text: str) -> str:
    """Untrusted text for Slack mrkdwn: ``<!channel>``, ``<@U1>`` or ``<url|x>`` stay text.

    Slack's documented escaping: ``&``, ``<`` and ``>`` as HTML entities.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alert: Alert, now: datetime | None = None) -> dict[str, Any]:
    """The Slack-compatible JSON body of an alert (``text`` plus Block Kit ``blocks``)."""
    text = _slack(alert_text(alert, now))
    lines = []
    for check, message in zip(alert.failing[:10], alert.messages[:10], strict=False):
        lines.append(f"• `{_slack(check)}`: {_slack(message)}")
    if len(alert.failing) > 10:
        lines.append(f"• ... and {len(alert.failing) - 10} more")
    if alert.reason:
        lines.append(f"• {_slack(alert.reason[:500])}")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    context = [
        f"environment *{_slack(alert.environment)}*",
        f"service *{_slack(alert.service)}*",
    ]
    if alert.target_url:
        context.append(_slack(alert.target_url))
    if http_url(alert.run_url) and "|" not in alert.run_url:  # only http(s) becomes a link
        context.append(f"<{alert.run_url}|monitor run>")
    elif alert.run_url:
        context.append(f"monitor run: {_slack(alert.run_url)}")
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " | ".join(context)}]}
    )
    return {"text": text, "blocks": blocks}


def check_webhook_url(url: str) -> str:
    """Validate the webhook URL without ever echoing it.

    Raises:
        ConfigError: it is not an http(s) URL.
    """
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            "the alert webhook URL is not an http(s) URL (value not shown: it is a secret)",
            hint="set TESTGATE_ALERT_WEBHOOK_URL to the webhook's https:// URL",
        )
    return url


def send_alert(
    alert: Alert,
    webhook_url: str,
    *,
    timeout: float = 10.0,
    attempts: int = 3,
    backoff: float = 1.0,
    session: requests.Session | None = None,
    now: datetime | None = None,
) -> Delivery:
    """POST the alert to the webhook; retry connection errors and 5xx/429.

    Never raises for a delivery problem: the result says what happened, in
    words that never include the URL (it carries the webhook's secret).
    """
    check_webhook_url(webhook_url)
    body = slack_payload(alert, now)
    http = session or requests.Session()
    error = ""
    for attempt in range(1, attempts + 1):
        try:
            response = http.post(webhook_url, json=body, timeout=timeout)
        except requests.RequestException as exc:
            # str(exc) names the URL: report the kind of failure only.
            error = f"alert webhook unreachable ({type(exc).__name__})"
        else:
            if 200 <= response.status_code < 300:
                return Delivery(sent=True, attempts=attempt)
            error = f"alert webhook answered HTTP {response.status_code}"
            if response.status_code < 500 and response.status_code != 429:
                return Delivery(sent=False, attempts=attempt, error=error)
        if attempt < attempts:
            time.sleep(backoff * attempt)
    return Delivery(sent=False, attempts=attempts, error=error)


def announce(
    previous: TargetState | None,
    run: MonitorRun,
    webhook_url: str | None,
    *,
    run_url: str = "",
    timeout: float = 10.0,
    attempts: int = 3,
    backoff: float = 1.0,
) -> tuple[Alert | None, Delivery | None, TargetState]:
    """Decide, send (when a webhook is set) and compute the next state, in one call.

    Returns:
        The alert (None when the state did not change), its delivery (None when
        nothing was sent) and the target's next state.
    """
    alert = plan_alert(previous, run, run_url=run_url)
    delivery = None
    announced = None
    if alert is not None and webhook_url:
        delivery = send_alert(
            alert, webhook_url, timeout=timeout, attempts=attempts, backoff=backoff
        )
        if delivery.sent:
            announced = run.state
    return alert, delivery, next_state(previous, run, announced=announced)


def history_states(target: TargetState | None) -> Sequence[str]:
    """The states of the remembered runs, oldest first (for summaries and tests)."""
    return [r.state for r in target.runs] if target else []


__all__ = [
    "FAILING",
    "RECOVERED",
    "Alert",
    "Delivery",
    "MonitorState",
    "RunRecord",
    "TargetState",
    "announce",
    "load_state",
    "next_state",
    "plan_alert",
    "save_state",
    "send_alert",
    "slack_payload",
]
