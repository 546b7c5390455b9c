"""GitHub Actions: step summary, step outputs, workflow commands, pull request comments.

Untrusted text and workflow commands. The runner executes a line of a step's output that
starts with ``::`` (after leading whitespace; lines split at CR, LF and CRLF) or holds the
older ``##[command]`` anywhere. Text testgate did not write (test names, messages, child
tools' output) is printed inside ``::stop-commands::<token>`` ... ``::<token>::`` with a fresh
random token whenever a line of it could be read as a command, which is GitHub's documented
way to log untrusted output ("Stopping and starting workflow commands"). A group's body is
fenced as a whole, so a child tool writing straight to the job's stdout (the Pact verifier)
is covered too; testgate's own commands inside the fence close it, run, and reopen it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from testgate.buildinfo import BuildInfo, first
from testgate.errors import ConfigError
from testgate.platforms.base import Platform, one_line

if TYPE_CHECKING:
    from testgate.platforms.rest import RestClient, WebhookRequest

# GitHub drops a step summary over 1 MiB whole; stay under it.
SUMMARY_LIMIT_BYTES = 1024 * 1024 - 1024
COMMENT_LIMIT = 65_536  # characters in an issue or pull request comment
TOKEN_VARIABLE = "GITHUB_TOKEN"  # noqa: S105 (the variable's name, not a token)
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"

# A line the runner could execute: '::' after leading whitespace or invisible format
# characters (more than .NET's TrimStart drops: fencing too often is harmless), or '##['.
_COMMAND_LINE = re.compile(r"^[\s\u180e\u200b-\u200f\u2060-\u2064\ufeff]*::|##\[", re.MULTILINE)
_PULL_REF = re.compile(r"^refs/pull/(\d+)/")


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def could_run_a_command(text: str) -> bool:
    """Whether some line of ``text`` could be read by the runner as a workflow command."""
    return _COMMAND_LINE.search(text) is not None


class GitHubPlatform(Platform):
    """Writes ``$GITHUB_STEP_SUMMARY`` and ``$GITHUB_OUTPUT`` and emits ``::error``."""

    name = "github"
    comment_limit = COMMENT_LIMIT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fence: str | None = None  # the token while a group's body is fenced

    # -- the log ---------------------------------------------------------------------------
    def _emit(self, text: str, stream: TextIO) -> None:
        text = self.safe(text)
        if self._fence is None and could_run_a_command(text):
            token = self._token(text)
            text = f"::stop-commands::{token}\n{text}\n::{token}::"
        print(text, file=stream, flush=True)

    def _token(self, text: str = "") -> str:
        while True:
            token = os.urandom(16).hex()  # not `secrets`: its import costs start-up time
            if token not in text:
                return token

    def _command(self, line: str) -> None:
        """Print one of testgate's own workflow commands, pausing a group's fence around it."""
        fenced = self._fence is not None
        if fenced:
            self._close_fence()
        print(line, file=self.stdout, flush=True)
        if fenced:
            self._open_fence()

    def _open_fence(self) -> None:
        self._fence = self._token()
        print(f"::stop-commands::{self._fence}", file=self.stdout, flush=True)

    def _close_fence(self) -> None:
        # On a line of its own even if a child tool left its last line unfinished.
        print(f"\n::{self._fence}::", file=self.stdout, flush=True)
        self._fence = None

    # -- what commands call ------------------------------------------------------------------
    def summary(self, markdown: str) -> None:
        markdown = self.redact(markdown)
        path = self.environ.get("GITHUB_STEP_SUMMARY")
        if path:
            data = markdown.encode("utf-8")
            if len(data) > SUMMARY_LIMIT_BYTES:
                markdown = data[:SUMMARY_LIMIT_BYTES].decode("utf-8", "ignore") + (
                    "\n\n_summary cut to GitHub's 1 MiB limit; see the report artifact._\n"
                )
            self._append(path, markdown if markdown.endswith("\n") else markdown + "\n")
        # The log keeps a copy, for people reading the raw job output.
        self._emit(markdown, self.stdout)

    def output(self, name: str, value: str) -> None:
        path = self.environ.get("GITHUB_OUTPUT")
        if not path:
            return
        value = self.redact(value)
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
            while delimiter in value:
                delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
            self._append(path, f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            self._append(path, f"{name}={value}\n")

    def _annotation(self, kind: str, message: str, file: str | None, line: int | None) -> str:
        props = []
        if file:
            props.append(f"file={_escape_property(self.safe(one_line(file)))}")
            if line:
                props.append(f"line={int(line)}")
        head = f"::{kind} {','.join(props)}::" if props else f"::{kind}::"
        return head + _escape_data(self.safe(message))

    def error(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self._command(self._annotation("error", message, file, line))

    def warning(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self._command(self._annotation("warning", message, file, line))

    def mask(self, secret: str) -> None:
        super().mask(secret)
        if secret:
            # One line per secret line: GitHub masks line by line.
            for part in secret.splitlines():
                if part.strip():
                    self._command(f"::add-mask::{part}")

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        outer = self._fence is not None
        self._command(f"::group::{_escape_data(self.safe(one_line(title)))}")
        if not outer:
            self._open_fence()
        try:
            yield
        finally:
            if not outer and self._fence is not None:
                self._close_fence()
            self._command("::endgroup::")

    # -- pull request comments ---------------------------------------------------------------
    def upsert_comment(self, body_markdown: str, marker: str, *, number: int | None = None) -> str:
        """Create or update the pull request comment that starts with ``marker``'s hidden line.

        Uses the issue comments REST API with the token in ``GITHUB_TOKEN`` (the job's token
        needs ``permissions: pull-requests: write``), on ``GITHUB_REPOSITORY`` at
        ``GITHUB_API_URL``. ``number`` defaults to the pull request of ``GITHUB_REF``
        (``refs/pull/<n>/merge``) or of the event payload.

        Returns:
            The comment's URL.
        """
        from testgate.platforms import github_api

        token = self.environ.get(TOKEN_VARIABLE) or ""
        repository = self.environ.get("GITHUB_REPOSITORY") or ""
        pr = number if number is not None else self._pull_request_number()
        problems = []
        if not token:
            problems.append(
                f"{TOKEN_VARIABLE} (the step's env: GITHUB_TOKEN: ${{{{ github.token }}}}, "
                "with permissions: pull-requests: write)"
            )
        if "/" not in repository:
            problems.append("GITHUB_REPOSITORY (owner/name; set by GitHub Actions)")
        if not pr:
            problems.append("a pull request number (run on a pull_request event)")
        if problems:
            raise ConfigError(
                "a pull request comment needs " + "; ".join(problems),
                hint="testgate ci comment runs in a pull request's workflow run",
            )
        self.mask(token)
        result = github_api.upsert_issue_comment(
            self.api_client(token), repository, int(pr), body_markdown, marker
        )
        return result.url

    def api_client(self, token: str, **options: Any) -> RestClient:
        """A REST client for ``GITHUB_API_URL`` (GitHub Enterprise too) with ``token``."""
        from testgate.platforms import github_api

        return github_api.client(
            self.environ.get("GITHUB_API_URL") or DEFAULT_API_URL, token, **options
        )

    def _pull_request_number(self) -> int | None:
        number = self.build_info().pr_number
        return int(number) if number and number.isdigit() else None

    # -- the build identity -------------------------------------------------------------
    def _event(self) -> dict:
        path = self.environ.get("GITHUB_EVENT_PATH")
        if not path:
            return {}
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _ci_build_info(self) -> BuildInfo:
        env = self.environ
        event = self._event()
        pull = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
        head = (pull or {}).get("head") if isinstance((pull or {}).get("head"), dict) else {}
        commit = head.get("sha") or env.get("GITHUB_SHA") or None
        branch = env.get("GITHUB_HEAD_REF") or None
        ref = env.get("GITHUB_REF", "")
        if not branch and ref.startswith("refs/heads/"):
            branch = env.get("GITHUB_REF_NAME") or ref[len("refs/heads/") :]
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        repo, run_id = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
        repository = event.get("repository") if isinstance(event.get("repository"), dict) else {}
        pr_number = (pull or {}).get("number")
        match = _PULL_REF.match(ref)
        if not pr_number and match:
            pr_number = match.group(1)
        return BuildInfo(
            platform="github",
            is_ci=True,
            commit=commit,
            branch=branch,
            default_branch=repository.get("default_branch") or None,
            build_url=f"{server}/{repo}/actions/runs/{run_id}" if repo and run_id else None,
            run_id=run_id or None,
            run_number=env.get("GITHUB_RUN_NUMBER") or None,
            pr_number=str(pr_number) if pr_number else None,
            repository=repo or None,
            server_url=server,
            api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL,
            actor=env.get("GITHUB_ACTOR") or None,
            pipeline_name=first(env, "GITHUB_WORKFLOW"),
        )

    # -- webhooks ---------------------------------------------------------------------------
    @classmethod
    def webhook_request(
        cls,
        *,
        repository: str | None,
        token: str | None,
        event_type: str,
        client_payload: dict[str, str],
        api_url: str = DEFAULT_API_URL,
    ) -> WebhookRequest:
        """``POST /repos/{owner}/{repo}/dispatches``: a repository_dispatch event.

        Raises:
            ConfigError: the repository or the token is missing (both named at once).
        """
        from testgate.platforms.rest import WebhookRequest, missing_webhook_settings
        from testgate.settings import setting, spelled

        missing = []
        if not repository or "/" not in repository:
            missing.append(f'"repository" (owner/name; {spelled("repository")})')
        if not token:
            missing.append(
                f"{setting('webhook-token').env} (a GitHub token that may dispatch to the repository)"
            )
        if missing:
            raise missing_webhook_settings("github", missing)
        body = {"event_type": event_type, "client_payload": client_payload}
        return WebhookRequest(
            f"{api_url.rstrip('/')}/repos/{repository}/dispatches",
            "POST",
            (
                ("Content-Type", "application/json"),
                ("Accept", "application/vnd.github+json"),
                ("Authorization", f"Bearer {token}"),
            ),
            json.dumps(body, separators=(",", ":")),
            secrets=(str(token),),
        )
