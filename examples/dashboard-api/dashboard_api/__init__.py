"""dashboard-api: the example consumer. It reads products from inventory-api."""
