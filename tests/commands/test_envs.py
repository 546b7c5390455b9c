"""One name per concept: ``testgate environments list|show`` for the envs/ files (and the
broker's), ``testgate envs`` kept as an alias that says it is one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testgate.commands import environments, envs


@pytest.fixture
def env(clean_environ: dict[str, str], tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "envs"
    folder.mkdir()
    (folder / "beta.env").write_text("SERVICE_URL=https://beta.example.com\nDATA=seed\n")
    (folder / "prod.env").write_text("SERVICE_URL=https://prod.example.com\n")
    return dict(clean_environ, TESTGATE_ENVS_DIR=str(folder), TESTGATE_PLATFORM="local")


def test_environments_list_without_a_broker_lists_the_files(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert environments.main(["list"], env) == 0
    assert f"environments in {tmp_path / 'envs'}: beta, prod" in capsys.readouterr().out


def test_environments_list_with_a_broker_lists_both(
    fake_pact_cli, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pact_cli.answer(json.dumps({"_embedded": {"environments": [{"name": "gamma"}]}}))
    assert environments.main(["list"], {**fake_pact_cli.environ, **env}) == 0
    out = capsys.readouterr().out
    assert ": beta, prod" in out
    assert "- `gamma`" in out


def test_environments_show_is_what_envs_env_was(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    env["DATA"] = "big"
    assert environments.main(["show", "beta"], env) == 0
    shown = capsys.readouterr().out
    assert "  DATA=big    [environment]" in shown
    assert "  SERVICE_URL=https://beta.example.com    [file]" in shown
    assert envs.main(["--env", "beta"], env) == 0
    alias = capsys.readouterr().out
    assert "alias of `testgate environments show beta`" in alias
    assert alias.splitlines()[1:] == shown.splitlines()


def test_envs_lists_as_an_alias_and_says_so(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    env["TESTGATE_ENV"] = "prod"  # only --env shows one, as before
    assert envs.main([], env) == 0
    out = capsys.readouterr().out
    assert "alias of `testgate environments list`" in out
    assert ": beta, prod" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["show"], "needs the environment's name", id="show-without-name"),
        pytest.param(
            ["show", "staging"], "unknown environment 'staging' (known: beta, prod)", id="unknown"
        ),
        pytest.param(["list", "beta"], "takes no NAME", id="list-with-name"),
    ],
)
def test_environments_usage_errors(
    env: dict[str, str], argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert environments.main(argv, env) == 2
    assert message in capsys.readouterr().err


def test_envs_unknown_environment_is_a_usage_error(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert envs.main(["--env", "staging"], env) == 2
    assert "unknown environment 'staging'" in capsys.readouterr().err
