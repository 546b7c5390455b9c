"""Run inventory-api: ``python -m inventory_api --port 0``.

Binds 127.0.0.1 by default; ``--port 0`` takes a free port, and the line
``inventory-api listening on http://HOST:PORT`` on stdout says which.

Its database is a fresh SQLite file that lives as long as the process (``--db``
names a lasting one). ``TEST_DATA_SET`` (or ``--data-set``) seeds it with the rows
of that API-test data set (``testgate api-tests --env local`` sets it from
``envs/local.env``). Prices come from ``PRICING_API_URL``; without it, the run is
a demo deployment: the example pricing-api is served beside it and the ``seed``
data set is loaded (see :mod:`inventory_api.demo`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
from pathlib import Path

from werkzeug.serving import make_server

from inventory_api import demo
from inventory_api.app import create_app


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so the throwaway database is removed on SIGTERM too


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inventory_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--db", help="SQLite file to keep (default: a throwaway one)")
    parser.add_argument(
        "--data-set",
        default=os.environ.get("TEST_DATA_SET", ""),
        help="seed the database with this API-test data set (default: $TEST_DATA_SET)",
    )
    parser.add_argument(
        "--provider-states",
        action="store_true",
        help="expose POST /_pact/provider-states (verification only)",
    )
    args = parser.parse_args(argv)
    pricing_url = os.environ.get("PRICING_API_URL", "")
    data_set = args.data_set
    if not pricing_url:
        pricing_url = demo.serve_pricing_api()
        data_set = data_set or "seed"
    # EXAMPLE_BREAK=provider: the contract-break demo of `make pipeline BREAK=provider`.
    broken = os.environ.get("EXAMPLE_BREAK", "") == "provider"
    signal.signal(signal.SIGTERM, _stop)
    with contextlib.ExitStack() as stack:
        if args.db:
            db_path = Path(args.db)
        else:
            db_path = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "inventory.db"
        app = create_app(
            db_path, pricing_url, enable_states=args.provider_states, break_contract=broken
        )
        seeded = ""
        if data_set:
            seeded = f", {demo.seed(app.config['DB'], data_set)} rows of data set {data_set!r}"
        server = make_server(args.host, args.port, app, threaded=True)
        print(
            f"inventory-api listening on http://{args.host}:{server.server_port} "
            f"(prices from {pricing_url}{seeded})"
            + (" (contract deliberately broken: EXAMPLE_BREAK=provider)" if broken else ""),
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
