"""pytest fixtures for the test Pact Broker (registered in tests/conftest.py).

- ``pact_broker``: an open broker (no auth) on 127.0.0.1, port 0, one per test.
- ``pact_broker_factory``: start brokers with options (``token=...``, ``username=...``).
- ``unreachable_url``: a 127.0.0.1 URL where nothing listens.
- ``fake_pact_cli``: a recording fake ``pact`` executable for command tests.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from broker import fake_pact
from broker.server import PactBrokerServer


@pytest.fixture
def pact_broker_factory() -> Iterator[Callable[..., PactBrokerServer]]:
    started: list[PactBrokerServer] = []

    def start(**options: Any) -> PactBrokerServer:
        server = PactBrokerServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def pact_broker(pact_broker_factory: Callable[..., PactBrokerServer]) -> PactBrokerServer:
    return pact_broker_factory()


@pytest.fixture
def unreachable_url() -> str:
    """A loopback URL with no listener (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class FakePact:
    """A fake ``pact`` CLI (see :mod:`broker.fake_pact`) and an environment that uses it."""

    exe: Path
    log: Path
    environ: dict[str, str]

    def calls(self) -> list[dict[str, Any]]:
        return fake_pact.calls(self.log)

    def answer(self, stdout: str = "", rc: int = 0) -> None:
        """Every run prints ``stdout`` and exits ``rc``."""
        self.environ["FAKE_PACT_STDOUT"] = stdout
        self.environ["FAKE_PACT_RC"] = str(rc)

    def answers(self, *steps: tuple[int, str]) -> None:
        """Successive runs answer ``(rc, stdout)`` in turn (the last one repeats)."""
        self.environ["FAKE_PACT_SCRIPT"] = str(fake_pact.script(self.exe.parent, list(steps)))


@pytest.fixture
def fake_pact_cli(tmp_path: Path, clean_environ: dict[str, str]) -> FakePact:
    """``clean_environ`` plus a recording fake ``pact`` and a configured broker URL and token."""
    exe, log = fake_pact.install(tmp_path / "fake-pact")
    environ = dict(clean_environ)
    environ.update(
        {
            "TESTGATE_PACT_CLI": str(exe),
            "PACT_BROKER_BASE_URL": "https://broker.example.com",
            "PACT_BROKER_TOKEN": "fake-token-9d8c7b",
            "TESTGATE_BROKER_RETRY_BACKOFF": "0",
        }
    )
    return FakePact(exe, log, environ)
