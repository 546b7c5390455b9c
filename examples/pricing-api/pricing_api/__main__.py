"""Run pricing-api: ``python -m pricing_api --port 0``.

``--port 0`` takes a free port; the line ``pricing-api listening on http://HOST:PORT``
on stdout says which.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from werkzeug.serving import make_server

from pricing_api import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pricing_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--provider-states",
        action="store_true",
        help="expose POST /_pact/provider-states and start with no prices (verification only)",
    )
    args = parser.parse_args(argv)
    app = create_app(enable_states=args.provider_states, seed=not args.provider_states)
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"pricing-api listening on http://{args.host}:{server.server_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
