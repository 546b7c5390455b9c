"""testgate monitor end to end: a real Pushgateway, a webhook receiver, a provider that goes down.

The Pushgateway is the Debian ``prometheus-pushgateway`` binary, started here on
a free 127.0.0.1 port with its own persistence file (never the system service).
The provider is a small Flask app served from a thread, stopped and started on
the same port between monitor runs.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests
from conftest import require_tool
from flask import Flask, jsonify
from prometheus_client.parser import text_string_to_metric_families
from testgate.commands import monitor as monitor_cmd
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PROVIDER = ROOT / "examples" / "inventory-api"
SECRET = "T0SECRET/B0SECRET/hooksecretvalue"

SMOKE_TESTS = """\
import os

import pytest
import requests

URL = os.environ["TESTGATE_TARGET_URL"]


@pytest.mark.smoke
def test_health():
    assert requests.get(URL + "/health", timeout=2).json() == {"status": "ok"}


@pytest.mark.smoke
def test_list_items():
    assert requests.get(URL + "/items", timeout=2).status_code == 200


def test_create_item_is_not_a_smoke_check():
    assert requests.post(URL + "/items", json={"id": 1}, timeout=2).status_code == 201
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the Pushgateway ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = require_tool("prometheus-pushgateway")
    port = free_port()
    data = tmp_path_factory.mktemp("pushgateway")
    proc = subprocess.Popen(
        [
            binary,
            f"--web.listen-address=127.0.0.1:{port}",
            f"--persistence.file={data / 'pushgateway.data'}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"pushgateway did not start on {url}: {err}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The Pushgateway's /metrics as {(name, labels): value}, testgate samples only."""
    text = requests.get(f"{url}/metrics", timeout=5).text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("testgate_"):
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def label_key(name: str, env: str, **extra: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {
        "job": "testgate",
        "environment": env,
        "service": "inventory-api",
        "source": "monitor",
        "instance": "",
        **extra,
    }
    return (name, tuple(sorted(labels.items())))


# -- the webhook receiver -----------------------------------------------------------


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if SECRET in self.path:
            self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class Receiver:
    """A webhook receiver that can go down and come back on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/services/{SECRET}"
        self.server: ThreadingHTTPServer | None = None
        _Hook.received = []

    @property
    def received(self) -> list[dict]:
        return _Hook.received

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), _Hook)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


# -- the provider ---------------------------------------------------------------------


class Provider:
    """A Flask app served from a thread; ``down()`` closes the port, ``up()`` reopens it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.writes = 0
        app = Flask("provider")

        @app.get("/health")
        def health():  # type: ignore[no-untyped-def]
            return jsonify(status="ok")

        @app.get("/items")
        def items():  # type: ignore[no-untyped-def]
            return jsonify(items=[])

        @app.post("/items")
        def create():  # type: ignore[no-untyped-def]
            self.writes += 1
            return jsonify(id=1), 201

        self.app = app
        self.server = None

    def up(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    p.up()
    yield p
    p.down()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "service"
    (root / "envs").mkdir(parents=True)
    (root / "envs" / "prod.env").write_text("TESTGATE_SERVICE=inventory-api\n")
    (root / "tests" / "api").mkdir(parents=True)
    (root / "tests" / "api" / "test_smoke.py").write_text(SMOKE_TESTS)
    (root / "testgate.toml").write_text('[api-tests]\ntests = "tests/api"\n')
    return root


def environ_for(project: Path, clean_environ: dict[str, str], **extra: str) -> dict[str, str]:
    env = dict(clean_environ)
    env["TESTGATE_PROJECT_FILE"] = str(project / "testgate.toml")
    env["TESTGATE_PLATFORM"] = "local"
    # The Hypothesis pytest plugin costs ~1.3 s of imports per run; these checks do not use it.
    env["PYTEST_ADDOPTS"] = "-p no:hypothesispytest"
    env.update(extra)
    return env


class ExampleProvider(Provider):
    """The example inventory-api (examples/inventory-api), served from a thread."""

    def __init__(self) -> None:
        super().__init__()
        if str(EXAMPLE_PROVIDER) not in sys.path:
            sys.path.insert(0, str(EXAMPLE_PROVIDER))
        import tempfile

        from inventory_api import demo
        from inventory_api.app import create_app

        # a demo deployment: the seed data set, prices from the example pricing-api
        db = Path(tempfile.mkdtemp()) / "inventory.db"
        self.app = create_app(db, demo.serve_pricing_api())
        demo.seed(self.app.config["DB"], "seed")


@pytest.fixture
def example_provider() -> Iterator[ExampleProvider]:
    p = ExampleProvider()
    p.up()
    yield p
    p.down()


def example_environ(clean_environ: dict[str, str], **extra: str) -> dict[str, str]:
    env = dict(clean_environ)
    env["TESTGATE_PROJECT_FILE"] = str(ROOT / "testgate.toml")
    env["TESTGATE_PLATFORM"] = "local"
    env["PYTEST_ADDOPTS"] = "-p no:hypothesispytest"
    env.update(extra)
    return env


EXAMPLE_CHECK = "examples.inventory-api.tests.api.test_products::test_health"


def test_example_provider_outage_alerts_once_and_recovers_once_with_metrics_pushed(
    example_provider, webhook, pushgateway, clean_environ, tmp_path, capsys
) -> None:
    """The example's smoke checks, against the example provider going down and coming back."""
    reports = tmp_path / "reports"
    environ = example_environ(
        clean_environ,
        TESTGATE_TARGET_URL=example_provider.url,
        TESTGATE_PUSHGATEWAY_URL=pushgateway,
        TESTGATE_ALERT_WEBHOOK_URL=webhook.url,
        TESTGATE_REPORTS_DIR=str(reports),
    )
    # Each run starts from the state file the previous run left, as the CI cache carries it.
    state = tmp_path / "cache" / "monitor-state.json"

    def run() -> int:
        return monitor_cmd.main(["--env", "local", "--state-file", str(state)], environ)

    def kinds() -> list[str]:
        return [a["text"].split(":")[2].strip() for a in webhook.received]

    def key(name: str, **extra: str):
        return label_key(name, "local", **extra)

    assert run() == 0
    assert webhook.received == []
    got = scrape(pushgateway)
    assert got[key("testgate_check_success", check=EXAMPLE_CHECK)] == 1
    assert got[key("testgate_run_success")] == 1
    assert got[key("testgate_tests", outcome="passed")] == 4  # the 4 smoke checks, no writes

    example_provider.down()
    assert run() == 1
    assert run() == 1  # still down: no second alert
    assert kinds() == ["FAILING"]
    assert "4 of 4 smoke checks fail" in webhook.received[0]["text"]
    got = scrape(pushgateway)
    assert got[key("testgate_check_success", check=EXAMPLE_CHECK)] == 0
    assert got[key("testgate_run_success")] == 0

    example_provider.up()
    assert run() == 0
    assert run() == 0  # still up: no second recovery
    assert kinds() == ["FAILING", "RECOVERED"]

    got = scrape(pushgateway)
    assert got[key("testgate_checks_total", outcome="failed")] == 8  # 2 runs x 4
    assert got[key("testgate_checks_total", outcome="passed")] == 12  # 3 runs x 4
    assert got[key("testgate_check_duration_seconds", check=EXAMPLE_CHECK)] > 0
    text = (reports / "metrics.prom").read_text()
    assert text.endswith("# EOF\n")
    assert f'testgate_check_success{{check="{EXAMPLE_CHECK}"' in text
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err


def test_monitor_env_local_starts_the_example_provider(clean_environ, tmp_path) -> None:
    """`testgate monitor --env local` with no URL: the provider is started as api-tests does."""
    environ = example_environ(
        clean_environ,
        TESTGATE_REPORTS_DIR=str(tmp_path / "reports"),
        # inventory-api's pact with pricing-api: its downstream stub, as api-tests starts it
        TESTGATE_PACT_DIR=str(Path(__file__).with_name("data")),
    )
    assert monitor_cmd.main(["--env", "local"], environ) == 0
    state = json.loads((tmp_path / "reports" / "monitor-state.json").read_text())
    assert state["targets"]["local/inventory-api"]["counts"]["passed"] == 4


def test_webhook_down_keeps_the_result_and_alerts_on_the_next_run(
    project, provider, webhook, clean_environ, tmp_path, capsys
) -> None:
    environ = environ_for(
        project,
        clean_environ,
        TESTGATE_TARGET_URL=provider.url,
        TESTGATE_ALERT_WEBHOOK_URL=webhook.url,
        TESTGATE_REPORTS_DIR=str(tmp_path / "reports"),
    )
    provider.down()
    webhook.stop()
    assert (
        monitor_cmd.main(["--env", "prod", "--alert-attempts", "2"], environ) == 1
    )  # the checks' verdict, not 3
    out = capsys.readouterr()
    assert "failing alert NOT delivered after 2 attempts" in out.err
    assert SECRET not in out.out + out.err
    assert str(webhook.port) not in out.out + out.err

    webhook.start()
    assert monitor_cmd.main(["--env", "prod"], environ) == 1
    assert len(webhook.received) == 1
    assert webhook.received[0]["text"].startswith(":rotating_light: FAILING")


def test_pushgateway_down_is_reported_and_the_checks_decide(
    project, provider, clean_environ, tmp_path, capsys
) -> None:
    environ = environ_for(
        project,
        clean_environ,
        TESTGATE_TARGET_URL=provider.url,
        TESTGATE_REPORTS_DIR=str(tmp_path / "reports"),
    )
    gateway = f"http://127.0.0.1:{free_port()}"
    assert monitor_cmd.main(["--env", "prod", "--pushgateway", gateway], environ) == 0
    out = capsys.readouterr()
    assert f"push to Pushgateway {gateway} failed" in out.err
    assert (tmp_path / "reports" / "metrics.prom").is_file()


def test_no_smoke_checks_cannot_decide(project, provider, clean_environ, tmp_path) -> None:
    environ = environ_for(
        project,
        clean_environ,
        TESTGATE_TARGET_URL=provider.url,
        TESTGATE_REPORTS_DIR=str(tmp_path / "reports"),
    )
    assert monitor_cmd.main(["--env", "prod", "--marker", "nothing_marked_so"], environ) == 3
    metrics_text = (tmp_path / "reports" / "metrics.prom").read_text()
    assert 'testgate_run_success{environment="prod",service="inventory-api"} 0.0' in metrics_text


def test_smoke_checks_are_read_only(project, provider, clean_environ, tmp_path) -> None:
    (project / "tests" / "api" / "test_smoke.py").write_text(
        SMOKE_TESTS.replace(
            "def test_create_item_is_not_a_smoke_check", "@pytest.mark.smoke\ndef test_create"
        )
    )
    environ = environ_for(
        project,
        clean_environ,
        TESTGATE_TARGET_URL=provider.url,
        TESTGATE_REPORTS_DIR=str(tmp_path / "reports"),
    )
    assert monitor_cmd.main(["--env", "prod"], environ) == 1
    assert provider.writes == 0
    junit = (tmp_path / "reports" / "monitor.xml").read_text()
    assert "monitor runs are read-only: POST /items" in junit


def test_a_hanging_service_fails_the_run_and_alerts(
    project, webhook, clean_environ, tmp_path
) -> None:
    """Past --timeout the checks are stopped; the run is undecided (exit 3) and alerts."""
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        (project / "tests" / "api" / "test_smoke.py").write_text(
            SMOKE_TESTS.replace("timeout=2", "timeout=30")
        )
        environ = environ_for(
            project,
            clean_environ,
            TESTGATE_TARGET_URL=f"http://127.0.0.1:{silent.getsockname()[1]}",
            TESTGATE_ALERT_WEBHOOK_URL=webhook.url,
            TESTGATE_REPORTS_DIR=str(tmp_path / "reports"),
        )
        assert monitor_cmd.main(["--env", "prod", "--timeout", "2"], environ) == 3
    assert len(webhook.received) == 1
    assert "ran past the 2 s timeout" in json.dumps(webhook.received[0])
