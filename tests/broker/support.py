"""Helpers for broker tests: pacts (hand-made or from pact-python), a provider, HTTP calls."""

from __future__ import annotations

import base64
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

CONSUMER = "dashboard-api"
PROVIDER = "inventory-api"


def pact_doc(consumer: str = CONSUMER, provider: str = PROVIDER, *paths: str) -> dict[str, Any]:
    """A minimal V3 pact with one GET interaction per path (content differs per path set)."""
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [
            {
                "description": f"a request for {path}",
                "request": {"method": "GET", "path": path},
                "response": {"status": 200, "body": {"path": path}},
            }
            for path in (paths or ("/items/1",))
        ],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }


def publish(
    url: str,
    version: str,
    branch: str | None = None,
    content: dict[str, Any] | None = None,
    *,
    consumer: str = CONSUMER,
    provider: str = PROVIDER,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """POST /contracts/publish, as the CLI does."""
    content = content or pact_doc(consumer, provider)
    body: dict[str, Any] = {
        "pacticipantName": consumer,
        "pacticipantVersionNumber": version,
        "contracts": [
            {
                "consumerName": consumer,
                "providerName": provider,
                "specification": "pact",
                "contentType": "application/json",
                "content": base64.b64encode(json.dumps(content).encode()).decode(),
                "onConflict": "overwrite",
            }
        ],
    }
    if branch:
        body["branch"] = branch
    return requests.post(f"{url}/contracts/publish", json=body, headers=headers, timeout=10)


def for_verification(url: str, provider: str = PROVIDER, **body: Any) -> list[dict[str, Any]]:
    """POST the pacts-for-verification query and return the pacts."""
    response = requests.post(
        f"{url}/pacts/provider/{provider}/for-verification", json=body, timeout=10
    )
    response.raise_for_status()
    return response.json()["_embedded"]["pacts"]


def verify(
    url: str, pact_href: str, provider_version: str, success: bool, branch: str | None = None
) -> None:
    """Publish a verification result the way the Verifier does (branch first, then the result)."""
    if branch:
        requests.put(
            f"{url}/pacticipants/{PROVIDER}/branches/{branch}/versions/{provider_version}",
            json={},
            timeout=10,
        ).raise_for_status()
    pact = requests.get(pact_href, timeout=10).json()
    href = pact["_links"]["pb:publish-verification-results"]["href"]
    requests.post(
        href,
        json={"success": success, "providerApplicationVersion": provider_version},
        timeout=10,
    ).raise_for_status()


INTERACTIONS = {
    # name: (description, provider state, path, expected body)
    "item": ("a request for item 1", "item 1 exists", "/items/1", {"id": 1, "name": "widget"}),
    "count": ("a request for the item count", None, "/count", {"count": 3}),
    "item2": ("a request for item 2", "item 2 exists", "/items/2", {"id": 2, "name": "gadget"}),
}


def make_pact(out_dir: Path, *names: str) -> Path:
    """Write a dashboard-api -> inventory-api pact with pact-python 4.x (the real consumer side).

    ``names`` picks interactions from :data:`INTERACTIONS` (default: ``item``).
    :class:`ItemsProvider` serves ``item`` and ``count`` but not ``item2``.
    """
    from pact import Pact

    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    chosen = names or ("item",)
    for name in chosen:
        description, state, path, body = INTERACTIONS[name]
        interaction = pact.upon_receiving(description)
        if state:
            interaction = interaction.given(state)
        (
            interaction.with_request("GET", path)
            .will_respond_with(200)
            .with_body(body, content_type="application/json")
        )
    with pact.serve() as server:
        for name in chosen:
            requests.get(f"{server.url}{INTERACTIONS[name][2]}", timeout=10)
    pact.write_file(out_dir)
    return out_dir


class ItemsProvider:
    """The inventory-api provider as a tiny stdlib server (with a URL state handler).

    It serves ``/items/1`` and ``/count``; ``/items/2`` is missing (a contract break).
    """

    def __init__(self) -> None:
        self.states: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, doc: Any) -> None:
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/items/1":
                    self._send(200, {"id": 1, "name": "widget"})
                elif self.path == "/count":
                    self._send(200, {"count": 3})
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b"{}"
                if self.path.startswith("/_pact/state"):
                    outer.states.append(json.loads(body or b"{}").get("state", ""))
                self._send(200, {})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
