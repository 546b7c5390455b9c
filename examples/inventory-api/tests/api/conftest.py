"""API tests for inventory-api, against the environment testgate selected.

``testgate api-tests --env NAME`` loads ``envs/NAME.env`` into the environment:
the base URL comes from INVENTORY_API_URL and the test data from
``data/$TEST_DATA_SET.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests

DATA_DIR = Path(__file__).with_name("data")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "smoke: read-only check, safe to run against production")
    config.addinivalue_line("markers", "writes: changes data; skipped where READ_ONLY=true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("READ_ONLY", "false").lower() == "true":
        skip = pytest.mark.skip(reason="READ_ONLY=true in this environment")
        for item in items:
            if "writes" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("INVENTORY_API_URL", "")
    if not url:
        pytest.exit(
            "INVENTORY_API_URL is not set: run through `testgate api-tests --env NAME`, "
            "or set it in envs/NAME.env",
            returncode=4,
        )
    return url.rstrip("/")


@pytest.fixture(scope="session")
def test_data() -> dict[str, Any]:
    name = os.environ.get("TEST_DATA_SET", "seed")
    path = DATA_DIR / f"{name}.json"
    if not path.is_file():
        pytest.exit(f"TEST_DATA_SET={name}: no test data file {path}", returncode=4)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def http() -> requests.Session:
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    return session


@pytest.fixture(scope="session")
def timeout() -> float:
    return float(os.environ.get("HTTP_TIMEOUT_SECONDS", "5"))
