"""`testgate api-tests --shards N --shard-index I`: every test runs exactly once across the
shards, and recorded durations decide the grouping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import JUnitXml
from testgate.commands import api_tests

ROOT = Path(__file__).resolve().parents[2]
# inventory-api's own pact with pricing-api: the pact of its downstream's stub
PRICING_PACT_DIR = Path(__file__).with_name("data")


def cases(path: Path) -> set[str]:
    return {case.name for suite in JUnitXml.fromfile(str(path)) for case in suite}


def test_shards_partition_the_suite_by_duration(
    clean_environ: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    # One test recorded as slow: LPT gives it a shard of its own.
    durations = {
        "examples/inventory-api/tests/api/test_products.py::test_create_product_then_read_it": 30.0,
    }
    for name in (
        "test_health",
        "test_lists_products_with_prices",
        "test_known_product_has_stock",
        "test_unknown_product_is_404",
        "test_create_rejects_missing_fields",
    ):
        durations[f"examples/inventory-api/tests/api/test_products.py::{name}"] = 1.0
    (tmp_path / ".test_durations").write_text(json.dumps(durations))
    env = dict(
        clean_environ,
        TESTGATE_DURATIONS=str(tmp_path / ".test_durations"),
        TESTGATE_SHARDS="2",
        # inventory-api's own pact with pricing-api: the stub of its downstream
        TESTGATE_PACT_DIR=str(PRICING_PACT_DIR),
    )
    reports = tmp_path / "reports"
    seen = []
    for index in ("1", "2"):
        assert api_tests.main([], {**env, "TESTGATE_SHARD_INDEX": index}) == 0
        seen.append(cases(reports / f"api-shard-{index}.xml"))
    assert seen[0].isdisjoint(seen[1])
    assert len(seen[0] | seen[1]) == 6
    assert {"test_create_product_then_read_it"} in seen  # the slow test alone


def test_an_index_out_of_range_is_a_usage_error(clean_environ: dict[str, str], monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert api_tests.main(["--shards", "2", "--shard-index", "3"], clean_environ) == 2


def test_one_shard_needs_no_index(
    clean_environ: dict[str, str], tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(ROOT)
    env = {**clean_environ, "TESTGATE_SHARDS": "1", "TESTGATE_PACT_DIR": str(PRICING_PACT_DIR)}
    assert api_tests.main(["-m", "smoke"], env) == 0
    assert (tmp_path / "reports" / "api.xml").is_file()
