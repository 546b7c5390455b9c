"""testgate.render.markdown: the one Markdown escaper, code spans, links, and who uses them."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from testgate import broker, history, pact
from testgate.history.quarantine import QuarantineSuggestion
from testgate.monitor import CheckResult, MonitorRun, count_outcomes
from testgate.render.markdown import (
    code_block,
    md_code,
    md_link,
    md_text,
    render_monitor_md,
    render_quarantine_md,
    render_trend_md,
)

PACKAGE = Path(history.__file__).resolve().parents[1]
HOSTILE = "x|y\\z <b>bold</b> [click](javascript:alert(1)) ![i](http://t/p.png)\r\n::add-mask::a"


def cells(row: str) -> list[str]:
    """A GFM table row's cells, split where GFM splits them (at unescaped pipes)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


# --------------------------------------------------------------------------- the escaper


def test_md_text_keeps_untrusted_text_as_text_on_one_line() -> None:
    out = md_text(HOSTILE)
    assert "\n" not in out
    assert "\r" not in out
    assert "<b>" not in out
    assert "&lt;b&gt;bold&lt;/b&gt;" in out
    assert "](" not in out  # no inline link or image can form
    assert out.count("\\|") == 1
    assert "y\\\\z" in out
    assert cells(f"| {out} | next |") == [out, "next"]


def test_the_table_check_catches_a_raw_pipe() -> None:
    table = "| a | b |\n|---|---|\n| {} | 1 |\n"
    assert table_shapes_hold(table.format(md_code("x|y")))
    assert not table_shapes_hold(table.format("`x|y`"))


def test_md_text_of_none_and_plain_text() -> None:
    assert md_text(None) == ""
    assert md_text("tests.api::test_ok[1-2]") == "tests.api::test_ok[1-2]"


@pytest.mark.parametrize(
    ("value", "table", "expected"),
    [
        pytest.param("a::b", True, "`a::b`", id="plain"),
        pytest.param("a`b", True, "``a`b``", id="backtick-inside"),
        pytest.param("`a", True, "`` `a ``", id="backtick-at-start"),
        pytest.param("a|b", True, "`a\\|b`", id="pipe-in-table"),
        pytest.param("a|b", False, "`a|b`", id="pipe-in-text"),
        pytest.param("a\nb\rc", False, "`a b c`", id="one-line"),
        pytest.param("", True, "", id="empty"),
    ],
)
def test_md_code_is_one_span_whatever_it_holds(value: str, table: bool, expected: str) -> None:
    assert md_code(value, table=table) == expected


def test_code_block_fence_outgrows_any_fence_inside() -> None:
    assert code_block("a ``` b") == "````\na ``` b\n````"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://ci.example/run/1", "[run 1](https://ci.example/run/1)", id="https"),
        pytest.param("https://x/a_(b)", "[run 1](<https://x/a_(b)>)", id="parentheses"),
        pytest.param("javascript:alert(4)//", "run 1", id="javascript"),
        pytest.param("HTTPS:foo", "run 1", id="no-host"),
        pytest.param("https://x/ y", "run 1", id="space"),
        pytest.param("", "run 1", id="empty"),
    ],
)
def test_md_link_only_for_http_urls(url: str, expected: str) -> None:
    assert md_link("run 1", url) == expected


# --------------------------------------------------------------------------- every renderer uses it


def _monitor_run() -> MonitorRun:
    checks = (CheckResult(HOSTILE, "failed", 0.01, HOSTILE),)
    return MonitorRun(
        environment="prod",
        service="svc",
        target_url="https://svc.example",
        checks=checks,
        started_at=datetime(2026, 11, 23, tzinfo=UTC),
        elapsed=0.1,
        totals=count_outcomes(checks),
    )


def _trend() -> history.Trend:
    h = history.History()
    for i in range(4):
        outcome = "failed" if i % 2 else "passed"
        report = {"tests": [{"id": HOSTILE, "outcome": outcome, "time": 0.1}], "totals": {}}
        history.append_run(h, report, history.RunContext(f"c{i}", "main"))
    return history.build_trend(h, last=4, max_flips=1)


def _can_i_deploy() -> str:
    matrix = {
        "summary": {"deployable": False, "reason": HOSTILE},
        "matrix": [
            {
                "consumer": {"name": HOSTILE, "version": {"number": "1"}},
                "provider": {"name": "api", "version": {"number": "2"}},
                "verificationResult": {"success": False},
            }
        ],
    }
    return broker.render_can_i_deploy_md(broker.parse_matrix(matrix, HOSTILE, "1", "prod"))


def _verification() -> str:
    results = {
        "result": False,
        "interactionResults": [
            {
                "interactionDescription": HOSTILE,
                "result": {"mismatches": [{"type": "Body", "mismatch": HOSTILE}]},
            }
        ],
    }
    return pact.verification_md(pact.parse_results(HOSTILE, "http://x", results))


RENDERED = {
    "trend": lambda: render_trend_md(_trend()),
    "monitor": lambda: render_monitor_md(_monitor_run()),
    "quarantine": lambda: render_quarantine_md(
        [QuarantineSuggestion(HOSTILE, HOSTILE, HOSTILE, date(2026, 12, 1).isoformat())],
        "gate.toml",
    ),
    "can-i-deploy": _can_i_deploy,
    "verification": _verification,
}


def outside_code(md: str) -> str:
    """The Markdown with its inline code spans removed (their content is shown literally)."""
    return re.sub(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", "", md)


def table_shapes_hold(md: str) -> bool:
    """Every table row has as many cells as its header: no untrusted pipe split one."""
    lines = md.splitlines()
    width = 0
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            width = 0
            continue
        if i + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1]):
            width = len(cells(line))
        elif width and len(cells(line)) != width:
            return False
    return True


@pytest.mark.parametrize("name", RENDERED)
def test_every_markdown_renderer_keeps_untrusted_text_as_text(name: str) -> None:
    md = RENDERED[name]()
    assert "bold" in md  # the text is shown, only made harmless
    text = outside_code(md)
    assert "<b>" not in text
    assert "](javascript" not in text
    assert "](http://t/p.png)" not in text  # no image either: only testgate's own links
    assert "\r" not in md
    assert not re.search(r"^::add-mask::", md, re.M)  # untrusted text never starts a line
    assert table_shapes_hold(md)


# --------------------------------------------------------------------------- one place


def _sources() -> dict[str, str]:
    return {
        str(p.relative_to(PACKAGE)): p.read_text(encoding="utf-8")
        for p in PACKAGE.rglob("*.py")
        if "__pycache__" not in p.parts
    }


def test_one_markdown_escaper() -> None:
    """Only render/markdown.py escapes Markdown table pipes."""
    found = [name for name, text in _sources().items() if '.replace("|", "\\\\|")' in text]
    assert found == ["render/markdown.py"]


def test_one_json_file_reader_and_one_atomic_writer() -> None:
    readers, writers = [], []
    for name, text in _sources().items():
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            call = ast.unparse(node.func)
            if call in ("json.loads", "json.load") and "read_text" in ast.unparse(node):
                readers.append(name)
            if call in ("json.load",):
                readers.append(name)
            if call in ("os.replace", "os.rename", "tempfile.mkstemp"):
                writers.append(f"{name}:{call}")
    # The CI's own event file (GITHUB_EVENT_PATH): missing or unreadable means "no event";
    # read by the platform adapters (the lead's room; ci_context.py is on its way out).
    assert sorted(set(readers) - {"ci_context.py", "platforms/github.py"}) == []
    # files.py renames its temporary file; the history store renames a corrupt file aside;
    # the report readers' engine spools per-test records to a private temporary file and
    # settings.py probes that an output folder is writable (neither is an output).
    assert "files.py:os.replace" in writers
    not_outputs = {
        "history/store.py:os.replace",
        "readers/engine.py:tempfile.mkstemp",
        "settings.py:tempfile.mkstemp",
    }
    assert sorted(set(writers) - not_outputs) == ["files.py:os.replace"]


def test_one_pytest_runner() -> None:
    """Only runner.py starts pytest (the monitor goes through it)."""
    starters = [
        name
        for name, text in _sources().items()
        if re.search(r"subprocess\.(Popen|run)\(", text) and '"pytest"' in text
    ]
    assert starters == ["runner.py"]
