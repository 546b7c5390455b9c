"""Errors that point at the cause: what `testgate verify` says when the state endpoint fails.

A real provider (a small standard-library HTTP service) is started by testgate itself from
testgate.toml, so its log is kept under reports/. Its state endpoint raises for one state,
kills the process for another, and refuses the empty state "" when told to: the messages must
say a handler raised (not "has no handler"), quote the end of the provider's log and name its
path, and explain the empty state, all before the Pact core's minutes of retries.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROVIDER = r"""
import json, os, sys, traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STRICT_EMPTY = os.environ.get("STRICT_EMPTY") == "1"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send(200, {"status": "ok"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        state = body["state"]
        if state == "the database is down":
            try:
                raise ConnectionError("db.internal:5432 refused the connection")
            except ConnectionError as exc:
                traceback.print_exc()
                sys.stderr.flush()
                self._send(500, {"error": f"provider state {state!r} raised ConnectionError: {exc}"})
            return
        if state == "the handler kills the process":
            print("about to crash in the state handler: segfault in libfoo", flush=True)
            os._exit(1)
        if state == "" and STRICT_EMPTY:
            self._send(400, {"error": "state is required"})
            return
        if state in ("", "a product exists"):
            self._send(200, {})
            return
        self._send(400, {"error": f"unknown state {state!r}"})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
"""


def project(root: Path, *interactions: tuple[str, str | None]) -> Path:
    """A provider project: the service above, its testgate.toml and a pact."""
    root.mkdir(parents=True)
    (root / "service.py").write_text(PROVIDER)
    (root / "testgate.toml").write_text(
        "[provider]\n"
        'name = "orders-api"\n'
        'command = ["{python}", "service.py"]\n'
        'ready-path = "/health"\n'
        'states-path = "/_pact/provider-states"\n'
    )
    items = []
    for description, state in interactions:
        item: dict[str, object] = {
            "type": "Synchronous/HTTP",
            "description": description,
            "request": {"method": "GET", "path": "/health"},
            "response": {"status": 200},
        }
        if state is not None:
            item["providerStates"] = [{"name": state}]
        items.append(item)
    (root / "pacts").mkdir()
    (root / "pacts" / "web-orders-api.json").write_text(
        json.dumps(
            {
                "consumer": {"name": "web"},
                "provider": {"name": "orders-api"},
                "interactions": items,
                "metadata": {"pactSpecification": {"version": "4.0"}},
            }
        )
    )
    return root


def verify(root: Path, env: dict[str, str], **extra: str) -> tuple[int, str, float]:
    env = {k: v for k, v in env.items() if k != "TESTGATE_REPORTS_DIR"}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "testgate", "verify"],
        cwd=root,
        env={**env, "TESTGATE_PLATFORM": "local", **extra},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started


def test_a_handler_that_raises_is_said_so_with_the_providers_log(
    tmp_path: Path, clean_environ: dict[str, str]
) -> None:
    root = project(tmp_path / "svc", ("an order list", "the database is down"))
    code, out, seconds = verify(root, clean_environ)
    assert code == 3, out
    assert "has no handler" not in out  # the old wording: the handler exists, it raised
    assert "the handler of 'the database is down' (setup) failed: HTTP 500" in out
    assert "raised ConnectionError: db.internal:5432 refused the connection" in out
    log = root / "reports" / "orders-api.log"
    assert f"the end of the provider's log ({log})" in out
    assert "Traceback (most recent call last)" in out  # quoted from the log, not testgate's
    assert seconds < 60  # the probe, not the core's retries


def test_a_handler_that_kills_the_provider_names_the_reset_and_quotes_the_log(
    tmp_path: Path, clean_environ: dict[str, str]
) -> None:
    root = project(tmp_path / "svc", ("an order list", "the handler kills the process"))
    code, out, seconds = verify(root, clean_environ)
    assert code == 3, out
    assert "the provider dropped the connection" in out
    assert "'the handler kills the process' (setup)" in out
    assert "about to crash in the state handler: segfault in libfoo" in out  # its log's tail
    assert str(root / "reports" / "orders-api.log") in out
    assert "cannot be reached" not in out  # it was reached; it died answering
    assert seconds < 60


def test_an_endpoint_refusing_the_empty_state_is_exit_2_before_verifying(
    tmp_path: Path, clean_environ: dict[str, str]
) -> None:
    root = project(tmp_path / "svc", ("a health check", None), ("one product", "a product exists"))
    code, out, seconds = verify(root, clean_environ, STRICT_EMPTY="1")
    assert code == 2, out
    assert 'the empty state ""' in out
    assert "interactions without a provider state" in out
    assert seconds < 60


def test_the_same_provider_accepting_the_empty_state_passes(
    tmp_path: Path, clean_environ: dict[str, str]
) -> None:
    root = project(tmp_path / "svc", ("a health check", None), ("one product", "a product exists"))
    code, out, _ = verify(root, clean_environ)
    assert code == 0, out
    assert "2 interactions, 2 passed" in out


@pytest.mark.parametrize("strict", ["1", "0"], ids=["refuses-empty", "accepts-empty"])
def test_the_pact_core_really_sends_the_empty_state(
    tmp_path: Path, clean_environ: dict[str, str], strict: str
) -> None:
    """Why the probe exists: without it, the core fails the stateless interaction itself."""
    root = project(tmp_path / "svc", ("a health check", None))
    from testgate import pact
    from testgate.provider import start_provider

    seen = pact.has_stateless_interactions(pact.load_pacts(root / "pacts"))
    assert seen
    with start_provider(
        [sys.executable, "service.py"],
        cwd=root,
        env={**clean_environ, "STRICT_EMPTY": strict},
        log=tmp_path / "p.log",
        ready_path="/health",
    ) as running:
        result = pact.verify_provider(
            "orders-api",
            running.url,
            pact.directory_source(root / "pacts"),
            states_url=running.url + "/_pact/provider-states",
        )
    assert result.passed is (strict == "0")
