"""How long `make pipeline` takes with a warm .venv, the chain included (target: under 5 s).

The pipeline is the chain dashboard-api -> inventory-api -> pricing-api: both consumers'
Pact tests (HTTP and message pacts), inventory-api verified in isolation (pricing-api
served by `pact stub`, events through the message handler, SQLite seeded by states),
the API tests against it (stubbed again, seeded by the data set), the report.

Runs `testgate pipeline --env local` several times and reports the median, next to
the floor in the same run: the same pytest suites run bare (the consumer Pact tests,
and the API tests against inventory-api and a `pact stub` started by hand), which is
what any pipeline must at least spend, and beside the figure before the chain (6.8 s,
README, same machine). The ratio is testgate's overhead (provider and stub start-up,
verification, state checks, report).

    .venv/bin/python benchmarks/bench_pipeline.py [--runs 5] [--baseline REF]

``--baseline REF`` also times the pipeline of another commit (``git archive REF``, run with
this venv), interleaved with the others: the figure before the chain measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE_THE_CHAIN = 6.8  # seconds: README's median of `make pipeline` before the chain
TARGET = 5.0


def baseline_tree(ref: str, dest: Path) -> Path:
    """The files of commit ``ref`` in ``dest`` (git archive: the repository is left as it is)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True
    ).stdout
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


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
    """The floor: the suites with plain pytest, the stub and the provider started by hand."""
    started = time.perf_counter()
    pacts = tmp / "bare-pacts"
    timed(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "examples/dashboard-api/tests/contract",
            "examples/inventory-api/tests/contract",
        ],
        {**env, "TESTGATE_PACT_DIR": str(pacts)},
    )
    stub = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("pact")),
            "stub",
            "--file",
            str(pacts / "inventory-api-pricing-api.json"),
            "--port",
            "0",
        ],
        env={**env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    provider = None
    try:
        assert stub.stdout is not None
        port = ""
        for line in stub.stdout:
            found = re.search(r"Server started on port (\d+)", line)
            if found:
                port = found[1]
                break
        threading.Thread(target=stub.stdout.read, daemon=True).start()
        provider = subprocess.Popen(
            [sys.executable, "-m", "inventory_api", "--port", "0"],
            cwd=ROOT / "examples" / "inventory-api",
            env={**env, "PRICING_API_URL": f"http://127.0.0.1:{port}", "TEST_DATA_SET": "seed"},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
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
            {**env, "INVENTORY_API_URL": url, "TEST_DATA_SET": "seed"},
        )
    finally:
        for proc in (provider, stub):
            if proc is not None:
                proc.terminate()
                proc.wait()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", metavar="REF", help="also time the pipeline of this commit")
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
        old_env: dict[str, str] = {}
        if args.baseline:
            old_root = baseline_tree(args.baseline, tmp / "baseline")
            old_env = {
                **env,
                "PYTHONPATH": str(old_root / "scripts"),
                "TESTGATE_REPORTS_DIR": str(tmp / "old-reports"),
                "TESTGATE_PACT_DIR": str(tmp / "old-pacts"),
            }
            timed(testgate, old_env, cwd=old_root)
        pipeline, floor, before = [], [], []
        for i in range(args.runs):
            pipeline.append(timed(testgate, env))
            floor.append(bare_pytest(env, tmp))
            line = f"run {i + 1}/{args.runs}: pipeline {pipeline[-1]:.2f}s, bare pytest {floor[-1]:.2f}s"
            if args.baseline:
                before.append(timed(testgate, old_env, cwd=old_root))
                line += f", {args.baseline} {before[-1]:.2f}s"
            print(line, flush=True)
    med_p, med_f = statistics.median(pipeline), statistics.median(floor)
    print(
        f"\ntestgate pipeline --env local, with the chain: median {med_p:.2f}s "
        f"(min {min(pipeline):.2f}s, max {max(pipeline):.2f}s) on {os.cpu_count()} cores; "
        f"target < {TARGET:.0f} s: {'met' if med_p < TARGET else 'MISSED'}"
    )
    print(
        f"before the chain (README): {BEFORE_THE_CHAIN:.1f}s; now {med_p / BEFORE_THE_CHAIN:.2f}x that"
    )
    if before:
        med_b = statistics.median(before)
        print(
            f"{args.baseline} (before the chain) in this run: median {med_b:.2f}s; "
            f"with the chain {med_p / med_b:.2f}x that"
        )
    print(f"bare pytest, same suites (stub and provider by hand): median {med_f:.2f}s")
    print(
        f"ratio pipeline / bare pytest: {med_p / med_f:.2f}x "
        "(what verification, provider and stub start-up and the report add)"
    )
    return 0 if med_p < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
