"""Where a run comes from (commit, branch, pipeline URL, project, run number, shard).

Commit, branch and build URL come from :func:`testgate.ci_context.detect_ci_context`
(a pull request's head commit and source branch; git when the CI does not say);
this adds what history, sharding and TestRail need on top. Our own
``TESTGATE_*`` variables (and flags, applied by the commands) win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from testgate.ci_context import GitRunner, detect_ci_context


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


def ci_context(environ: Mapping[str, str], git: GitRunner | None = None) -> CIContext:
    """The CI context from ``environ`` (GitHub Actions, GitLab CI, Jenkins, or TESTGATE_*).

    Args:
        environ: the process environment, passed in.
        git: how to ask git for the commit and branch when neither CI nor TESTGATE_*
            variables say (default: the real git in the current directory).
    """
    base = detect_ci_context(environ, git)
    return CIContext(
        commit=_first(environ, "TESTGATE_COMMIT") or base.sha or "",
        branch=_first(environ, "TESTGATE_BRANCH") or base.branch or "",
        pipeline_url=_first(environ, "TESTGATE_PIPELINE_URL") or base.build_url or "",
        project=_first(environ, "GITHUB_REPOSITORY", "CI_PROJECT_PATH", "JOB_NAME"),
        pipeline_name=_first(environ, "GITHUB_WORKFLOW", "CI_PIPELINE_NAME", "JOB_NAME"),
        run_number=_first(environ, "GITHUB_RUN_NUMBER", "CI_PIPELINE_IID", "BUILD_NUMBER"),
        # GitLab `parallel: N` sets these (1-based); GitHub matrices and Jenkins pass ours.
        shard_total=_first(environ, "TESTGATE_SHARDS", "CI_NODE_TOTAL"),
        shard_index=_first(environ, "TESTGATE_SHARD_INDEX", "CI_NODE_INDEX"),
    )
