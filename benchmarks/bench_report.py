"""Benchmark ``testgate report`` against a bare parse of the same file (and junitparser 5.x).

Each contender runs in its own process (wall time includes interpreter start-up;
peak RSS is that process's own), on the same generated report:

- JUnit: a pytest-style report from ``../shared/tools/gen_junit.py``; bare = lxml iterparse
  count; also junitparser 5.x load+iterate.
- NUnit 3: from ``benchmarks/gen_reports.py nunit``; bare = lxml iterparse count of
  ``<test-case>`` results.
- CTRF: from ``benchmarks/gen_reports.py ctrf``; bare = ijson item count of
  ``results.tests`` statuses.

    python benchmarks/bench_report.py                        # every format, 200,000 cases, best of 3
    python benchmarks/bench_report.py --full                 # 1,000,000 cases, best of 1
    python benchmarks/bench_report.py --format ctrf --full   # one format
    python benchmarks/bench_report.py --file big.xml         # an existing JUnit report

Targets (issues #3 and #13): within 1.5x of the bare parse and under 64 MB peak RSS on the
1M-case reports of every format; for JUnit also >= 2x faster than junitparser.
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
GEN_REPORTS = ROOT / "benchmarks" / "gen_reports.py"
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

BARE_NUNIT = r"""
import sys
from lxml import etree
n = f = s = 0
for _, el in etree.iterparse(sys.argv[1], events=("end",), tag="test-case"):
    n += 1
    result = el.get("result")
    if result == "Failed":
        f += 1
    elif result != "Passed":
        s += 1
    el.clear()
    while el.getprevious() is not None:
        del el.getparent()[0]
print(n, f, 0, s)
"""

BARE_CTRF = r"""
import sys
import ijson
n = f = s = 0
with open(sys.argv[1], "rb") as fh:
    for test in ijson.items(fh, "results.tests.item", use_float=True):
        n += 1
        status = test["status"]
        if status == "failed":
            f += 1
        elif status != "passed":
            s += 1
print(n, f, 0, s)
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


def generate(n: int, out: Path, fmt: str = "junit") -> None:
    if fmt != "junit":
        subprocess.run(
            [sys.executable, str(GEN_REPORTS), fmt, str(n), str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return
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


BARE_NAMES = {
    "junit": "bare lxml iterparse count",
    "nunit": "bare lxml iterparse count",
    "ctrf": "bare ijson item count",
}
SCRIPTS = {"junit": "BARE", "nunit": "BARE_NUNIT", "ctrf": "BARE_CTRF"}
SUFFIX = {"junit": "xml", "nunit": "xml", "ctrf": "json"}


def bench(
    fmt: str, n: int, repeat: int, report: Path | None, tmpdir: Path, junitparser: bool
) -> dict:
    """Run the contenders on one report; print their figures and ratios; return the ratios."""
    if report is None:
        report = tmpdir / f"{fmt}-{n}.{SUFFIX[fmt]}"
        print(f"== {fmt}: generating {n:,} test cases ...", flush=True)
        generate(n, report, fmt)
    size_mb = report.stat().st_size / 1e6
    print(f"report: {report} ({size_mb:.0f} MB)\n", flush=True)
    bare_name = BARE_NAMES[fmt]
    out_json = tmpdir / f"report-{fmt}.json"
    contenders = {
        bare_name: [sys.executable, "-c", globals()[SCRIPTS[fmt]], str(report)],
        "testgate report": [
            sys.executable,
            "-m",
            "testgate",
            "report",
            str(report),
            "--platform",
            "local",
            "--json",
            str(out_json),
            "--markdown",
            str(tmpdir / f"report-{fmt}.md"),
        ],
    }
    if junitparser and fmt == "junit":
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
    bare_wall, bare, _ = results[bare_name]
    doc = json.loads(out_json.read_text())
    print()
    print(f"totals: {json.dumps(doc['totals'])}")
    truth = Path(f"{report}.truth.json")
    if truth.is_file():
        want = json.loads(truth.read_text())
        got = {k: doc["totals"][k] for k in ("tests", "failed", "errors", "skipped", "flaky")}
        if fmt == "junit":
            got = {
                "tests": got["tests"],
                "failures": got["failed"],
                "errors": got["errors"],
                "skipped": got["skipped"],
            }
        ok = all(want.get(k) == v for k, v in got.items())
        print(f"totals match the generator's truth: {'yes' if ok else 'NO: ' + json.dumps(want)}")
    ratio = tg / bare
    print(
        f"testgate / {bare_name:<22}: {ratio:.2f}x cpu, {tg_wall / bare_wall:.2f}x wall"
        "  (target <= 1.5x)"
    )
    if "junitparser 5.x load+iterate" in results:
        jp_wall, jp, _ = results["junitparser 5.x load+iterate"]
        print(
            f"junitparser / testgate    : {jp / tg:.2f}x cpu, {jp_wall / tg_wall:.2f}x wall"
            "  (target >= 2x faster)"
        )
    print(f"testgate peak RSS         : {tg_rss:.1f} MiB  (target < 64 MiB)\n", flush=True)
    return {"format": fmt, "cpu_ratio": ratio, "wall_ratio": tg_wall / bare_wall, "rss": tg_rss}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=200_000, help="test cases to generate")
    parser.add_argument(
        "--full", action="store_true", help="1,000,000 test cases (the issues' size)"
    )
    parser.add_argument(
        "--format",
        choices=["junit", "nunit", "ctrf", "all"],
        default="all",
        help="which report format to benchmark (default: all three)",
    )
    parser.add_argument("--file", type=Path, help="benchmark this JUnit report instead")
    parser.add_argument("--repeat", type=int, help="runs per contender (best time kept)")
    parser.add_argument("--skip-junitparser", action="store_true", help="it needs ~1.6 GB for 1M")
    args = parser.parse_args()
    n = 1_000_000 if args.full else args.tests
    repeat = args.repeat or (1 if args.full else 3)
    formats = ["junit", "nunit", "ctrf"] if args.format == "all" else [args.format]
    if args.file is not None:
        formats = ["junit"]

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        rows = [
            bench(fmt, n, repeat, args.file, Path(tmp), not args.skip_junitparser)
            for fmt in formats
        ]
        for fmt in formats:  # generated reports are big: gone before the summary
            for leftover in Path(tmp).glob(f"{fmt}-*"):
                leftover.unlink()
    print("summary (testgate / bare parse, CPU time; peak RSS):")
    for row in rows:
        verdict = "ok" if row["cpu_ratio"] <= 1.5 and row["rss"] < 64 else "MISSED"
        print(
            f"  {row['format']:<6} {row['cpu_ratio']:.2f}x cpu ({row['wall_ratio']:.2f}x wall), "
            f"{row['rss']:.1f} MiB  [{verdict}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
