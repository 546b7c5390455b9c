"""Pure renderers: the report JSON, the Markdown summary and the console text.

Nothing here writes files or prints; the ``report`` command does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from testgate.gate import REPORT_SCHEMA
from testgate.model import GateDecision, Report

DEFAULT_MAX_SIZE = 1024 * 1024 - 1024
"""Bytes: just under GitHub's 1 MiB job-summary limit (a bigger summary is dropped whole)."""
PR_COMMENT_MAX_SIZE = 65_000
MD_WARNINGS = 20


@dataclass(frozen=True)
class RenderContext:
    """What the renderers need besides the report and the decision."""

    version: str
    generated_at: str
    dry_run: bool = False
    full_report: str | None = None
    """Where the complete report is (a JSON path or artifact name), named when the summary is cut."""


def _totals(report: Report, decision: GateDecision) -> dict[str, Any]:
    t = report.totals
    return {
        "tests": t.tests,
        "passed": t.passed,
        "failed": t.failed,
        "errors": t.errors,
        "skipped": t.skipped,
        "flaky": t.flaky,
        "quarantined": sum(1 for q in decision.quarantined if not q.expired),
        "time": round(t.time, 3),
    }


def report_json(
    report: Report,
    decision: GateDecision,
    ctx: RenderContext,
    tests: Iterable[dict] | None = None,
) -> dict[str, Any]:
    """The ``testgate-report/1`` document (see README "Reports and gates").

    Args:
        tests: per-test records (``junit.read_tests``) to include as ``tests``; omitted when None.
    """
    excused = decision.quarantined_ids
    doc: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "testgate_version": ctx.version,
        "generated_at": ctx.generated_at,
        "decision": decision.decision,
        "passed": decision.passed,
        "dry_run": ctx.dry_run,
        "reasons": list(decision.reasons),
        "totals": _totals(report, decision),
        "files": [
            {
                "path": f.path,
                "tests": f.tests,
                "passed": f.passed,
                "failed": f.failed,
                "errors": f.errors,
                "skipped": f.skipped,
                "flaky": f.flaky,
                "error": f.error,
                "line": f.line,
            }
            for f in report.files
        ],
        "failures": [
            {
                "id": f.id,
                "suite": f.suite,
                "classname": f.classname,
                "name": f.name,
                "outcome": f.outcome,
                "message": f.message,
                "file": f.file,
                "line": f.line,
                "report": f.report,
                "attempts": f.attempts,
                "quarantined": f.id in excused,
            }
            for f in report.failures
        ],
        "suite_errors": [
            {
                "suite": s.suite,
                "report": s.report,
                "message": s.message,
                "declared": s.declared,
                "counted": s.counted,
                "line": s.line,
            }
            for s in report.suite_errors
        ],
        "flaky": [
            {
                "id": f.id,
                "suite": f.suite,
                "classname": f.classname,
                "name": f.name,
                "attempts": f.attempts,
                "report": f.report,
            }
            for f in report.flaky
        ],
        "quarantined": [
            {
                "id": q.id,
                "pattern": q.pattern,
                "owner": q.owner,
                "reason": q.reason,
                "expires": q.expires,
                "expired": q.expired,
            }
            for q in decision.quarantined
        ],
        "slowest": [{"id": tid, "time": tm} for tid, tm in report.slowest],
        "warnings": [*report.warnings, *decision.warnings],
    }
    if decision.baseline is not None:
        doc["baseline"] = {
            "new": list(decision.baseline.new),
            "still_failing": list(decision.baseline.still_failing),
            "fixed": list(decision.baseline.fixed),
        }
    if tests is not None:
        doc["tests"] = tests
    return doc


def iter_json(doc: dict[str, Any]) -> Iterator[str]:
    """Serialise ``doc`` in chunks; a ``tests`` iterable is streamed, never held in memory."""
    tests = doc.get("tests")
    head = {k: v for k, v in doc.items() if k != "tests"}
    text = json.dumps(head, indent=2, ensure_ascii=False)
    if tests is None:
        yield text + "\n"
        return
    yield text[:-2] + ',\n  "tests": ['
    first = True
    for record in tests:
        entry = {k: record[k] for k in ("id", "suite", "outcome", "time", "flaky")}
        yield ("\n    " if first else ",\n    ") + json.dumps(entry, ensure_ascii=False)
        first = False
    yield "\n  ]\n}\n"


# -- console ------------------------------------------------------------------
def _fmt_time(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 120:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def totals_line(report: Report, decision: GateDecision) -> str:
    """One line of totals, for the console and the headline."""
    t = _totals(report, decision)
    files = len(report.files)
    bad = len(report.file_errors)
    parts = [
        f"{t['tests']} tests",
        f"{t['passed']} passed",
        f"{t['failed']} failed",
        f"{t['errors']} errors",
        f"{t['skipped']} skipped",
    ]
    if t["flaky"]:
        parts.append(f"{t['flaky']} flaky")
    if t["quarantined"]:
        parts.append(f"{t['quarantined']} quarantined")
    head = f"{files} file{'s' if files != 1 else ''}"
    if bad:
        head += f" ({bad} unreadable)"
    return f"{head}, {', '.join(parts)} in {_fmt_time(t['time'])}"


def _verdict(decision: GateDecision, dry_run: bool) -> str:
    word = {"pass": "PASS", "fail": "FAIL", "error": "ERROR (could not decide)"}[decision.decision]
    return word + (" (dry run: exit 0)" if dry_run and not decision.passed else "")


def console_text(
    report: Report, decision: GateDecision, ctx: RenderContext, limit: int = 20
) -> str:
    """What a person reads in the job log: totals, failures, reasons, the decision."""
    lines = [f"testgate report: {totals_line(report, decision)}"]
    excused = decision.quarantined_ids
    if report.failures:
        lines.append("failures:")
        for f in report.failures[:limit]:
            tag = " [quarantined]" if f.id in excused else ""
            msg = f.message.splitlines()[0] if f.message else ""
            lines.append(
                f"  {f.outcome.upper():<6} {f.id}{tag}" + (f": {msg[:200]}" if msg else "")
            )
        if len(report.failures) > limit:
            lines.append(f"  ... and {len(report.failures) - limit} more")
    if report.flaky:
        lines.append(f"flaky: {', '.join(f.id for f in report.flaky[:limit])}")
    for f in report.file_errors:
        where = f"{f.path}:{f.line}" if f.line else f.path
        lines.append(f"unreadable: {where}: {f.error}")
    if decision.reasons:
        lines.append("reasons:")
        lines.extend(f"  - {r}" for r in decision.reasons)
    lines.append(f"decision: {_verdict(decision, ctx.dry_run)}")
    return "\n".join(lines)


# -- Markdown ----------------------------------------------------------------
_ICON = {"pass": "✅", "fail": "❌", "error": "⚠️"}


def _md_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )


def _code_block(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _render_md(
    report: Report,
    decision: GateDecision,
    ctx: RenderContext,
    max_items: int | None,
    detail_chars: int,
) -> str:
    t = _totals(report, decision)
    out: list[str] = []
    out.append(f"## {_ICON[decision.decision]} Test report: {_verdict(decision, ctx.dry_run)}")
    out.append("")
    out.append(totals_line(report, decision))
    out.append("")
    out.append("| tests | passed | failed | errors | skipped | flaky | quarantined | time |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    out.append(
        f"| {t['tests']} | {t['passed']} | {t['failed']} | {t['errors']} | {t['skipped']} "
        f"| {t['flaky']} | {t['quarantined']} | {_fmt_time(t['time'])} |"
    )
    cut_notes: list[str] = []

    def limited(items: list, what: str) -> list:
        if max_items is None or len(items) <= max_items:
            return items
        cut_notes.append(f"{what}: showing {max_items} of {len(items)}")
        return items[:max_items]

    if decision.reasons:
        out += ["", "### Why it did not pass", ""]
        out += [f"- {_md_escape(r)}" for r in limited(list(decision.reasons), "reasons")]
    if report.file_errors:
        out += ["", "### Unreadable reports", ""]
        for f in limited(list(report.file_errors), "unreadable reports"):
            where = f"{f.path}:{f.line}" if f.line else f.path
            out.append(f"- `{_md_escape(where)}`: {_md_escape(f.error or '')}")
    if report.failures:
        excused = decision.quarantined_ids
        out += ["", f"### Failures ({len(report.failures)})", ""]
        for f in limited(list(report.failures), "failures"):
            tag = " (quarantined)" if f.id in excused else ""
            loc = (
                f" — `{_md_escape(f.file)}{':' + str(f.line) if f.line else ''}`" if f.file else ""
            )
            summary = f"<b>{f.outcome}</b> {_md_escape(f.id)}{tag}{loc}"
            body = f.message
            if f.details and f.details != f.message:
                body = f"{f.message}\n\n{f.details}" if f.message else f.details
            if detail_chars and body:
                out.append(f"<details><summary>{summary}</summary>")
                out.append("")
                out.append(_code_block(_cut(body, detail_chars)))
                out.append("")
                out.append("</details>")
            else:
                out.append(f"- {summary}")
    if report.suite_errors:
        out += ["", "### Suite-level errors", ""]
        for s in limited(list(report.suite_errors), "suite-level errors"):
            out.append(f"- `{_md_escape(s.report)}`: {_md_escape(s.message)}")
    if decision.baseline is not None:
        b = decision.baseline
        out += ["", "### Compared with the baseline", ""]
        out.append(f"{len(b.new)} new, {len(b.still_failing)} still failing, {len(b.fixed)} fixed")
        for title, ids in (("New", b.new), ("Still failing", b.still_failing), ("Fixed", b.fixed)):
            if ids:
                out += ["", f"**{title}**", ""]
                out += [f"- {_md_escape(i)}" for i in limited(list(ids), f"{title.lower()} tests")]
    if report.flaky:
        out += ["", f"### Flaky ({len(report.flaky)})", ""]
        out += [
            f"- {_md_escape(f.id)} ({f.attempts} attempts)"
            for f in limited(list(report.flaky), "flaky tests")
        ]
    if decision.quarantined:
        out += [
            "",
            "### Quarantined",
            "",
            "| test | owner | reason | expires |",
            "|---|---|---|---|",
        ]
        for q in limited(list(decision.quarantined), "quarantined tests"):
            expires = f"{q.expires} (expired)" if q.expired else q.expires
            out.append(
                f"| {_md_escape(q.id)} | {_md_escape(q.owner)} | {_md_escape(q.reason)} | {expires} |"
            )
    warnings = [*report.warnings, *decision.warnings]
    if warnings:
        out += ["", f"### Warnings ({len(warnings)})", ""]
        out += [f"- {_md_escape(w)}" for w in limited(warnings[:MD_WARNINGS], "warnings")]
        if len(warnings) > MD_WARNINGS:
            out.append(f"- … {len(warnings) - MD_WARNINGS} more in the JSON report")
    if report.slowest:
        out += ["", "### Slowest tests", "", "| test | time |", "|---|---:|"]
        out += [f"| {_md_escape(tid)} | {_fmt_time(tm)} |" for tid, tm in report.slowest]
    if cut_notes:
        where = f" The full report is in `{ctx.full_report}`." if ctx.full_report else ""
        out += ["", f"_Shortened to fit the size limit ({'; '.join(cut_notes)}).{where}_"]
    return "\n".join(out) + "\n"


def render_report_md(
    report: Report, decision: GateDecision, ctx: RenderContext, max_size: int = DEFAULT_MAX_SIZE
) -> str:
    """The Markdown summary, shortened deterministically to at most ``max_size`` UTF-8 bytes.

    Shortening steps, in order, until it fits: cut failure details to 2,000 then 300
    characters, then list fewer items per section (halving), then drop details. The
    result says what was cut and where the full report is.
    """

    def fits(text: str) -> bool:
        return len(text.encode("utf-8")) <= max_size

    text = _render_md(report, decision, ctx, None, 20_000)
    if fits(text):
        return text
    for chars in (2000, 300):
        text = _render_md(report, decision, ctx, None, chars)
        if fits(text):
            return text
    longest = max(
        len(report.failures),
        len(report.flaky),
        len(decision.quarantined),
        len(report.file_errors),
        len(report.suite_errors),
        len(decision.reasons),
        *(
            (
                len(decision.baseline.new),
                len(decision.baseline.still_failing),
                len(decision.baseline.fixed),
            )
            if decision.baseline
            else ()
        ),
    )
    items = max(longest // 2, 1)
    while True:
        for chars in (300, 0):
            text = _render_md(report, decision, ctx, items, chars)
            if fits(text):
                return text
        if items == 1:
            break
        items = max(items // 2, 1)
    # Still too big (a tiny limit): the headline and where to look.
    where = f" Full report: `{ctx.full_report}`." if ctx.full_report else ""
    head = (
        f"## {_ICON[decision.decision]} Test report: {_verdict(decision, ctx.dry_run)}\n\n"
        f"{totals_line(report, decision)}\n\n_Summary too large for {max_size} bytes.{where}_\n"
    )
    return head.encode("utf-8")[:max_size].decode("utf-8", "ignore")
