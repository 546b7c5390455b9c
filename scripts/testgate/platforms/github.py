"""GitHub Actions: step summary, step outputs, workflow commands."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

from testgate.buildinfo import BuildInfo, first
from testgate.platforms.base import Platform

# GitHub drops a step summary over 1 MiB whole; stay under it.
SUMMARY_LIMIT_BYTES = 1024 * 1024 - 1024


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


class GitHubPlatform(Platform):
    """Writes ``$GITHUB_STEP_SUMMARY`` and ``$GITHUB_OUTPUT`` and emits ``::error``."""

    name = "github"

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
        print(markdown, file=self.stdout, flush=True)

    def output(self, name: str, value: str) -> None:
        path = self.environ.get("GITHUB_OUTPUT")
        if not path:
            return
        value = self.redact(value)
        if "\n" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            self._append(path, f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            self._append(path, f"{name}={value}\n")

    def _command(self, kind: str, message: str, file: str | None, line: int | None) -> str:
        props = []
        if file:
            props.append(f"file={_escape_property(file)}")
            if line:
                props.append(f"line={line}")
        head = f"::{kind} {','.join(props)}::" if props else f"::{kind}::"
        return head + _escape_data(self.redact(message))

    def error(self, message: str, file: str | None = None, line: int | None = None) -> None:
        print(self._command("error", message, file, line), file=self.stdout, flush=True)

    def warning(self, message: str, file: str | None = None, line: int | None = None) -> None:
        print(self._command("warning", message, file, line), file=self.stdout, flush=True)

    def mask(self, secret: str) -> None:
        super().mask(secret)
        if secret:
            # One line per secret line: GitHub masks line by line.
            for part in secret.splitlines():
                if part.strip():
                    print(f"::add-mask::{part}", file=self.stdout, flush=True)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        print(f"::group::{_escape_data(title)}", file=self.stdout, flush=True)
        try:
            yield
        finally:
            print("::endgroup::", file=self.stdout, flush=True)

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
        if not pr_number and ref.startswith("refs/pull/"):
            pr_number = ref.split("/")[2]
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
            api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
            actor=env.get("GITHUB_ACTOR") or None,
            pipeline_name=first(env, "GITHUB_WORKFLOW"),
        )
