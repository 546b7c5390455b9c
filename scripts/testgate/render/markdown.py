"""Markdown for job summaries and comments: the one escaper, and the small renderers.

Text that testgate did not write (test ids, messages, reasons, branch names,
broker answers) goes into Markdown only through these functions:

- :func:`md_text`: the one escaper, for running text, list items and table cells;
- :func:`md_code`: an inline code span (ids, paths) that no backtick can close;
- :func:`code_block`: a fenced block that no fence inside can close;
- :func:`md_link`: a link, only for an http(s) URL (else the text alone).

The report summary (:mod:`testgate.render.report`), the history trend, the
monitor run and the quarantine entries below all use them, and so do the
can-i-deploy and verification summaries in ``broker.py`` and ``pact.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.render.text import fmt_seconds, http_url, sparkline

if TYPE_CHECKING:  # pragma: no cover
    from testgate.history.model import Trend
    from testgate.history.quarantine import QuarantineSuggestion
    from testgate.monitor import MonitorRun


def _one_line(text: str) -> str:
    # CR alone is a line ending in Markdown too: it would end a table row.
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def md_text(value: object) -> str:
    """``value`` as Markdown text that stays on one line and is shown as written.

    Escapes backslashes and table pipes, turns ``<`` and ``>`` into entities (no
    HTML gets through), breaks ``](`` so no inline link or image can form, and
    folds line breaks into spaces. Safe in a table cell, a list item or a heading.
    """
    text = "" if value is None else str(value)
    return _one_line(
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("](", "]\\(")
    )


def md_code(value: object, *, table: bool = True) -> str:
    """``value`` as an inline code span on one line, whatever backticks it holds.

    Args:
        value: the text (an id, a path).
        table: the span goes in a table cell, where GFM needs ``|`` written ``\\|``
            even inside code.
    """
    text = _one_line("" if value is None else str(value))
    if not text:
        return ""
    if table:
        text = text.replace("|", "\\|")
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str) -> str:
    """A fenced code block around ``text``, its fence longer than any fence inside."""
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def md_link(text: object, url: object) -> str:
    """``[text](url)`` when ``url`` is an http(s) URL; otherwise ``text`` alone, as text."""
    safe = http_url(url)
    if not safe:
        return md_text(text)
    # <...> keeps a URL with parentheses whole (CommonMark link destination)
    return f"[{md_text(text)}]({f'<{safe}>' if '(' in safe or ')' in safe else safe})"


# --------------------------------------------------------------------------- history trend


def render_trend_md(trend: Trend, svg_name: str | None = None, limit: int = 20) -> str:
    """The trend section of the job summary: sparklines, flaky and slower tests."""
    runs = trend.runs
    lines = [f"### Results over time (last {len(runs)} runs)", ""]
    if not runs:
        lines.append("_No runs recorded yet._")
        return "\n".join(lines) + "\n"
    first, last = runs[0], runs[-1]
    rates, counts, secs = trend.pass_rates, trend.test_counts, trend.durations
    lines += [
        "| metric | trend (oldest → newest) | first | latest | min | max |",
        "|---|---|---:|---:|---:|---:|",
        f"| pass rate | `{sparkline(rates, min(rates), 100.0)}` | {rates[0]:.1f}% | {rates[-1]:.1f}% "
        f"| {min(rates):.1f}% | {max(rates):.1f}% |",
        f"| tests | `{sparkline(counts)}` | {counts[0]} | {counts[-1]} | {min(counts)} "
        f"| {max(counts)} |",
        f"| duration | `{sparkline(secs)}` | {fmt_seconds(secs[0])} | {fmt_seconds(secs[-1])} "
        f"| {fmt_seconds(min(secs))} | {fmt_seconds(max(secs))} |",
        "",
        f"Runs #{first.seq}–#{last.seq}; latest: {md_text(last.decision or 'unknown')}"
        + (f" on {md_code(last.commit[:12], table=False)}" if last.commit else "")
        + (f" ({md_text(last.branch)})" if last.branch else "")
        + ".",
    ]
    if svg_name:
        lines.append(f"Chart: {md_code(svg_name, table=False)} (artifact).")
    lines.append("")
    if trend.flaky:
        lines += [
            f"#### Flaky tests ({len(trend.flaky)})",
            "",
            "| test | flip rate | flips | runs | why |",
            "|---|---:|---:|---:|---|",
        ]
        for f in trend.flaky[:limit]:
            lines.append(
                f"| {md_code(f.id)} | {100 * f.flip_rate:.0f}% | {f.flips} | {f.runs} "
                f"| {md_text(f.reason)} |"
            )
        if len(trend.flaky) > limit:
            lines.append(f"| … {len(trend.flaky) - limit} more | | | | |")
        lines += [
            "",
            "Quarantine them with `testgate quarantine suggest` (owner, reason, expiry).",
            "",
        ]
    else:
        lines += [
            f"No flaky tests in the last {trend.window} runs "
            f"(flaky: passed and failed on one commit, or more than {trend.max_flips} flips).",
            "",
        ]
    if trend.slower:
        lines += [
            f"#### Getting slower ({len(trend.slower)})",
            "",
            "| test | before | now | × |",
            "|---|---:|---:|---:|",
        ]
        for s in trend.slower[:limit]:
            ratio = "new" if math.isinf(s.ratio) else f"{s.ratio:.1f}"
            lines.append(
                f"| {md_code(s.id)} | {fmt_seconds(s.before)} | {fmt_seconds(s.after)} | {ratio} |"
            )
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- monitor

_CHECK_MARK = {"passed": "✅ pass", "failed": "❌ fail", "error": "❌ error", "skipped": "⏭ skip"}


def render_monitor_md(run: MonitorRun) -> str:
    """The job summary of a monitor run: one row per check with its latency."""
    status = "PASS" if run.passed else ("ERROR" if not run.decided else "FAIL")
    lines = [
        f"## testgate monitor: {status}",
        "",
        f"environment {md_code(run.environment, table=False)}, "
        f"service {md_code(run.service, table=False)}"
        + (f", target {md_text(run.target_url)}" if run.target_url else "")
        + f"; {len(run.checks)} checks in {run.elapsed:.1f} s",
        "",
    ]
    if run.error:
        lines += [f"**Could not decide:** {md_text(run.error)}", ""]
    if run.checks:
        lines += ["| check | result | latency |", "|---|---|---|"]
        for c in run.checks:
            lines.append(
                f"| {md_code(c.check)} | {_CHECK_MARK[c.outcome]} | {c.duration * 1000:.0f} ms |"
            )
        lines.append("")
    for c in run.failing:
        first = c.message.splitlines()[0] if c.message else "(no message)"
        lines.append(f"- {md_code(c.check, table=False)}: {md_text(first)}")
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- quarantine


def render_quarantine_md(entries: Sequence[QuarantineSuggestion], policy: Path | str) -> str:
    """The job summary of ``quarantine suggest --write``: the entries added to ``policy``."""
    lines = [f"### Quarantine added to {md_text(policy)} ({len(entries)})", ""]
    lines += ["| test | owner | expires | reason |", "|---|---|---|---|"]
    lines += [
        f"| {md_code(e.test)} | {md_text(e.owner)} | {md_text(e.expires)} | {md_text(e.reason)} |"
        for e in entries
    ]
    return "\n".join(lines) + "\n"


__all__ = [
    "code_block",
    "md_code",
    "md_link",
    "md_text",
    "render_monitor_md",
    "render_quarantine_md",
    "render_trend_md",
]
