"""The interface every platform adapter implements, with plain-text defaults."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from testgate.buildinfo import BuildInfo, GitRunner, truthy, with_git


class Platform:
    """A CI platform as the commands see it.

    The default implementation writes readable plain text, which is what a
    terminal and Jenkins' console want; subclasses add the platform's own
    channels (step summary files, output files, annotations).
    """

    name = "local"

    def __init__(
        self,
        environ: Mapping[str, str],
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.environ = environ
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._masked: list[str] = []

    # -- what commands call -------------------------------------------------
    def info(self, message: str) -> None:
        """Print a line of progress or result for a person reading the log."""
        print(self.redact(message), file=self.stdout, flush=True)

    def warning(self, message: str, file: str | None = None, line: int | None = None) -> None:
        """Report something worth attention that does not decide the result."""
        print(
            f"warning: {self.redact(_where(file, line))}{self.redact(message)}",
            file=self.stderr,
            flush=True,
        )

    def error(self, message: str, file: str | None = None, line: int | None = None) -> None:
        """Report an error (a failed test, a bad input) with its location if known."""
        print(
            f"error: {self.redact(_where(file, line))}{self.redact(message)}",
            file=self.stderr,
            flush=True,
        )

    def summary(self, markdown: str) -> None:
        """Publish the job summary (Markdown). Locally it is printed."""
        print(self.redact(markdown), file=self.stdout, flush=True)

    def output(self, name: str, value: str) -> None:
        """Expose a named value to later jobs or steps. Locally nothing reads it."""

    def mask(self, secret: str) -> None:
        """Make sure ``secret`` never appears in anything this adapter prints."""
        if secret and secret not in self._masked:
            self._masked.append(secret)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A collapsible section of the log."""
        print(f"== {title}", file=self.stdout, flush=True)
        yield

    # -- helpers ------------------------------------------------------------
    def redact(self, text: str) -> str:
        """Replace every masked secret in ``text`` with ``***``."""
        for secret in self._masked:
            text = text.replace(secret, "***")
        return text

    def reports_dir(self) -> Path:
        """Where files meant for people (summaries, outputs) are written."""
        return Path(self.environ.get("TESTGATE_REPORTS_DIR", "reports"))

    def job_name(self) -> str:
        """A file-name-safe name for the current job."""
        raw = self.environ.get("TESTGATE_JOB_NAME") or "testgate"
        return "".join(c if c.isalnum() or c in "-_." else "-" for c in raw)

    # -- the build identity ------------------------------------------------------
    def build_info(self, git: GitRunner | None = None) -> BuildInfo:
        """This build's identity from the CI's own variables; git for what they do not say."""
        return with_git(self._ci_build_info(), git)

    def _ci_build_info(self) -> BuildInfo:
        return BuildInfo(platform=self.name, is_ci=truthy(self.environ.get("CI")))

    def _append(self, path: str | os.PathLike[str], text: str) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as fh:
            fh.write(text)


def _where(file: str | None, line: int | None) -> str:
    if not file:
        return ""
    return f"{file}:{line}: " if line else f"{file}: "
