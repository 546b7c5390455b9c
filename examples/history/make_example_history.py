"""Regenerate ``history.json``: the example history that `testgate shard` is checked on.

A service's suite as testgate's history stores it: 600 tests over 20 runs, with
the long tail real suites have (most tests take milliseconds, a few take tens of
seconds), a flaky test, and tests added along the way (no history for the newest).

    .venv/bin/python examples/history/make_example_history.py
"""

from __future__ import annotations

import random
from pathlib import Path

from testgate import history as hist

HERE = Path(__file__).resolve().parent
MODULES = ["orders", "inventory", "search", "auth", "billing", "reports", "users", "webhooks"]


def main() -> None:
    rnd = random.Random(20261123)  # noqa: S311 - example data
    base = {}
    for i in range(600):
        module = MODULES[i % len(MODULES)]
        test_id = f"tests.api.test_{module}::test_case_{i:03d}"
        # long tail: lognormal around 0.3 s, a few integration-style tests of 5-40 s
        seconds = rnd.lognormvariate(-1.2, 1.1)
        if rnd.random() < 0.03:
            seconds = rnd.uniform(5, 40)
        base[test_id] = seconds
    h = hist.History(max_runs=50)
    ids = sorted(base)
    for run in range(20):
        present = ids[: 560 + 2 * run]  # the suite grows: the last tests are new
        tests = []
        for test_id in present:
            outcome = "passed"
            if test_id.endswith("_007"):
                outcome = "failed" if run % 3 == 1 else "passed"  # the flaky one
            tests.append(
                {
                    "id": test_id,
                    "outcome": outcome,
                    "time": round(base[test_id] * rnd.uniform(0.85, 1.15), 4),
                    "flaky": False,
                }
            )
        report = {
            "schema": "testgate-report/1",
            "decision": "pass",
            "generated_at": f"2026-11-{run + 1:02d}T08:00:00Z",
            "totals": {},
            "tests": tests,
        }
        hist.append_run(h, report, hist.RunContext(commit=f"{run:07x}", branch="main"))
    hist.write_history(h, HERE / "history.json")
    print(f"wrote {HERE / 'history.json'}: {len(h.runs)} runs, {len(h.tests)} tests")


if __name__ == "__main__":
    main()
