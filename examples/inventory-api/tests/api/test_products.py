"""inventory-api as its clients see it, over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests


@pytest.mark.smoke
def test_health(http: requests.Session, base_url: str, timeout: float) -> None:
    response = http.get(f"{base_url}/health", timeout=timeout)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.smoke
def test_lists_products_with_prices(
    http: requests.Session, base_url: str, timeout: float, test_data: dict[str, Any]
) -> None:
    response = http.get(f"{base_url}/products", timeout=timeout)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["products"]) >= test_data["min_products"]
    for product in body["products"]:
        assert set(product) >= {"id", "name", "price", "inStock"}, product
        assert product["price"]["amount"] >= 0


@pytest.mark.smoke
def test_known_product_has_stock(
    http: requests.Session, base_url: str, timeout: float, test_data: dict[str, Any]
) -> None:
    known = test_data["known_product"]
    response = http.get(f"{base_url}/products/{known['id']}", timeout=timeout)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == known["name"]
    assert body["stock"]["available"] >= 0
    assert body["inStock"] == (body["stock"]["available"] > 0)


@pytest.mark.smoke
def test_unknown_product_is_404(
    http: requests.Session, base_url: str, timeout: float, test_data: dict[str, Any]
) -> None:
    response = http.get(
        f"{base_url}/products/{test_data['unknown_product']['id']}", timeout=timeout
    )
    assert response.status_code == 404
    assert "not found" in response.json()["error"]


@pytest.mark.writes
def test_create_product_then_read_it(http: requests.Session, base_url: str, timeout: float) -> None:
    new_id = f"t-{uuid.uuid4().hex[:8]}"
    created = http.post(
        f"{base_url}/products",
        json={"id": new_id, "name": "Test item", "stock": 2},
        timeout=timeout,
    )
    assert created.status_code == 201
    fetched = http.get(f"{base_url}/products/{new_id}", timeout=timeout)
    assert fetched.status_code == 200
    body = fetched.json()
    assert body["stock"]["available"] == 2
    assert body["price"]["amount"] >= 0  # from pricing-api (locally: its Pact stub)


@pytest.mark.writes
def test_create_rejects_missing_fields(
    http: requests.Session, base_url: str, timeout: float
) -> None:
    response = http.post(f"{base_url}/products", json={"name": "no id"}, timeout=timeout)
    assert response.status_code == 400
    assert "id" in response.json()["error"]
