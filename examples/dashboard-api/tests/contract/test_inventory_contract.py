"""What dashboard-api needs from inventory-api.

Each test declares one interaction on a pact-python 4.x mock server, runs the
real client against it and checks what the client made of the answer. Matchers
pin the shape (types, formats), not the demo data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_api.client import InventoryClient, ProductNotFound, stock_value
from pact import Pact, match

CONSUMER = "dashboard-api"
PROVIDER = "inventory-api"

PRODUCT_SUMMARY = {
    "id": match.str("p-100"),
    "name": match.str("Widget"),
    "price": {"amount": match.number(12.5), "currency": match.regex("EUR", regex=r"^[A-Z]{3}$")},
    "inStock": match.bool(True),
}


@pytest.fixture
def pact(pact_dir: Path) -> Iterator[Pact]:
    """One Pact per test (a Pact freezes once served); written to the pact folder after."""
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    yield pact
    pact.write_file(pact_dir)


def test_lists_products(pact: Pact) -> None:
    (
        pact.upon_receiving("a request for all products")
        .given("products exist")
        .with_request("GET", "/products")
        .will_respond_with(200)
        .with_body(
            {"products": match.each_like(PRODUCT_SUMMARY, min=1), "count": match.int(3)},
            content_type="application/json",
        )
    )
    with pact.serve() as srv:
        products = InventoryClient(str(srv.url)).list_products()
    assert products
    assert products[0].name == "Widget"
    assert products[0].price == 12.5
    assert products[0].currency == "EUR"


def test_gets_one_product_with_stock(pact: Pact) -> None:
    (
        pact.upon_receiving("a request for product p-100")
        .given("a product with id exists", id="p-100", stock=7)
        .with_request("GET", "/products/p-100")
        .will_respond_with(200)
        .with_body(
            {
                **PRODUCT_SUMMARY,
                "id": match.str("p-100"),
                "stock": {"available": match.int(7), "warehouse": match.str("berlin-1")},
            },
            content_type="application/json",
        )
    )
    with pact.serve() as srv:
        product = InventoryClient(str(srv.url)).get_product("p-100")
    assert product.id == "p-100"
    assert product.available == 7
    assert product.warehouse == "berlin-1"


def test_unknown_product_is_not_found(pact: Pact) -> None:
    (
        pact.upon_receiving("a request for a product that does not exist")
        .given("no product with id exists", id="p-404")
        .with_request("GET", "/products/p-404")
        .will_respond_with(404)
        .with_body({"error": match.str("product p-404 not found")}, content_type="application/json")
    )
    with pact.serve() as srv, pytest.raises(ProductNotFound):
        InventoryClient(str(srv.url)).get_product("p-404")


def test_stock_value_uses_price_and_stock(pact: Pact) -> None:
    """The dashboard headline multiplies stock by price: both fields are part of the contract."""
    (
        pact.upon_receiving("a request for all products, for the stock value")
        .given("products exist")
        .with_request("GET", "/products")
        .will_respond_with(200)
        .with_body(
            {"products": match.each_like(PRODUCT_SUMMARY, min=1), "count": match.int(1)},
            content_type="application/json",
        )
    )
    (
        pact.upon_receiving("a request for product p-100, for the stock value")
        .given("a product with id exists", id="p-100", stock=7)
        .with_request("GET", "/products/p-100")
        .will_respond_with(200)
        .with_body(
            {
                **PRODUCT_SUMMARY,
                "stock": {"available": match.int(7), "warehouse": match.str("berlin-1")},
            },
            content_type="application/json",
        )
    )
    with pact.serve() as srv:
        assert stock_value(InventoryClient(str(srv.url))) == 87.5
