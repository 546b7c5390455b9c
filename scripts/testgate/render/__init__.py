"""Pure renderers: nothing here writes files, prints or reads the environment.

- :mod:`~testgate.render.report`: the report JSON, console text and Markdown summary
  (re-exported here, so ``from testgate.render import render_report_md`` works);
- :mod:`~testgate.render.markdown`: the one Markdown escaper and the smaller
  Markdown renderers (history trend, monitor run, quarantine entries);
- :mod:`~testgate.render.svg`: the trend chart;
- :mod:`~testgate.render.html`: the self-contained HTML page;
- :mod:`~testgate.render.text`: sparklines, durations, and which URLs may become links.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from testgate.render.report import (
        DEFAULT_MAX_SIZE,
        MD_WARNINGS,
        PR_COMMENT_MAX_SIZE,
        RenderContext,
        console_text,
        iter_json,
        render_report_md,
        report_json,
        totals_line,
    )

__all__ = [
    "DEFAULT_MAX_SIZE",
    "MD_WARNINGS",
    "PR_COMMENT_MAX_SIZE",
    "RenderContext",
    "console_text",
    "iter_json",
    "render_report_md",
    "report_json",
    "totals_line",
]


def __getattr__(name: str) -> Any:
    # Lazy (PEP 562): importing testgate.render.markdown from broker.py or the
    # history command must not load the report model and the gate.
    if name in __all__:
        return getattr(import_module("testgate.render.report"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
