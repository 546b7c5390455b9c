"""The trend chart: one self-contained SVG (no scripts, no external resources)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from testgate.history.model import Trend


def _xml(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _polyline(values: Sequence[float], x0: float, y0: float, w: float, h: float, lo, hi) -> str:
    n = len(values)
    span = (hi - lo) or 1.0
    pts = []
    for i, v in enumerate(values):
        x = x0 + (w * i / (n - 1) if n > 1 else w / 2)
        y = y0 + h - (float(v) - lo) / span * h
        pts.append(f"{x:.1f},{y:.1f}")
    return " ".join(pts)


def render_trend_svg(trend: Trend, width: int = 640) -> str:
    """A self-contained SVG with three small charts: pass rate, tests and duration."""
    panel_h, gap, left, right = 70, 34, 70, 16
    series = [
        ("pass rate (%)", trend.pass_rates, None, 100.0, "#1a7f37", "{:.1f}%"),
        ("tests", [float(c) for c in trend.test_counts], None, None, "#0969da", "{:.0f}"),
        ("duration (s)", trend.durations, None, None, "#bc4c00", "{:.1f} s"),
    ]
    height = len(series) * (panel_h + gap) + 10
    w = width - left - right
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="tg-trend-title" '
        'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">',
        f'<title id="tg-trend-title">testgate results over the last {len(trend.runs)} runs</title>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for k, (label, values, lo, hi, color, fmt) in enumerate(series):
        y0 = 10 + k * (panel_h + gap) + 16
        out.append(f'<g class="panel" data-metric="{_xml(label)}">')
        latest = fmt.format(values[-1]) if values else "no runs"
        out.append(
            f'<text x="{left}" y="{y0 - 5}" fill="#24292f" font-weight="600">'
            f"{_xml(label)}: {_xml(latest)}</text>"
        )
        out.append(
            f'<rect x="{left}" y="{y0}" width="{w}" height="{panel_h}" fill="#f6f8fa" '
            'stroke="#d0d7de"/>'
        )
        if values:
            vlo = min(values) if lo is None else lo
            vhi = max(values) if hi is None else hi
            if vhi - vlo <= 1e-12:
                vlo, vhi = vlo - 1, vhi + 1
            out.append(
                f'<text x="{left - 6}" y="{y0 + 10}" text-anchor="end" fill="#57606a">'
                f"{_xml(fmt.format(vhi))}</text>"
            )
            out.append(
                f'<text x="{left - 6}" y="{y0 + panel_h}" text-anchor="end" fill="#57606a">'
                f"{_xml(fmt.format(vlo))}</text>"
            )
            out.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                f'points="{_polyline(values, left, y0, w, panel_h, vlo, vhi)}"/>'
            )
        out.append("</g>")
    if trend.runs:
        out.append(
            f'<text x="{left}" y="{height - 4}" fill="#57606a">run #{trend.runs[0].seq}</text>'
        )
        out.append(
            f'<text x="{width - right}" y="{height - 4}" text-anchor="end" fill="#57606a">'
            f"run #{trend.runs[-1].seq}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
