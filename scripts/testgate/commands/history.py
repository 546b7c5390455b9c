"""``testgate history``: record a run, show trends and flaky tests, render the HTML page.

``record`` appends the run in the report JSON (``testgate report --json FILE
--json-tests``) to the history file that travels between CI runs (a cache or an
artifact), then writes the trend to the job summary and an SVG chart.
``trend`` only renders; ``html`` writes one self-contained page.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Settings, in_reports, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate import history as hist
    from testgate.platforms import Platform

HELP = "record runs in a history file; trends, flaky tests and an HTML page"

SPEC = CommandSpec(
    name="history",
    help=HELP,
    description="Keep the last N runs (totals, each test's outcome and duration) in a history "
    "file; show pass rate, test count and duration over time, flaky tests (passed and failed "
    "on one commit, or more than K flips in N runs) and tests getting slower.",
    examples="""\
  testgate report reports/*.xml --json reports/report.json --json-tests
  testgate history record --history .testgate/history.json      # + trend summary and SVG
  testgate history trend --last 50 --max-flips 3
  testgate history html --out reports/testgate.html""",
    actions=("record", "trend", "html"),
    action_help="record: append this run (then show the trend); trend: show it; "
    "html: write the page",
    uses=(
        use("history-file"),
        use("report-json"),
        use("history-max-runs"),
        use("history-window"),
        use("flaky-max-flips"),
        use("commit", help="commit of this run (default: the build's)"),
        use("branch", help="branch of this run (default: the build's)"),
        use("build-url", help="link to this run (default: the build's)"),
        use("trend-svg", default=in_reports("history-trend.svg")),
        use("html", default=in_reports("testgate-report.html"), help="the HTML page of `html`"),
        use("summary", help="record: render the trend afterwards"),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``history`` command's options."""
    return build_spec_parser(SPEC)


def trend_for(cfg: Settings, history: hist.History) -> hist.Trend:
    """The trend over ``history-window`` runs with ``flaky-max-flips`` (shared with quarantine)."""
    from testgate import history as hist

    return hist.build_trend(history, last=cfg.history_window, max_flips=cfg.flaky_max_flips)


def _show_trend(cfg: Settings, platform: Platform, history: hist.History) -> hist.Trend:
    from testgate import files

    trend = trend_for(cfg, history)
    from testgate.render.markdown import render_trend_md
    from testgate.render.svg import render_trend_svg

    svg: Path = cfg.trend_svg
    files.write_text(svg, render_trend_svg(trend), what="trend chart")
    platform.summary(render_trend_md(trend, svg_name=_common.shown_path(cfg, svg)))
    if trend.runs:
        platform.output("pass-rate", f"{trend.pass_rates[-1]:.2f}")
    platform.output("flaky-count", str(len(trend.flaky)))
    platform.output("flaky-tests", " ".join(f.id for f in trend.flaky))
    platform.output("trend-svg", _common.shown_path(cfg, svg))
    return trend


def _report_given(cfg: Settings) -> bool:
    """The report JSON was named (report-json, or the report's own json setting)."""
    return cfg.source("report-json") not in ("default", "unset") or bool(cfg.lookup("json"))


def record(cfg: Settings, platform: Platform) -> int:
    """Append the run in ``report-json`` to ``history-file``; then the trend (``summary``)."""
    from testgate import history as hist

    path: Path = cfg.history_file
    report = hist.load_report(cfg.report_json)
    build = cfg.build
    context = hist.RunContext(
        commit=build.commit or "", branch=build.branch or "", pipeline_url=build.build_url or ""
    )
    max_runs: int = cfg.history_max_runs
    result = hist.record_run(path, report, context, max_runs=max_runs)
    if result.warning:
        platform.warning(result.warning, file=str(path))
    platform.info(
        f"history: recorded run with {len(report.get('tests') or ())} tests in "
        f"{_common.shown_path(cfg, path)} "
        f"({result.runs} runs kept, {result.dropped} dropped, max {max_runs})"
    )
    platform.output("history-runs", str(result.runs))
    if cfg.summary:
        _show_trend(cfg, platform, result.history or hist.read_history(path))
    return ExitCode.OK


def html(cfg: Settings, platform: Platform) -> int:
    """Write the HTML page of the report JSON and the history's trend."""
    from testgate import files
    from testgate import history as hist

    path: Path = cfg.history_file
    history = hist.read_history(path)
    report_file: Path = cfg.report_json
    report = None
    if _report_given(cfg) or report_file.is_file():
        report = hist.load_report(report_file, require_tests=False)
    if report is None and not history.runs:
        raise ConfigError(
            f"nothing to show: no report JSON at {report_file} and no runs in {path}",
            hint="pass --report FILE (from `testgate report --json FILE`) or --history FILE",
        )
    trend = trend_for(cfg, history) if history.runs else None
    from testgate.render.html import render_html

    out: Path = cfg.html
    files.write_text(out, render_html(report, trend), what="HTML page")
    platform.info(f"history: wrote {_common.shown_path(cfg, out)}")
    platform.output("html-report", _common.shown_path(cfg, out))
    return ExitCode.OK


def _run(cfg: Settings, platform: Platform) -> int:
    from testgate import history as hist

    if cfg.action == "record":
        return record(cfg, platform)
    if cfg.action == "html":
        return html(cfg, platform)
    path: Path = cfg.history_file
    history = hist.read_history(path)
    if not history.runs:
        platform.warning(f"history file {path} has no runs yet", file=str(path))
    _show_trend(cfg, platform, history)
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate history``."""
    return _common.execute(SPEC, argv, environ, _run)
