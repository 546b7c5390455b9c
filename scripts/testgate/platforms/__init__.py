"""Platform adapters: the only code that knows which CI system it runs on.

Every adapter implements the same small interface (:class:`Platform`): a job
summary, named outputs, error annotations, collapsible groups and secret
masking. Commands talk to the adapter; the library never does.
"""

from __future__ import annotations

from collections.abc import Mapping

from testgate.errors import ConfigError
from testgate.platforms.base import Platform
from testgate.platforms.github import GitHubPlatform
from testgate.platforms.gitlab import GitLabPlatform
from testgate.platforms.jenkins import JenkinsPlatform
from testgate.platforms.local import LocalPlatform

PLATFORMS: dict[str, type[Platform]] = {
    "github": GitHubPlatform,
    "gitlab": GitLabPlatform,
    "jenkins": JenkinsPlatform,
    "local": LocalPlatform,
}

__all__ = ["PLATFORMS", "Platform", "detect"]


def detect(environ: Mapping[str, str], override: str | None = None) -> Platform:
    """Return the adapter for the CI system described by ``environ``.

    Args:
        environ: the process environment (passed in, never read globally).
        override: a platform name from ``--platform`` or ``TESTGATE_PLATFORM``; wins
            over detection.
    """
    name = override or environ.get("TESTGATE_PLATFORM") or ""
    if not name:
        if environ.get("GITHUB_ACTIONS") == "true":
            name = "github"
        elif environ.get("GITLAB_CI"):
            name = "gitlab"
        elif environ.get("JENKINS_URL"):
            name = "jenkins"
        else:
            name = "local"
    try:
        cls = PLATFORMS[name]
    except KeyError:
        raise ConfigError(
            f"unknown platform {name!r}",
            hint=f"use one of {', '.join(sorted(PLATFORMS))} (--platform or TESTGATE_PLATFORM)",
        ) from None
    return cls(environ)
