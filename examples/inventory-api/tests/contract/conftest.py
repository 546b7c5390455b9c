"""inventory-api's own consumer contract tests: what it needs from pricing-api, as a V4 pact."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


@pytest.fixture(scope="session")
def pact_dir() -> Path:
    """Where pacts are written: TESTGATE_PACT_DIR (set by `testgate consumer`), or ./pacts."""
    folder = Path(os.environ.get("TESTGATE_PACT_DIR", "pacts")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
