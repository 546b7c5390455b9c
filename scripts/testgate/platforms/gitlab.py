"""GitLab CI: collapsible sections, a Markdown report file, a dotenv of outputs, MR notes.

Untrusted text cannot open or close a section: GitLab's log renderer needs
``section_start:<time>:<name>\\r\\e[0K``, and every raw CR and ESC in text testgate did not
write is printed visibly (:func:`testgate.platforms.base.printable`), which also stops a CR
from redrawing a line.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from testgate.buildinfo import BuildInfo, first
from testgate.errors import ConfigError
from testgate.platforms.base import Platform, one_line

if TYPE_CHECKING:
    from testgate.platforms.rest import RestClient, WebhookRequest

DOTENV_VALUE_LIMIT = 512
COMMENT_LIMIT = 1_000_000  # characters in a note
TOKEN_VARIABLE = "TESTGATE_GITLAB_TOKEN"  # noqa: S105 (a name, not a token)
DEFAULT_SERVER_URL = "https://gitlab.com"


class GitLabPlatform(Platform):
    """Writes ``reports/<job>.md`` and ``reports/testgate.env`` (for ``artifacts:reports:dotenv``)."""

    name = "gitlab"
    comment_limit = COMMENT_LIMIT

    def job_name(self) -> str:
        raw = self.environ.get("TESTGATE_JOB_NAME") or self.environ.get("CI_JOB_NAME") or "testgate"
        return re.sub(r"[^A-Za-z0-9_.-]", "-", raw)

    def summary(self, markdown: str) -> None:
        markdown = self.redact(markdown)
        path = self.reports_dir() / f"{self.job_name()}.md"
        self._append(path, markdown if markdown.endswith("\n") else markdown + "\n")
        self._emit(markdown, self.stdout)

    def output(self, name: str, value: str) -> None:
        key = "TESTGATE_OUT_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()
        # dotenv artifacts take one line per variable, and GitLab rejects a dotenv
        # file over 5 KB: keep each value short (the full lists are in the reports).
        flat = re.sub(r"[\r\n]+", " ", self.redact(value))
        if len(flat) > DOTENV_VALUE_LIMIT:
            flat = flat[: DOTENV_VALUE_LIMIT - 1] + "…"
        self._append(self.reports_dir() / "testgate.env", f"{key}={flat}\n")

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        section = re.sub(r"[^a-z0-9_]", "_", title.lower())[:40] or "testgate"
        print(
            f"\x1b[0Ksection_start:{int(time.time())}:{section}[collapsed=false]\r\x1b[0K"
            + self.safe(one_line(title)),
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

    # -- merge request notes -----------------------------------------------------------------
    def upsert_comment(self, body_markdown: str, marker: str, *, number: int | None = None) -> str:
        """Create or update the merge request note that starts with ``marker``'s hidden line.

        Uses the notes REST API with a project (or group/personal) access token in
        ``TESTGATE_GITLAB_TOKEN`` (``api`` scope, Reporter role or more). ``CI_JOB_TOKEN`` is not
        used: GitLab's job token may not call the notes API. Project ``CI_PROJECT_ID``,
        API ``CI_API_V4_URL``, merge request ``number`` or ``CI_MERGE_REQUEST_IID`` (merge
        request pipelines).

        Returns:
            The note's URL.
        """
        from testgate.platforms import gitlab_api

        token = self.environ.get(TOKEN_VARIABLE) or ""
        project = self.environ.get("CI_PROJECT_ID") or ""
        iid = number if number is not None else self.environ.get("CI_MERGE_REQUEST_IID")
        problems = []
        if not token:
            problems.append(
                f"{TOKEN_VARIABLE} (a project access token with the api scope and the Reporter "
                "role, as a masked CI/CD variable; CI_JOB_TOKEN may not write notes)"
            )
        if not project:
            problems.append("CI_PROJECT_ID (set by GitLab CI)")
        if not iid or not str(iid).isdigit():
            problems.append(
                "a merge request (CI_MERGE_REQUEST_IID: run in a merge request pipeline)"
            )
        if problems:
            raise ConfigError(
                "a merge request comment needs " + "; ".join(problems),
                hint="testgate ci comment runs in a merge request pipeline",
            )
        self.mask(token)
        result = gitlab_api.upsert_merge_request_note(
            self.api_client(token), project, int(str(iid)), body_markdown, marker
        )
        return result.url

    def api_client(self, token: str, **options: Any) -> RestClient:
        """A REST client for ``CI_API_V4_URL`` (else ``CI_SERVER_URL``/api/v4) with ``token``."""
        from testgate.platforms import gitlab_api

        api_url = self.environ.get("CI_API_V4_URL") or (
            (self.environ.get("CI_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/") + "/api/v4"
        )
        return gitlab_api.client(api_url, token, **options)

    # -- webhooks ---------------------------------------------------------------------------
    @classmethod
    def webhook_request(
        cls,
        *,
        project: str | None,
        token: str | None,
        ref: str,
        variables: dict[str, str],
        server_url: str = DEFAULT_SERVER_URL,
    ) -> WebhookRequest:
        """``POST /api/v4/projects/{id}/trigger/pipeline`` with a pipeline trigger token.

        Raises:
            ConfigError: the project or the token is missing (both named at once).
        """
        from testgate.platforms.rest import WebhookRequest, missing_webhook_settings
        from testgate.settings import setting, spelled

        missing = []
        if not project:
            missing.append(
                f'"project" (GitLab project id or url-encoded path; {spelled("gitlab-project")})'
            )
        if not token:
            missing.append(f"{setting('webhook-token').env} (a pipeline trigger token)")
        if missing:
            raise missing_webhook_settings("gitlab", missing)
        body = {"token": token, "ref": ref, "variables": variables}
        return WebhookRequest(
            f"{server_url.rstrip('/')}/api/v4/projects/{quote(str(project), safe='')}"
            "/trigger/pipeline",
            "POST",
            (("Content-Type", "application/json"),),
            json.dumps(body, separators=(",", ":")),
            secrets=(str(token),),
        )

    # -- the build identity -------------------------------------------------------------
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
