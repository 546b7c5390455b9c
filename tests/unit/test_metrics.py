"""testgate.metrics: the OpenMetrics file, the Pushgateway push and the report totals."""

from __future__ import annotations

import base64
import socket
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from testgate import metrics
from testgate.errors import ConfigError
from testgate.monitor import CheckResult, MonitorRun, count_outcomes

STARTED = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def make_run(*checks: CheckResult, error: str = "") -> MonitorRun:
    return MonitorRun(
        environment="prod",
        service="inventory-api",
        target_url="http://127.0.0.1:1",
        checks=checks,
        started_at=STARTED,
        elapsed=1.25,
        error=error,
        totals=count_outcomes(checks),
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an OpenMetrics text, keyed by name and sorted labels (parsing validates it)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    base = {"environment": "prod", "service": "inventory-api", **labels}
    return (name, tuple(sorted(base.items())))


RUN = make_run(
    CheckResult("tests.api.test_items::test_list", "passed", 0.042),
    CheckResult("tests.api.test_items::test_get", "failed", 0.5, "assert 500 == 200"),
    CheckResult("tests.api.test_items::test_slow", "skipped", 0.0, "not on prod"),
)


def test_monitor_metrics_have_one_sample_per_check_with_result_and_latency() -> None:
    got = samples(metrics.render_openmetrics(metrics.monitor_registry(RUN)))
    assert got[key("testgate_check_success", check="tests.api.test_items::test_list")] == 1.0
    assert got[key("testgate_check_success", check="tests.api.test_items::test_get")] == 0.0
    assert (
        got[key("testgate_check_duration_seconds", check="tests.api.test_items::test_get")] == 0.5
    )
    # A skipped check says nothing about the service: no success sample for it.
    assert key("testgate_check_success", check="tests.api.test_items::test_slow") not in got
    assert got[key("testgate_tests", outcome="failed")] == 1.0
    assert got[key("testgate_tests", outcome="skipped")] == 1.0
    assert got[key("testgate_run_success")] == 0.0
    assert got[key("testgate_run_timestamp_seconds")] == STARTED.timestamp()
    assert got[key("testgate_checks_total", outcome="passed")] == 1.0


def test_checks_total_is_the_cumulative_counter_from_the_state() -> None:
    registry = metrics.monitor_registry(RUN, {"passed": 41, "failed": 3, "error": 0, "skipped": 2})
    text = metrics.render_openmetrics(registry)
    got = samples(text)
    assert got[key("testgate_checks_total", outcome="passed")] == 41.0
    assert got[key("testgate_checks_total", outcome="failed")] == 3.0
    assert "# TYPE testgate_checks counter" in text
    assert "_created" not in text  # no per-process creation stamps in a snapshot


def test_undecided_run_is_not_a_success() -> None:
    got = samples(metrics.render_openmetrics(metrics.monitor_registry(make_run(error="no checks"))))
    assert got[key("testgate_run_success")] == 0.0


def test_textfile_is_openmetrics_and_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "metrics.prom"
    export = metrics.export_monitor_run(RUN, textfile=target)
    assert export == metrics.MetricsExport(textfile=target)
    text = target.read_text(encoding="utf-8")
    assert text.endswith("# EOF\n")
    assert (
        samples(text)[key("testgate_check_success", check="tests.api.test_items::test_list")] == 1
    )
    assert [p.name for p in target.parent.iterdir()] == ["metrics.prom"]  # no temp files left


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_pushgateway_that_is_down_is_reported_not_raised(tmp_path: Path) -> None:
    url = f"http://user:s3cret@127.0.0.1:{_closed_port()}"
    export = metrics.export_monitor_run(
        RUN, textfile=tmp_path / "m.prom", pushgateway_url=url, timeout=2
    )
    assert not export.ok
    assert "push to Pushgateway http://127.0.0.1:" in export.push_error
    assert "s3cret" not in export.push_error
    assert "s3cret" not in str(export.pushed_to)
    assert (tmp_path / "m.prom").is_file()  # the artifact is written whatever the push does


@pytest.mark.parametrize(
    "url",
    [pytest.param("ftp://gw:9091", id="scheme"), pytest.param("http://", id="no-host")],
)
def test_pushgateway_url_must_be_http(url: str) -> None:
    with pytest.raises(ConfigError, match="not an http"):
        metrics.check_gateway_url(url)


def test_redact_url_drops_credentials_and_query() -> None:
    assert metrics.redact_url("https://u:p@gw.example:9091/prefix?token=x#f") == (
        "https://gw.example:9091/prefix"
    )


class _Recorder(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[str, str, str, bytes]]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.calls.append(("PUT", self.path, self.headers.get("Authorization", ""), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_report_totals_push_replaces_the_report_group_with_basic_auth(recorder, tmp_path) -> None:
    port = recorder.server_address[1]
    totals = {
        "tests": 10,
        "passed": 7,
        "failed": 1,
        "errors": 1,
        "skipped": 1,
        "flaky": 2,
        "time": 3.5,
    }
    export = metrics.export_report_totals(
        totals,
        environment="ci",
        service="dashboard-api",
        passed=False,
        textfile=tmp_path / "report.prom",
        pushgateway_url=f"http://ci:pa%3Ass@127.0.0.1:{port}",
    )
    assert export.ok
    assert export.pushed_to == f"http://127.0.0.1:{port}"
    ((method, path, auth, body),) = _Recorder.calls
    assert method == "PUT"
    assert path == "/metrics/job/testgate/environment/ci/service/dashboard-api/source/report"
    assert auth == "Basic " + base64.b64encode(b"ci:pa:ss").decode()
    pushed = body.decode()
    assert 'testgate_tests{environment="ci",outcome="error",service="dashboard-api"} 1.0' in pushed
    got = samples((tmp_path / "report.prom").read_text())
    base = {"environment": "ci", "service": "dashboard-api"}
    assert got[("testgate_tests", tuple(sorted({**base, "outcome": "passed"}.items())))] == 7
    assert got[("testgate_tests_flaky", tuple(sorted(base.items())))] == 2
    assert got[("testgate_run_success", tuple(sorted(base.items())))] == 0
    assert got[("testgate_run_duration_seconds", tuple(sorted(base.items())))] == 3.5


def test_both_producers_describe_shared_metrics_the_same_way() -> None:
    """A Pushgateway rejects a push whose HELP differs from what it already holds."""
    monitor_text = metrics.render_openmetrics(metrics.monitor_registry(RUN))
    report_text = metrics.render_openmetrics(
        metrics.report_registry({"passed": 1}, environment="ci", service="x", passed=True)
    )

    def helps(text: str) -> dict[str, str]:
        return {f.name: f.documentation for f in text_string_to_metric_families(text)}

    shared = helps(monitor_text).keys() & helps(report_text).keys()
    assert {"testgate_tests", "testgate_run_success"} <= shared
    assert all(helps(monitor_text)[n] == helps(report_text)[n] for n in shared)


def test_report_json_document_exports_its_totals_and_decision(tmp_path: Path) -> None:
    report = {
        "schema": "testgate-report/1",
        "generated_at": "2026-11-23T12:00:00Z",
        "decision": "pass",
        "passed": True,
        "totals": {"tests": 3, "passed": 3, "failed": 0, "errors": 0, "skipped": 0, "time": 0.5},
    }
    target = tmp_path / "report-metrics.prom"
    export = metrics.export_report_json(report, environment="ci", service="svc", textfile=target)
    assert export.ok
    got = samples(target.read_text())
    labels = (("environment", "ci"), ("service", "svc"))
    assert got[("testgate_run_success", labels)] == 1.0
    assert got[("testgate_run_timestamp_seconds", labels)] == STARTED.timestamp()
    assert (
        got[("testgate_tests", (("environment", "ci"), ("outcome", "passed"), ("service", "svc")))]
        == 3
    )
