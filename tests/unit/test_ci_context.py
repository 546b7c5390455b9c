"""CI context: SHA, branch and build URL per platform, from the environment passed in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testgate.ci_context import detect_ci_context


def no_git(args: list[str]) -> str | None:
    raise AssertionError(f"git should not be needed, asked {args}")


def fake_git(sha: str | None, branch: str | None):
    def runner(args: list[str]) -> str | None:
        return sha if args == ["rev-parse", "HEAD"] else branch

    return runner


def test_github_push() -> None:
    ctx = detect_ci_context(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SHA": "abc",
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
            "GITHUB_SERVER_URL": "https://github.example.com",
            "GITHUB_REPOSITORY": "acme/web",
            "GITHUB_RUN_ID": "99",
        },
        git=no_git,
    )
    assert (ctx.platform, ctx.sha, ctx.branch, ctx.is_ci) == ("github", "abc", "main", True)
    assert ctx.build_url == "https://github.example.com/acme/web/actions/runs/99"


def test_github_pull_request_uses_the_head_not_the_merge_commit(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "pull_request": {"head": {"sha": "head123"}},
                "repository": {"default_branch": "trunk"},
            }
        )
    )
    ctx = detect_ci_context(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SHA": "merge456",
            "GITHUB_REF": "refs/pull/7/merge",
            "GITHUB_HEAD_REF": "feat-x",
            "GITHUB_EVENT_PATH": str(event),
        },
        git=no_git,
    )
    assert (ctx.sha, ctx.branch, ctx.default_branch) == ("head123", "feat-x", "trunk")


@pytest.mark.parametrize(
    ("extra", "branch"),
    [
        pytest.param({"CI_COMMIT_BRANCH": "main"}, "main", id="push"),
        pytest.param(
            {"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat-y"}, "feat-y", id="merge-request"
        ),
    ],
)
def test_gitlab(extra: dict[str, str], branch: str) -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_COMMIT_SHA": "def",
        "CI_JOB_URL": "https://gitlab.example.com/acme/web/-/jobs/5",
        "CI_DEFAULT_BRANCH": "main",
        **extra,
    }
    ctx = detect_ci_context(env, git=no_git)
    assert (ctx.platform, ctx.sha, ctx.branch) == ("gitlab", "def", branch)
    assert ctx.build_url == "https://gitlab.example.com/acme/web/-/jobs/5"
    assert ctx.default_branch == "main"


@pytest.mark.parametrize(
    ("extra", "branch"),
    [
        pytest.param({"BRANCH_NAME": "main"}, "main", id="multibranch"),
        pytest.param(
            {"BRANCH_NAME": "PR-12", "CHANGE_BRANCH": "feat-z"}, "feat-z", id="pull-request"
        ),
        pytest.param({"GIT_BRANCH": "origin/release/1.x"}, "release/1.x", id="git-plugin"),
    ],
)
def test_jenkins(extra: dict[str, str], branch: str) -> None:
    env = {
        "JENKINS_URL": "https://ci.example.com/",
        "GIT_COMMIT": "0a1b",
        "BUILD_URL": "https://ci.example.com/job/web/3/",
        **extra,
    }
    ctx = detect_ci_context(env, git=no_git)
    assert (ctx.platform, ctx.sha, ctx.branch) == ("jenkins", "0a1b", branch)
    assert ctx.build_url == "https://ci.example.com/job/web/3/"


def test_local_asks_git() -> None:
    ctx = detect_ci_context({}, git=fake_git("f00", "feat-local"))
    assert (ctx.platform, ctx.sha, ctx.branch, ctx.build_url, ctx.is_ci) == (
        "local",
        "f00",
        "feat-local",
        None,
        False,
    )


def test_detached_head_has_no_branch() -> None:
    assert detect_ci_context({"CI": "true"}, git=fake_git("f00", "HEAD")).branch is None
    assert detect_ci_context({"CI": "true"}, git=fake_git(None, None)).sha is None
    assert detect_ci_context({"CI": "true"}, git=fake_git("f00", "HEAD")).is_ci is True


def test_ci_without_a_sha_falls_back_to_git() -> None:
    ctx = detect_ci_context(
        {"JENKINS_URL": "https://ci/", "BRANCH_NAME": "main"}, git=fake_git("g1", "x")
    )
    assert (ctx.sha, ctx.branch) == ("g1", "main")
