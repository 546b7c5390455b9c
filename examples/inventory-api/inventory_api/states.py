"""Provider states: each sets up exactly the rows it names, and its teardown takes them away.

The Pact verifier calls ``POST /_pact/provider-states`` with ``{"state", "params",
"action"}`` before (``setup``) and after (``teardown``) every interaction. Setup
writes the rows the state names (or, for "no product ...", removes that one);
teardown puts those rows back as they were before the setup, so no interaction
sees another's rows, and a database that holds other data (a seeded candidate
being verified) is left as it was. The Pact core also calls the endpoint with the
empty state ``""`` for interactions without one: nothing to do.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request

from inventory_api.db import Database

Rows = list[dict[str, Any]]


def _products_exist(params: dict[str, Any]) -> tuple[Rows, list[str]]:
    rows = [
        {"id": "p-100", "name": "Widget", "stock": 7, "warehouse": "berlin-1"},
        {"id": "p-200", "name": "Gadget", "stock": 0, "warehouse": "berlin-1"},
        {"id": "p-300", "name": "Gizmo", "stock": 120, "warehouse": "hamburg-2"},
    ]
    return rows, []


def _product_exists(params: dict[str, Any]) -> tuple[Rows, list[str]]:
    row = {
        "id": str(params.get("id", "p-100")),
        "name": str(params.get("name", "Widget")),
        "stock": int(params.get("stock", 7)),
        "warehouse": str(params.get("warehouse", "berlin-1")),
    }
    return [row], []


def _no_product(params: dict[str, Any]) -> tuple[Rows, list[str]]:
    return [], [str(params.get("id", ""))]


# The states named in the consumers' pacts: the rows each writes, the ids each removes.
STATES: dict[str, Callable[[dict[str, Any]], tuple[Rows, list[str]]]] = {
    "products exist": _products_exist,
    "a product with id exists": _product_exists,
    "no product with id exists": _no_product,
}


def add_state_endpoint(app: Flask, db: Database) -> None:
    saved: dict[str, list[dict[str, dict[str, Any] | None]]] = {}
    lock = threading.Lock()

    @app.post("/_pact/provider-states")
    def provider_states():  # type: ignore[no-untyped-def]
        body = request.get_json(silent=True) or {}
        state = body.get("state", "")
        action = body.get("action", "setup")
        params = body.get("params") or {}
        if state == "":  # Pact's generic setup/teardown call
            return jsonify(result="ok")
        rows_for = STATES.get(state)
        if rows_for is None:
            return jsonify(error=f"no handler for provider state {state!r}"), 400
        rows, removed = rows_for(params)
        key = state + json.dumps(params, sort_keys=True)
        with lock:
            if action == "setup":
                before = db.snapshot([r["id"] for r in rows] + removed)
                saved.setdefault(key, []).append(before)
                db.delete(removed)
                db.insert(rows, replace=True)
            elif saved.get(key):
                db.restore(saved[key].pop())
        return jsonify(result="ok")
