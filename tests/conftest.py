"""Shared fixtures. A test that needs a tool which CI installs fails (never skips) when CI=true."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

pytest_plugins = ["broker.fixtures"]  # the test Pact Broker (tests/broker/)

# Copies of other people's projects (the typical Flask service the adoption tests start from):
# their tests are not testgate's.
collect_ignore = ["fixtures/flask-service"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/fixtures/junit/*.md from the current renderer instead of comparing",
    )


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_tool(name: str) -> str:
    """Path of ``name`` on PATH (or in the venv); skip locally, fail on CI, when missing."""
    found = shutil.which(name) or shutil.which(name, path=str(VENV_BIN))
    if found:
        return found
    message = f"{name} is not installed (make test installs it: scripts/ci/install-tools.sh)"
    if on_ci():
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def clean_environ(tmp_path: Path) -> dict[str, str]:
    """A minimal environment with no CI variables, for commands under test."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "PACT_DO_NOT_TRACK")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PACT_DO_NOT_TRACK"] = "true"
    env["TESTGATE_REPORTS_DIR"] = str(tmp_path / "reports")
    return env


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The cross-platform comparison last: it reads what this session's template runs wrote."""
    items.sort(key=lambda item: item.path.name == "test_cross_platform.py")
