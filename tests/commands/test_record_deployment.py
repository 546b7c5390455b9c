"""``testgate record-deployment`` and ``record-release``."""

from __future__ import annotations

from testgate.cli import main as cli_main
from testgate.commands import record_deployment, record_release


def test_record_deployment_command(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer("✅ Recorded deployment")
    code = record_deployment.main(
        [
            "--pacticipant",
            "inventory-api",
            "--version",
            "p1",
            "--environment",
            "prod",
            "--application-instance",
            "blue",
        ],
        fake_pact_cli.environ,
    )
    assert code == 0
    assert fake_pact_cli.calls()[0]["argv"] == [
        "broker",
        "record-deployment",
        "--pacticipant",
        "inventory-api",
        "--version",
        "p1",
        "--environment",
        "prod",
        "--application-instance",
        "blue",
    ]
    assert "`inventory-api` `p1` deployed to `prod`" in capsys.readouterr().out


def test_record_release_through_the_cli_dispatch(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer("✅ Recorded release")
    env = dict(
        fake_pact_cli.environ,
        TESTGATE_PACTICIPANT="app",
        TESTGATE_VERSION="4.2",
        TESTGATE_ENVIRONMENT="prod",
    )
    assert cli_main(["record-release"], env) == 0
    assert fake_pact_cli.calls()[0]["argv"][:2] == ["broker", "record-release"]
    assert "released to `prod`" in capsys.readouterr().out


def test_record_release_has_no_application_instance(capsys) -> None:
    assert record_release.main(["--help"], {}) == 0
    assert "--application-instance" not in capsys.readouterr().out


def test_unknown_environment_is_a_config_error(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer("❌ Environment nope does not exist", rc=1)
    code = record_deployment.main(
        ["--pacticipant", "a", "--version", "1", "--environment", "nope"], fake_pact_cli.environ
    )
    assert code == 2
    assert "testgate environments ensure" in capsys.readouterr().err


def test_unknown_version_is_a_config_error(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer(
        "❌ Request to pact broker path '/pacticipants/a/versions/1' failed: 404 Not Found.", rc=1
    )
    code = record_deployment.main(
        ["--pacticipant", "a", "--version", "1", "--environment", "prod"], fake_pact_cli.environ
    )
    assert code == 2
    assert "does not know version 1 of a" in capsys.readouterr().err


def test_missing_inputs(fake_pact_cli, capsys) -> None:
    assert record_deployment.main(["--version", "1"], fake_pact_cli.environ) == 2
    err = capsys.readouterr().err
    assert "TESTGATE_PACTICIPANT" in err
    assert "TESTGATE_ENVIRONMENT" in err
