"""inventory-api's client for its downstream, pricing-api.

These calls, and the fields inventory-api reads from each answer, are what
inventory-api's own Pact tests pin down (``tests/contract``), in the pact that
the Pact stub server serves when testgate runs inventory-api in isolation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Price:
    amount: float
    currency: str


class PricingUnavailable(RuntimeError):
    """pricing-api did not give a price (down, an error, or an answer we cannot read)."""


class PricingClient:
    """Calls pricing-api at ``base_url`` (the ``PRICING_API_URL`` the service is started with)."""

    def __init__(self, base_url: str, *, timeout: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        # EXAMPLE_BREAK=pricing: the downstream-drift demo of `make pipeline BREAK=pricing`.
        # A refactoring started asking for the price in a currency, a request that
        # inventory-api's contract with pricing-api does not have.
        self.params = {"currency": "EUR"} if os.environ.get("EXAMPLE_BREAK") == "pricing" else {}

    def price_of(self, product_id: str) -> Price:
        """The current price of one product.

        Raises:
            PricingUnavailable: no usable answer; the message says what pricing-api did.
        """
        url = f"{self.base_url}/prices/{product_id}"
        try:
            response = self.session.get(url, params=self.params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise PricingUnavailable(f"pricing-api cannot be reached: {exc}") from exc
        if response.status_code != 200:
            raise PricingUnavailable(
                f"pricing-api answered {response.status_code} to GET {response.request.path_url}"
            )
        try:
            body = response.json()
            return Price(amount=float(body["amount"]), currency=str(body["currency"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise PricingUnavailable(f"pricing-api's answer has no price: {exc!r}") from exc
