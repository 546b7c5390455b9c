"""One build identity: ``Platform.build_info()`` per CI (commit, branch, build URL, ...), git
locally, and the TESTGATE_* overrides honoured by every command through the settings loader.

The cases of the former ``test_ci_context.py``, against the new API."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from testgate import cli, settings
from testgate.buildinfo import BuildInfo
from testgate.platforms import detect


def no_git(args: list[str]) -> str | None:
    raise AssertionError(f"git should not be needed, asked {args}")


def fake_git(sha: str | None, branch: str | None):
    def runner(args: list[str]) -> str | None:
        return sha if args == ["rev-parse", "HEAD"] else branch

    return runner


def build(environ: dict[str, str], git=no_git, platform: str | None = None) -> BuildInfo:
    return detect(environ, platform).build_info(git=git)


GITHUB_PUSH = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SHA": "abc",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_SERVER_URL": "https://github.example.com",
    "GITHUB_REPOSITORY": "acme/web",
    "GITHUB_RUN_ID": "99",
    "GITHUB_RUN_NUMBER": "12",
}


def test_github_push() -> None:
    info = build(GITHUB_PUSH)
    assert (info.platform, info.commit, info.branch, info.is_ci) == ("github", "abc", "main", True)
    assert info.build_url == "https://github.example.com/acme/web/actions/runs/99"
    assert (info.repository, info.run_id, info.run_number, info.pr_number) == (
        "acme/web",
        "99",
        "12",
        None,
    )
    assert info.is_default_branch  # main, when GitHub does not say which is the default


def test_github_pull_request_uses_the_head_not_the_merge_commit(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "number": 7,
                "pull_request": {"number": 7, "head": {"sha": "head123"}},
                "repository": {"default_branch": "trunk"},
            }
        )
    )
    info = build(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SHA": "merge456",
            "GITHUB_REF": "refs/pull/7/merge",
            "GITHUB_HEAD_REF": "feat-x",
            "GITHUB_EVENT_PATH": str(event),
        }
    )
    assert (info.commit, info.branch, info.default_branch) == ("head123", "feat-x", "trunk")
    assert info.pr_number == "7"
    assert not info.is_default_branch


def test_github_refs_pull_without_an_event_file_still_names_the_request() -> None:
    info = build(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SHA": "merge456",
            "GITHUB_REF": "refs/pull/31/merge",
            "GITHUB_HEAD_REF": "feat-y",
        }
    )
    assert (info.commit, info.branch, info.pr_number) == ("merge456", "feat-y", "31")


@pytest.mark.parametrize(
    ("extra", "branch", "mr"),
    [
        pytest.param({"CI_COMMIT_BRANCH": "main"}, "main", None, id="push"),
        pytest.param(
            {"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat-y", "CI_MERGE_REQUEST_IID": "5"},
            "feat-y",
            "5",
            id="merge-request",
        ),
    ],
)
def test_gitlab(extra: dict[str, str], branch: str, mr: str | None) -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_COMMIT_SHA": "def",
        "CI_JOB_URL": "https://gitlab.example.com/acme/web/-/jobs/5",
        "CI_DEFAULT_BRANCH": "main",
        "CI_SERVER_URL": "https://gitlab.example.com",
        "CI_PROJECT_ID": "42",
        **extra,
    }
    info = build(env)
    assert (info.platform, info.commit, info.branch) == ("gitlab", "def", branch)
    assert info.build_url == "https://gitlab.example.com/acme/web/-/jobs/5"
    assert info.default_branch == "main"
    assert (info.pr_number, info.project_id) == (mr, "42")
    assert info.api_url == "https://gitlab.example.com/api/v4"


@pytest.mark.parametrize(
    ("extra", "branch", "pr"),
    [
        pytest.param({"BRANCH_NAME": "main"}, "main", None, id="multibranch"),
        pytest.param(
            {"BRANCH_NAME": "PR-12", "CHANGE_BRANCH": "feat-z", "CHANGE_ID": "12"},
            "feat-z",
            "12",
            id="pull-request",
        ),
        pytest.param({"GIT_BRANCH": "origin/release/1.x"}, "release/1.x", None, id="git-plugin"),
    ],
)
def test_jenkins(extra: dict[str, str], branch: str, pr: str | None) -> None:
    env = {
        "JENKINS_URL": "https://ci.example.com/",
        "GIT_COMMIT": "0a1b",
        "BUILD_URL": "https://ci.example.com/job/web/3/",
        **extra,
    }
    info = build(env)
    assert (info.platform, info.commit, info.branch) == ("jenkins", "0a1b", branch)
    assert info.build_url == "https://ci.example.com/job/web/3/"
    assert info.pr_number == pr


def test_local_asks_git() -> None:
    info = build({}, git=fake_git("f00", "feat-local"))
    assert (info.platform, info.commit, info.branch, info.build_url, info.is_ci) == (
        "local",
        "f00",
        "feat-local",
        None,
        False,
    )


def test_detached_head_has_no_branch() -> None:
    assert build({"CI": "true"}, git=fake_git("f00", "HEAD")).branch is None
    assert build({"CI": "true"}, git=fake_git(None, None)).commit is None
    assert build({"CI": "true"}, git=fake_git("f00", "HEAD")).is_ci is True


def test_ci_without_a_sha_falls_back_to_git() -> None:
    info = build({"JENKINS_URL": "https://ci/", "BRANCH_NAME": "main"}, git=fake_git("g1", "x"))
    assert (info.commit, info.branch) == ("g1", "main")


def test_the_platform_flag_wins_over_detection() -> None:
    info = build(GITHUB_PUSH, git=fake_git("f00", "feat-local"), platform="local")
    assert (info.platform, info.commit, info.branch) == ("local", "f00", "feat-local")


# -- the overrides, for every command on the settings model ---------------------------------

_FILLER = {"path": ".", "url": "http://127.0.0.1:9", "int": "1", "float": "1", "bool": "true"}


def _specs() -> list:
    out = []
    for name, module in cli.COMMANDS.items():
        spec = getattr(importlib.import_module(f"testgate.commands.{module}"), "SPEC", None)
        if spec is not None:
            out.append(pytest.param(spec, id=name))
    return out


def _load(spec, environ: dict[str, str], tmp_path: Path, argv: tuple[str, ...] = ()):
    env = dict(environ)
    for u in spec.uses:  # give every required setting a value, through its variable
        s = settings.setting(u.name)
        if u.required:
            assert s.env, f"{spec.name}: {u.name} is required but has no variable"
            env.setdefault(s.env, _FILLER.get(s.kind, "x"))
    env.setdefault("TESTGATE_REPORTS_DIR", str(tmp_path / "reports"))
    args = settings.build_parser(spec).parse_args([*(spec.actions[:1]), *argv])
    return settings.load(spec, args, env, detect(env, args.platform), cwd=tmp_path)


OVERRIDES = {
    "TESTGATE_COMMIT": "c0ffee",
    "TESTGATE_BRANCH": "release/2",
    "TESTGATE_BUILD_URL": "https://ci.example.com/run/7",
    "TESTGATE_DEFAULT_BRANCH": "trunk",
}


@pytest.mark.parametrize("spec", _specs())
def test_every_command_sees_the_testgate_overrides(spec, tmp_path: Path) -> None:
    cfg = _load(spec, {**GITHUB_PUSH, **OVERRIDES}, tmp_path)
    info = cfg.build
    assert (info.platform, info.commit, info.branch, info.build_url, info.default_branch) == (
        "github",
        "c0ffee",
        "release/2",
        "https://ci.example.com/run/7",
        "trunk",
    )
    assert info.run_number == "12"  # what is not overridden still comes from the CI


@pytest.mark.parametrize("spec", _specs())
@pytest.mark.parametrize("var", ["TESTGATE_BUILD_URL", "TESTGATE_PIPELINE_URL", "TESTGATE_RUN_URL"])
def test_the_three_build_url_variables_are_one_setting(spec, var: str, tmp_path: Path) -> None:
    cfg = _load(spec, {**GITHUB_PUSH, var: "https://ci.example.com/x"}, tmp_path)
    assert cfg.build.build_url == "https://ci.example.com/x"


def test_derived_defaults_follow_the_overrides(tmp_path: Path) -> None:
    """verify's provider version and branch, and publish-results, come from the build."""
    from testgate.commands import verify

    env = {**GITHUB_PUSH, "TESTGATE_COMMIT": "c0ffee", "TESTGATE_PROVIDER": "p"}
    cfg = _load(verify.SPEC, env, tmp_path)
    assert (cfg.provider_version, cfg.provider_branch, cfg.publish_results) == (
        "c0ffee",
        "main",
        True,  # CI, on the default branch
    )
    cfg = _load(verify.SPEC, {**env, "TESTGATE_MAIN_BRANCH": "trunk"}, tmp_path)
    assert cfg.publish_results is False  # main is not the default branch any more
    cfg = _load(verify.SPEC, env, tmp_path, ("--platform", "local"))
    assert cfg.build.platform == "local"  # --platform decides whose variables are read
