"""The ``stock-changed`` events dashboard-api consumes from inventory-api, as message pacts.

pact-python hands each message, as the pact describes it, to the dashboard's real
handler; the messages land in the same V4 pact file as the HTTP interactions,
and testgate verifies them on inventory-api's side with its message handler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dashboard_api.events import StockTile, on_stock_changed
from pact import Pact, match

CONSUMER = "dashboard-api"
PROVIDER = "inventory-api"


def _event(available: Any, in_stock: Any) -> dict[str, Any]:
    return {
        "productId": match.str("p-100"),
        "available": available,
        "inStock": in_stock,
        "warehouse": match.str("berlin-1"),
    }


def test_stock_changed_events_update_the_tiles(pact_dir: Path) -> None:
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    (
        pact.upon_receiving("a stock-changed event", "Async")
        .given("a product with id exists", id="p-100", stock=7)
        .with_body(_event(match.int(7), match.bool(True)), content_type="application/json")
        .with_metadata({"topic": "stock-changed"})
    )
    (
        pact.upon_receiving("a stock-changed event for a sold-out product", "Async")
        .given("a product with id exists", id="p-200", stock=0)
        .with_body(
            {**_event(0, False), "productId": match.str("p-200")},
            content_type="application/json",
        )
        .with_metadata({"topic": "stock-changed"})
    )
    tiles: list[StockTile] = []
    pact.verify(lambda body, metadata: tiles.append(on_stock_changed(body, metadata)), "Async")
    assert sorted(tiles, key=lambda t: t.product_id) == [
        StockTile(product_id="p-100", available=7, sold_out=False),
        StockTile(product_id="p-200", available=0, sold_out=True),
    ]
    pact.write_file(pact_dir)
