"""How long `make pipeline` takes with a warm .venv (target: under 10 s on 2 cores).

Runs `testgate pipeline --env local` several times and reports the median, next to
the floor in the same run: the same two pytest suites run bare (consumer Pact tests,
and API tests against a provider started by hand), which is what any pipeline must
at least spend. The ratio is testgate's overhead (provider start-up, verification,
state checks, report).

    .venv/bin/python benchmarks/bench_pipeline.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(
            f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    return elapsed


def bare_pytest(env: dict[str, str], tmp: Path) -> float:
    """The floor: both suites with plain pytest, the provider started by hand."""
    started = time.perf_counter()
    timed(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "examples/dashboard-api/tests/contract",
        ],
        {**env, "TESTGATE_PACT_DIR": str(tmp / "bare-pacts")},
    )
    provider = subprocess.Popen(
        [sys.executable, "-m", "inventory_api", "--port", "0"],
        cwd=ROOT / "examples" / "inventory-api",
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert provider.stdout is not None
        url = re.search(r"http://[\d.]+:\d+", provider.stdout.readline()).group(0)  # type: ignore[union-attr]
        timed(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "examples/inventory-api/tests/api",
            ],
            {**env, "INVENTORY_API_URL": url},
        )
    finally:
        provider.terminate()
        provider.wait()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        env = dict(
            os.environ,
            PACT_DO_NOT_TRACK="true",
            TESTGATE_PLATFORM="local",
            TESTGATE_REPORTS_DIR=str(tmp / "reports"),
            TESTGATE_PACT_DIR=str(tmp / "pacts"),
        )
        env.pop("EXAMPLE_BREAK", None)
        testgate = [sys.executable, "-m", "testgate", "pipeline", "--env", "local"]
        timed(testgate, env)  # warm-up: imports compiled, pages cached
        pipeline, floor = [], []
        for i in range(args.runs):
            pipeline.append(timed(testgate, env))
            floor.append(bare_pytest(env, tmp))
            print(
                f"run {i + 1}/{args.runs}: pipeline {pipeline[-1]:.2f}s, bare pytest {floor[-1]:.2f}s",
                flush=True,
            )
    med_p, med_f = statistics.median(pipeline), statistics.median(floor)
    print(
        f"\ntestgate pipeline --env local: median {med_p:.2f}s (min {min(pipeline):.2f}s, max {max(pipeline):.2f}s) "
        f"on {os.cpu_count()} cores; target < 10 s: {'met' if med_p < 10 else 'MISSED'}"
    )
    print(f"bare pytest, same two suites: median {med_f:.2f}s")
    print(
        f"ratio pipeline / bare pytest: {med_p / med_f:.2f}x (what verification, provider start-up and the report add)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
