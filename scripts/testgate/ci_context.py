"""Where this build comes from: commit SHA, branch, build URL, on GitHub, GitLab, Jenkins or locally.

The Pact Broker needs these for every version it records (consumer versions on
publish, provider versions on verification). They are read from the CI
system's own variables in the ``environ`` mapping passed in; locally, from git.
Nothing here reads ``os.environ``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

# A git runner: argv after "git" -> stdout, or None when git fails or is missing.
GitRunner = Callable[[list[str]], str | None]


@dataclass(frozen=True)
class CiContext:
    """What the build knows about itself.

    Attributes:
        platform: ``github``, ``gitlab``, ``jenkins`` or ``local``.
        sha: the commit being built (for a pull request: its head, not the merge commit).
        branch: the branch being built (for a pull/merge request: the source branch).
        build_url: a link to this build, or ``None`` locally.
        default_branch: the repository's default branch when the CI system says.
        is_ci: ``True`` on a CI system (``CI=true`` or a known platform).
    """

    platform: str
    sha: str | None
    branch: str | None
    build_url: str | None
    default_branch: str | None
    is_ci: bool


def run_git(cwd: Path | None = None) -> GitRunner:
    """A :data:`GitRunner` running the real git in ``cwd``."""

    def runner(args: list[str]) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None

    return runner


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes"}


def _github_event(environ: Mapping[str, str]) -> dict:
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _github(environ: Mapping[str, str]) -> CiContext:
    event = _github_event(environ)
    pull = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
    sha = (pull or {}).get("head", {}).get("sha") or environ.get("GITHUB_SHA")
    branch = environ.get("GITHUB_HEAD_REF") or None
    if not branch and environ.get("GITHUB_REF", "").startswith("refs/heads/"):
        branch = environ.get("GITHUB_REF_NAME") or environ["GITHUB_REF"][len("refs/heads/") :]
    server = environ.get("GITHUB_SERVER_URL") or "https://github.com"
    repo, run_id = environ.get("GITHUB_REPOSITORY"), environ.get("GITHUB_RUN_ID")
    build_url = f"{server}/{repo}/actions/runs/{run_id}" if repo and run_id else None
    default_branch = (event.get("repository") or {}).get("default_branch")
    return CiContext("github", sha, branch, build_url, default_branch, True)


def _gitlab(environ: Mapping[str, str]) -> CiContext:
    branch = (
        environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        or environ.get("CI_COMMIT_BRANCH")
        or None
    )
    return CiContext(
        "gitlab",
        environ.get("CI_COMMIT_SHA") or None,
        branch,
        environ.get("CI_JOB_URL") or environ.get("CI_PIPELINE_URL") or None,
        environ.get("CI_DEFAULT_BRANCH") or None,
        True,
    )


def _jenkins(environ: Mapping[str, str]) -> CiContext:
    # Multibranch pipelines: BRANCH_NAME (PR-12 for a pull request, whose source is CHANGE_BRANCH);
    # freestyle jobs with the Git plugin: GIT_BRANCH ("origin/main").
    branch = environ.get("CHANGE_BRANCH") or environ.get("BRANCH_NAME") or None
    if not branch and environ.get("GIT_BRANCH"):
        raw = environ["GIT_BRANCH"]
        branch = raw.split("/", 1)[1] if raw.startswith(("origin/", "refs/")) else raw
        branch = branch.removeprefix("heads/")
    return CiContext(
        "jenkins",
        environ.get("GIT_COMMIT") or None,
        branch,
        environ.get("BUILD_URL") or None,
        None,
        True,
    )


def detect_ci_context(
    environ: Mapping[str, str],
    git: GitRunner | None = None,
) -> CiContext:
    """Describe this build from ``environ`` (and git for whatever CI does not say).

    Args:
        environ: the process environment, passed in.
        git: how to ask git (default: the real git in the current directory); used
            for the SHA and branch when the CI variables do not give them.
    """
    if environ.get("GITHUB_ACTIONS") == "true":
        ctx = _github(environ)
    elif environ.get("GITLAB_CI"):
        ctx = _gitlab(environ)
    elif environ.get("JENKINS_URL"):
        ctx = _jenkins(environ)
    else:
        ctx = CiContext("local", None, None, None, None, _truthy(environ.get("CI")))
    if ctx.sha and ctx.branch:
        return ctx
    runner = git or run_git()
    sha = ctx.sha or runner(["rev-parse", "HEAD"])
    branch = ctx.branch
    if not branch:
        name = runner(["rev-parse", "--abbrev-ref", "HEAD"])
        branch = name if name and name != "HEAD" else None  # detached HEAD has no branch
    return CiContext(ctx.platform, sha, branch, ctx.build_url, ctx.default_branch, ctx.is_ci)
