"""Broker trouble through the real ``pact`` CLI: retries, then exit 3 naming the URL; auth -> exit 2.

Tokens never appear in anything the commands print.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from broker.server import PactBrokerServer
from broker.support import PROVIDER, ItemsProvider, pact_doc, publish
from testgate.cli import main

TOKEN = "tg-resilience-token-1b2c3d"
CAN_I_DEPLOY = [
    "can-i-deploy",
    "--pacticipant",
    "dashboard-api",
    "--version",
    "c1",
    "--to-environment",
    "prod",
]


@pytest.fixture
def environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    return {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PACT_DO_NOT_TRACK": "true",
        "PACT_BROKER_TOKEN": TOKEN,
        "TESTGATE_REPORTS_DIR": str(tmp_path / "reports"),
        "TESTGATE_BROKER_RETRIES": "2",
        "TESTGATE_BROKER_RETRY_BACKOFF": "0.05",
    }


@pytest.fixture
def server(pact_broker_factory) -> PactBrokerServer:
    broker = pact_broker_factory(token=TOKEN)
    broker.create_environment("prod")
    publish(broker.url, "c1", "main", headers={"Authorization": f"Bearer {TOKEN}"})
    return broker


def run(environ: dict[str, str], capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv), environ)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert TOKEN not in text
    return code, text


def test_transient_5xx_is_retried_until_it_passes(server, environ, capsys) -> None:
    environ["PACT_BROKER_BASE_URL"] = server.url
    server.inject_faults(503, count=2, path_prefix="/matrix")
    code, text = run(environ, capsys, *CAN_I_DEPLOY)
    assert code == 1, text  # the broker's real answer: no provider in prod
    assert "no version of inventory-api is recorded in prod" in text
    assert len(server.requests_to("GET", "/matrix")) == 3


def test_dropped_connections_are_retried(server, environ, capsys) -> None:
    environ["PACT_BROKER_BASE_URL"] = server.url
    server.inject_faults(None, count=1)
    assert run(environ, capsys, "environments", "list")[0] == 0


def test_persistent_5xx_exits_3_naming_the_url(server, environ, capsys) -> None:
    environ["PACT_BROKER_BASE_URL"] = server.url
    server.inject_faults(500, count=100)
    code, text = run(environ, capsys, *CAN_I_DEPLOY)
    assert code == 3
    assert f"the Pact Broker at {server.url} is unreachable or failing after 3 attempts" in text
    assert "500" in text


def test_unreachable_broker_exits_3_naming_the_url(
    unreachable_url, environ, capsys, tmp_path
) -> None:
    environ["PACT_BROKER_BASE_URL"] = unreachable_url
    (tmp_path / "pacts").mkdir()
    (tmp_path / "pacts" / "p.json").write_text(json.dumps(pact_doc()))
    started = time.monotonic()
    for argv in (
        CAN_I_DEPLOY,
        ["publish", "--pact-dir", str(tmp_path / "pacts"), "--version", "1", "--branch", "main"],
        ["record-deployment", "--pacticipant", "a", "--version", "1", "--environment", "prod"],
    ):
        code, text = run(environ, capsys, *argv)
        assert code == 3, text
        assert unreachable_url in text
    assert time.monotonic() - started < 20  # our backoff, not the CLI's minute-long default


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        pytest.param({"PACT_BROKER_TOKEN": "wrong-token"}, "PACT_BROKER_TOKEN", id="bad-token"),
        pytest.param(
            {"PACT_BROKER_TOKEN": ""}, "PACT_BROKER_TOKEN (or PACT_BROKER_USERNAME", id="none"
        ),
        pytest.param(
            {"PACT_BROKER_TOKEN": "", "PACT_BROKER_USERNAME": "ci", "PACT_BROKER_PASSWORD": "nope"},
            "PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD",
            id="bad-basic",
        ),
    ],
)
def test_rejected_credentials_exit_2_naming_the_variable(
    server, environ, capsys, variables, named
) -> None:
    environ.update(PACT_BROKER_BASE_URL=server.url, **variables)
    before = len(server.requests)
    code, text = run(environ, capsys, *CAN_I_DEPLOY)
    assert code == 2, text
    assert "401 Unauthorized" in text
    assert f"check {named}" in text
    assert len(server.requests) - before == 1  # an auth failure is not retried
    assert "nope" not in text


def test_read_only_token_cannot_publish(pact_broker_factory, environ, capsys, tmp_path) -> None:
    server = pact_broker_factory(token="rw-token", read_only_token=TOKEN)
    environ["PACT_BROKER_BASE_URL"] = server.url
    (tmp_path / "pacts").mkdir()
    (tmp_path / "pacts" / "p.json").write_text(json.dumps(pact_doc()))
    code, text = run(
        environ,
        capsys,
        "publish",
        "--pact-dir",
        str(tmp_path / "pacts"),
        "--version",
        "1",
        "--branch",
        "main",
    )
    assert code == 2, text
    assert "403 Forbidden" in text
    assert "write permission" in text


def test_basic_auth_works(pact_broker_factory, environ, capsys) -> None:
    server = pact_broker_factory(username="ci", password="basic-pw-77")
    environ.update(
        PACT_BROKER_BASE_URL=server.url,
        PACT_BROKER_TOKEN="",
        PACT_BROKER_USERNAME="ci",
        PACT_BROKER_PASSWORD="basic-pw-77",
    )
    code, text = run(environ, capsys, "environments", "list")
    assert code == 0, text
    assert "basic-pw-77" not in text
    assert {r["authorized_with"] for r in server.requests} == {"Basic"}


def test_verify_against_an_unreachable_broker_cannot_decide(
    unreachable_url, environ, capsys
) -> None:
    environ["PACT_BROKER_BASE_URL"] = unreachable_url
    provider = ItemsProvider()
    try:
        code, text = run(
            environ,
            capsys,
            "verify",
            "--broker",
            "--provider",
            PROVIDER,
            "--provider-url",
            provider.url,
            "--no-publish-results",
        )
    finally:
        provider.stop()
    assert code == 3, text
    assert "could not run" in text


def test_publish_without_a_broker_keeps_files(environ, capsys, tmp_path) -> None:
    (tmp_path / "pacts").mkdir()
    (tmp_path / "pacts" / "p.json").write_text(json.dumps(pact_doc()))
    code, text = run(environ, capsys, "publish", "--pact-dir", str(tmp_path / "pacts"))
    assert code == 0
    assert "the pacts stay as files" in text
