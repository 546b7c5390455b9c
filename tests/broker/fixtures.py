"""pytest fixtures for the test Pact Broker (registered in tests/conftest.py).

- ``pact_broker``: an open broker (no auth) on 127.0.0.1, port 0, one per test.
- ``pact_broker_factory``: start brokers with options (``token=...``, ``username=...``).
- ``unreachable_url``: a 127.0.0.1 URL where nothing listens.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

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
