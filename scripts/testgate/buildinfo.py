"""One build identity: what the build knows about itself, the same type on every platform.

Each platform adapter reads its own CI's variables (``Platform.build_info()``); locally, git
says the commit and branch. ``TESTGATE_COMMIT``, ``TESTGATE_BRANCH``, ``TESTGATE_BUILD_URL``,
``TESTGATE_DEFAULT_BRANCH`` and ``TESTGATE_REPOSITORY`` win over both, for every command (the
settings loader applies them).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

# A git runner: argv after "git" -> stdout, or None when git fails or is missing.
GitRunner = Callable[[list[str]], str | None]


@dataclass(frozen=True)
class BuildInfo:
    """What the build knows about itself; ``None`` where the CI system does not say.

    Attributes:
        platform: ``github``, ``gitlab``, ``jenkins`` or ``local``.
        is_ci: on a CI system (a known platform, or ``CI=true``).
        commit: the commit being built (a pull request's head, not its merge commit).
        branch: the branch being built (a pull/merge request's source branch).
        default_branch: the repository's default branch, when the CI system says.
        build_url: a link to this build.
        run_id: the CI's id of this run (GitHub run id, GitLab pipeline id, Jenkins build tag).
        run_number: the run's number as people see it (#12).
        pr_number: the pull / merge request being built.
        repository: ``owner/name`` (GitHub), the project path (GitLab), the job name (Jenkins).
        project_id: GitLab's numeric project id.
        server_url: the CI server (https://github.com, https://gitlab.example.com, Jenkins).
        api_url: the CI's REST API (GitHub ``GITHUB_API_URL``, GitLab ``<server>/api/v4``).
        actor: who started the build.
        pipeline_name: the workflow, pipeline or job name.
    """

    platform: str = "local"
    is_ci: bool = False
    commit: str | None = None
    branch: str | None = None
    default_branch: str | None = None
    build_url: str | None = None
    run_id: str | None = None
    run_number: str | None = None
    pr_number: str | None = None
    repository: str | None = None
    project_id: str | None = None
    server_url: str | None = None
    api_url: str | None = None
    actor: str | None = None
    pipeline_name: str | None = None

    @property
    def is_default_branch(self) -> bool:
        """Building the default branch (``main`` when the CI does not say which it is)."""
        return bool(self.branch) and self.branch == (self.default_branch or "main")


def run_git(cwd: Path | None = None) -> GitRunner:
    """A :data:`GitRunner` running the real git in ``cwd``."""

    def runner(args: list[str]) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        out = done.stdout.strip()
        return out if done.returncode == 0 and out else None

    return runner


def with_git(info: BuildInfo, git: GitRunner | None = None) -> BuildInfo:
    """Fill the commit and branch from git where the CI did not say them."""
    if info.commit and info.branch:
        return info
    runner = git or run_git()
    commit = info.commit or runner(["rev-parse", "HEAD"])
    branch = info.branch
    if not branch:
        name = runner(["rev-parse", "--abbrev-ref", "HEAD"])
        branch = name if name and name != "HEAD" else None  # a detached HEAD has no branch
    return replace(info, commit=commit, branch=branch)


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes"}


def first(environ: Mapping[str, str], *names: str) -> str | None:
    """The first of ``names`` that is set and not empty."""
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def build_info_for(
    platform: str, environ: Mapping[str, str], git: GitRunner | None = None
) -> BuildInfo:
    """The build identity as the adapter for ``platform`` reads it from ``environ``."""
    from testgate.platforms import PLATFORMS

    return PLATFORMS[platform](environ).build_info(git=git)
