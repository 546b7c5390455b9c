"""The dashboard's consumer of inventory-api's ``stock-changed`` event.

Each event updates one stock tile. The fields read here are what the consumer's
message pact pins down (``tests/contract/test_stock_events.py``), in the same V4
pact as the dashboard's HTTP calls to inventory-api.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TOPIC = "stock-changed"


@dataclass(frozen=True)
class StockTile:
    """One product's stock on the dashboard."""

    product_id: str
    available: int
    sold_out: bool


class NotAStockEvent(ValueError):
    """A message on another topic, or one without the fields the dashboard reads."""


def on_stock_changed(body: str | bytes | None, metadata: Mapping[str, Any]) -> StockTile:
    """Turn one ``stock-changed`` message (body and metadata, as the bus delivers them) into a tile.

    Raises:
        NotAStockEvent: the message is not a stock-changed event the dashboard can read.
    """
    if metadata.get("topic") != TOPIC:
        raise NotAStockEvent(f"not a {TOPIC} event: topic {metadata.get('topic')!r}")
    try:
        event = json.loads(str(body) if not isinstance(body, bytes) else body)
        return StockTile(
            product_id=str(event["productId"]),
            available=int(event["available"]),
            sold_out=not bool(event["inStock"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise NotAStockEvent(f"unreadable {TOPIC} event: {exc!r}") from exc
