"""Start a provider in isolation on 127.0.0.1 and stop it again.

The provider command either contains ``{port}`` (testgate picks a free port) or
binds port 0 itself and prints its URL (``http://127.0.0.1:PORT``), which
testgate reads from its output. It is ready when ``ready_path`` answers.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from testgate.errors import ConfigError, ToolError

_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\]):(\d+)")


@dataclass(frozen=True)
class RunningProvider:
    """A provider process that answers on ``url``."""

    url: str
    log: Path
    pid: int


def free_port() -> int:
    """A port that was free a moment ago (for commands that take ``{port}``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(log: Path, lines: int = 20) -> str:
    """The last lines of a log file, for error messages."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"


@contextlib.contextmanager
def start_provider(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    ready_path: str = "/",
    timeout: float = 30.0,
    name: str = "provider",
) -> Iterator[RunningProvider]:
    """Start ``command``, wait until it answers, yield it, then stop it.

    Raises:
        ConfigError: the command is empty or its folder does not exist.
        ToolError: it exits or does not answer within ``timeout`` (with its log's tail).
    """
    if not command:
        raise ConfigError(
            f"no command to start {name}",
            hint="set [provider] command in testgate.toml or TESTGATE_PROVIDER_COMMAND",
        )
    if not cwd.is_dir():
        raise ConfigError(f"{name}: working folder {cwd} does not exist")
    port: int | None = None
    argv = list(command)
    if any("{port}" in part for part in argv):
        port = free_port()
        argv = [part.replace("{port}", str(port)) for part in argv]
    log_file = open_log(log)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # so stopping it stops its children too
        )
    except OSError as exc:
        log_file.close()
        raise ToolError(f"{name}: could not start {argv[0]!r}: {exc}") from exc

    seen_port: list[int] = []
    announced = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            log_file.write(line)
            log_file.flush()
            if not seen_port:
                match = _URL.search(line)
                if match:
                    seen_port.append(int(match.group(1)))
                    announced.set()
        announced.set()

    reader = threading.Thread(target=pump, name=f"{name}-log", daemon=True)
    reader.start()
    try:
        url = _wait_ready(proc, port, seen_port, announced, ready_path, timeout, name, log)
        yield RunningProvider(url=url, log=log, pid=proc.pid)
    finally:
        _stop(proc)
        reader.join(timeout=5)
        log_file.close()


def _wait_ready(
    proc: subprocess.Popen[str],
    port: int | None,
    seen_port: list[int],
    announced: threading.Event,
    ready_path: str,
    timeout: float,
    name: str,
    log: Path,
) -> str:
    deadline = time.monotonic() + timeout
    session = requests.Session()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            announced.wait(1)
            raise ToolError(
                f"{name} exited with code {proc.returncode} before it was ready; "
                f"the end of its log ({log}):\n{log_tail(log)}",
                hint="run the provider command by hand to see why it stops",
            )
        current = port or (seen_port[0] if seen_port else None)
        if current:
            url = f"http://127.0.0.1:{current}"
            try:
                session.get(url + ready_path, timeout=1)
                return url  # any HTTP answer means it is serving
            except requests.RequestException:
                pass
        time.sleep(0.05)
    raise ToolError(
        f"{name} did not answer on {ready_path} within {timeout:g} s; "
        f"the end of its log ({log}):\n{log_tail(log)}",
        hint="with port 0 the provider must print its URL (http://127.0.0.1:PORT); "
        "or put {port} in the command",
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def open_log(path: Path, *, binary: bool = False):
    """Open (truncate) a log testgate writes for a child process, never through a planted link.

    Raises:
        ConfigError: the path is a link, a folder or not a regular file (named).
    """
    import os
    import stat

    from testgate.files import check_target, kind_of

    path.parent.mkdir(parents=True, exist_ok=True)
    hint = "remove what is at that path (a link, a folder, a pipe) or choose another --reports-dir"
    check_target(path, "the log", hint=hint)  # names what is there: a folder, a FIFO, ...
    # Then opened without following a link, and O_NONBLOCK: a named pipe planted since fails at
    # once (ENXIO) instead of waiting for a reader.
    flags = os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the log {path}: {exc.strerror or exc}", hint=hint
        ) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # a device, or a pipe with a reader, planted since
        os.close(fd)
        raise ConfigError(f"cannot write the log {path}: it is {kind_of(mode)}", hint=hint)
    os.set_blocking(fd, True)
    os.ftruncate(fd, 0)  # only now: truncating is for a regular file testgate writes
    return os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")
