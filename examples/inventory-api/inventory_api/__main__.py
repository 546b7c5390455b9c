"""Run inventory-api: ``python -m inventory_api --port 0``.

Binds 127.0.0.1 by default; ``--port 0`` takes a free port, and the line
``inventory-api listening on http://HOST:PORT`` on stdout says which.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from werkzeug.serving import make_server

from inventory_api import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inventory_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument(
        "--provider-states",
        action="store_true",
        help="expose POST /_pact/provider-states (verification only)",
    )
    args = parser.parse_args(argv)
    # EXAMPLE_BREAK=provider: the contract-break demo of `make pipeline BREAK=provider`.
    broken = os.environ.get("EXAMPLE_BREAK", "") == "provider"
    app = create_app(enable_states=args.provider_states, break_contract=broken)
    server = make_server(args.host, args.port, app, threaded=True)
    print(
        f"inventory-api listening on http://{args.host}:{server.server_port}"
        + (" (contract deliberately broken: EXAMPLE_BREAK=provider)" if broken else ""),
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
