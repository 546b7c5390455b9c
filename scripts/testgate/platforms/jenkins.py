"""Jenkins: plain console text plus files the shared library archives."""

from __future__ import annotations

import re

from testgate.buildinfo import BuildInfo, first
from testgate.platforms.base import Platform


class JenkinsPlatform(Platform):
    """Writes ``reports/<job>.md`` and ``reports/testgate-outputs.properties``.

    The shared library's steps archive the Markdown and read the properties
    (``readProperties``) to set ``currentBuild.description``.
    """

    name = "jenkins"

    def summary(self, markdown: str) -> None:
        markdown = self.redact(markdown)
        self._append(
            self.reports_dir() / f"{self.job_name()}.md",
            markdown if markdown.endswith("\n") else markdown + "\n",
        )
        print(markdown, file=self.stdout, flush=True)

    def output(self, name: str, value: str) -> None:
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        flat = self.redact(value).replace("\\", "\\\\").replace("\n", "\\n")
        self._append(self.reports_dir() / "testgate-outputs.properties", f"{key}={flat}\n")

    def _ci_build_info(self) -> BuildInfo:
        env = self.environ
        # Multibranch pipelines: BRANCH_NAME (PR-12 for a pull request, whose source is
        # CHANGE_BRANCH); freestyle jobs with the Git plugin: GIT_BRANCH ("origin/main").
        branch = first(env, "CHANGE_BRANCH", "BRANCH_NAME")
        if not branch and env.get("GIT_BRANCH"):
            raw = env["GIT_BRANCH"]
            branch = raw.split("/", 1)[1] if raw.startswith(("origin/", "refs/")) else raw
            branch = branch.removeprefix("heads/")
        return BuildInfo(
            platform="jenkins",
            is_ci=True,
            commit=env.get("GIT_COMMIT") or None,
            branch=branch,
            build_url=env.get("BUILD_URL") or None,
            run_id=env.get("BUILD_TAG") or None,
            run_number=env.get("BUILD_NUMBER") or None,
            pr_number=env.get("CHANGE_ID") or None,
            repository=env.get("JOB_NAME") or None,
            server_url=env.get("JENKINS_URL") or None,
            actor=env.get("BUILD_USER_ID") or env.get("CHANGE_AUTHOR") or None,
            pipeline_name=env.get("JOB_NAME") or None,
        )
