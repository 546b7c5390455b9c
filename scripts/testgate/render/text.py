"""Plain-text pieces every renderer shares: sparklines, durations, and which URLs may be links."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], lo: float | None = None, hi: float | None = None) -> str:
    """Unicode block sparkline of ``values`` (GitHub and GitLab render it as text)."""
    vals = [float(v) for v in values]
    if not vals:
        return ""
    lo = min(vals) if lo is None else lo
    hi = max(vals) if hi is None else hi
    if hi - lo <= 1e-12:
        return SPARKS[-1 if hi > 0 else 0] * len(vals)
    top = len(SPARKS) - 1
    return "".join(SPARKS[max(0, min(top, round((v - lo) / (hi - lo) * top)))] for v in vals)


def fmt_seconds(s: float) -> str:
    """Seconds for people: ``0.42 s``, ``12.3 s``, ``2.5 min``, ``1.2 h``."""
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 60:
        return f"{s / 60:.1f} min"
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def http_url(value: object) -> str:
    """``value`` when it may become a link: an absolute http(s) URL with a host, else "".

    The one check every renderer (Markdown, HTML, chat alerts) makes before it
    writes a link: ``javascript:``, ``data:``, relative or malformed URLs, and
    URLs with spaces, quotes, angle brackets or control characters stay text.
    """
    url = "" if value is None else str(value)
    if not url or any(c.isspace() or not c.isprintable() or c in "<>\"'`" for c in url):
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    return url
