"""testgate.alerts: alert on state change only, de-duplicated by the state file."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from testgate import alerts
from testgate.errors import ConfigError
from testgate.monitor import CheckResult, MonitorRun, count_outcomes

T0 = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
SECRET_HOOK_PATH = "/services/T000/B000/XXXXsecretXXXX"


def make_run(passed: bool, at: datetime = T0, error: str = "") -> MonitorRun:
    checks = (
        CheckResult("api::test_health", "passed", 0.01),
        CheckResult(
            "api::test_items",
            "passed" if passed else "failed",
            0.02,
            "" if passed else "boom\nmore",
        ),
    )
    if error:
        checks = ()
    return MonitorRun(
        environment="prod",
        service="inventory-api",
        target_url="https://inventory.example",
        checks=checks,
        started_at=at,
        elapsed=0.5,
        error=error,
        totals=count_outcomes(checks),
    )


def walk(states: list[bool], delivered: bool = True) -> list[str | None]:
    """The alert kind each run calls for, feeding each run's next state into the next."""
    previous = None
    kinds = []
    for i, ok in enumerate(states):
        run = make_run(ok, T0 + timedelta(minutes=5 * i))
        alert = alerts.plan_alert(previous, run)
        kinds.append(alert.kind if alert else None)
        announced = run.state if alert and delivered else None
        previous = alerts.next_state(previous, run, announced=announced)
    return kinds


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param([True, True], [None, None], id="steady-pass"),
        pytest.param([False], ["failing"], id="first-run-fails"),
        pytest.param(
            [True, False, False, True, True],
            [None, "failing", None, "recovered", None],
            id="outage-alerts-once-recovers-once",
        ),
        pytest.param(
            [False, True, False, True],
            ["failing", "recovered", "failing", "recovered"],
            id="flapping-alerts-every-change",
        ),
    ],
)
def test_alerts_only_on_state_change(states: list[bool], expected: list[str | None]) -> None:
    assert walk(states) == expected


def test_undelivered_alert_is_retried_until_it_goes_through() -> None:
    # The webhook is down for the whole outage: every failing run still wants to say so...
    assert walk([True, False, False], delivered=False) == [None, "failing", "failing"]
    # ...and a recovery before any failure was announced is not news.
    assert walk([True, False, True], delivered=False) == [None, "failing", None]


def test_a_run_that_could_not_decide_counts_as_failing() -> None:
    run = make_run(True, error="no smoke checks selected")
    alert = alerts.plan_alert(None, run)
    assert alert is not None
    assert alert.kind == "failing"
    assert alert.reason == "no smoke checks selected"
    assert "could not run its checks" in alerts.alert_text(alert)


def test_next_state_keeps_counters_history_and_since() -> None:
    first = alerts.next_state(None, make_run(True, T0))
    second = alerts.next_state(first, make_run(False, T0 + timedelta(minutes=5)))
    third = alerts.next_state(second, make_run(False, T0 + timedelta(minutes=10)))
    assert third.counts == {"passed": 4, "failed": 2, "error": 0, "skipped": 0}
    assert third.since == "2026-11-23T12:05:00Z"
    assert third.consecutive_failures == 2
    assert third.failing == ("api::test_items",)
    assert [r.state for r in third.runs] == ["pass", "fail", "fail"]
    long = third
    for i in range(alerts.HISTORY_LIMIT + 5):
        long = alerts.next_state(long, make_run(True, T0 + timedelta(hours=1, minutes=i)))
    assert len(long.runs) == alerts.HISTORY_LIMIT
    assert long.consecutive_failures == 0


def test_state_file_round_trips_and_is_written_atomically(tmp_path: Path) -> None:
    target = alerts.next_state(None, make_run(False), announced="fail")
    state = alerts.MonitorState().with_target(target)
    path = tmp_path / "state" / "monitor-state.json"
    alerts.save_state(state, path)
    loaded, warning = alerts.load_state(path)
    assert warning == ""
    assert loaded == state
    assert json.loads(path.read_text())["schema"] == alerts.SCHEMA
    assert [p.name for p in path.parent.iterdir()] == ["monitor-state.json"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param('{"schema": "other/1"}', id="foreign-schema"),
        pytest.param(
            '{"schema": "testgate-monitor-state/1", "targets": {"a/b": {"state": "meh"}}}',
            id="bad-target",
        ),
    ],
)
def test_unreadable_state_starts_fresh_with_a_warning(tmp_path: Path, content: str) -> None:
    path = tmp_path / "monitor-state.json"
    path.write_text(content)
    state, warning = alerts.load_state(path)
    assert state == alerts.MonitorState()
    assert "ignoring the monitor state file" in warning


def test_missing_state_is_a_first_run(tmp_path: Path) -> None:
    assert alerts.load_state(tmp_path / "none.json") == (alerts.MonitorState(), "")


def test_slack_body_has_text_and_blocks() -> None:
    alert = alerts.plan_alert(None, make_run(False), run_url="https://ci.example/run/7")
    assert alert is not None
    body = alerts.slack_payload(alert)
    json.dumps(body)  # serialisable
    assert body["text"].startswith(":rotating_light: FAILING: inventory-api on prod: 1 of 2")
    assert [b["type"] for b in body["blocks"]] == ["section", "section", "context"]
    assert "`api::test_items`: boom" in body["blocks"][1]["text"]["text"]
    assert "more" not in body["blocks"][1]["text"]["text"]  # first line of the message only
    assert "<https://ci.example/run/7|monitor run>" in body["blocks"][2]["elements"][0]["text"]


def test_recovery_says_how_long_it_was_failing() -> None:
    down = alerts.next_state(None, make_run(False, T0), announced="fail")
    alert = alerts.plan_alert(down, make_run(True, T0 + timedelta(minutes=25)))
    assert alert is not None
    assert alert.kind == "recovered"
    text = alerts.alert_text(alert, now=T0 + timedelta(minutes=25))
    assert text == (
        ":white_check_mark: RECOVERED: inventory-api on prod: all 2 smoke checks pass"
        " (failing for 25 min)"
    )


class _Hook(BaseHTTPRequestHandler):
    statuses: ClassVar[list[int]] = []
    bodies: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.bodies.append(json.loads(body))
        status = self.statuses.pop(0) if self.statuses else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook():
    _Hook.statuses, _Hook.bodies = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}{SECRET_HOOK_PATH}"
    server.shutdown()
    server.server_close()


ALERT = alerts.Alert(kind="failing", environment="prod", service="svc", checks=1)


def test_send_alert_posts_the_slack_body(hook: str) -> None:
    delivery = alerts.send_alert(ALERT, hook, backoff=0)
    assert delivery == alerts.Delivery(sent=True, attempts=1)
    assert _Hook.bodies == [alerts.slack_payload(ALERT)]


def test_send_alert_retries_server_errors_but_not_client_errors(hook: str) -> None:
    _Hook.statuses = [503, 200]
    assert alerts.send_alert(ALERT, hook, backoff=0) == alerts.Delivery(sent=True, attempts=2)
    _Hook.statuses = [404]
    delivery = alerts.send_alert(ALERT, hook, backoff=0)
    assert delivery == alerts.Delivery(False, 1, "alert webhook answered HTTP 404")


def test_unreachable_webhook_is_reported_without_its_url() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    delivery = alerts.send_alert(
        ALERT, f"http://127.0.0.1:{port}{SECRET_HOOK_PATH}", attempts=2, backoff=0, timeout=2
    )
    assert delivery.sent is False
    assert delivery.attempts == 2
    assert delivery.error == "alert webhook unreachable (ConnectionError)"
    assert "secret" not in delivery.error
    assert str(port) not in delivery.error


def test_bad_webhook_url_error_does_not_echo_it() -> None:
    with pytest.raises(ConfigError) as info:
        alerts.check_webhook_url("hooks.slack.com/services/T0/B0/secretvalue")
    assert "secretvalue" not in str(info.value)


def test_announce_keeps_the_failure_unannounced_when_delivery_fails() -> None:
    previous = alerts.next_state(None, make_run(True), announced=None)
    # Port 9 (discard) on 127.0.0.1 refuses connections.
    alert, delivery, target = alerts.announce(
        previous, make_run(False), "http://127.0.0.1:9/hook", attempts=1, backoff=0, timeout=2
    )
    assert alert is not None
    assert delivery is not None
    assert delivery.sent is False
    assert target.notified is None
    assert target.state == "fail"
