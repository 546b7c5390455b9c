"""Simulated series of report JSONs (``testgate-report/1`` with ``tests``) for history tests.

The series has a test that flips, a test that gets slower and a suite that grows,
so the trend, the flaky list and the HTML page have something to show.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

FLIPPER = "tests.api.test_orders::test_refund_is_flaky"
SLOWER = "tests.api.test_search::test_search_gets_slower"


def make_report(
    tests: list[dict[str, Any]],
    generated_at: str = "2026-11-23T12:00:00Z",
    quarantined: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A report JSON as `testgate report --json --json-tests` writes it."""
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    for t in tests:
        key = {"error": "errors"}.get(t["outcome"], t["outcome"])
        counts[key] = counts.get(key, 0) + 1
    failures = [
        {
            "id": t["id"],
            "suite": t.get("suite", "api"),
            "classname": t["id"].split("::")[0],
            "name": t["id"].split("::")[-1],
            "outcome": t["outcome"],
            "message": t.get("message", "AssertionError: assert 500 == 200"),
            "file": None,
            "line": None,
        }
        for t in tests
        if t["outcome"] in ("failed", "error")
    ]
    decision = "fail" if failures else "pass"
    return {
        "schema": "testgate-report/1",
        "testgate_version": "0.1.0",
        "generated_at": generated_at,
        "decision": decision,
        "passed": decision == "pass",
        "dry_run": False,
        "reasons": [f"{len(failures)} tests failed"] if failures else [],
        "totals": {
            "tests": len(tests),
            "passed": counts["passed"],
            "failed": counts["failed"],
            "errors": counts["errors"],
            "skipped": counts["skipped"],
            "flaky": sum(1 for t in tests if t.get("flaky")),
            "quarantined": len(quarantined or ()),
            "time": round(sum(t["time"] for t in tests), 3),
        },
        "files": [
            {
                "path": "reports/api.xml",
                "tests": len(tests),
                "failed": 0,
                "errors": 0,
                "skipped": 0,
                "error": None,
            }
        ],
        "failures": failures,
        "flaky": [
            {"id": t["id"], "suite": "api", "classname": "", "name": "", "attempts": 2}
            for t in tests
            if t.get("flaky")
        ],
        "quarantined": quarantined or [],
        "slowest": [
            {"id": t["id"], "time": t["time"]} for t in sorted(tests, key=lambda t: -t["time"])[:10]
        ],
        "tests": [
            {
                "id": t["id"],
                "suite": t.get("suite", "api"),
                "outcome": t["outcome"],
                "time": t["time"],
                "flaky": bool(t.get("flaky")),
            }
            for t in tests
        ],
    }


def series(runs: int = 12, base_tests: int = 20, grow_every: int = 2) -> list[dict[str, Any]]:
    """Reports for ``runs`` runs: FLIPPER alternates, SLOWER slows down, the suite grows."""
    out = []
    for r in range(runs):
        n = base_tests + r // grow_every  # the suite grows by one test every grow_every runs
        tests = [
            {
                "id": f"tests.api.test_stable::test_case_{i:03d}",
                "outcome": "passed",
                "time": 0.1 + 0.01 * (i % 7),
            }
            for i in range(n)
        ]
        tests.append(
            {
                "id": FLIPPER,
                "outcome": "failed" if r % 2 else "passed",
                "time": 0.2,
                "message": "AssertionError: refund not found (timeout)",
            }
        )
        tests.append({"id": SLOWER, "outcome": "passed", "time": round(0.1 * (1.5**r), 3)})
        out.append(make_report(tests, generated_at=f"2026-11-{10 + r:02d}T12:00:00Z"))
    return out


def write_series(folder: Path, runs: int = 12) -> list[Path]:
    """Write the series as report-<n>.json files; return their paths in run order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, report in enumerate(series(runs), 1):
        p = folder / f"report-{i:02d}.json"
        p.write_text(json.dumps(report), encoding="utf-8")
        paths.append(p)
    return paths


def big_report(tests: int, seed: int = 0, fail_rate: float = 0.01) -> dict[str, Any]:
    """One large report (for speed checks): ``tests`` tests with random outcomes and times."""
    rnd = random.Random(seed)  # noqa: S311 - test data, not secrets
    items = []
    for i in range(tests):
        roll = rnd.random()
        outcome = "failed" if roll < fail_rate else "skipped" if roll < 2 * fail_rate else "passed"
        items.append(
            {
                "id": f"tests.pkg{i % 50}.test_mod{i % 400}::test_case_{i}",
                "outcome": outcome,
                "time": round(rnd.expovariate(2.0), 3),
            }
        )
    return make_report(items)
