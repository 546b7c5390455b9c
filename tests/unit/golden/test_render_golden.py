"""Golden files: one JUnit dialect per tests/fixtures/junit/<case>.xml, its summary in <case>.md.

Regenerate after an intended change with ``pytest tests/unit/golden --update-golden`` and
review the diff.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from testgate.gate import decide_gate
from testgate.junit import expand_paths, parse_reports
from testgate.policy import Policy
from testgate.render import RenderContext, render_report_md

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "junit"
CASES = sorted(p.stem for p in FIXTURES.glob("*.xml"))


def render(case: str) -> str:
    report = parse_reports(expand_paths([f"{case}.xml"], cwd=FIXTURES))
    decision = decide_gate(report, Policy(), today=dt.date(2026, 11, 23))
    ctx = RenderContext(
        version="golden", generated_at="2026-11-23T00:00:00Z", full_report="report.json"
    )
    return render_report_md(report, decision, ctx)


def test_there_are_golden_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES)
def test_golden(case, update_golden):
    expected_file = FIXTURES / f"{case}.md"
    actual = render(case)
    if update_golden:
        expected_file.write_text(actual, encoding="utf-8")
        return
    assert expected_file.is_file(), f"no golden file {expected_file}: run with --update-golden"
    assert actual == expected_file.read_text(encoding="utf-8")
