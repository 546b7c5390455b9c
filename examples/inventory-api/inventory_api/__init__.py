"""inventory-api: the example provider. A small Flask service with an in-memory store.

It serves the products a dashboard shows. With ``enable_states=True`` it also
exposes ``POST /_pact/provider-states``, the endpoint the Pact verifier calls to
put the store into the state an interaction expects (never enabled in a
deployed environment).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request

SEED_FILE = Path(__file__).with_name("seed.json")


class Store:
    """In-memory products and stock, reset and seeded by provider states."""

    def __init__(self, products: list[dict[str, Any]] | None = None) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        for product in products or []:
            self.add(product)

    def add(self, product: dict[str, Any]) -> dict[str, Any]:
        self.products[product["id"]] = copy.deepcopy(product)
        return self.products[product["id"]]

    def reset(self) -> None:
        self.products.clear()


def _public(product: dict[str, Any], *, detail: bool, broken: bool) -> dict[str, Any]:
    body = {
        "id": product["id"],
        "name": product["name"],
        "price": {"amount": product["price"], "currency": product.get("currency", "EUR")},
        "inStock": product["stock"] > 0,
    }
    if detail:
        body["stock"] = {"available": product["stock"], "warehouse": product["warehouse"]}
    if broken:
        # The contract-break demo: a refactoring "simplified" the payload and
        # dropped a field the dashboard reads.
        del body["price"]
    return body


def create_app(
    *,
    seed: bool = True,
    enable_states: bool = False,
    break_contract: bool = False,
) -> Flask:
    """Build the Flask app.

    Args:
        seed: load the demo products from ``seed.json``.
        enable_states: expose the provider-state endpoint for Pact verification.
        break_contract: drop ``price`` from product payloads (the demo of a broken contract).
    """
    app = Flask("inventory_api")
    products = json.loads(SEED_FILE.read_text(encoding="utf-8")) if seed else []
    store = Store(products)
    app.config["STORE"] = store

    @app.get("/health")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.get("/products")
    def list_products():  # type: ignore[no-untyped-def]
        items = [
            _public(p, detail=False, broken=break_contract)
            for p in sorted(store.products.values(), key=lambda p: p["id"])
        ]
        return jsonify(products=items, count=len(items))

    @app.get("/products/<product_id>")
    def get_product(product_id: str):  # type: ignore[no-untyped-def]
        product = store.products.get(product_id)
        if product is None:
            return jsonify(error=f"product {product_id} not found"), 404
        return jsonify(_public(product, detail=True, broken=break_contract))

    @app.post("/products")
    def create_product():  # type: ignore[no-untyped-def]
        data = request.get_json(silent=True) or {}
        missing = [k for k in ("id", "name", "price") if k not in data]
        if missing:
            return jsonify(error=f"missing fields: {', '.join(missing)}"), 400
        if data["id"] in store.products:
            return jsonify(error=f"product {data['id']} exists"), 409
        product = store.add(
            {
                "id": str(data["id"]),
                "name": str(data["name"]),
                "price": float(data["price"]),
                "currency": str(data.get("currency", "EUR")),
                "stock": int(data.get("stock", 0)),
                "warehouse": str(data.get("warehouse", "main")),
            }
        )
        return jsonify(_public(product, detail=True, broken=break_contract)), 201

    if enable_states:
        _add_provider_states(app, store)
    return app


# Provider states named in the consumer's pacts, and how each sets up the store.
def _state_products_exist(store: Store, params: dict[str, Any]) -> None:
    store.reset()
    for product in json.loads(SEED_FILE.read_text(encoding="utf-8")):
        store.add(product)


def _state_product_exists(store: Store, params: dict[str, Any]) -> None:
    store.reset()
    store.add(
        {
            "id": str(params.get("id", "p-100")),
            "name": str(params.get("name", "Widget")),
            "price": float(params.get("price", 12.5)),
            "currency": "EUR",
            "stock": int(params.get("stock", 7)),
            "warehouse": "berlin-1",
        }
    )


def _state_no_product(store: Store, params: dict[str, Any]) -> None:
    store.reset()


STATES = {
    "products exist": _state_products_exist,
    "a product with id exists": _state_product_exists,
    "no product with id exists": _state_no_product,
}


def _add_provider_states(app: Flask, store: Store) -> None:
    @app.post("/_pact/provider-states")
    def provider_states():  # type: ignore[no-untyped-def]
        body = request.get_json(silent=True) or {}
        state = body.get("state", "")
        action = body.get("action", "setup")
        if state == "":  # Pact's generic setup/teardown call
            return jsonify(result="ok")
        handler = STATES.get(state)
        if handler is None:
            return jsonify(error=f"no handler for provider state {state!r}"), 400
        if action == "setup":
            handler(store, body.get("params") or {})
        return jsonify(result="ok")
