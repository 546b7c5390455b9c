"""What inventory-api needs from its downstream, pricing-api.

The pact this writes (``inventory-api-pricing-api.json``) is what pricing-api is
verified against, and what the Pact stub server serves in pricing-api's place
when testgate verifies or runs inventory-api in isolation. The path is a
matcher, so the stub answers for every product id a provider state seeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from inventory_api.pricing import Price, PricingClient
from pact import Pact, match

CONSUMER = "inventory-api"
PROVIDER = "pricing-api"


@pytest.fixture
def pact(pact_dir: Path) -> Iterator[Pact]:
    """One Pact per test (a Pact freezes once served); written to the pact folder after."""
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    yield pact
    pact.write_file(pact_dir)


def test_gets_the_price_of_a_product(pact: Pact) -> None:
    (
        pact.upon_receiving("a request for the price of a product")
        .given("a price exists for the product", productId="p-100", amount=12.5)
        .with_request("GET", match.regex("/prices/p-100", regex=r"^/prices/[A-Za-z0-9_-]+$"))
        .will_respond_with(200)
        .with_body(
            {
                "productId": match.str("p-100"),
                "amount": match.number(12.5),
                "currency": match.regex("EUR", regex=r"^[A-Z]{3}$"),
            },
            content_type="application/json",
        )
    )
    with pact.serve() as srv:
        price = PricingClient(str(srv.url)).price_of("p-100")
    assert price == Price(amount=12.5, currency="EUR")
