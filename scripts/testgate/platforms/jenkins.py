"""Jenkins: plain console text plus files the shared library archives.

Untrusted text is printed with its control characters shown (a raw CR would redraw the
line; ESC starts Jenkins' hidden console notes and terminal sequences).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from testgate.buildinfo import BuildInfo, first
from testgate.platforms.base import Platform

if TYPE_CHECKING:
    from testgate.platforms.rest import WebhookRequest


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
        self._emit(markdown, self.stdout)

    def output(self, name: str, value: str) -> None:
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        # java.util.Properties ends a line at CR as well as LF: escape both.
        flat = self.redact(value).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        self._append(self.reports_dir() / "testgate-outputs.properties", f"{key}={flat}\n")

    # -- webhooks ---------------------------------------------------------------------------
    @classmethod
    def webhook_request(
        cls,
        *,
        jenkins_url: str | None,
        job: str | None,
        user: str | None,
        token: str | None,
        parameters: dict[str, str],
    ) -> WebhookRequest:
        """``POST {job}/buildWithParameters?NAME=value`` with a Jenkins user and API token.

        Parameter values are put in the query as given (a broker template such as
        ``${pactbroker.pactUrl}`` is filled in by the broker).

        Raises:
            ConfigError: the URL, the job or the credentials are missing (all named at once).
        """
        from testgate.platforms.rest import WebhookRequest, missing_webhook_settings
        from testgate.settings import setting, spelled

        missing = []
        if not jenkins_url:
            missing.append(f'"jenkins-url" ({spelled("jenkins-url")})')
        if not job:
            missing.append(f'"job" (job path, e.g. team/provider-verify; {spelled("jenkins-job")})')
        if not token or not user:
            user_var, token_var = setting("webhook-user").env, setting("webhook-token").env
            missing.append(f"{user_var} and {token_var} (a Jenkins user and API token)")
        if missing:
            raise missing_webhook_settings("jenkins", missing)
        job_path = "/".join(
            f"job/{quote(part, safe='')}" for part in str(job).strip("/").split("/")
        )
        query = "&".join(f"{name}={value}" for name, value in parameters.items())
        return WebhookRequest(
            f"{str(jenkins_url).rstrip('/')}/{job_path}/buildWithParameters"
            + (f"?{query}" if query else ""),
            "POST",
            user=f"{user}:{token}",
            secrets=(str(token),),
        )

    # -- the build identity -------------------------------------------------------------
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
