from __future__ import annotations

from pathlib import Path

import pytest
from testgate import secretscan
from testgate.config import list_environments, load_environment
from testgate.errors import ConfigError, ExitCode
from testgate.settings import env_var_for, load_project, parse_bool

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def envs(tmp_path: Path) -> Path:
    (tmp_path / "local.env").write_text("SERVICE_URL=http://127.0.0.1:1\nDATA=seed\n")
    (tmp_path / "beta.env").write_text("SERVICE_URL=https://beta.example.com\n")
    return tmp_path


def test_environment_file_is_loaded(envs: Path) -> None:
    env = load_environment("beta", {}, envs)
    assert env.name == "beta"
    assert env.get("SERVICE_URL") == "https://beta.example.com"


def test_real_environment_variables_win_over_the_file(envs: Path) -> None:
    env = load_environment("local", {"SERVICE_URL": "http://override"}, envs)
    assert env.get("SERVICE_URL") == "http://override"
    assert env.get("DATA") == "seed"


def test_the_default_environment_may_have_no_file(tmp_path: Path) -> None:
    assert load_environment("local", {}, tmp_path).values == {}
    with pytest.raises(ConfigError, match="--env"):
        load_environment("beta", {}, tmp_path)
    assert load_environment("beta", {}, tmp_path, optional=True).values == {}


@pytest.mark.parametrize("name", ["staging", "../etc/passwd", ""])
def test_unknown_environment_lists_the_known_ones(envs: Path, name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_environment(name or "nope", {}, envs)
    assert info.value.exit_code == ExitCode.USAGE
    assert "beta, local" in str(info.value)


def test_require_names_every_missing_setting_and_the_file(envs: Path) -> None:
    env = load_environment("beta", {}, envs)
    with pytest.raises(ConfigError) as info:
        env.require("SERVICE_URL", "TOKEN_URL", "DATA")
    text = str(info.value)
    assert "TOKEN_URL" in text
    assert "DATA" in text
    assert "SERVICE_URL" not in text.split("missing")[1]
    assert str(envs / "beta.env") in text


def test_env_var_names_follow_the_input_names() -> None:
    assert env_var_for("to-environment") == "TESTGATE_TO_ENVIRONMENT"
    assert env_var_for("tools-ref") == "TESTGATE_TOOLS_REF"


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("0", False), ("On", True), ("no", False)]
)
def test_parse_bool(text: str, value: bool) -> None:
    assert parse_bool(text, "X") is value


def test_parse_bool_rejects_nonsense() -> None:
    with pytest.raises(ConfigError, match="X must be true or false"):
        parse_bool("maybe", "X")


def test_project_file_is_found_from_a_subfolder() -> None:
    project = load_project(ROOT / "examples" / "inventory-api")
    assert project.file == ROOT / "testgate.toml"
    assert project.get("provider", "name") == "inventory-api"


def test_broken_project_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "testgate.toml").write_text("[provider\nname=1")
    with pytest.raises(ConfigError, match=r"testgate\.toml"):
        load_project(tmp_path)


# Secrets never live in envs/: only URLs, data-set names and timeouts. The detector is the
# one `testgate publish` runs over pacts (testgate.secretscan).
def scan_for_secrets(folder: Path) -> list[str]:
    return [str(finding) for finding in secretscan.scan_env_files(folder)]


def test_envs_folder_holds_no_secrets() -> None:
    assert list_environments(ROOT / "envs") == ["alpha", "beta", "gamma", "local", "prod"]
    assert scan_for_secrets(ROOT / "envs") == []


@pytest.mark.parametrize(
    "line",
    [
        "PACT_BROKER_TOKEN=abc",
        "DB_PASSWORD=hunter2",
        "URL=https://user:pass@example.com",
        "X=ghp_abcdefghijklmnopqrstuvwxyz0123",
        "K=AKIAABCDEFGHIJKLMNOP",
    ],
)
def test_the_secret_scan_catches_secrets(tmp_path: Path, line: str) -> None:
    (tmp_path / "bad.env").write_text(f"# fine\n{line}\n")
    assert scan_for_secrets(tmp_path) == [f"bad.env:2: {line.split('=')[0]}"]
