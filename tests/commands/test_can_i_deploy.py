"""``testgate can-i-deploy``: the command it builds and the decision it takes from the JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testgate.commands import can_i_deploy

ARGS = ["--pacticipant", "dashboard-api", "--version", "c1", "--to-environment", "prod"]


def matrix(deployable: bool | None, reason: str, success: bool | None = None) -> str:
    row: dict[str, Any] = {
        "consumer": {"name": "dashboard-api", "version": {"number": "c1"}},
        "provider": {"name": "inventory-api", "version": {"number": "p1"}},
        "verificationResult": None
        if success is None
        else {"success": success, "_links": {"self": {"href": "https://broker/v/1"}}},
    }
    return json.dumps(
        {
            "summary": {
                "deployable": deployable,
                "reason": reason,
                "success": int(bool(success)),
                "failed": 0,
                "unknown": int(success is None),
            },
            "notices": [],
            "matrix": [row],
        }
    )


def test_yes(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer(
        matrix(True, "All required verification results are published and successful", True)
    )
    code = can_i_deploy.main(ARGS, fake_pact_cli.environ)
    out = capsys.readouterr().out
    assert code == 0
    (call,) = fake_pact_cli.calls()
    assert call["argv"] == [
        "broker",
        "can-i-deploy",
        "--pacticipant",
        "dashboard-api",
        "--version",
        "c1",
        "--to-environment",
        "prod",
        "--output",
        "json",
    ]
    assert "dashboard-api c1 to prod: ✅ yes" in out
    assert (
        "| dashboard-api | c1 | inventory-api | p1 | ✅ yes | inventory-api p1 verified the pact |"
        in out
    )
    report = json.loads(
        (Path(fake_pact_cli.environ["TESTGATE_REPORTS_DIR"]) / "can-i-deploy.json").read_text()
    )
    assert report["passed"] is True
    assert report["matrix"][0]["verification_url"] == "https://broker/v/1"


def test_unknown_fails_closed_with_the_reason(fake_pact_cli, capsys) -> None:
    reason = "There is no verified pact between version c1 of dashboard-api and the version of inventory-api currently in prod (p1)"
    fake_pact_cli.answer(matrix(None, reason))
    code = can_i_deploy.main(ARGS, fake_pact_cli.environ)
    captured = capsys.readouterr()
    assert code == 1
    assert "❌ no (results unknown)" in captured.out
    assert reason in captured.out
    assert reason in captured.err  # also as an error annotation


def test_dry_run_reports_fail_but_exits_zero(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer(matrix(False, "The verification ... failed", False))
    env = dict(fake_pact_cli.environ, TESTGATE_DRY_RUN="true")
    assert can_i_deploy.main(ARGS, env) == 0
    out = capsys.readouterr().out
    assert "Dry run" in out
    assert "❌ failed" in out
    report = json.loads((Path(env["TESTGATE_REPORTS_DIR"]) / "can-i-deploy.json").read_text())
    assert report["passed"] is False
    assert report["dry_run"] is True


def test_polling_options_reach_the_cli(fake_pact_cli) -> None:
    fake_pact_cli.answer(matrix(True, "ok", True))
    env = dict(fake_pact_cli.environ, TESTGATE_RETRY_INTERVAL="3")
    assert can_i_deploy.main([*ARGS, "--retry-while-unknown", "5"], env) == 0
    assert fake_pact_cli.calls()[0]["argv"][-4:] == [
        "--retry-while-unknown",
        "5",
        "--retry-interval",
        "3",
    ]


def test_missing_inputs_are_named_together(fake_pact_cli, capsys) -> None:
    code = can_i_deploy.main(["--version", "1"], fake_pact_cli.environ)
    err = capsys.readouterr().err
    assert code == 2
    assert "pacticipant is required (--pacticipant, env TESTGATE_PACTICIPANT" in err
    assert "to-environment is required (--to-environment, env TESTGATE_TO_ENVIRONMENT" in err
    assert fake_pact_cli.calls() == []


def test_settings_from_the_environment(fake_pact_cli) -> None:
    fake_pact_cli.answer(matrix(True, "ok", True))
    env = dict(
        fake_pact_cli.environ,
        TESTGATE_PACTICIPANT="web",
        TESTGATE_VERSION="9",
        TESTGATE_TO_ENVIRONMENT="beta",
    )
    assert can_i_deploy.main([], env) == 0
    assert fake_pact_cli.calls()[0]["argv"][2:8] == [
        "--pacticipant",
        "web",
        "--version",
        "9",
        "--to-environment",
        "beta",
    ]


def test_malformed_answer_cannot_decide(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer("{not json")
    assert can_i_deploy.main(ARGS, fake_pact_cli.environ) == 3
    assert "malformed JSON" in capsys.readouterr().err


def test_unauthorized_names_the_credential_variable(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer(
        "❌ Request to pact broker path '' failed: 401 Unauthorized. Response: {}. URL: 'https://broker.example.com'",
        rc=1,
    )
    assert can_i_deploy.main(ARGS, fake_pact_cli.environ) == 2
    err = capsys.readouterr().err
    assert "refused the credentials (401 Unauthorized)" in err
    assert "check PACT_BROKER_TOKEN" in err
    assert len(fake_pact_cli.calls()) == 1  # never retried


def test_basic_auth_failure_names_username_and_password(fake_pact_cli, capsys) -> None:
    env = dict(fake_pact_cli.environ, PACT_BROKER_USERNAME="ci", PACT_BROKER_PASSWORD="pw-secret-1")
    del env["PACT_BROKER_TOKEN"]
    fake_pact_cli.environ = env
    fake_pact_cli.answer("❌ failed: 403 Forbidden. Response: pw-secret-1", rc=1)
    assert can_i_deploy.main(ARGS, env) == 2
    err = capsys.readouterr().err
    assert "PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD" in err
    assert "pw-secret-1" not in err


def test_transient_failures_are_retried(fake_pact_cli) -> None:
    failure = "❌ Request to pact broker path '' failed: 503 Service Unavailable."
    fake_pact_cli.answers((1, failure), (1, failure), (0, matrix(True, "ok", True)))
    assert can_i_deploy.main(ARGS, fake_pact_cli.environ) == 0
    assert len(fake_pact_cli.calls()) == 3


def test_unreachable_after_retries_names_the_url(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer("❌ Failed to access pact broker path '' - error sending request", rc=1)
    env = dict(fake_pact_cli.environ, TESTGATE_BROKER_RETRIES="2")
    assert can_i_deploy.main(ARGS, env) == 3
    err = capsys.readouterr().err
    assert "https://broker.example.com is unreachable or failing after 3 attempts" in err
    assert len(fake_pact_cli.calls()) == 3


def test_no_broker_configured(fake_pact_cli, capsys) -> None:
    env = dict(fake_pact_cli.environ)
    del env["PACT_BROKER_BASE_URL"]
    assert can_i_deploy.main(ARGS, env) == 2
    assert "PACT_BROKER_BASE_URL" in capsys.readouterr().err


def test_tls_verification_off_only_with_the_flag(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer(matrix(True, "ok", True))
    fake_pact_cli.environ["SSL_SKIP_VERIFICATION"] = "true"  # inherited: ignored
    assert can_i_deploy.main(ARGS, fake_pact_cli.environ) == 0
    assert "SSL_SKIP_VERIFICATION" not in fake_pact_cli.calls()[0]["env"]
    assert can_i_deploy.main([*ARGS, "--skip-ssl-verification"], fake_pact_cli.environ) == 0
    assert fake_pact_cli.calls()[1]["env"]["SSL_SKIP_VERIFICATION"] == "true"
    assert "TLS certificate verification of the Pact Broker is OFF" in capsys.readouterr().err
