"""The ``stock-changed`` event inventory-api publishes, and its Pact message handler.

dashboard-api consumes the event; its Pact tests put the messages it expects in
the same V4 pact as its HTTP calls. testgate verifies them with
``[provider.messages] handler = "inventory_api.events:pact_message"``: the
handler builds each message with the same function the service publishes with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

TOPIC = "stock-changed"


def stock_changed(product: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body and metadata of the event for ``product`` (a row of the products table)."""
    stock = int(product["stock"])
    body = {
        "productId": str(product["id"]),
        "available": stock,
        "inStock": stock > 0,
        "warehouse": str(product["warehouse"]),
    }
    return body, {"topic": TOPIC, "key": str(product["id"])}


def _states(metadata: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    states = (metadata or {}).get("providerStates") or []
    return {s.get("name", ""): s.get("params") or {} for s in states}


def pact_message(name: str, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """Produce the message the pact names ``name`` (testgate's ``[provider.messages] handler``).

    Args:
        name: the interaction's description in the pact.
        metadata: what the verifier sends along, with ``providerStates`` (name and params).

    Returns:
        pact-python's message: ``contents`` (bytes), ``metadata``, ``content_type``.

    Raises:
        LookupError: the pact names a message this service does not publish.
    """
    states = _states(metadata)
    if name == "a stock-changed event":
        params = states.get("a product with id exists", {})
        product = {
            "id": params.get("id", "p-100"),
            "stock": params.get("stock", 7),
            "warehouse": "berlin-1",
        }
    elif name == "a stock-changed event for a sold-out product":
        params = states.get("a product with id exists", {})
        product = {"id": params.get("id", "p-200"), "stock": 0, "warehouse": "berlin-1"}
    else:
        raise LookupError(f"inventory-api publishes no message called {name!r}")
    body, meta = stock_changed(product)
    return {
        "contents": json.dumps(body).encode(),
        "metadata": meta,
        "content_type": "application/json",
    }
