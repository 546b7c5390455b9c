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

from testgate import files
from testgate import history as hist
from testgate.commands._common import make_parser, reports_dir, run
from testgate.config import resolve
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform
from testgate.platforms.context import ci_context
from testgate.render.html import render_html
from testgate.render.markdown import render_trend_md
from testgate.render.svg import render_trend_svg

HELP = "record runs in a history file; trends, flaky tests and an HTML page"

EXAMPLES = """\
  testgate report reports/*.xml --json reports/report.json --json-tests
  testgate history record --history .testgate/history.json      # + trend summary and SVG
  testgate history trend --last 50 --max-flips 3
  testgate history html --out reports/testgate.html
"""

DEFAULT_HISTORY = "testgate-history.json"
ACTIONS = ("record", "trend", "html")


def build_parser() -> argparse.ArgumentParser:
    """The ``history`` command's options."""
    parser = make_parser(
        "history",
        "Keep the last N runs (totals, each test's outcome and duration) in a history file; "
        "show pass rate, test count and duration over time, flaky tests (passed and failed on "
        "one commit, or more than K flips in N runs) and tests getting slower.",
        EXAMPLES,
    )
    parser.add_argument(
        "action",
        choices=ACTIONS,
        help="record: append this run (then show the trend); trend: show it; html: write the page",
    )
    parser.add_argument(
        "--history",
        metavar="FILE",
        help=f"history file (env TESTGATE_HISTORY_FILE, default {DEFAULT_HISTORY})",
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="report JSON written with --json-tests (env TESTGATE_REPORT_JSON or TESTGATE_JSON, "
        "default REPORTS_DIR/report.json)",
    )
    parser.add_argument(
        "--max-runs",
        metavar="N",
        help=f"runs to keep (env TESTGATE_HISTORY_MAX_RUNS, default {hist.DEFAULT_MAX_RUNS})",
    )
    parser.add_argument(
        "--last",
        metavar="N",
        help="runs shown in the trend and searched for flaky tests "
        f"(env TESTGATE_HISTORY_WINDOW, default {hist.DEFAULT_WINDOW})",
    )
    parser.add_argument(
        "--max-flips",
        metavar="K",
        help="a test flipping more than K times in those runs is flaky "
        f"(env TESTGATE_FLAKY_MAX_FLIPS, default {hist.DEFAULT_MAX_FLIPS})",
    )
    parser.add_argument(
        "--commit", help="commit of this run (default: from CI; env TESTGATE_COMMIT)"
    )
    parser.add_argument(
        "--branch", help="branch of this run (default: from CI; env TESTGATE_BRANCH)"
    )
    parser.add_argument(
        "--pipeline-url",
        metavar="URL",
        help="link to this pipeline run (default: from CI; env TESTGATE_PIPELINE_URL)",
    )
    parser.add_argument(
        "--svg",
        metavar="FILE",
        help="trend chart file (env TESTGATE_TREND_SVG, default REPORTS_DIR/history-trend.svg)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="HTML page of `html` (env TESTGATE_HTML, default REPORTS_DIR/testgate-report.html)",
    )
    parser.add_argument(
        "--no-summary",
        action="store_true",
        help="record only: do not render the trend afterwards",
    )
    return parser


def positive_int(value: object, name: str, var: str) -> int:
    """An integer >= 1 from a flag or variable, or a ConfigError naming both spellings."""
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(
            f"{name} must be a whole number of 1 or more, not {value!r}",
            hint=f"pass --{name} N or set {var}",
        )
    return number


def history_path(flag: str | None, env: Mapping[str, str]) -> Path:
    """The history file from the flag, ``TESTGATE_HISTORY_FILE`` or the default."""
    return Path(resolve(flag, env, "TESTGATE_HISTORY_FILE", DEFAULT_HISTORY))


def trend_from_args(
    args: argparse.Namespace, env: Mapping[str, str], history: hist.History
) -> hist.Trend:
    """The trend with ``--last`` and ``--max-flips`` applied (flag > env > default)."""
    last = positive_int(
        resolve(args.last, env, "TESTGATE_HISTORY_WINDOW", hist.DEFAULT_WINDOW),
        "last",
        "TESTGATE_HISTORY_WINDOW",
    )
    raw_flips = resolve(args.max_flips, env, "TESTGATE_FLAKY_MAX_FLIPS", hist.DEFAULT_MAX_FLIPS)
    try:
        max_flips = int(str(raw_flips))
        if max_flips < 0:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"max-flips must be a whole number of 0 or more, not {raw_flips!r}",
            hint="pass --max-flips K or set TESTGATE_FLAKY_MAX_FLIPS",
        ) from None
    return hist.build_trend(history, last=last, max_flips=max_flips)


def _show_trend(
    args: argparse.Namespace, platform: Platform, env: Mapping[str, str], history: hist.History
) -> hist.Trend:
    trend = trend_from_args(args, env, history)
    svg = Path(
        resolve(args.svg, env, "TESTGATE_TREND_SVG") or reports_dir(env) / "history-trend.svg"
    )
    files.write_text(svg, render_trend_svg(trend), what="trend chart")
    platform.summary(render_trend_md(trend, svg_name=str(svg)))
    if trend.runs:
        platform.output("pass-rate", f"{trend.pass_rates[-1]:.2f}")
    platform.output("flaky-count", str(len(trend.flaky)))
    platform.output("flaky-tests", " ".join(f.id for f in trend.flaky))
    platform.output("trend-svg", str(svg))
    return trend


def _report_path(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[Path, bool]:
    explicit = resolve(args.report, env, "TESTGATE_REPORT_JSON", env.get("TESTGATE_JSON"))
    if explicit:
        return Path(explicit), True
    return reports_dir(env) / "report.json", False


def _body(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    path = history_path(args.history, env)
    if args.action == "record":
        report_file, _ = _report_path(args, env)
        report = hist.load_report(report_file)
        ci = ci_context(env)
        context = hist.RunContext(
            commit=args.commit or ci.commit,
            branch=args.branch or ci.branch,
            pipeline_url=args.pipeline_url or ci.pipeline_url,
        )
        max_runs = positive_int(
            resolve(args.max_runs, env, "TESTGATE_HISTORY_MAX_RUNS", hist.DEFAULT_MAX_RUNS),
            "max-runs",
            "TESTGATE_HISTORY_MAX_RUNS",
        )
        result = hist.record_run(path, report, context, max_runs=max_runs)
        if result.warning:
            platform.warning(result.warning, file=str(path))
        platform.info(
            f"history: recorded run with {len(report.get('tests') or ())} tests in {path} "
            f"({result.runs} runs kept, {result.dropped} dropped, max {max_runs})"
        )
        platform.output("history-runs", str(result.runs))
        if not args.no_summary:
            _show_trend(args, platform, env, result.history or hist.read_history(path))
        return ExitCode.OK

    history = hist.read_history(path)
    if not history.runs and args.action == "trend":
        platform.warning(f"history file {path} has no runs yet", file=str(path))
    if args.action == "trend":
        _show_trend(args, platform, env, history)
        return ExitCode.OK

    # html
    report_file, explicit = _report_path(args, env)
    report = None
    if explicit or report_file.is_file():
        report = hist.load_report(report_file, require_tests=False)
    if report is None and not history.runs:
        raise ConfigError(
            f"nothing to show: no report JSON at {report_file} and no runs in {path}",
            hint="pass --report FILE (from `testgate report --json FILE`) or --history FILE",
        )
    trend = trend_from_args(args, env, history) if history.runs else None
    out = Path(resolve(args.out, env, "TESTGATE_HTML") or reports_dir(env) / "testgate-report.html")
    files.write_text(out, render_html(report, trend), what="HTML page")
    platform.info(f"history: wrote {out}")
    platform.output("html-report", str(out))
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate history``."""
    return run(build_parser(), argv, environ, _body)
