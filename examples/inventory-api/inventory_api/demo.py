"""The example's stand-in for a deployed environment: seed data and a pricing-api beside it.

A data set of the API tests (``tests/api/data/<name>.json``, its ``"products"``)
seeds a database of the same schema; a shared environment would run the same
rows through its seed script. With no ``PRICING_API_URL``, the example
pricing-api (``examples/pricing-api``) is served from a thread of this process,
so one command starts a working chain for the template tests' "deployments".
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from inventory_api.db import Database

EXAMPLE = Path(__file__).resolve().parents[1]
DATA_SETS = EXAMPLE / "tests" / "api" / "data"
PRICING_API = EXAMPLE.parent / "pricing-api"


def seed(db: Database, data_set: str) -> int:
    """Insert the rows of API-test data set ``data_set``; how many.

    Raises:
        SystemExit: no such data set (the message names the file).
    """
    path = DATA_SETS / f"{data_set}.json"
    if not path.is_file():
        raise SystemExit(f"inventory-api: TEST_DATA_SET={data_set}: no data set {path}")
    rows = json.loads(path.read_text(encoding="utf-8")).get("products", [])
    db.insert(rows, replace=True)
    return len(rows)


def serve_pricing_api() -> str:
    """Serve the example pricing-api from a daemon thread; its URL.

    It knows the seed products' prices, and a list price for any other product (the API
    tests create products on the fly, as they may in a demo environment).
    """
    from werkzeug.serving import make_server

    if str(PRICING_API) not in sys.path:
        sys.path.insert(0, str(PRICING_API))
    from pricing_api import create_app

    app = create_app(list_price={"amount": 1.0, "currency": "EUR"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="pricing-api", daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"
