"""The dashboard's client for inventory-api, built on requests.

These are the calls, and the fields of each answer, that the dashboard relies
on: exactly what the consumer Pact tests pin down.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class ProductSummary:
    """A tile on the dashboard."""

    id: str
    name: str
    price: float
    currency: str
    in_stock: bool


@dataclass(frozen=True)
class ProductDetail:
    """The product page of the dashboard."""

    id: str
    name: str
    price: float
    currency: str
    available: int
    warehouse: str


class ProductNotFound(LookupError):
    """inventory-api has no product with that id."""


class InventoryClient:
    """Calls inventory-api."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def list_products(self) -> list[ProductSummary]:
        """All products, for the dashboard's overview."""
        response = self.session.get(f"{self.base_url}/products", timeout=self.timeout)
        response.raise_for_status()
        return [
            ProductSummary(
                id=item["id"],
                name=item["name"],
                price=float(item["price"]["amount"]),
                currency=item["price"]["currency"],
                in_stock=bool(item["inStock"]),
            )
            for item in response.json()["products"]
        ]

    def get_product(self, product_id: str) -> ProductDetail:
        """One product with its stock."""
        response = self.session.get(f"{self.base_url}/products/{product_id}", timeout=self.timeout)
        if response.status_code == 404:
            raise ProductNotFound(product_id)
        response.raise_for_status()
        item = response.json()
        return ProductDetail(
            id=item["id"],
            name=item["name"],
            price=float(item["price"]["amount"]),
            currency=item["price"]["currency"],
            available=int(item["stock"]["available"]),
            warehouse=item["stock"]["warehouse"],
        )


def stock_value(client: InventoryClient) -> float:
    """What the dashboard's headline shows: the value of the stock on hand."""
    total = 0.0
    for summary in client.list_products():
        if summary.in_stock:
            total += client.get_product(summary.id).available * summary.price
    return round(total, 2)
