"""Golden-file tests: ``pytest --update-golden`` rewrites the expected files.

The option itself is registered in ``tests/conftest.py``, so it works from the repository root.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden", default=False))
