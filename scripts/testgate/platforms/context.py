"""Where a run comes from (commit, branch, pipeline URL, project), read from each CI's variables.

Kept under ``platforms/`` because only this package knows CI variable names.
Our own ``TESTGATE_*`` variables (and flags, applied by the commands) win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CIContext:
    """The CI facts that history and TestRail need; empty strings when unknown."""

    commit: str = ""
    branch: str = ""
    pipeline_url: str = ""
    project: str = ""
    pipeline_name: str = ""
    run_number: str = ""
    shard_total: str = ""
    shard_index: str = ""


def _first(environ: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return ""


def ci_context(environ: Mapping[str, str]) -> CIContext:
    """The CI context from ``environ`` (GitHub Actions, GitLab CI, Jenkins, or TESTGATE_*)."""
    github_url = ""
    if environ.get("GITHUB_RUN_ID") and environ.get("GITHUB_REPOSITORY"):
        server = environ.get("GITHUB_SERVER_URL") or "https://github.com"
        github_url = (
            f"{server}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
        )
    return CIContext(
        commit=_first(environ, "TESTGATE_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT"),
        branch=_first(
            environ,
            "TESTGATE_BRANCH",
            "GITHUB_HEAD_REF",  # pull requests: the source branch
            "GITHUB_REF_NAME",
            "CI_COMMIT_REF_NAME",
            "BRANCH_NAME",
            "GIT_BRANCH",
        ),
        pipeline_url=_first(environ, "TESTGATE_PIPELINE_URL", "CI_PIPELINE_URL", "BUILD_URL")
        or github_url,
        project=_first(environ, "GITHUB_REPOSITORY", "CI_PROJECT_PATH", "JOB_NAME"),
        pipeline_name=_first(environ, "GITHUB_WORKFLOW", "CI_PIPELINE_NAME", "JOB_NAME"),
        run_number=_first(environ, "GITHUB_RUN_NUMBER", "CI_PIPELINE_IID", "BUILD_NUMBER"),
        # GitLab `parallel: N` sets these (1-based); GitHub matrices and Jenkins pass ours.
        shard_total=_first(environ, "TESTGATE_SHARDS", "CI_NODE_TOTAL"),
        shard_index=_first(environ, "TESTGATE_SHARD_INDEX", "CI_NODE_INDEX"),
    )
