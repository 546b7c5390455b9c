"""The report's renderers: the report JSON, the Markdown summary and the console text.

Nothing here writes files or prints; the ``report`` command does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from testgate.gate import REPORT_SCHEMA
from testgate.model import Failure, FileResult, GateDecision, Quarantined, Report
from testgate.render.markdown import code_block, md_code, md_text

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
    baseline_note: str | None = None
    """Why no baseline applies although one was asked for (``--baseline auto`` found none)."""


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


_ENCODER = json.JSONEncoder(ensure_ascii=False)
_TEST_KEYS = ("id", "suite", "outcome", "time", "flaky")


def iter_json(doc: dict[str, Any]) -> Iterator[str]:
    """Serialise ``doc`` as indented JSON, in chunks.

    Lists are written one element per line and any iterable (the ``tests``
    entries) is consumed lazily, so a report with a million entries never has
    its JSON text in memory at once. A ``tests`` element that is a ``str`` is
    taken as ready JSON text.
    """
    yield "{"
    for index, (key, value) in enumerate(doc.items()):
        yield ("\n" if index == 0 else ",\n") + f"  {json.dumps(key)}: "
        if isinstance(value, dict):
            yield json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        elif isinstance(value, str | int | float | bool) or value is None:
            yield json.dumps(value, ensure_ascii=False)
        else:
            yield "["
            empty = True
            encode = (
                _ENCODER.encode
            )  # one encoder: json.dumps(..., ensure_ascii=False) builds one per call
            for item in value:
                # "tests" may come as ready JSON text (junit.read_test_entries)
                if key != "tests":
                    text = encode(item)
                elif isinstance(item, str):
                    text = item
                else:  # a full record (junit.read_tests): the entry keeps five keys
                    text = encode({k: item[k] for k in _TEST_KEYS})
                yield ("\n    " if empty else ",\n    ") + text
                empty = False
            yield "]" if empty else "\n  ]"
    yield "\n}\n"


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


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters)"


@dataclass(frozen=True)
class _Section:
    """A Markdown section: a fixed header, a list of items (each rendered alone), a footer."""

    header: str
    items: Sequence[Any]
    fmt: Callable[[Any], str]
    what: str = ""
    footer: str = ""
    table: bool = False  # rows follow the header directly (a blank line would end the table)


def _failure_md(failure: Failure, excused: frozenset[str], detail_chars: int) -> str:
    tag = " (quarantined)" if failure.id in excused else ""
    loc = ""
    if failure.file:
        line = f":{failure.line}" if failure.line else ""
        loc = f" — {md_code(failure.file + line, table=False)}"
    summary = f"<b>{failure.outcome}</b> {md_text(failure.id)}{tag}{loc}"
    body = failure.message
    if failure.details and failure.details != failure.message:
        body = f"{failure.message}\n\n{failure.details}" if failure.message else failure.details
    if detail_chars and body:
        block = code_block(_cut(body, detail_chars))
        return f"<details><summary>{summary}</summary>\n\n{block}\n\n</details>"
    return f"- {summary}"


def _head_md(report: Report, decision: GateDecision, ctx: RenderContext) -> str:
    t = _totals(report, decision)
    return (
        f"## {_ICON[decision.decision]} Test report: {_verdict(decision, ctx.dry_run)}\n\n"
        f"{totals_line(report, decision)}\n\n"
        "| tests | passed | failed | errors | skipped | flaky | quarantined | time |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {t['tests']} | {t['passed']} | {t['failed']} | {t['errors']} | {t['skipped']} "
        f"| {t['flaky']} | {t['quarantined']} | {_fmt_time(t['time'])} |"
    ) + (
        f"\n\n**No baseline:** {md_text(ctx.baseline_note)}"
        if ctx.baseline_note and decision.baseline is None
        else ""
    )


def _sections(report: Report, decision: GateDecision, detail_chars: int) -> list[_Section]:
    excused = decision.quarantined_ids
    out: list[_Section] = []
    if decision.reasons:
        out.append(
            _Section(
                "### Why it did not pass",
                decision.reasons,
                lambda r: f"- {md_text(r)}",
                "reasons",
            )
        )
    if report.file_errors:

        def bad_file(f: FileResult) -> str:
            where = f"{f.path}:{f.line}" if f.line else f.path
            return f"- {md_code(where, table=False)}: {md_text(f.error or '')}"

        out.append(
            _Section("### Unreadable reports", report.file_errors, bad_file, "unreadable reports")
        )
    if report.failures:
        out.append(
            _Section(
                f"### Failures ({len(report.failures)})",
                report.failures,
                lambda f: _failure_md(f, excused, detail_chars),
                "failures",
            )
        )
    if report.suite_errors:
        out.append(
            _Section(
                "### Suite-level errors",
                report.suite_errors,
                lambda e: f"- {md_code(e.report, table=False)}: {md_text(e.message)}",
                "suite-level errors",
            )
        )
    b = decision.baseline
    if b is not None:
        source = f" ({md_text(b.source)})" if b.source else ""
        out.append(
            _Section(
                f"### Compared with the baseline{source}\n\n"
                f"{len(b.new)} new, {len(b.still_failing)} still failing, {len(b.fixed)} fixed",
                (),
                str,
            )
        )
        for title, ids in (("New", b.new), ("Still failing", b.still_failing), ("Fixed", b.fixed)):
            if ids:
                out.append(
                    _Section(
                        f"**{title}**",
                        ids,
                        lambda i: f"- {md_text(i)}",
                        f"{title.lower()} tests",
                    )
                )
    if report.flaky:
        out.append(
            _Section(
                f"### Flaky ({len(report.flaky)})",
                report.flaky,
                lambda f: f"- {md_text(f.id)} ({f.attempts} attempts)",
                "flaky tests",
            )
        )
    if decision.quarantined:

        def quarantined(q: Quarantined) -> str:
            expires = f"{q.expires} (expired)" if q.expired else q.expires
            return f"| {md_text(q.id)} | {md_text(q.owner)} | {md_text(q.reason)} | {expires} |"

        out.append(
            _Section(
                "### Quarantined\n\n| test | owner | reason | expires |\n|---|---|---|---|",
                decision.quarantined,
                quarantined,
                "quarantined tests",
                table=True,
            )
        )
    warnings = [*report.warnings, *decision.warnings]
    if warnings:
        more = len(warnings) - MD_WARNINGS
        out.append(
            _Section(
                f"### Warnings ({len(warnings)})",
                warnings[:MD_WARNINGS],
                lambda w: f"- {md_text(w)}",
                "warnings",
                f"- … {more} more in the JSON report" if more > 0 else "",
            )
        )
    if report.slowest:
        out.append(
            _Section(
                "### Slowest tests\n\n| test | time |\n|---|---:|",
                report.slowest,
                lambda s: f"| {md_text(s[0])} | {_fmt_time(s[1])} |",
                "slowest tests",
                table=True,
            )
        )
    return out


def _cut_note(sections: list[_Section], cap: int | None, ctx: RenderContext) -> str:
    notes = [
        f"{s.what}: showing {cap} of {len(s.items)}"
        for s in sections
        if cap is not None and len(s.items) > cap
    ]
    if not notes:
        return ""
    where = (
        f" The full report is in {md_code(ctx.full_report, table=False)}."
        if ctx.full_report
        else ""
    )
    return f"\n\n_Shortened to fit the size limit ({'; '.join(notes)}).{where}_"


def _compose(head: str, sections: list[_Section], cap: int | None, ctx: RenderContext) -> str:
    parts = [head]
    for s in sections:
        items = s.items if cap is None else s.items[:cap]
        gap = [""] if items and not s.table else []
        block = "\n".join([s.header, *gap, *map(s.fmt, items)])
        if s.footer:
            block += "\n" + s.footer
        parts.append(block)
    return "\n\n".join(parts) + _cut_note(sections, cap, ctx) + "\n"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _measure(head: str, sections: list[_Section], ctx: RenderContext, limit: int):
    """A function giving the exact byte size of ``_compose(..., cap)`` without building it.

    Items are measured only until a section alone passes ``limit``: for a cap beyond
    that the function answers ``limit + 1`` (too big) without rendering the rest.
    """
    fixed = _size(head) + 1  # the final newline
    per_section = []
    for s in sections:
        sizes = [0]
        for item in s.items:  # prefix sums of "\n" + item
            sizes.append(sizes[-1] + 1 + _size(s.fmt(item)))
            if sizes[-1] > limit:
                break
        footer = 1 + _size(s.footer) if s.footer else 0
        per_section.append((2 + _size(s.header) + footer, sizes))

    def size(cap: int | None) -> int:
        total = fixed
        for (base, sizes), s in zip(per_section, sections, strict=True):
            n = len(s.items) if cap is None else min(cap, len(s.items))
            if n >= len(sizes):
                return limit + 1
            total += base + sizes[n] + (1 if n and not s.table else 0)  # blank line after header
        return total + _size(_cut_note(sections, cap, ctx))

    return size


def render_report_md(
    report: Report, decision: GateDecision, ctx: RenderContext, max_size: int = DEFAULT_MAX_SIZE
) -> str:
    """The Markdown summary, shortened deterministically to at most ``max_size`` UTF-8 bytes.

    Shortening steps, in order, until it fits: cut failure details to 2,000 then
    300 characters; then list at most N items per section (the largest N that
    fits, with 300 and then 0 detail characters). The result says what was cut and
    where the full report is. Sizes are measured item by item, so a report with
    many thousands of failures never renders more than the final text.
    """
    head = _head_md(report, decision, ctx)
    # Sizes grow with the detail kept: when even 300 characters do not fit, neither do more.
    if _measure(head, _sections(report, decision, 300), ctx, max_size)(None) <= max_size:
        for chars in (20_000, 2000, 300):
            sections = _sections(report, decision, chars)
            if _measure(head, sections, ctx, max_size)(None) <= max_size:
                return _compose(head, sections, None, ctx)
    longest = max(len(s.items) for s in _sections(report, decision, 0))
    for chars in (300, 0):
        sections = _sections(report, decision, chars)
        size = _measure(head, sections, ctx, max_size)
        if size(0) > max_size:
            continue
        low, high = 0, longest  # largest cap that fits: size(cap) grows with cap
        while low < high:
            mid = (low + high + 1) // 2
            if size(mid) <= max_size:
                low = mid
            else:
                high = mid - 1
        if chars == 0 or low > 0:
            return _compose(head, sections, low, ctx)
    # Still too big (a tiny limit): the headline and where to look.
    where = f" Full report: {md_code(ctx.full_report, table=False)}." if ctx.full_report else ""
    text = (
        f"## {_ICON[decision.decision]} Test report: {_verdict(decision, ctx.dry_run)}\n\n"
        f"{totals_line(report, decision)}\n\n_Summary too large for {max_size} bytes.{where}_\n"
    )
    return text.encode("utf-8")[:max_size].decode("utf-8", "ignore")
