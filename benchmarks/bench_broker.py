"""Benchmark the broker operations: the official pact CLI against plain HTTP, and giving up.

Against the test broker (tests/broker/) on 127.0.0.1, in one run:

- per call: ``testgate can-i-deploy`` (pact CLI subprocess + JSON parse + Markdown) and a bare
  ``pact broker can-i-deploy``, against one ``GET /matrix`` with requests in-process (the
  floor): what running the official CLI costs per broker operation;
- giving up on an unreachable broker: testgate's retries (default 3 retries, backoff 2 s,
  4 s, 8 s) against the pact CLI's own (``--retries`` default 8, 0.5 s doubling);
- giving up on a broker that accepts and never answers (``TESTGATE_BROKER_TIMEOUT=2``, one
  retry: worst case 2 x 2 + 0.5 s), against its computed worst case;
- ``verify --broker`` against a broker answering 500: testgate (default retries) against the
  Pact Verifier alone (its own retries, ~127 s).

    .venv/bin/python benchmarks/bench_broker.py           # ~4 min (the CLI's and the Verifier's own retries)
    .venv/bin/python benchmarks/bench_broker.py --quick   # skips those two runs
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

from broker.server import STALL, PactBrokerServer  # noqa: E402
from broker.support import ItemsProvider, publish  # noqa: E402
from testgate.broker import BrokerSettings, find_pact_cli  # noqa: E402
from testgate.cli import main as testgate  # noqa: E402


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _free_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="skip the CLI's default-retry run")
    args = parser.parse_args()
    pact = find_pact_cli(path=os.environ.get("PATH"))
    base_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PACT_DO_NOT_TRACK": "true",
        "TESTGATE_REPORTS_DIR": tempfile.mkdtemp(prefix="bench-broker-"),
    }
    with PactBrokerServer() as broker:
        broker.create_environment("prod")
        publish(broker.url, "c1", "main")
        env = dict(base_env, PACT_BROKER_BASE_URL=broker.url)
        argv = ["can-i-deploy", "--pacticipant", "dashboard-api", "--version", "c1"]
        argv += ["--to-environment", "prod"]

        def via_testgate() -> None:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                testgate(argv, env)

        def via_cli() -> None:
            subprocess.run(
                [pact, "broker", *argv, "--output", "json"],
                env=env,
                capture_output=True,
                check=False,
            )

        session = requests.Session()

        def via_http() -> None:
            session.get(
                f"{broker.url}/matrix",
                params={
                    "q[][pacticipant]": "dashboard-api",
                    "q[][version]": "c1",
                    "latestby": "cvpv",
                    "environment": "prod",
                },
                timeout=10,
            ).json()

        http = _median_ms(via_http, args.runs)
        cli = _median_ms(via_cli, args.runs)
        ours = _median_ms(via_testgate, args.runs)
    print(f"can-i-deploy, median of {args.runs}:")
    print(f"  GET /matrix with requests (floor)    {http:8.1f} ms")
    print(f"  pact broker can-i-deploy (CLI)       {cli:8.1f} ms   {cli / http:6.1f}x the floor")
    print(
        f"  testgate can-i-deploy                {ours:8.1f} ms   {ours / cli:6.2f}x the bare CLI"
    )

    url = _free_url()
    env = dict(base_env, PACT_BROKER_BASE_URL=url)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = testgate(argv, env)
    ours = time.perf_counter() - start
    print("\nunreachable broker, time to a decision:")
    print(f"  testgate (3 retries, 2/4/8 s)        {ours:8.1f} s    exit {code}")
    if not args.quick:
        start = time.perf_counter()
        done = subprocess.run(
            [pact, "broker", *argv, "--output", "json"], env=env, capture_output=True, check=False
        )
        cli = time.perf_counter() - start
        print(
            f"  pact CLI default (8 retries)         {cli:8.1f} s    exit {done.returncode}"
            f"   testgate takes {ours / cli:.2f}x"
        )
    _silent_and_failing(base_env, argv, quick=args.quick)
    return 0


def _quiet(fn):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return fn()


def _silent_and_failing(base_env: dict[str, str], argv: list[str], *, quick: bool) -> None:
    bounds = {"TESTGATE_BROKER_TIMEOUT": "2", "TESTGATE_BROKER_RETRIES": "1"}
    bounds["TESTGATE_BROKER_RETRY_BACKOFF"] = "0.5"
    worst = BrokerSettings(url="x", timeout=2, retries=1, backoff=0.5).worst_case()
    provider = ItemsProvider()
    verify = ["verify", "--broker", "--provider", "inventory-api", "--no-publish-results"]
    verify += ["--provider-url", provider.url]
    print(f"\nbroker that never answers (timeout 2 s, 1 retry: worst case {worst:.1f} s):")
    for name, command in (("can-i-deploy", argv), ("verify --broker", verify)):
        with PactBrokerServer() as broker:
            broker.inject_faults(STALL, count=1000)
            env = dict(base_env, PACT_BROKER_BASE_URL=broker.url, **bounds)
            start = time.perf_counter()
            code = _quiet(lambda c=command, e=env: testgate(c, e))
            took = time.perf_counter() - start
        print(
            f"  testgate {name:<27}{took:8.1f} s    exit {code}   {took / worst:.2f}x the worst case"
        )
    print("\nverify --broker against a broker answering 500:")
    with PactBrokerServer() as broker:
        broker.inject_faults(500, count=10_000)
        env = dict(base_env, PACT_BROKER_BASE_URL=broker.url)
        start = time.perf_counter()
        code = _quiet(lambda: testgate(verify, env))
        ours = time.perf_counter() - start
        print(f"  testgate (3 retries, 2/4/8 s)        {ours:8.1f} s    exit {code}")
        if not quick:
            from pact import Verifier

            verifier = Verifier("inventory-api", host="127.0.0.1").add_transport(url=provider.url)
            verifier = verifier.broker_source(broker.url, selector=True, use_env=False).build()
            start = time.perf_counter()
            with contextlib.suppress(RuntimeError):
                verifier.verify()
            alone = time.perf_counter() - start
            print(
                f"  the Pact Verifier alone (own retries) {alone:7.1f} s"
                f"              testgate takes {ours / alone:.2f}x"
            )
    provider.stop()


if __name__ == "__main__":
    sys.exit(main())
