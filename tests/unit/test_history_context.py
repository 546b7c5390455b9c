"""The CI context history, shard and TestRail read: CI variables, with TESTGATE_* winning."""

from __future__ import annotations

import pytest
from testgate.platforms.context import ci_context


def no_git(args: list[str]) -> str | None:
    return None


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_SHA": "abc",
                "GITHUB_REF": "refs/heads/main",
                "GITHUB_REF_NAME": "main",
                "GITHUB_REPOSITORY": "org/svc",
                "GITHUB_RUN_ID": "9",
                "GITHUB_WORKFLOW": "ci",
                "GITHUB_RUN_NUMBER": "4",
            },
            ("abc", "main", "https://github.com/org/svc/actions/runs/9", "org/svc", "ci", "4"),
            id="github",
        ),
        pytest.param(
            {
                "GITLAB_CI": "true",
                "CI_COMMIT_SHA": "def",
                "CI_COMMIT_BRANCH": "dev",
                "CI_PIPELINE_URL": "https://gl/p/1",
                "CI_PROJECT_PATH": "g/svc",
                "CI_PIPELINE_NAME": "nightly",
                "CI_PIPELINE_IID": "12",
            },
            ("def", "dev", "https://gl/p/1", "g/svc", "nightly", "12"),
            id="gitlab",
        ),
        pytest.param(
            {
                "JENKINS_URL": "https://j/",
                "GIT_COMMIT": "123",
                "BRANCH_NAME": "main",
                "BUILD_URL": "https://j/job/svc/7/",
                "JOB_NAME": "svc",
                "BUILD_NUMBER": "7",
            },
            ("123", "main", "https://j/job/svc/7/", "svc", "svc", "7"),
            id="jenkins",
        ),
        pytest.param(
            {
                "GITLAB_CI": "true",
                "CI_COMMIT_SHA": "def",
                "CI_COMMIT_BRANCH": "dev",
                "TESTGATE_COMMIT": "mine",
                "TESTGATE_BRANCH": "b",
                "TESTGATE_PIPELINE_URL": "u",
            },
            ("mine", "b", "u", "", "", ""),
            id="testgate-variables-win",
        ),
        pytest.param({}, ("", "", "", "", "", ""), id="nothing-known"),
    ],
)
def test_ci_context(environ, expected):
    c = ci_context(environ, git=no_git)
    assert (
        c.commit,
        c.branch,
        c.pipeline_url,
        c.project,
        c.pipeline_name,
        c.run_number,
    ) == expected


def test_gitlab_parallel_gives_the_shard_and_ours_win():
    assert (ci_context({"CI_NODE_TOTAL": "4", "CI_NODE_INDEX": "2"}, git=no_git).shard_index) == "2"
    c = ci_context(
        {"CI_NODE_TOTAL": "4", "TESTGATE_SHARDS": "3", "TESTGATE_SHARD_INDEX": "1"}, git=no_git
    )
    assert (c.shard_total, c.shard_index) == ("3", "1")
