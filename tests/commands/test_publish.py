"""``testgate publish``: the pact CLI call it builds, defaults from CI, and no-broker behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from broker.support import pact_doc
from testgate.commands import publish

TOKEN = "fake-token-9d8c7b"


@pytest.fixture
def pacts(tmp_path: Path) -> Path:
    folder = tmp_path / "pacts"
    folder.mkdir()
    (folder / "dashboard-api-inventory-api.json").write_text(json.dumps(pact_doc()))
    return folder


def test_no_broker_keeps_the_pacts_as_files(pacts, clean_environ, capsys) -> None:
    code = publish.main(["--pact-dir", str(pacts)], clean_environ)
    out = capsys.readouterr().out
    assert code == 0
    assert "No Pact Broker is configured" in out
    assert "stay as files" in out
    assert "1 pact file in" in out


def test_no_broker_and_no_pacts_warns(tmp_path, clean_environ, capsys) -> None:
    code = publish.main(["--pact-dir", str(tmp_path / "none")], clean_environ)
    captured = capsys.readouterr()
    assert code == 0
    assert "holds no pact files" in captured.err


def test_builds_the_publish_command(pacts, fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer("✅ published")
    code = publish.main(
        [
            "--pact-dir",
            str(pacts),
            "--version",
            "1a2b3c",
            "--branch",
            "feat-x",
            "--build-url",
            "https://ci/1",
            "--tag",
            "rc",
        ],
        fake_pact_cli.environ,
    )
    out = capsys.readouterr().out
    assert code == 0, out
    (call,) = fake_pact_cli.calls()
    assert call["argv"] == [
        "broker",
        "publish",
        str(pacts / "dashboard-api-inventory-api.json"),
        "--consumer-app-version",
        "1a2b3c",
        "--branch",
        "feat-x",
        "--build-url",
        "https://ci/1",
        "--tag",
        "rc",
    ]
    # credentials travel in the environment, never on the command line
    assert call["env"]["PACT_BROKER_TOKEN"] == TOKEN
    assert call["env"]["PACT_BROKER_BASE_URL"] == "https://broker.example.com"
    assert call["env"]["PACT_BROKER_HTTP_RETRIES"] == "0"
    assert TOKEN not in " ".join(call["argv"])
    assert TOKEN not in out
    assert "Consumer version `1a2b3c` on branch `feat-x`" in out


def test_version_branch_and_build_url_come_from_github(
    pacts, fake_pact_cli, tmp_path, capsys
) -> None:
    env = dict(fake_pact_cli.environ)
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SHA": "abc123",
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/dashboard",
            "GITHUB_RUN_ID": "42",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output"),
        }
    )
    assert publish.main(["--pact-dir", str(pacts)], env) == 0
    argv = fake_pact_cli.calls()[0]["argv"]
    assert argv[argv.index("--consumer-app-version") + 1] == "abc123"
    assert argv[argv.index("--branch") + 1] == "main"
    assert (
        argv[argv.index("--build-url") + 1] == "https://github.com/acme/dashboard/actions/runs/42"
    )
    assert "consumer-version=abc123" in (tmp_path / "output").read_text()
    assert "::add-mask::" + TOKEN in capsys.readouterr().out


def test_tags_from_the_environment(pacts, fake_pact_cli) -> None:
    env = dict(fake_pact_cli.environ, TESTGATE_TAGS="rc, beta", TESTGATE_VERSION="v1")
    assert publish.main(["--pact-dir", str(pacts), "--branch", "b"], env) == 0
    argv = fake_pact_cli.calls()[0]["argv"]
    assert argv[-4:] == ["--tag", "rc", "--tag", "beta"]


def test_no_pacts_with_a_broker_is_a_config_error(tmp_path, fake_pact_cli, capsys) -> None:
    code = publish.main(
        ["--pact-dir", str(tmp_path / "empty"), "--version", "1"], fake_pact_cli.environ
    )
    assert code == 2
    assert "no pact files" in capsys.readouterr().err
    assert fake_pact_cli.calls() == []


def test_no_version_outside_git_is_a_config_error(
    pacts, fake_pact_cli, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)  # not a git checkout
    code = publish.main(["--pact-dir", str(pacts), "--branch", "b"], fake_pact_cli.environ)
    assert code == 2
    assert "TESTGATE_VERSION" in capsys.readouterr().err


def test_changed_content_for_a_version_is_a_config_error(pacts, fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer(
        "❌ Request to pact broker path '/contracts/publish' failed: 409 Conflict. Response: "
        '{"errors":{"contracts":["Cannot change the content of the pact for dashboard-api version 1"]}}',
        rc=1,
    )
    code = publish.main(["--pact-dir", str(pacts), "--version", "1"], fake_pact_cli.environ)
    assert code == 2
    assert "new consumer version" in capsys.readouterr().err


def test_pact_dir_from_testgate_toml(tmp_path, clean_environ, monkeypatch, capsys) -> None:
    (tmp_path / "testgate.toml").write_text('[consumer]\npact-dir = "build/contracts"\n')
    (tmp_path / "build" / "contracts").mkdir(parents=True)
    (tmp_path / "build" / "contracts" / "a.json").write_text(json.dumps(pact_doc()))
    monkeypatch.chdir(tmp_path)
    assert publish.main([], clean_environ) == 0
    out = capsys.readouterr().out
    assert f"1 pact file in `{tmp_path / 'build' / 'contracts'}`" in out
