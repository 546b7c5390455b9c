"""The interface every platform adapter implements, with plain-text defaults.

Untrusted text stays text. Everything a command hands to an adapter (test names, failure
messages, captured output of child tools, pact descriptions, broker answers) goes through
one path, :meth:`Platform._emit`: secrets are redacted, control characters that would
redraw or erase a line (a raw CR, ESC sequences other than colours, backspace, C1 controls)
are written out visibly (``\\r``, ``\\x1b``), and the adapter adds what its CI needs on top
(GitHub: a ``stop-commands`` fence, see :mod:`testgate.platforms.github`). A GitLab section
marker needs a raw CR and ESC, so it cannot survive this either.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from testgate.buildinfo import BuildInfo, GitRunner, truthy, with_git
from testgate.errors import ConfigError

# ESC [ params m: colours and bold, kept (pytest --color=yes, the Pact core's colours);
# any other control character is shown, not obeyed.
_UNSAFE = re.compile(r"(\x1b\[[0-9;]*m)|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NAMED = {"\r": "\\r", "\x1b": "\\x1b", "\x08": "\\b", "\x0b": "\\v", "\x0c": "\\f", "\x00": "\\0"}


def _shown(match: re.Match[str]) -> str:
    text = match.group(0)
    if match.group(1) is not None and "8" not in match.group(1)[2:-1].split(";"):
        return text  # a colour; parameter 8 ("conceal") would hide text, so it is shown
    char = text[0]
    return _NAMED.get(char, f"\\x{ord(char):02x}") + text[1:]


def printable(text: str) -> str:
    """``text`` with every control character but LF, TAB and colour codes written out.

    A raw CR (which redraws the line: ``FAILED\\rPASSED`` shows PASSED), ESC sequences
    (erase line, cursor moves, hyperlinks, GitLab's ``\\e[0K``), backspace and C1 controls
    (NEL) become visible escapes such as ``\\r`` and ``\\x1b``. CRLF line ends become LF.
    """
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_shown, text)


def one_line(text: str) -> str:
    """``text`` on one line (a group title, a file name in a message)."""
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


class Platform:
    """A CI platform as the commands see it.

    The default implementation writes readable plain text, which is what a
    terminal and Jenkins' console want; subclasses add the platform's own
    channels (step summary files, output files, annotations).
    """

    name = "local"
    comment_limit: int | None = None
    """Characters a pull/merge request comment may hold; None where testgate cannot comment."""

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
        self._emit(message, self.stdout)

    def warning(self, message: str, file: str | None = None, line: int | None = None) -> None:
        """Report something worth attention that does not decide the result."""
        self._emit(f"warning: {_where(file, line)}{message}", self.stderr)

    def error(self, message: str, file: str | None = None, line: int | None = None) -> None:
        """Report an error (a failed test, a bad input) with its location if known."""
        self._emit(f"error: {_where(file, line)}{message}", self.stderr)

    def summary(self, markdown: str) -> None:
        """Publish the job summary (Markdown). Locally it is printed."""
        self._emit(markdown, self.stdout)

    def output(self, name: str, value: str) -> None:
        """Expose a named value to later jobs or steps. Locally nothing reads it."""

    def mask(self, secret: str) -> None:
        """Make sure ``secret`` never appears in anything this adapter prints."""
        if secret and secret not in self._masked:
            self._masked.append(secret)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A collapsible section of the log."""
        self._emit(f"== {one_line(title)}", self.stdout)
        yield

    def upsert_comment(self, body_markdown: str, marker: str, *, number: int | None = None) -> str:
        """Create or update the one pull/merge request comment found by ``marker``.

        Returns the comment's URL. Only GitHub and GitLab have one; see their adapters.

        Raises:
            ConfigError: this platform has no pull request comments.
        """
        raise ConfigError(
            f"pull request comments need GitHub or GitLab; this is {self.name}",
            hint="run testgate ci comment in a GitHub pull request or GitLab merge request "
            "pipeline (or set --platform)",
        )

    def comment_max_size(self, marker: str) -> int:
        """UTF-8 bytes the body of a comment may take (for ``render_report_md(max_size=)``).

        The platform's limit in characters, less the hidden marker line; a byte budget never
        exceeds the same number of characters.
        """
        if self.comment_limit is None:
            raise ConfigError(f"pull request comments need GitHub or GitLab; this is {self.name}")
        from testgate.platforms.rest import comment_marker

        return self.comment_limit - len(comment_marker(marker)) - 1

    # -- helpers ------------------------------------------------------------
    def redact(self, text: str) -> str:
        """Replace every masked secret in ``text`` with ``***``."""
        from testgate.secretscan import redact

        return redact(text, self._masked)

    def safe(self, text: str) -> str:
        """Untrusted ``text`` as this adapter prints it: redacted, control characters shown."""
        return printable(self.redact(text))

    def _emit(self, text: str, stream: TextIO) -> None:
        """The one way untrusted text reaches the log (subclasses add their CI's defence)."""
        print(self.safe(text), file=stream, flush=True)

    @contextlib.contextmanager
    def child_output(self) -> Iterator[None]:
        """Route what code in this process writes straight to file descriptors 1 and 2 (the
        Pact core's verifier prints pact descriptions and mismatches there) through this
        adapter, line by line, so untrusted text in it is shown, never obeyed: no workflow
        command, no GitLab section, no line redrawn by a raw CR.

        While it runs, this adapter prints to copies of the original descriptors. Where
        there are no real descriptors (a test's captured stdout), nothing is rerouted.
        """
        import threading

        try:
            out_fd, err_fd = sys.stdout.fileno(), sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            yield
            return
        sys.stdout.flush()
        sys.stderr.flush()
        saved_out, saved_err = os.dup(out_fd), os.dup(err_fd)
        read_fd, write_fd = os.pipe()
        before = (self.stdout, self.stderr)
        self.stdout = open(saved_out, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        self.stderr = open(saved_err, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115

        def pump() -> None:
            with open(read_fd, "rb") as pipe:
                for raw in pipe:
                    self._emit(raw.decode("utf-8", "replace").rstrip("\n"), self.stdout)

        reader = threading.Thread(target=pump, name="testgate-child-output", daemon=True)
        reader.start()
        os.dup2(write_fd, out_fd)
        os.dup2(write_fd, err_fd)
        os.close(write_fd)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
                sys.stderr.flush()
            os.dup2(saved_out, out_fd)  # the pipe's last writer goes: the reader sees its end
            os.dup2(saved_err, err_fd)
            reader.join(timeout=10)
            for stream in (self.stdout, self.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            os.close(saved_out)
            os.close(saved_err)
            self.stdout, self.stderr = before

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
    file = one_line(file)
    return f"{file}:{line}: " if line else f"{file}: "
