"""GitLab CI: collapsible sections, a Markdown report file and a dotenv of outputs."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator

from testgate.buildinfo import BuildInfo, first
from testgate.platforms.base import Platform

DOTENV_VALUE_LIMIT = 512


class GitLabPlatform(Platform):
    """Writes ``reports/<job>.md`` and ``reports/testgate.env`` (for ``artifacts:reports:dotenv``)."""

    name = "gitlab"

    def job_name(self) -> str:
        raw = self.environ.get("TESTGATE_JOB_NAME") or self.environ.get("CI_JOB_NAME") or "testgate"
        return re.sub(r"[^A-Za-z0-9_.-]", "-", raw)

    def summary(self, markdown: str) -> None:
        markdown = self.redact(markdown)
        path = self.reports_dir() / f"{self.job_name()}.md"
        self._append(path, markdown if markdown.endswith("\n") else markdown + "\n")
        print(markdown, file=self.stdout, flush=True)

    def output(self, name: str, value: str) -> None:
        key = "TESTGATE_OUT_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()
        # dotenv artifacts take one line per variable, and GitLab rejects a dotenv
        # file over 5 KB: keep each value short (the full lists are in the reports).
        flat = self.redact(value).replace("\n", " ")
        if len(flat) > DOTENV_VALUE_LIMIT:
            flat = flat[: DOTENV_VALUE_LIMIT - 1] + "…"
        self._append(self.reports_dir() / "testgate.env", f"{key}={flat}\n")

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        section = re.sub(r"[^a-z0-9_]", "_", title.lower())[:40] or "testgate"
        print(
            f"\x1b[0Ksection_start:{int(time.time())}:{section}[collapsed=false]\r\x1b[0K{title}",
            file=self.stdout,
            flush=True,
        )
        try:
            yield
        finally:
            print(
                f"\x1b[0Ksection_end:{int(time.time())}:{section}\r\x1b[0K",
                file=self.stdout,
                flush=True,
            )

    def _ci_build_info(self) -> BuildInfo:
        env = self.environ
        server = env.get("CI_SERVER_URL") or None
        return BuildInfo(
            platform="gitlab",
            is_ci=True,
            commit=env.get("CI_COMMIT_SHA") or None,
            branch=first(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH"),
            default_branch=env.get("CI_DEFAULT_BRANCH") or None,
            build_url=first(env, "CI_JOB_URL", "CI_PIPELINE_URL"),
            run_id=env.get("CI_PIPELINE_ID") or None,
            run_number=env.get("CI_PIPELINE_IID") or None,
            pr_number=env.get("CI_MERGE_REQUEST_IID") or None,
            repository=env.get("CI_PROJECT_PATH") or None,
            project_id=env.get("CI_PROJECT_ID") or None,
            server_url=server,
            api_url=env.get("CI_API_V4_URL") or (f"{server}/api/v4" if server else None),
            actor=env.get("GITLAB_USER_LOGIN") or None,
            pipeline_name=first(env, "CI_PIPELINE_NAME", "CI_PROJECT_PATH"),
        )
