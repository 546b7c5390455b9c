"""The README's first command, as a new user types it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_make(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not shutil.which("make"):
        pytest.fail("make is not installed")
    if not (ROOT / ".venv" / "bin" / "testgate").exists():
        pytest.skip("runs through `make test`, which creates .venv")
    env = dict(os.environ)
    env.pop("EXAMPLE_BREAK", None)
    env.update(
        TESTGATE_REPORTS_DIR=str(tmp_path / "reports"),
        TESTGATE_PACT_DIR=str(tmp_path / "pacts"),
        TESTGATE_PLATFORM="local",
        PACT_DO_NOT_TRACK="true",
    )
    return subprocess.run(
        ["make", "--no-print-directory", "pipeline", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_make_pipeline_passes(tmp_path: Path) -> None:
    proc = run_make(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "decision: PASS" in proc.stdout


def test_make_pipeline_break_provider_fails_with_the_mismatch(tmp_path: Path) -> None:
    proc = run_make(tmp_path, "BREAK=provider")
    out = proc.stdout + proc.stderr
    # make itself always exits 2 on a failed recipe; the recipe (testgate) exited 1.
    assert proc.returncode != 0
    assert "Error 1" in proc.stderr
    assert "Actual map is missing the following keys: price" in out
    assert "a request for all products" in out


def test_make_pipeline_break_pricing_fails_at_inventory_apis_consumer_tests(tmp_path: Path) -> None:
    proc = run_make(tmp_path, "BREAK=pricing")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Error 1" in proc.stderr
    assert "Unexpected query parameter 'currency' received" in out
    assert "test_pricing_contract.py::test_gets_the_price_of_a_product" in out
