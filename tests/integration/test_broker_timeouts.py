"""A broker that never answers, or answers 500, ends every broker command with exit 3 in time.

Every command that talks to the broker, through the real ``pact`` CLI or the real Verifier,
against the test broker stalling (it accepts the request and never answers) or failing (500):
exit 3 naming the URL, after ``attempts`` tries, within ``timeout x attempts + backoff``
(measured), and for a stall not before ``timeout x attempts`` (it did wait, and retry).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from broker.server import STALL, PactBrokerServer
from broker.support import PROVIDER, ItemsProvider, pact_doc, publish
from testgate.broker import BrokerSettings
from testgate.cli import main

TOKEN = "tg-timeout-token-5e6f7a"
TIMEOUT = 1.0  # TESTGATE_BROKER_TIMEOUT
RETRIES = 1  # TESTGATE_BROKER_RETRIES: two attempts
BACKOFF = 0.2  # TESTGATE_BROKER_RETRY_BACKOFF
WORST = BrokerSettings(url="x", timeout=TIMEOUT, retries=RETRIES, backoff=BACKOFF).worst_case()
SLACK = 2.5  # process start-up of the pact CLI, the Verifier's core, a loaded 2-core machine

ASK = ["--pacticipant", "dashboard-api", "--version", "c1", "--to-environment", "prod"]
RECORD = ["--pacticipant", "a", "--version", "1", "--environment", "prod"]
HOOK = ["--provider", PROVIDER, "--target", "github", "--repository", "acme/inventory-api"]
VERIFY = ["verify", "--provider", PROVIDER, "--no-publish-results"]
COMMANDS = {
    "can-i-deploy": ["can-i-deploy", *ASK],
    "publish": ["publish", "--version", "c2", "--branch", "main"],
    "record-deployment": ["record-deployment", *RECORD],
    "record-release": ["record-release", *RECORD],
    "environments": ["environments", "list"],
    "webhook": ["webhook", "ensure", *HOOK],
    "verify --broker": [*VERIFY, "--broker"],
    "verify --pact-url": VERIFY,
}


@pytest.fixture
def environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")  # the Verifier runs in this process
    (tmp_path / "pacts").mkdir()
    (tmp_path / "pacts" / "p.json").write_text(json.dumps(pact_doc()))
    return {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PACT_DO_NOT_TRACK": "true",
        "PACT_BROKER_TOKEN": TOKEN,
        "TESTGATE_REPORTS_DIR": str(tmp_path / "reports"),
        "TESTGATE_PACT_DIR": str(tmp_path / "pacts"),
        "TESTGATE_WEBHOOK_TOKEN": "ghp_timeout_test",
        "TESTGATE_BROKER_TIMEOUT": str(TIMEOUT),
        "TESTGATE_BROKER_RETRIES": str(RETRIES),
        "TESTGATE_BROKER_RETRY_BACKOFF": str(BACKOFF),
    }


@pytest.fixture
def server(pact_broker_factory) -> PactBrokerServer:
    broker = pact_broker_factory(token=TOKEN)
    broker.create_environment("prod")
    publish(broker.url, "c1", "main", headers={"Authorization": f"Bearer {TOKEN}"})
    return broker


def _argv(name: str, server: PactBrokerServer, provider: ItemsProvider) -> list[str]:
    argv = list(COMMANDS[name])
    if name.startswith("verify"):
        argv += ["--provider-url", provider.url]
    if name == "verify --pact-url":
        argv += [
            "--pact-url",
            f"{server.url}/pacts/provider/{PROVIDER}/consumer/dashboard-api/latest",
        ]
    return argv


@pytest.mark.parametrize("fault", [STALL, 500])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_silent_or_failing_broker_ends_in_time_with_exit_3(
    name: str, fault: int | str, server, environ, capsys
) -> None:
    environ["PACT_BROKER_BASE_URL"] = server.url
    server.inject_faults(fault, count=1000)
    before = len(server.requests)
    provider = ItemsProvider()
    try:
        started = time.monotonic()
        code = main(_argv(name, server, provider), environ)
        took = time.monotonic() - started
    finally:
        provider.stop()
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == 3, text
    assert f"the Pact Broker at {server.url} is unreachable or failing after 2 attempts" in text
    assert ("no answer" if fault == STALL else "500") in text
    assert TOKEN not in text
    assert took <= WORST + SLACK, f"{name}: {took:.1f} s, worst case {WORST:.1f} s"
    if fault == STALL:
        assert took >= TIMEOUT * (RETRIES + 1), f"{name}: gave up after {took:.1f} s"
    assert len(server.requests) - before == RETRIES + 1  # one request an attempt, then no more


def test_the_timeout_flag_wins_over_the_variable(server, environ, capsys) -> None:
    environ["PACT_BROKER_BASE_URL"] = server.url
    environ["TESTGATE_BROKER_TIMEOUT"] = "30"
    environ["TESTGATE_BROKER_RETRIES"] = "0"
    server.inject_faults(STALL, count=1000)
    started = time.monotonic()
    code = main([*COMMANDS["can-i-deploy"], "--broker-timeout", "1"], environ)
    took = time.monotonic() - started
    assert code == 3, capsys.readouterr().err
    assert 1.0 <= took <= 1.0 + SLACK


def test_can_i_deploy_polling_gets_its_own_time(server, environ, capsys) -> None:
    """--retry-while-unknown polls inside one CLI run: it is not cut at one timeout."""
    environ["PACT_BROKER_BASE_URL"] = server.url
    started = time.monotonic()
    code = main(
        [*COMMANDS["can-i-deploy"], "--retry-while-unknown", "2", "--retry-interval", "1"], environ
    )
    took = time.monotonic() - started
    captured = capsys.readouterr()
    assert code == 1, captured.err  # the broker's real answer: unknown, after polling
    assert "results unknown" in captured.out
    assert took >= 2.0  # polled twice, a second apart, in one attempt of over a second
    assert len(server.requests_to("GET", "/matrix")) == 3
