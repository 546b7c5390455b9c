"""Benchmark ``testgate report`` against junitparser 5.x and a bare lxml iterparse count.

Each contender runs in its own process (wall time includes interpreter start-up;
peak RSS is that process's own), on the same pytest-style report made by
``../shared/tools/gen_junit.py``:

    python benchmarks/bench_report.py                 # 200,000 test cases, best of 3
    python benchmarks/bench_report.py --full          # 1,000,000 test cases (~170 MB), best of 1
    python benchmarks/bench_report.py --file big.xml  # an existing report

Targets (issue #3): testgate >= 2x faster than junitparser load+iterate, within 1.5x of
the bare iterparse count, and under 64 MB peak RSS on the 1M-case report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR_CANDIDATES = [
    Path(os.environ.get("TESTGATE_GEN_JUNIT", "/nonexistent")),
    ROOT.parent / "shared" / "tools" / "gen_junit.py",
]

BARE = r"""
import sys
from lxml import etree
n = f = e = s = 0
for _, el in etree.iterparse(sys.argv[1], events=("end",), tag=("testcase", "failure", "error", "skipped")):
    tag = el.tag
    if tag == "testcase":
        n += 1
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
    elif tag == "failure":
        f += 1
    elif tag == "error":
        e += 1
    else:
        s += 1
print(n, f, e, s)
"""

JUNITPARSER = r"""
import sys
from junitparser import Error, Failure, JUnitXml, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
n = f = e = s = 0
for suite in xml:
    for case in suite:
        n += 1
        for result in case.result:
            if isinstance(result, Failure):
                f += 1
            elif isinstance(result, Error):
                e += 1
            elif isinstance(result, Skipped):
                s += 1
print(n, f, e, s)
"""


def run(argv: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user+sys), peak RSS in MiB and stdout of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read() if proc.stdout else ""  # drained while it runs (no pipe stall)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stdout:
        proc.stdout.close()
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024, out  # ru_maxrss is KiB on Linux


def best_of(repeat: int, argv: list[str]) -> tuple[float, float, float, str]:
    runs = [run(argv) for _ in range(repeat)]
    return (
        min(r[0] for r in runs),
        min(r[1] for r in runs),
        max(r[2] for r in runs),
        runs[-1][3],
    )


def generate(n: int, out: Path) -> None:
    for gen in GENERATOR_CANDIDATES:
        if gen.is_file():
            subprocess.run(
                [sys.executable, str(gen), str(n), str(out)], check=True, stdout=subprocess.DEVNULL
            )
            return
    sys.exit(
        "gen_junit.py not found (expected ../shared/tools/gen_junit.py or TESTGATE_GEN_JUNIT); "
        "or pass --file"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=200_000, help="test cases to generate")
    parser.add_argument(
        "--full", action="store_true", help="1,000,000 test cases (the issue's size)"
    )
    parser.add_argument("--file", type=Path, help="benchmark this report instead of generating one")
    parser.add_argument("--repeat", type=int, help="runs per contender (best time kept)")
    parser.add_argument("--skip-junitparser", action="store_true", help="it needs ~1.6 GB for 1M")
    args = parser.parse_args()
    n = 1_000_000 if args.full else args.tests
    repeat = args.repeat or (1 if args.full else 3)

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmpdir = Path(tmp)
        report = args.file
        if report is None:
            report = tmpdir / f"junit-{n}.xml"
            print(f"generating {n:,} test cases ...", flush=True)
            generate(n, report)
        size_mb = report.stat().st_size / 1e6
        print(f"report: {report} ({size_mb:.0f} MB)\n", flush=True)

        contenders = {
            "bare lxml iterparse count": [sys.executable, "-c", BARE, str(report)],
            "testgate report": [
                sys.executable,
                "-m",
                "testgate",
                "report",
                str(report),
                "--platform",
                "local",
                "--json",
                str(tmpdir / "report.json"),
                "--markdown",
                str(tmpdir / "report.md"),
            ],
        }
        if not args.skip_junitparser:
            contenders["junitparser 5.x load+iterate"] = [
                sys.executable,
                "-c",
                JUNITPARSER,
                str(report),
            ]

        results = {}
        for name, argv in contenders.items():
            seconds, cpu, rss, out = best_of(repeat, argv)
            results[name] = (seconds, cpu, rss)
            words = out.split()
            counted = (
                f"   counted (tests failures errors skipped): {out.strip()}"
                if len(words) == 4 and all(w.isdigit() for w in words)
                else ""
            )
            print(
                f"{name:<30} wall {seconds:7.2f} s   cpu {cpu:7.2f} s   peak RSS {rss:7.1f} MiB"
                f"{counted}",
                flush=True,
            )

        # Ratios use CPU time (user+sys of each process): on a shared runner wall time
        # swings with the neighbours' load, CPU time much less. Wall ratios are shown too.
        tg_wall, tg, tg_rss = results["testgate report"]
        bare_wall, bare, _ = results["bare lxml iterparse count"]
        doc = json.loads((tmpdir / "report.json").read_text())
        print()
        print(f"totals: {json.dumps(doc['totals'])}")
        print(
            f"testgate / bare iterparse : {tg / bare:.2f}x cpu, {tg_wall / bare_wall:.2f}x wall"
            "  (target <= 1.5x)"
        )
        if "junitparser 5.x load+iterate" in results:
            jp_wall, jp, _ = results["junitparser 5.x load+iterate"]
            print(
                f"junitparser / testgate    : {jp / tg:.2f}x cpu, {jp_wall / tg_wall:.2f}x wall"
                "  (target >= 2x faster)"
            )
        print(f"testgate peak RSS         : {tg_rss:.1f} MiB  (target < 64 MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
