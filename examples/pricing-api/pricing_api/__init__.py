"""pricing-api: the downstream of the example chain (dashboard-api -> inventory-api -> pricing-api).

It answers ``GET /prices/<product id>`` with the price inventory-api shows. inventory-api
is its consumer: inventory-api's own Pact tests write the contract
(``inventory-api-pricing-api.json``), and when testgate verifies or runs
inventory-api in isolation, a Pact stub server loaded with that contract stands
in for this service. With ``enable_states=True`` it exposes the provider-state
endpoint its own verification needs (never in a deployed environment).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request

# The prices a fresh service knows (a deployed one reads them from its own store).
DEFAULT_PRICES: dict[str, dict[str, Any]] = {
    "p-100": {"amount": 12.5, "currency": "EUR"},
    "p-200": {"amount": 99.0, "currency": "EUR"},
    "p-300": {"amount": 4.25, "currency": "EUR"},
}


def create_app(
    *,
    enable_states: bool = False,
    seed: bool = True,
    list_price: dict[str, Any] | None = None,
) -> Flask:
    """Build the Flask app.

    Args:
        enable_states: expose ``POST /_pact/provider-states`` for Pact verification.
        seed: start with :data:`DEFAULT_PRICES` (verification starts empty: states add rows).
        list_price: the price of a product it has none for (a demo environment, where the
            API tests create products on the fly); by default such a product is a 404.
    """
    app = Flask("pricing_api")
    prices: dict[str, dict[str, Any]] = dict(DEFAULT_PRICES) if seed else {}

    @app.get("/health")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.get("/prices/<product_id>")
    def get_price(product_id: str):  # type: ignore[no-untyped-def]
        price = prices.get(product_id, list_price)
        if price is None:
            return jsonify(error=f"no price for {product_id}"), 404
        return jsonify(productId=product_id, amount=price["amount"], currency=price["currency"])

    if enable_states:

        @app.post("/_pact/provider-states")
        def provider_states():  # type: ignore[no-untyped-def]
            body = request.get_json(silent=True) or {}
            state, action = body.get("state", ""), body.get("action", "setup")
            params = body.get("params") or {}
            if state == "":  # the Pact core's call for interactions without a state
                return jsonify(result="ok")
            if state != "a price exists for the product":
                return jsonify(error=f"no handler for provider state {state!r}"), 400
            product_id = str(params.get("productId", "p-100"))
            if action == "setup":
                prices[product_id] = {
                    "amount": float(params.get("amount", 12.5)),
                    "currency": str(params.get("currency", "EUR")),
                }
            else:
                prices.pop(product_id, None)
            return jsonify(result="ok")

    return app
