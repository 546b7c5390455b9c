"""What the fake GitHub and GitLab APIs share: served on a free local port in a thread, and a
quiet JSON request handler (the APIs themselves live in fake_github/ and fake_gitlab/)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self


class JSONHandler(BaseHTTPRequestHandler):
    """Keep-alive, quiet, JSON answers; ``_lost`` drops the answer (a proxy that timed out)."""

    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body in one write (no delayed-ACK stall on keep-alive)
    content_type: ClassVar[str] = "application/json"
    extra_headers: ClassVar[dict[str, str]] = {}  # sent with every answer
    _lost = False

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        if self._lost:
            return
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in {**self.extra_headers, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class ServedFake:
    """``start()``/``stop()``/``with`` for a fake whose ``handler`` class reads it as ``state``.

    The subclass (a dataclass) declares ``_server: ThreadingHTTPServer | None = None``.
    """

    handler: ClassVar[type[BaseHTTPRequestHandler]]
    _server: ThreadingHTTPServer | None

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        bound = type("Handler", (self.handler,), {"state": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
