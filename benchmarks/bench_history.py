"""Benchmark the history store and sharding against the obvious alternatives, in one run.

Each contender runs in its own process (its peak RSS is its own; wall time of the
measured step only, interpreter start-up excluded, plus the whole CLI call):

- history: ``record`` one run of 5,000 tests into a history of 1,000 runs x 5,000
  tests, then render the trend (sparklines, SVG, flaky and slower tests), against
  a naive store (one JSON object per run: test id -> {outcome, time}) doing the
  same, with flaky detection by walking every test of every run.
- shard: split 50,000 tests into 8 and 32 groups with greedy LPT on a heap, against
  LPT with a linear scan for the lightest shard, and against round robin
  (the balance it reaches, not its speed, is the point there).

    .venv/bin/python benchmarks/bench_history.py            # 1,000 runs x 5,000 tests
    .venv/bin/python benchmarks/bench_history.py --runs 200 --tests 2000

Targets (issue #6): record + trend < 2 s and < 200 MB; shard of 50,000 tests < 1 s;
slowest shard within 10 % of the ideal.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from testgate import history as hist  # noqa: E402
from testgate import shard  # noqa: E402
from testgate.render.markdown import render_trend_md  # noqa: E402
from testgate.render.svg import render_trend_svg  # noqa: E402
from testgate.render.text import sparkline  # noqa: E402


def _ids(n: int) -> list[str]:
    return [
        f"tests.pkg{i % 50}.test_module_{i % 400:03d}.TestThings::test_case_{i:05d}"
        for i in range(n)
    ]


def _report(ids: list[str], rnd: random.Random, flaky: set[int]) -> dict:
    tests = []
    for i, t in enumerate(ids):
        roll = rnd.random()
        outcome = "skipped" if roll < 0.01 else "passed"
        if i in flaky and rnd.random() < 0.5:
            outcome = "failed"
        tests.append({"id": t, "outcome": outcome, "time": round(rnd.expovariate(5.0), 4)})
    return {
        "schema": "testgate-report/1",
        "decision": "pass",
        "generated_at": "2026-11-23T00:00:00Z",
        "totals": {},
        "tests": tests,
    }


def make_histories(folder: Path, runs: int, tests: int) -> tuple[Path, Path, Path]:
    """Write the testgate history, the naive history and the next run's report."""
    rnd = random.Random(6)
    ids = _ids(tests)
    flaky = set(rnd.sample(range(tests), 20))
    # a handful of distinct runs, repeated: building 1,000 distinct ones takes minutes
    templates = [_report(ids, rnd, flaky) for _ in range(10)]
    h = hist.History(max_runs=runs)
    for template in templates:  # encode each distinct run once, then repeat it
        hist.append_run(h, template, hist.RunContext(branch="main"))
    encoded = h.runs
    h.runs = [{**encoded[r % 10], "seq": r + 1, "commit": f"{r:040x}"} for r in range(runs)]
    ours = folder / "history.json"
    hist.write_history(h, ours)
    naive = folder / "naive.json"
    with naive.open("w") as fh:  # streamed: the parent process stays small
        fh.write('{"runs": [')
        for r in range(runs):
            tests = {
                t["id"]: {"outcome": t["outcome"], "time": t["time"]}
                for t in templates[r % 10]["tests"]
            }
            fh.write(("," if r else "") + json.dumps({"commit": f"{r:040x}", "tests": tests}))
        fh.write("]}")
    report = folder / "report.json"
    report.write_text(json.dumps(templates[3]))
    return ours, naive, report


# ----------------------------------------------------------------- contenders (child processes)


def child_ours(history_file: str, report_file: str, runs: int) -> dict:
    report = json.loads(Path(report_file).read_text())
    t0 = time.perf_counter()
    result = hist.record_run(
        Path(history_file), report, hist.RunContext(commit="f" * 40), max_runs=runs
    )
    t1 = time.perf_counter()
    trend = hist.build_trend(result.history, last=runs)
    md = render_trend_md(trend)
    svg = render_trend_svg(trend)
    t2 = time.perf_counter()
    return {
        "record": t1 - t0,
        "trend": t2 - t1,
        "flaky": len(trend.flaky),
        "md": len(md),
        "svg": len(svg),
    }


def child_naive(history_file: str, report_file: str, runs: int) -> dict:
    report = json.loads(Path(report_file).read_text())
    t0 = time.perf_counter()
    path = Path(history_file)
    data = json.loads(path.read_text())
    data["runs"].append(
        {
            "commit": "f" * 40,
            "tests": {
                t["id"]: {"outcome": t["outcome"], "time": t["time"]} for t in report["tests"]
            },
        }
    )
    data["runs"] = data["runs"][-runs:]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)
    t1 = time.perf_counter()
    data = json.loads(path.read_text())
    sequences: dict[str, list[str]] = {}
    totals = []
    for run in data["runs"]:
        tests = run["tests"]
        totals.append(
            (
                len(tests),
                sum(v["time"] for v in tests.values()),
                sum(v["outcome"] == "passed" for v in tests.values()),
            )
        )
        for test_id, v in tests.items():
            if v["outcome"] != "skipped":
                sequences.setdefault(test_id, []).append(v["outcome"])
    flaky = [
        t for t, seq in sequences.items() if sum(a != b for a, b in itertools.pairwise(seq)) > 2
    ]
    sparkline([t[0] for t in totals])
    t2 = time.perf_counter()
    return {"record": t1 - t0, "trend": t2 - t1, "flaky": len(flaky)}


def child_shard(n: int, shards: int, how: str) -> dict:
    rnd = random.Random(50_000)
    tests = [f"tests/pkg{i % 100}/test_m{i % 900}.py::test_{i}" for i in range(n)]
    durations = {t: rnd.lognormvariate(-1.5, 1.2) for t in tests[: int(n * 0.9)]}  # 10 % new tests
    t0 = time.perf_counter()
    if how == "lpt-heap":
        plan = shard.plan_shards(tests, durations, shards)
        loads = [s.seconds for s in plan.shards]
    else:
        mean = sum(durations.values()) / len(durations)
        weights = {t: durations.get(t, mean) for t in tests}
        loads = [0.0] * shards
        if how == "lpt-scan":
            for t in sorted(tests, key=lambda t: (-weights[t], t)):
                i = loads.index(min(loads))
                loads[i] += weights[t]
        else:  # round robin
            for k, t in enumerate(tests):
                loads[k % shards] += weights[t]
    took = time.perf_counter() - t0
    ideal = sum(loads) / shards
    return {"time": took, "imbalance": max(loads) / ideal - 1}


def _child(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "ours":
        out = child_ours(rest[0], rest[1], int(rest[2]))
    elif kind == "naive":
        out = child_naive(rest[0], rest[1], int(rest[2]))
    else:
        out = child_shard(int(rest[0]), int(rest[1]), rest[2])
    out["peak_mb"] = _peak_mb()
    print(json.dumps(out))


def _peak_mb() -> float:
    # VmHWM is this process's own peak; ru_maxrss would also count the parent's RSS
    # at fork time, which Linux keeps across exec.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--tests", type=int, default=5000)
    parser.add_argument("--shard-tests", type=int, default=50_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        ours, naive, report = make_histories(folder, args.runs, args.tests)
        print(
            f"setup: {args.runs} runs x {args.tests} tests in {time.perf_counter() - t:.1f} s; "
            f"history {ours.stat().st_size / 1e6:.1f} MB, naive {naive.stat().st_size / 1e6:.1f} MB"
        )
        a = _run("ours", str(ours), str(report), str(args.runs))
        b = _run("naive", str(naive), str(report), str(args.runs))
        t = time.perf_counter()
        cli = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "testgate"),
                "history",
                "record",
                "--report",
                str(report),
                "--history",
                str(ours),
                "--max-runs",
                str(args.runs),
                "--last",
                str(args.runs),
                "--reports-dir",
                str(folder / "reports"),
                "--platform",
                "local",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        cli_time = time.perf_counter() - t
        ours_total, naive_total = a["record"] + a["trend"], b["record"] + b["trend"]
        print(
            f"\nhistory: record one run + render the trend over {args.runs} runs x {args.tests} tests"
        )
        print(f"  {'':10} {'record':>9} {'trend':>9} {'total':>9} {'peak RSS':>10} {'flaky':>6}")
        print(
            f"  {'testgate':10} {a['record']:8.3f}s {a['trend']:8.3f}s {ours_total:8.3f}s "
            f"{a['peak_mb']:8.0f}MB {a['flaky']:6}"
        )
        print(
            f"  {'naive':10} {b['record']:8.3f}s {b['trend']:8.3f}s {naive_total:8.3f}s "
            f"{b['peak_mb']:8.0f}MB {b['flaky']:6}"
        )
        print(
            f"  ratio naive/testgate: time {naive_total / ours_total:.1f}x, "
            f"memory {b['peak_mb'] / a['peak_mb']:.1f}x"
        )
        print(
            f"  whole CLI call (`testgate history record`, start-up included): {cli_time:.2f} s "
            f"(exit {cli.returncode})"
        )
        ok_hist = ours_total < 2.0 and a["peak_mb"] < 200 and cli.returncode == 0

    print(f"\nshard: {args.shard_tests} tests (10 % without history)")
    ok_shard = True
    for shards in (8, 32):
        rows = {
            how: _run("shard", str(args.shard_tests), str(shards), how)
            for how in ("lpt-heap", "lpt-scan", "round-robin")
        }
        for how, r in rows.items():
            print(
                f"  {shards:2} shards {how:12} {r['time']:7.3f}s  slowest shard "
                f"{100 * r['imbalance']:6.2f} % over ideal  peak {r['peak_mb']:.0f} MB"
            )
        heap = rows["lpt-heap"]
        print(f"  ratio lpt-scan/lpt-heap time: {rows['lpt-scan']['time'] / heap['time']:.1f}x")
        ok_shard = ok_shard and heap["time"] < 1.0 and heap["imbalance"] < 0.10
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rnd = random.Random(7)
        tests = [
            f"tests/pkg{i % 100}/test_m{i % 900}.py::test_{i}" for i in range(args.shard_tests)
        ]
        (folder / "tests.txt").write_text("\n".join(tests) + "\n")
        shard.write_durations(
            {t: rnd.lognormvariate(-1.5, 1.2) for t in tests[: len(tests) * 9 // 10]},
            folder / ".test_durations",
        )
        t = time.perf_counter()
        cli = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "testgate"),
                "shard",
                "--shards",
                "8",
                "--index",
                "3",
                "--tests-from",
                str(folder / "tests.txt"),
                "--durations",
                str(folder / ".test_durations"),
                "--history",
                str(folder / "none.json"),
                "--platform",
                "local",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        took = time.perf_counter() - t
        print(
            f"  whole CLI call (`testgate shard` on {args.shard_tests} tests, start-up included): "
            f"{took:.2f} s (exit {cli.returncode})\n  {cli.stderr.strip()}"
        )
        ok_shard = ok_shard and cli.returncode == 0
    print(
        f"\ntargets: history {'met' if ok_hist else 'MISSED'}, shard {'met' if ok_shard else 'MISSED'}"
    )
    return 0 if ok_hist and ok_shard else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
    else:
        sys.exit(main())
