"""``testgate api-tests`` in a project of its own: envs/ is optional for ``local``, the child
environment carries the service URL and PACT_DO_NOT_TRACK, shard settings are checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from testgate.commands import api_tests

# The API tests of the scratch project check what testgate handed them.
CHECK_ENV = """\
import os


def test_environment_reaches_the_tests():
    assert os.environ["SERVICE_URL"] == os.environ["EXPECTED_URL"]
    assert os.environ["TESTGATE_ENV"] == "local"
    assert os.environ["PACT_DO_NOT_TRACK"] == os.environ["EXPECTED_TRACK"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A service with API tests and no envs/ folder at all."""
    root = tmp_path / "service"
    (root / "tests" / "api").mkdir(parents=True)
    (root / "tests" / "api" / "test_env.py").write_text(CHECK_ENV, encoding="utf-8")
    (root / "testgate.toml").write_text(
        '[api-tests]\ntests = "tests/api"\nurl-variable = "SERVICE_URL"\n', encoding="utf-8"
    )
    return root


@pytest.fixture
def env(clean_environ: dict[str, str], project: Path) -> dict[str, str]:
    environ = {k: v for k, v in clean_environ.items() if k != "PACT_DO_NOT_TRACK"}
    environ["TESTGATE_PROJECT_FILE"] = str(project / "testgate.toml")
    environ["TESTGATE_PLATFORM"] = "local"
    environ["PYTEST_ADDOPTS"] = "-p no:hypothesispytest"
    environ["EXPECTED_URL"] = "http://127.0.0.1:9/svc"
    environ["EXPECTED_TRACK"] = "true"
    return environ


def test_local_without_envs_folder_runs_with_the_real_environment(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env["SERVICE_URL"] = "http://127.0.0.1:9/svc"
    code = api_tests.main(["--env", "local"], env)
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert (tmp_path / "reports" / "api.xml").is_file()


def test_pact_do_not_track_is_true_unless_set(env: dict[str, str]) -> None:
    env["SERVICE_URL"] = env["EXPECTED_URL"]
    assert api_tests.main([], env) == 0  # not set: the child sees true
    env["PACT_DO_NOT_TRACK"] = env["EXPECTED_TRACK"] = "false"
    assert api_tests.main([], env) == 0  # set: left as it is


def test_local_without_the_url_names_the_variable(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert api_tests.main([], env) == 2
    err = capsys.readouterr().err
    assert "environment 'local' is missing SERVICE_URL" in err
    assert "--target-url" in err


def test_an_unknown_environment_without_envs_folder_is_a_usage_error(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert api_tests.main(["--env", "beta"], env) == 2
    assert "unknown environment 'beta'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--shard-index", "2"], "shards is not set", id="index-alone"),
        pytest.param(["--shards", "3"], "shard-index is not set", id="shards-alone"),
        pytest.param(["--shards", "2", "--index", "3"], "out of range for 2 shards", id="range"),
        pytest.param(["--shards", "0"], "--shards must be at least 1", id="zero"),
    ],
)
def test_shard_settings_are_checked_before_anything_runs(
    env: dict[str, str], argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert api_tests.main(argv, env) == 2
    assert message in capsys.readouterr().err


def test_gitlab_parallel_variables_choose_the_shard(env: dict[str, str]) -> None:
    from testgate import settings
    from testgate.platforms import LocalPlatform

    args = api_tests.build_parser().parse_args([])
    cfg = settings.load(
        api_tests.SPEC, args, {**env, "CI_NODE_TOTAL": "4", "CI_NODE_INDEX": "3"}, LocalPlatform({})
    )
    assert api_tests.shard_position(cfg) == (4, 3)
    assert cfg.api_tests_junit.name == "api-shard-3.xml"
