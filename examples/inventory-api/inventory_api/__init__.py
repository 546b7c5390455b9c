"""inventory-api: the example provider, in the middle of the chain
dashboard-api -> inventory-api -> pricing-api.

A Flask service (:mod:`inventory_api.app`) with its data in SQLite
(:mod:`inventory_api.db`). It serves the products a dashboard shows, takes each
price from its own downstream, pricing-api (:mod:`inventory_api.pricing`,
``PRICING_API_URL``), and publishes a ``stock-changed`` event when stock changes
(:mod:`inventory_api.events`). This package's ``__init__`` imports nothing, so
the Pact message handler (``inventory_api.events``) loads without Flask.
"""
