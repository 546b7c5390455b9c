"""Renderers: JSON document and streaming, Markdown size limit, console text."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from testgate.gate import decide_gate
from testgate.junit import expand_paths, parse_reports, read_tests
from testgate.policy import Policy
from testgate.render import (
    DEFAULT_MAX_SIZE,
    PR_COMMENT_MAX_SIZE,
    RenderContext,
    console_text,
    iter_json,
    render_report_md,
    report_json,
)

CTX = RenderContext(
    version="1.2.3", generated_at="2026-11-23T12:00:00Z", full_report="out/report.json"
)


def build(tmp_path: Path, failures: int, passes: int = 3, body: str = "trace", keep_tests=False):
    cases = [f'<testcase classname="c" name="ok{i}" time="0.{i}"/>' for i in range(passes)]
    cases += [
        f'<testcase classname="c" name="bad{i}" file="t.py" line="{i + 1}">'
        f'<failure message="assert {i}">{body}</failure></testcase>'
        for i in range(failures)
    ]
    path = tmp_path / "r.xml"
    path.write_text('<testsuite name="s">' + "".join(cases) + "</testsuite>")
    report = parse_reports(expand_paths([str(path)]), keep_tests=keep_tests, spool_dir=tmp_path)
    return report, decide_gate(report, Policy(), today=dt.date(2026, 11, 23))


def test_default_limit_is_under_github_summary_limit():
    assert DEFAULT_MAX_SIZE < 1024 * 1024
    assert PR_COMMENT_MAX_SIZE < 65_536


def test_markdown_has_headline_table_details(tmp_path):
    report, decision = build(tmp_path, failures=2)
    md = render_report_md(report, decision, CTX)
    assert md.startswith("## ❌ Test report: FAIL\n")
    assert "| 5 | 3 | 2 | 0 | 0 | 0 | 0 |" in md
    assert "<details><summary><b>failed</b> c::bad0 — `t.py:1`</summary>" in md
    assert "assert 0\n\ntrace" in md
    assert "### Slowest tests" in md
    assert "Shortened" not in md


@pytest.mark.parametrize("limit", [PR_COMMENT_MAX_SIZE, 20_000, 3_000])
def test_markdown_is_shortened_deterministically_to_the_limit(tmp_path, limit):
    report, decision = build(tmp_path, failures=400, body="x" * 3000)
    md = render_report_md(report, decision, CTX, max_size=limit)
    assert len(md.encode("utf-8")) <= limit
    assert md == render_report_md(report, decision, CTX, max_size=limit)
    assert "The full report is in `out/report.json`" in md
    assert "failures: showing" in md
    assert md.startswith("## ❌ Test report: FAIL")


def test_tiny_limit_keeps_the_headline(tmp_path):
    report, decision = build(tmp_path, failures=50)
    md = render_report_md(report, decision, CTX, max_size=300)
    assert len(md.encode()) <= 300
    assert md.startswith("## ❌ Test report: FAIL")


def test_markdown_escapes_table_and_html(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(
        '<testsuite name="s"><testcase classname="c" name="a|&lt;script&gt;" time="1">'
        "<failure message='```'>```</failure></testcase></testsuite>"
    )
    report = parse_reports(expand_paths([str(path)]))
    md = render_report_md(report, decide_gate(report, Policy(), today=dt.date(2026, 1, 1)), CTX)
    assert "<script>" not in md
    assert "a\\|&lt;script&gt;" in md
    assert "````\n" in md  # a longer fence around text that holds a fence


def test_report_json_matches_contract(tmp_path):
    report, decision = build(tmp_path, failures=1)
    doc = report_json(report, decision, CTX)
    assert list(doc)[:8] == [
        "schema",
        "testgate_version",
        "generated_at",
        "decision",
        "passed",
        "dry_run",
        "reasons",
        "totals",
    ]
    assert doc["schema"] == "testgate-report/1"
    assert doc["testgate_version"] == "1.2.3"
    assert set(doc["totals"]) == {
        "tests",
        "passed",
        "failed",
        "errors",
        "skipped",
        "flaky",
        "quarantined",
        "time",
    }
    for key in ("files", "failures", "flaky", "quarantined", "slowest"):
        assert isinstance(doc[key], list)
    assert {"id", "suite", "classname", "name", "outcome", "message", "file", "line"} <= set(
        doc["failures"][0]
    )
    assert "tests" not in doc
    assert json.loads("".join(iter_json(doc))) == doc


def test_iter_json_streams_tests(tmp_path):
    report, decision = build(tmp_path, failures=1, keep_tests=True)
    doc = report_json(report, decision, CTX, read_tests(report))
    parsed = json.loads("".join(iter_json(doc)))
    assert [t["id"] for t in parsed["tests"]] == ["c::ok0", "c::ok1", "c::ok2", "c::bad0"]
    assert parsed["tests"][3] == {
        "id": "c::bad0",
        "suite": "s",
        "outcome": "failed",
        "time": 0.0,
        "flaky": False,
    }
    assert parsed["totals"]["tests"] == 4


def test_iter_json_takes_ready_entries(tmp_path):
    from testgate.junit import read_test_entries

    report, decision = build(tmp_path, failures=1, keep_tests=True)
    from_text = "".join(iter_json(report_json(report, decision, CTX, read_test_entries(report))))
    from_dicts = "".join(iter_json(report_json(report, decision, CTX, read_tests(report))))
    assert json.loads(from_text) == json.loads(from_dicts)


def test_iter_json_with_no_tests_is_an_empty_array(tmp_path):
    report, decision = build(tmp_path, failures=0, passes=0, keep_tests=True)
    parsed = json.loads("".join(iter_json(report_json(report, decision, CTX, read_tests(report)))))
    assert parsed["tests"] == []


def test_console_text_lists_failures_and_decision(tmp_path):
    report, decision = build(tmp_path, failures=30)
    text = console_text(report, decision, CTX)
    assert text.splitlines()[0] == (
        "testgate report: 1 file, 33 tests, 3 passed, 30 failed, 0 errors, 0 skipped in 300ms"
    )
    assert "  FAILED c::bad0: assert 0" in text
    assert "... and 10 more" in text
    assert text.endswith("decision: FAIL")


def test_size_measure_is_exact(tmp_path):
    from testgate.render import report as render

    report, decision = build(tmp_path, failures=40, body="é" * 500)
    for chars in (0, 300, 20_000):
        sections = render._sections(report, decision, chars)
        head = render._head_md(report, decision, CTX)
        size = render._measure(head, sections, CTX, 10**9)
        for cap in (None, 0, 1, 7, 40, 100):
            assert size(cap) == len(render._compose(head, sections, cap, CTX).encode()), (
                chars,
                cap,
            )


def test_shortening_keeps_as_many_items_as_fit(tmp_path):
    report, decision = build(tmp_path, failures=200, body="x" * 1000)
    md = render_report_md(report, decision, CTX, max_size=20_000)
    shown = md.count("<details>") + md.count("\n- <b>failed</b>")
    longer = render_report_md(report, decision, CTX, max_size=21_000)
    assert shown > 0
    assert longer.count("\n- <b>failed</b>") + longer.count("<details>") >= shown
