"""Generate big, realistic NUnit 3 XML and CTRF JSON reports for the report benchmark.

    python benchmarks/gen_reports.py nunit 1000000 big.xml
    python benchmarks/gen_reports.py ctrf 1000000 big.json

NUnit 3 follows ``nunit3-console --result``: ``<test-run>`` > assembly > namespace suites >
fixtures of 50 test cases (every fifth fixture holds a ``ParameterizedMethod`` of 10 rows),
each case with id, name, fullname, methodname, classname, runstate, seed, result, start and
end time, duration and asserts; ~1% fail with a message and a stack trace (a tenth of them
errors), ~2% are ignored with a reason, ~3% carry ``<output>``. CTRF follows CTRF 1.0.0 as
jest/playwright reporters write it: name, status, duration, start, stop, suite path, filePath,
line, with the same mix (failures with message and trace, skipped, ~1% flaky with retries).

Deterministic for a seed. Writes ``OUT`` and ``OUT.truth.json`` with the exact counts.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

NAMESPACES = ["Api", "Core", "Data", "Auth", "Billing", "Search", "Utils", "Cli", "Io", "Workers"]
WORDS = ["User", "Order", "Cache", "Token", "Query", "Parser", "Config", "Session", "Payload"]
FIXTURE_SIZE = 50


def _counts() -> dict:
    return {"tests": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0, "flaky": 0}


def nunit(n: int, out: Path, seed: int) -> dict:
    rnd = random.Random(seed)
    truth = _counts()
    with out.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8" standalone="no"?>\n')
        fh.write(
            f'<test-run id="0" runstate="Runnable" testcasecount="{n}" result="Failed" '
            f'total="{n}" engine-version="3.16.3.0" clr-version="8.0.0" '
            'start-time="2026-11-23 10:00:00Z" end-time="2026-11-23 10:20:00Z" duration="1200">\n'
        )
        fh.write(
            "<command-line><![CDATA[nunit3-console Big.Tests.dll --result=big.xml]]></command-line>\n"
            '<test-suite type="Assembly" id="0-1" name="Big.Tests.dll" fullname="/src/Big.Tests.dll" '
            'runstate="Runnable" result="Failed" site="Child">\n'
            '<environment framework-version="3.14.0.0" clr-version="8.0.0" os-version="Linux" '
            'platform="Unix" cwd="/src" machine-name="ci" user="ci" culture="en-US" />\n'
        )
        case = 0
        fixture = 0
        while case < n:
            ns = NAMESPACES[fixture % len(NAMESPACES)]
            cls = f"Big.Tests.{ns}.{WORDS[fixture % len(WORDS)]}Tests{fixture}"
            fh.write(
                f'<test-suite type="TestFixture" id="0-{fixture}f" name="{cls.rsplit(".", 1)[1]}" '
                f'fullname="{cls}" classname="{cls}" runstate="Runnable" result="Passed">\n'
            )
            size = min(FIXTURE_SIZE, n - case)
            param = fixture % 5 == 0 and size >= 10
            for j in range(size):
                if param and j == 0:
                    fh.write(
                        f'<test-suite type="ParameterizedMethod" id="0-{fixture}p" '
                        f'name="Theory" fullname="{cls}.Theory" classname="{cls}" '
                        'runstate="Runnable" result="Passed">\n'
                    )
                name = (
                    f"Theory({j},&quot;x{j}&quot;)"
                    if param and j < 10
                    else f"Test_{j}_{WORDS[j % 9]}"
                )
                method = "Theory" if param and j < 10 else name
                roll = rnd.random()
                dur = round(rnd.expovariate(200), 6)
                attrs = (
                    f'id="0-{case}" name="{name}" fullname="{cls}.{name}" methodname="{method}" '
                    f'classname="{cls}" runstate="Runnable" seed="{rnd.randint(1, 2**31)}" '
                )
                times = (
                    f'start-time="2026-11-23T10:00:00.{case % 1000000:06d}Z" '
                    f'end-time="2026-11-23T10:00:00.{(case + 1) % 1000000:06d}Z" '
                    f'duration="{dur:.6f}" asserts="{rnd.randint(0, 4)}"'
                )
                truth["tests"] += 1
                if roll < 0.01:
                    error = roll < 0.001
                    label = ' label="Error"' if error else ""
                    truth["errors" if error else "failed"] += 1
                    fh.write(
                        f'<test-case {attrs}result="Failed"{label} site="Test" {times}>'
                        f"<failure><message><![CDATA[Expected: {case}\n  But was:  {case + 1}\n]]>"
                        f"</message><stack-trace><![CDATA[   at {cls}.{method}() in "
                        f"/src/{ns}/{cls.rsplit('.', 1)[1]}.cs:line {10 + j}\n]]></stack-trace>"
                        "</failure></test-case>\n"
                    )
                elif roll < 0.03:
                    truth["skipped"] += 1
                    fh.write(
                        f'<test-case {attrs}result="Skipped" label="Ignored" {times}>'
                        '<properties><property name="_SKIPREASON" value="flaky on CI" />'
                        "</properties><reason><message><![CDATA[flaky on CI]]></message></reason>"
                        "</test-case>\n"
                    )
                elif roll < 0.06:
                    truth["passed"] += 1
                    fh.write(
                        f'<test-case {attrs}result="Passed" {times}><output><![CDATA['
                        f"connecting to db {case}\nquery took {dur}s\n]]></output></test-case>\n"
                    )
                else:
                    truth["passed"] += 1
                    fh.write(f'<test-case {attrs}result="Passed" {times} />\n')
                case += 1
                if param and j == 9:
                    fh.write("</test-suite>\n")
            fh.write("</test-suite>\n")
            fixture += 1
        fh.write("</test-suite>\n</test-run>\n")
    return truth


def ctrf(n: int, out: Path, seed: int) -> dict:
    rnd = random.Random(seed)
    truth = _counts()
    start = 1795000000000
    with out.open("w", encoding="utf-8") as fh:
        fh.write(
            '{"reportFormat": "CTRF", "specVersion": "1.0.0", "results": {"tool": '
            '{"name": "playwright", "version": "1.50.0"}, "summary": {"tests": '
            f'{n}, "passed": 0, "failed": 0, "skipped": 0, "pending": 0, "other": 0, '
            f'"start": {start}, "stop": {start + n}}}, "tests": [\n'
        )
        for i in range(n):
            area = WORDS[(i // 40) % len(WORDS)].lower()
            test = {
                "name": f"should handle {area} case {i}",
                "status": "passed",
                "duration": int(rnd.expovariate(1 / 30)),
                "start": start + i,
                "stop": start + i + 1,
                "suite": [f"tests/{area}.spec.ts", f"{area} flows", f"group {i // 200}"],
                "filePath": f"tests/{area}.spec.ts",
                "line": 10 + i % 300,
                "type": "e2e",
                "threadId": str(i % 4),
            }
            roll = rnd.random()
            truth["tests"] += 1
            if roll < 0.01:
                test["status"] = "failed"
                test["message"] = (
                    f"expect(received).toBe(expected)\nExpected: {i}\nReceived: {i + 1}"
                )
                test["trace"] = (
                    f"Error: expect failed\n    at tests/{area}.spec.ts:{10 + i % 300}:5"
                )
                truth["failed"] += 1
            elif roll < 0.03:
                test["status"] = "skipped"
                truth["skipped"] += 1
            elif roll < 0.04:
                test["flaky"] = True
                test["retries"] = 1
                truth["passed"] += 1
                truth["flaky"] += 1
            else:
                truth["passed"] += 1
            fh.write(("" if i == 0 else ",\n") + json.dumps(test))
        fh.write("\n]}}\n")
    return truth


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("format", choices=["nunit", "ctrf"])
    parser.add_argument("n", type=int, help="test cases")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    truth = (nunit if args.format == "nunit" else ctrf)(args.n, args.out, args.seed)
    Path(f"{args.out}.truth.json").write_text(json.dumps(truth) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
