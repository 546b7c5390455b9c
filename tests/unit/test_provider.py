"""testgate.provider: starting a provider on 127.0.0.1, waiting for it, stopping it, its log.

The providers here are tiny real HTTP servers run as ``python -c``; each says on its output
what it saw (its argv, folder, environment, the requests it got) so the tests can check
what start_provider gave it.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from testgate.errors import ConfigError, ToolError
from testgate.provider import free_port, log_tail, open_log, start_provider

SERVER = r"""
import http.server, os, subprocess, sys, time
print("ARGV", " ".join(sys.argv[1:]), flush=True)
print("CWD", os.getcwd(), flush=True)
print("LEAK", os.environ.get("TESTGATE_UNIT_LEAK", "-"), "MARK", os.environ.get("MARK", "-"), flush=True)
if os.environ.get("SPAWN"):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    print("GRANDCHILD", child.pid, flush=True)
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("HIT", self.path, flush=True)
        self.send_response(int(os.environ.get("STATUS", "200")))
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
port = 0
for arg in sys.argv[1:]:
    if arg.startswith("--listen=127.0.0.1:"):
        port = int(arg.rsplit(":", 1)[1])
server = http.server.HTTPServer(("127.0.0.1", port), Handler)
for line in os.environ.get("BANNER", "serving on http://127.0.0.1:{}/").split("|"):
    print(line.format(server.server_port), flush=True)
server.serve_forever()
"""

SILENT = "import os, time\nprint('PID', os.getpid(), flush=True)\nprint('warming up', flush=True)\ntime.sleep(30)\n"


def server(*args: str) -> list[str]:
    return [sys.executable, "-c", SERVER, *args]


def base_env(**extra: str) -> dict[str, str]:
    return {"PYTHONDONTWRITEBYTECODE": "1", **extra}


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if not Path("/proc").is_dir():
        return True
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def gone_soon(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


def lines_of(log: Path, tag: str) -> list[str]:
    return [line[len(tag) + 1 :] for line in log.read_text().splitlines() if line.startswith(tag)]


# -- free_port and log_tail ---------------------------------------------------------------
def test_free_port_can_be_bound_on_loopback() -> None:
    port = free_port()
    assert isinstance(port, int)
    assert 0 < port < 65536
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def test_log_tail_keeps_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    log.write_text("".join(f"line {i:02d}\n" for i in range(30)))
    assert log_tail(log) == "\n".join(f"line {i:02d}" for i in range(10, 30))
    assert log_tail(log, lines=3) == "line 27\nline 28\nline 29"


def test_log_tail_says_when_there_is_no_log_or_nothing_in_it(tmp_path: Path) -> None:
    assert log_tail(tmp_path / "missing.log") == "(no log)"
    assert log_tail(tmp_path) == "(no log)"  # a folder cannot be read either
    empty = tmp_path / "empty.log"
    empty.write_text("")
    assert log_tail(empty) == "(the log is empty)"


def test_log_tail_survives_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    log.write_bytes(b"ok\n\xff\xfe broken\n")
    assert log_tail(log) == "ok\n\ufffd\ufffd broken"


# -- start_provider: how it starts ---------------------------------------------------------
def test_port_placeholder_is_replaced_everywhere_and_is_the_url(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "provider.log"
    with start_provider(
        server("--listen=127.0.0.1:{port}", "--name=p{port}"),
        cwd=tmp_path,
        env=base_env(BANNER="ready"),  # prints no URL: the port comes from {port}
        log=log,
        timeout=10,
    ) as running:
        port = int(running.url.rsplit(":", 1)[1])
        assert running.url == f"http://127.0.0.1:{port}"
        assert requests.get(running.url + "/x", timeout=2).text == "ok"
        assert running.log == log
    assert lines_of(log, "ARGV") == [f"--listen=127.0.0.1:{port} --name=p{port}"]


def test_the_url_is_read_from_the_childs_output_when_it_binds_port_0(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    banner = "docs: http://example.com:9/ and http://10.1.2.3:8/|Running on http://localhost:{}/"
    with start_provider(
        server(), cwd=tmp_path, env=base_env(BANNER=banner), log=log, timeout=10
    ) as running:
        assert requests.get(running.url + "/", timeout=2).status_code == 200
    (announced,) = [line for line in log.read_text().splitlines() if "Running on" in line]
    port = announced.split(":")[-1].rstrip("/")
    assert running.url == f"http://127.0.0.1:{port}"


def test_readiness_is_asked_on_the_ready_path_and_any_answer_counts(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    with start_provider(
        server(),
        cwd=tmp_path,
        env=base_env(STATUS="503"),
        log=log,
        ready_path="/health/ready?deep=1",
        timeout=10,
    ) as running:
        assert requests.get(running.url + "/", timeout=2).status_code == 503
    assert lines_of(log, "HIT") == ["/health/ready?deep=1", "/"]


def test_the_child_gets_exactly_the_given_environment_and_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTGATE_UNIT_LEAK", "from-the-parent")
    work = tmp_path / "service"
    work.mkdir()
    log = tmp_path / "provider.log"
    with start_provider(server(), cwd=work, env=base_env(MARK="given"), log=log, timeout=10):
        pass
    assert lines_of(log, "LEAK") == ["- MARK given"]
    assert lines_of(log, "CWD") == [str(work.resolve())]


def test_the_log_is_started_afresh(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    log.write_text("STALE line from the last run\n" * 50)
    with start_provider(server(), cwd=tmp_path, env=base_env(), log=log, timeout=10):
        pass
    text = log.read_text()
    assert "STALE" not in text
    assert text.startswith("ARGV")


# -- start_provider: stopping --------------------------------------------------------------
def test_the_provider_and_its_children_are_stopped_afterwards(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    with start_provider(
        server(), cwd=tmp_path, env=base_env(SPAWN="1"), log=log, timeout=10
    ) as running:
        pid = running.pid
        assert alive(pid)
    (grandchild,) = (int(p) for p in lines_of(log, "GRANDCHILD"))
    assert not alive(pid)
    assert gone_soon(grandchild)
    with pytest.raises(requests.ConnectionError):
        requests.get(running.url, timeout=1)


def test_the_provider_is_stopped_when_the_body_fails(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    pids: list[int] = []

    def verify() -> None:
        with start_provider(server(), cwd=tmp_path, env=base_env(), log=log, timeout=10) as running:
            pids.append(running.pid)
            raise RuntimeError("verification blew up")

    with pytest.raises(RuntimeError, match="verification blew up"):
        verify()
    (pid,) = pids
    assert pid
    assert not alive(pid)


# -- start_provider: errors ----------------------------------------------------------------
def test_a_child_that_exits_early_is_reported_with_its_code_and_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    code = "import sys\nfor i in range(30):\n    print(f'line {i:02d}')\nprint('boom: DATABASE_URL is not set')\nsys.exit(3)\n"
    started = time.monotonic()
    with (
        pytest.raises(ToolError) as info,
        start_provider(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env=base_env(),
            log=log,
            timeout=20,
            name="orders-api",
        ),
    ):
        pytest.fail("must not be yielded")
    assert time.monotonic() - started < 5  # did not wait for the timeout
    err = info.value
    assert err.exit_code == 3
    assert err.message.startswith(
        f"orders-api exited with code 3 before it was ready; the end of its log ({log}):\n"
    )
    tail = err.message.split(":\n", 1)[1]
    assert tail.splitlines() == [f"line {i:02d}" for i in range(11, 30)] + [
        "boom: DATABASE_URL is not set"
    ]
    assert err.hint is not None
    assert "by hand" in err.hint


def test_a_child_that_never_answers_times_out_with_its_log_and_is_stopped(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    started = time.monotonic()
    with (
        pytest.raises(ToolError) as info,
        start_provider(
            [sys.executable, "-c", SILENT],
            cwd=tmp_path,
            env=base_env(),
            log=log,
            ready_path="/ready",
            timeout=1.0,
        ),
    ):
        pytest.fail("must not be yielded")
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 4
    err = info.value
    assert err.exit_code == 3
    assert err.message.startswith(
        f"provider did not answer on /ready within 1 s; the end of its log ({log}):\n"
    )
    assert err.message.endswith("warming up")
    assert err.hint is not None
    assert "{port}" in err.hint
    (pid,) = (int(p) for p in lines_of(log, "PID"))
    assert not alive(pid)


def test_an_empty_command_or_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    with (
        pytest.raises(ConfigError) as info,
        start_provider([], cwd=tmp_path, env={}, log=log, name="billing"),
    ):
        pass
    assert info.value.exit_code == 2
    assert info.value.message == "no command to start billing"
    assert info.value.hint is not None
    assert "TESTGATE_PROVIDER_COMMAND" in info.value.hint
    missing = tmp_path / "no-such-folder"
    with (
        pytest.raises(ConfigError, match=f"billing: working folder {missing} does not exist"),
        start_provider(server(), cwd=missing, env={}, log=log, name="billing"),
    ):
        pass
    assert not log.exists()  # nothing was started


def test_a_command_that_cannot_start_is_a_tool_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-binary")
    with (
        pytest.raises(ToolError) as info,
        start_provider(
            [missing, "--port", "{port}"],
            cwd=tmp_path,
            env={},
            log=tmp_path / "p.log",
            name="billing",
        ),
    ):
        pass
    assert info.value.exit_code == 3
    assert info.value.message.startswith(f"billing: could not start {missing!r}: ")


# -- open_log ------------------------------------------------------------------------------
def test_open_log_makes_its_folder_and_truncates_its_own_log(tmp_path: Path) -> None:
    log = tmp_path / "reports" / "logs" / "provider.log"
    with open_log(log) as handle:
        handle.write("first run, a long line\n")
    with open_log(log) as handle:
        handle.write("second\n")
    assert log.read_text() == "second\n"
    with open_log(log, binary=True) as handle:
        handle.write(b"\x00\xffraw")
    assert log.read_bytes() == b"\x00\xffraw"


def test_open_log_does_not_create_the_target_of_a_dangling_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "planted.txt"
    target.parent.mkdir()
    log = tmp_path / "provider.log"
    log.symlink_to(target)
    with pytest.raises(ConfigError) as info:
        open_log(log)
    assert info.value.exit_code == 2
    assert info.value.message.startswith(f"cannot write the log {log}: ")
    assert not target.exists()
    assert log.is_symlink()


def test_open_log_refuses_a_folder_and_names_it(tmp_path: Path) -> None:
    log = tmp_path / "provider.log"
    log.mkdir()
    (log / "keep.txt").write_text("keep")
    with pytest.raises(ConfigError) as info:
        open_log(log)
    assert info.value.message.startswith(f"cannot write the log {log}: ")
    assert info.value.hint is not None
    assert "--reports-dir" in info.value.hint
    assert (log / "keep.txt").read_text() == "keep"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_open_log_refuses_a_named_pipe_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "provider.log"
    os.mkfifo(fifo)
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(open_log(fifo))
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(0.5)
    hung = worker.is_alive()
    if hung:  # let the blocked open finish so the thread ends
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        worker.join(5)
        os.close(reader)
    for result in outcome:
        if not isinstance(result, Exception):
            result.close()  # type: ignore[attr-defined]
    assert not hung, "open_log blocked on a named pipe"
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConfigError)
