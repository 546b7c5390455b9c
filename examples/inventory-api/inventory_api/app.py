"""inventory-api's HTTP service (Flask): products from SQLite, prices from pricing-api.

With ``enable_states=True`` it also exposes ``POST /_pact/provider-states``, the
endpoint the Pact verifier calls to put the database into the state an
interaction expects (never enabled in a deployed environment).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request

from inventory_api import events, states
from inventory_api.db import Database
from inventory_api.pricing import PricingClient, PricingUnavailable

Publisher = Callable[[str, Mapping[str, Any], Mapping[str, Any]], None]


def print_publisher(topic: str, body: Mapping[str, Any], metadata: Mapping[str, Any]) -> None:
    """The example's message bus: one line per event in the service's log."""
    print(f"event {topic} {json.dumps(body, sort_keys=True)}", flush=True)


def create_app(
    database: str | Path,
    pricing_url: str,
    *,
    enable_states: bool = False,
    break_contract: bool = False,
    publish: Publisher = print_publisher,
) -> Flask:
    """Build the Flask app.

    Args:
        database: the SQLite file (created with its schema if new).
        pricing_url: pricing-api's base URL.
        enable_states: expose the provider-state endpoint for Pact verification.
        break_contract: drop ``price`` from product payloads (the demo of a broken contract).
        publish: where ``stock-changed`` events go.
    """
    app = Flask("inventory_api")
    db = Database(database)
    pricing = PricingClient(pricing_url)
    app.config["DB"] = db

    def public(product: Mapping[str, Any], *, detail: bool) -> dict[str, Any]:
        price = pricing.price_of(product["id"])
        body: dict[str, Any] = {
            "id": product["id"],
            "name": product["name"],
            "price": {"amount": price.amount, "currency": price.currency},
            "inStock": product["stock"] > 0,
        }
        if detail:
            body["stock"] = {"available": product["stock"], "warehouse": product["warehouse"]}
        if break_contract:
            # The contract-break demo: a refactoring "simplified" the payload and
            # dropped a field the dashboard reads.
            del body["price"]
        return body

    @app.errorhandler(PricingUnavailable)
    def pricing_unavailable(exc: PricingUnavailable):  # type: ignore[no-untyped-def]
        return jsonify(error=str(exc)), 502

    @app.get("/health")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.get("/products")
    def list_products():  # type: ignore[no-untyped-def]
        items = [public(p, detail=False) for p in db.products()]
        return jsonify(products=items, count=len(items))

    @app.get("/products/<product_id>")
    def get_product(product_id: str):  # type: ignore[no-untyped-def]
        product = db.product(product_id)
        if product is None:
            return jsonify(error=f"product {product_id} not found"), 404
        return jsonify(public(product, detail=True))

    @app.post("/products")
    def create_product():  # type: ignore[no-untyped-def]
        data = request.get_json(silent=True) or {}
        missing = [k for k in ("id", "name") if k not in data]
        if missing:
            return jsonify(error=f"missing fields: {', '.join(missing)}"), 400
        product = {
            "id": str(data["id"]),
            "name": str(data["name"]),
            "stock": int(data.get("stock", 0)),
            "warehouse": str(data.get("warehouse", "main")),
        }
        try:
            db.insert([product])
        except sqlite3.IntegrityError:
            return jsonify(error=f"product {product['id']} exists"), 409
        publish(events.TOPIC, *events.stock_changed(product))
        return jsonify(public(product, detail=True)), 201

    if enable_states:
        states.add_state_endpoint(app, db)
    return app
