"""One self-contained HTML page for a run and its history (no CDN, no scripts, no network).

It shows the totals, failures with their messages, flaky and quarantined tests,
the slowest tests and the trend chart (inline SVG). Inline CSS with a fluid
grid keeps it readable on a phone and on a wide screen. ``testgate report --html``
calls :func:`render_html` with the report alone. Every value is HTML-escaped, and
only an http(s) URL becomes a link.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from testgate.render.svg import render_trend_svg
from testgate.render.text import http_url, sparkline

if TYPE_CHECKING:  # pragma: no cover
    from testgate.history.model import Trend

_CSS = """
:root { color-scheme: light; --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --mute:#57606a;
        --line:#d0d7de; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #24292f; background: #fff; }
main { max-width: 1200px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; } h2 { font-size: 1.15rem; margin: 28px 0 8px; }
.meta { color: var(--mute); margin: 0 0 12px; overflow-wrap: anywhere; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff;
           font-weight: 700; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--bad); }
.verdict.unknown { background: var(--mute); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px; background: var(--bg); }
.card b { display: block; font-size: 1.4rem; } .card span { color: var(--mute); }
.card.bad b { color: var(--bad); } .card.ok b { color: var(--ok); } .card.warn b { color: var(--warn); }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; min-width: 320px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { background: var(--bg); } td.num, th.num { text-align: right; white-space: nowrap; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); padding: 8px;
      border-radius: 6px; margin: 6px 0 0; max-height: 20em; overflow: auto;
      font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.chart svg { width: 100%; height: auto; max-width: 760px; display: block; }
.spark { font-size: 1.2rem; letter-spacing: 1px; }
.empty { color: var(--mute); }
.expired { color: var(--bad); font-weight: 600; }
@media (max-width: 600px) {
  main { padding: 10px; } h1 { font-size: 1.25rem; }
  th, td { padding: 5px 4px; font-size: 14px; }
}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any, digits: int = 0) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _e(value)
    return f"{v:.{digits}f}" if digits else f"{round(v):d}"


def _table(testid: str, headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    if not rows:
        return f'<p class="empty" data-testid="{testid}">{_e(empty)}</p>'
    head = "".join(
        f'<th class="num">{_e(h[1:])}</th>' if h.startswith("#") else f"<th>{_e(h)}</th>"
        for h in headers
    )
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    return (
        f'<div class="scroll"><table data-testid="{testid}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _td(value: Any, code: bool = False) -> str:
    return f"<td><code>{_e(value)}</code></td>" if code else f"<td>{_e(value)}</td>"


def _tdn(value: str) -> str:
    return f'<td class="num">{_e(value)}</td>'


def render_html(
    report: Mapping[str, Any] | None,
    trend: Trend | None = None,
    title: str = "testgate report",
    limit: int = 200,
) -> str:
    """Render the page from a report JSON (``testgate-report/1``) and/or a history trend.

    Args:
        report: the current run's report; ``None`` renders the history alone.
        trend: the history's trend (chart, flaky and slower tests); ``None`` leaves
            the trend section out.
        title: the page title.
        limit: at most this many rows per table (the counts stay exact).
    """
    report = report or {}
    totals = report.get("totals") or {}
    decision = str(report.get("decision") or "")
    if not report and trend and trend.runs:
        last = trend.runs[-1]
        decision = last.decision
        totals = {
            "tests": last.tests,
            "passed": last.passed,
            "failed": last.failed,
            "errors": last.errors,
            "skipped": last.skipped,
            "flaky": last.flaky,
            "quarantined": last.quarantined,
            "time": last.duration,
        }
    verdict = decision if decision in ("pass", "fail") else "unknown"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No network at all: nothing external may load even if a message contains markup.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>",
        f'<h1>{_e(title)} <span class="verdict {verdict}" data-testid="decision">'
        f"{_e(verdict.upper())}</span></h1>",
    ]
    meta = []
    if report.get("generated_at"):
        meta.append(f"generated {_e(report['generated_at'])}")
    if trend and trend.runs:
        last = trend.runs[-1]
        if last.commit:
            meta.append(f"commit <code>{_e(last.commit[:12])}</code>")
        if last.branch:
            meta.append(f"branch {_e(last.branch)}")
        if http_url(last.pipeline_url):  # only http(s) becomes a link: never javascript:
            meta.append(f'<a href="{_e(last.pipeline_url)}">pipeline</a>')
        elif last.pipeline_url:
            meta.append(f"pipeline <code>{_e(last.pipeline_url)}</code>")
    if meta:
        parts.append(f'<p class="meta">{" · ".join(meta)}</p>')
    reasons = [str(r) for r in report.get("reasons") or ()]
    if reasons:
        parts.append(
            '<ul data-testid="reasons">' + "".join(f"<li>{_e(r)}</li>" for r in reasons) + "</ul>"
        )

    # -- totals
    cards = [
        ("tests", totals.get("tests", 0), ""),
        ("passed", totals.get("passed", 0), "ok"),
        ("failed", totals.get("failed", 0), "bad" if totals.get("failed") else ""),
        ("errors", totals.get("errors", 0), "bad" if totals.get("errors") else ""),
        ("skipped", totals.get("skipped", 0), ""),
        ("flaky", totals.get("flaky", 0), "warn" if totals.get("flaky") else ""),
        ("quarantined", totals.get("quarantined", 0), "warn" if totals.get("quarantined") else ""),
    ]
    parts.append('<h2>Totals</h2><div class="cards" data-testid="totals">')
    for name, value, cls in cards:
        parts.append(
            f'<div class="card {cls}" data-testid="total-{name}"><b>{_num(value)}</b>'
            f"<span>{name}</span></div>"
        )
    parts.append(
        f'<div class="card" data-testid="total-time"><b>{_num(totals.get("time", 0.0), 1)} s</b>'
        "<span>time</span></div></div>"
    )

    # -- failures
    failures = list(report.get("failures") or ())
    rows = []
    for f in failures[:limit]:
        where = f.get("file") or ""
        if where and f.get("line"):
            where = f"{where}:{f['line']}"
        message = str(f.get("message") or "")
        rows.append(
            [
                f"<td><code>{_e(f.get('id'))}</code>"
                + (f"<pre>{_e(message)}</pre>" if message else "")
                + "</td>",
                _td(f.get("outcome")),
                _td(where, code=True),
            ]
        )
    parts.append(f"<h2>Failures ({len(failures)})</h2>")
    parts.append(_table("failures", ["test and message", "outcome", "where"], rows, "No failures."))

    # -- flaky: this run's reruns, then what history says
    flaky_rows = []
    seen = set()
    for f in report.get("flaky") or ():
        seen.add(f.get("id"))
        flaky_rows.append(
            [
                _td(f.get("id"), code=True),
                _tdn("–"),
                _tdn(str(f.get("attempts", ""))),
                _td("passed on rerun in this run"),
            ]
        )
    if trend:
        for f in trend.flaky:
            if f.id in seen:
                continue
            flaky_rows.append(
                [
                    _td(f.id, code=True),
                    _tdn(f"{100 * f.flip_rate:.0f}%"),
                    _tdn(f"{f.flips} / {f.runs}"),
                    _td(f.reason),
                ]
            )
    parts.append(f"<h2>Flaky tests ({len(flaky_rows)})</h2>")
    parts.append(
        _table(
            "flaky",
            ["test", "#flip rate", "#flips / runs", "why"],
            flaky_rows[:limit],
            "No flaky tests.",
        )
    )

    # -- quarantined
    q_rows = []
    quarantined = list(report.get("quarantined") or ())
    for q in quarantined[:limit]:
        expired = bool(q.get("expired"))
        expires = _e(q.get("expires"))
        q_rows.append(
            [
                _td(q.get("id"), code=True),
                _td(q.get("owner")),
                _td(q.get("reason")),
                f'<td class="expired">{expires} (expired)</td>'
                if expired
                else f"<td>{expires}</td>",
            ]
        )
    parts.append(f"<h2>Quarantined ({len(quarantined)})</h2>")
    parts.append(
        _table("quarantined", ["test", "owner", "reason", "expires"], q_rows, "None quarantined.")
    )

    # -- slowest
    slowest = list(report.get("slowest") or ())
    s_rows = [[_td(s.get("id"), code=True), _tdn(_num(s.get("time"), 2) + " s")] for s in slowest]
    parts.append(f"<h2>Slowest tests ({len(slowest)})</h2>")
    parts.append(_table("slowest", ["test", "#time"], s_rows[:limit], "No timings."))

    # -- trend
    if trend is not None:
        parts.append(f"<h2>Trend (last {len(trend.runs)} runs)</h2>")
        if trend.runs:
            parts.append(
                '<p data-testid="sparklines">pass rate <span class="spark">'
                f"{_e(sparkline(trend.pass_rates, min(trend.pass_rates), 100.0))}</span> · tests "
                f'<span class="spark">{_e(sparkline(trend.test_counts))}</span> · duration '
                f'<span class="spark">{_e(sparkline(trend.durations))}</span></p>'
            )
            parts.append(
                f'<div class="chart" data-testid="trend-chart">{render_trend_svg(trend)}</div>'
            )
            last = trend.runs[-1]
            parts.append(
                f'<p class="meta" data-testid="trend-latest">pass rate {100 * last.pass_rate:.1f}% · '
                f"{last.tests} tests · {last.duration:.1f} s in run #{last.seq}</p>"
            )
        else:
            parts.append('<p class="empty" data-testid="trend-chart">No runs recorded yet.</p>')
        if trend.slower:
            rows = [
                [_td(s.id, code=True), _tdn(f"{s.before:.2f} s"), _tdn(f"{s.after:.2f} s")]
                for s in trend.slower
            ]
            parts.append(f"<h2>Getting slower ({len(trend.slower)})</h2>")
            parts.append(_table("slower", ["test", "#before", "#now"], rows, ""))
    parts.append("</main></body></html>\n")
    return "\n".join(parts)
