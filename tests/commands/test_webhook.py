"""``testgate webhook ensure``: the create-or-update-webhook call for GitHub, GitLab and Jenkins."""

from __future__ import annotations

import json

import pytest
from testgate import broker
from testgate.commands import webhook

SECRET = "wh-secret-4e5f6a"


@pytest.fixture
def env(fake_pact_cli) -> dict[str, str]:
    fake_pact_cli.answer("{}")
    fake_pact_cli.environ["TESTGATE_WEBHOOK_TOKEN"] = SECRET
    return fake_pact_cli.environ  # the same dict: later answer() calls reach the command


def _opt(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_github_repository_dispatch(env, fake_pact_cli, capsys) -> None:
    code = webhook.main(
        ["ensure", "--provider", "inventory-api", "--target", "github", "--repository", "acme/inv"],
        env,
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    argv = fake_pact_cli.calls()[0]["argv"]
    assert argv[:3] == [
        "broker",
        "create-or-update-webhook",
        "https://api.github.com/repos/acme/inv/dispatches",
    ]
    assert _opt(argv, "--uuid") == broker.webhook_uuid("inventory-api", "github")
    assert "--contract-requiring-verification-published" in argv
    headers = argv[argv.index("--header") + 1 : argv.index("--header") + 4]
    assert headers == [
        "Content-Type: application/json",
        "Accept: application/vnd.github+json",
        f"Authorization: Bearer {SECRET}",
    ]
    assert argv.count("--header") == 1
    body = json.loads(_opt(argv, "--data"))
    assert body["event_type"] == "contract_requiring_verification_published"
    assert body["client_payload"]["pact_url"] == "${pactbroker.pactUrl}"
    assert SECRET not in out.out + out.err


def test_gitlab_pipeline_trigger(env, fake_pact_cli) -> None:
    env.update(
        {
            "GITLAB_CI": "true",
            "CI_PROJECT_ID": "77",
            "CI_SERVER_URL": "https://gitlab.example.com",
            "TESTGATE_REPORTS_DIR": env["TESTGATE_REPORTS_DIR"],
        }
    )
    assert webhook.main(["ensure", "--provider", "inventory-api", "--ref", "develop"], env) == 0
    argv = fake_pact_cli.calls()[0]["argv"]
    assert argv[2] == "https://gitlab.example.com/api/v4/projects/77/trigger/pipeline"
    body = json.loads(_opt(argv, "--data"))
    assert body == {
        "token": SECRET,
        "ref": "develop",
        "variables": {"TESTGATE_PACT_URL": "${pactbroker.pactUrl}"},
    }


def test_jenkins_build_with_parameters(env, fake_pact_cli) -> None:
    env["TESTGATE_WEBHOOK_USER"] = "ci-bot"
    code = webhook.main(
        [
            "ensure",
            "--provider",
            "inventory-api",
            "--target",
            "jenkins",
            "--jenkins-url",
            "https://jenkins.example.com/",
            "--job",
            "team/inventory verify",
        ],
        env,
    )
    assert code == 0
    argv = fake_pact_cli.calls()[0]["argv"]
    assert argv[2] == (
        "https://jenkins.example.com/job/team/job/inventory%20verify/buildWithParameters"
        "?TESTGATE_PACT_URL=${pactbroker.pactUrl}"
    )
    assert _opt(argv, "--user") == f"ci-bot:{SECRET}"
    assert "--data" not in argv


def test_missing_settings_are_named_together(fake_pact_cli, capsys) -> None:
    code = webhook.main(
        ["ensure", "--provider", "inventory-api", "--target", "jenkins"], fake_pact_cli.environ
    )
    err = capsys.readouterr().err
    assert code == 2
    assert '"jenkins-url"' in err
    assert '"job"' in err
    assert "TESTGATE_WEBHOOK_USER and TESTGATE_WEBHOOK_TOKEN" in err
    assert fake_pact_cli.calls() == []


def test_secret_is_redacted_from_cli_errors(env, fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer(f"❌ rejected header Authorization: Bearer {SECRET}", rc=1)
    code = webhook.main(
        ["ensure", "--provider", "p", "--target", "github", "--repository", "a/b"], env
    )
    err = capsys.readouterr().err
    assert code == 3
    assert SECRET not in err
    assert "***" in err
