"""``testgate report``: JUnit XML in, one summary and one pass/fail decision out."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from testgate import __version__, files
from testgate.commands._common import make_parser, run
from testgate.config import parse_bool, resolve
from testgate.errors import ConfigError, ExitCode
from testgate.gate import decide_gate, load_baseline
from testgate.junit import FORMATS, expand_paths, parse_reports, read_test_entries, write_junit
from testgate.model import FileResult, GateDecision, Report
from testgate.platforms import Platform
from testgate.policy import load_policy
from testgate.render import (
    DEFAULT_MAX_SIZE,
    RenderContext,
    console_text,
    iter_json,
    render_report_md,
    report_json,
)

HELP = "merge test reports (JUnit XML and 8 more formats) and decide pass/fail under a gate policy"

EXAMPLES = """\
  testgate report reports/*.xml
  testgate report 'build/**/TEST-*.xml' --policy gate.toml --json reports/report.json
  testgate report reports/ --markdown summary.md --max-size 65000   # fits a PR comment
  testgate report reports/ --baseline main-report.json              # fail only on new failures
  TESTGATE_REPORT_PATHS='shard-*/junit.xml' testgate report --dry-run
  testgate report TestResults/*.trx go-test.json --ctrf reports/ctrf.json   # any mix of formats
  testgate report results/ --format nunit                           # every *.xml below as NUnit
"""

ANNOTATION_LIMIT = 10
"""GitHub shows at most 10 error annotations per step; the decision takes the last one."""
PROGRESS_MIN_FILES = 10
PROGRESS_EVERY_SECONDS = 2.0
WARNINGS_SHOWN = 10  # GitHub also shows at most 10 warning annotations per step


def build_parser() -> argparse.ArgumentParser:
    """The ``testgate report`` argument parser."""
    parser = make_parser(
        "report",
        "Read test reports (files, directories, globs), merge them, and make one gate "
        "decision: a summary on the console and in the CI job, optional JSON/Markdown/JUnit/"
        "CTRF outputs. Each file's format is detected from its content: JUnit XML, NUnit 2/3, "
        "xUnit.net v1-v3, MSTest TRX, CTRF, Mocha JSON, RSpec JSON, Dart/Flutter JSON, "
        "go test -json. Zero tests, a missing or malformed file is never a pass.",
        EXAMPLES,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="report files, directories (every *.xml and *.trx below) or globs "
        "(env TESTGATE_REPORT_PATHS, space-separated)",
    )
    parser.add_argument(
        "--format",
        choices=list(FORMATS),
        help="read every file as this format instead of detecting each one's (env TESTGATE_REPORT_FORMAT)",
    )
    parser.add_argument("--policy", metavar="FILE", help="gate policy TOML (env TESTGATE_POLICY)")
    parser.add_argument("--json", metavar="FILE", help="write the report JSON (env TESTGATE_JSON)")
    parser.add_argument(
        "--json-tests",
        action="store_const",
        const=True,
        default=None,
        help="include one entry per test case in the JSON (env TESTGATE_JSON_TESTS)",
    )
    parser.add_argument(
        "--markdown", metavar="FILE", help="write the Markdown summary (env TESTGATE_MARKDOWN)"
    )
    parser.add_argument(
        "--max-size",
        metavar="BYTES",
        help=f"size limit of the Markdown summary (default {DEFAULT_MAX_SIZE}, just under "
        "GitHub's 1 MiB; 65000 for a PR comment; env TESTGATE_MAX_SIZE)",
    )
    parser.add_argument(
        "--junit-out",
        metavar="FILE",
        help="write the merged report as JUnit XML (env TESTGATE_JUNIT_OUT)",
    )
    parser.add_argument(
        "--ctrf",
        metavar="FILE",
        help="write the merged run as CTRF JSON (env TESTGATE_CTRF)",
    )
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        help="report JSON of an earlier run: fail only on new failures (env TESTGATE_BASELINE)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_const",
        const=True,
        default=None,
        help="report the decision but exit 0 on a failed gate (env TESTGATE_DRY_RUN)",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="write a self-contained HTML page of this run (env TESTGATE_HTML)",
    )
    metrics_group = parser.add_argument_group(
        "metrics",
        "export the totals as Prometheus metrics, like testgate monitor (pass rate over time)",
    )
    metrics_group.add_argument(
        "--metrics-file",
        metavar="FILE",
        help="write an OpenMetrics text file (env TESTGATE_METRICS_FILE)",
    )
    metrics_group.add_argument(
        "--pushgateway-url",
        metavar="URL",
        help="push to a Prometheus Pushgateway (env TESTGATE_PUSHGATEWAY_URL)",
    )
    metrics_group.add_argument(
        "--service",
        metavar="NAME",
        help="the service label (env TESTGATE_SERVICE; default testgate.toml's provider, else 'testgate')",
    )
    return parser


def _progress(platform: Platform, count: int):
    if count < PROGRESS_MIN_FILES:
        return None
    state = {"last": time.monotonic(), "tests": 0}

    def report(index: int, total: int, result: FileResult) -> None:
        state["tests"] += result.tests
        now = time.monotonic()
        if index == total or now - state["last"] >= PROGRESS_EVERY_SECONDS or index == 1:
            state["last"] = now
            platform.info(f"[{index}/{total}] files read, {state['tests']} tests so far")

    return report


def _annotate(platform: Platform, report: Report, decision: GateDecision, verdict: str) -> None:
    excused = decision.quarantined_ids
    failing = [f for f in report.failures if f.id not in excused]
    room = ANNOTATION_LIMIT - 1  # the last one is the decision itself
    for f in failing[:room]:
        msg = f"{f.outcome}: {f.id}" + (f": {f.message}" if f.message else "")
        platform.error(msg[:2000], file=f.file, line=f.line)
    more = len(failing) - room
    extra = f" ({more} more failures in the summary)" if more > 0 else ""
    platform.error(f"{verdict}: {'; '.join(decision.reasons)[:2000]}{extra}")


def _export(
    args: argparse.Namespace, platform: Platform, env: dict[str, str], make_doc: Callable[[], dict]
) -> None:
    """The optional HTML page and metrics of this run; a failed push warns, never decides.

    ``make_doc`` builds the report document, only when one of them is asked for.
    """
    html_file = resolve(args.html, env, "TESTGATE_HTML")
    metrics_file = resolve(args.metrics_file, env, "TESTGATE_METRICS_FILE")
    gateway = resolve(args.pushgateway_url, env, "TESTGATE_PUSHGATEWAY_URL")
    if not (html_file or metrics_file or gateway):
        return
    doc = make_doc()
    if html_file:
        from testgate.render.html import render_html

        files.write_text(Path(html_file), render_html(doc), what="HTML page")
    if not (metrics_file or gateway):
        return
    from testgate import metrics
    from testgate.commands._common import project

    if gateway:
        metrics.check_gateway_url(gateway)
        if metrics.redact_url(gateway) != gateway:
            platform.mask(gateway)  # it carries user:password@
    service = resolve(
        args.service, env, "TESTGATE_SERVICE", project(env).get("provider", "name"), "testgate"
    )
    export = metrics.export_report_json(
        doc,
        environment=env.get("TESTGATE_ENV") or "ci",
        service=service,
        textfile=Path(metrics_file) if metrics_file else None,
        pushgateway_url=gateway,
    )
    if export.push_error:
        platform.warning(export.push_error)


def _body(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    patterns = list(args.paths) or (resolve(None, env, "TESTGATE_REPORT_PATHS") or "").split()
    if not patterns:
        raise ConfigError(
            "no report paths given",
            hint="pass files, directories or globs (testgate report reports/*.xml) or set "
            "TESTGATE_REPORT_PATHS",
        )
    policy_file = resolve(args.policy, env, "TESTGATE_POLICY")
    json_file = resolve(args.json, env, "TESTGATE_JSON")
    md_file = resolve(args.markdown, env, "TESTGATE_MARKDOWN")
    junit_out = resolve(args.junit_out, env, "TESTGATE_JUNIT_OUT")
    ctrf_file = resolve(args.ctrf, env, "TESTGATE_CTRF")
    report_format = resolve(args.format, env, "TESTGATE_REPORT_FORMAT")
    if report_format and report_format not in FORMATS:
        raise ConfigError(
            f"format must be one of {', '.join(FORMATS)}, not {report_format!r}",
            hint="--format nunit (env TESTGATE_REPORT_FORMAT), or leave it unset to detect each file's",
        )
    baseline_file = resolve(args.baseline, env, "TESTGATE_BASELINE")
    dry_run = parse_bool(resolve(args.dry_run, env, "TESTGATE_DRY_RUN", False), "dry-run")
    json_tests = parse_bool(
        resolve(args.json_tests, env, "TESTGATE_JSON_TESTS", False), "json-tests"
    )
    raw_size = resolve(args.max_size, env, "TESTGATE_MAX_SIZE", DEFAULT_MAX_SIZE)
    try:
        max_size = int(raw_size)
        if max_size < 200:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"max-size must be a number of bytes >= 200, not {raw_size!r}",
            hint="--max-size 65000 (env TESTGATE_MAX_SIZE)",
        ) from None

    policy = load_policy(Path(policy_file) if policy_file else None)
    baseline = load_baseline(Path(baseline_file)) if baseline_file else None
    inputs = expand_paths(patterns, format=report_format)
    keep_tests = bool(junit_out) or bool(ctrf_file) or (json_tests and bool(json_file))
    report = parse_reports(
        inputs,
        keep_tests=keep_tests,
        progress=_progress(platform, len(inputs)),
        format=report_format,
    )
    try:
        today = dt.datetime.now(dt.UTC).date()
        decision = decide_gate(report, policy, today=today, baseline=baseline)
        ctx = RenderContext(
            version=__version__,
            generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            dry_run=dry_run,
            full_report=json_file,
        )
        warnings = [*report.warnings, *decision.warnings]
        shown = warnings if len(warnings) <= WARNINGS_SHOWN else warnings[: WARNINGS_SHOWN - 1]
        for warning in shown:
            platform.warning(warning)
        if len(warnings) > len(shown):
            platform.warning(
                f"{len(warnings) - len(shown)} more warnings (see the summary or JSON)"
            )
        platform.info(console_text(report, decision, ctx))

        if json_file:
            tests = read_test_entries(report) if json_tests else None
            files.write_text(
                Path(json_file),
                iter_json(report_json(report, decision, ctx, tests)),
                what="JSON report",
            )
        if junit_out:
            write_junit(report, Path(junit_out))
        if ctrf_file:
            from testgate.ctrf import iter_ctrf

            stamp = dt.datetime.now(dt.UTC)
            files.write_text(
                Path(ctrf_file),
                iter_ctrf(report, version=__version__, generated_at=stamp),
                what="CTRF report",
            )
        markdown = render_report_md(report, decision, ctx, max_size=max_size)
        if md_file:
            files.write_text(Path(md_file), markdown, what="Markdown summary")
        platform.summary(markdown)
        _export(args, platform, env, lambda: report_json(report, decision, ctx, None))
        totals = report.totals
        platform.output("decision", decision.decision)
        platform.output("tests", str(totals.tests))
        platform.output("failed", str(totals.failed + totals.errors))
        platform.output("passed", str(totals.passed))
        platform.output("errors", str(totals.errors))
        platform.output("skipped", str(totals.skipped))
        platform.output("flaky", str(totals.flaky))
    finally:
        if report.tests_file is not None:
            report.tests_file.unlink(missing_ok=True)

    if decision.decision == "error":
        _annotate(platform, report, decision, "could not decide")
        return ExitCode.UNDECIDED
    if decision.decision == "fail":
        _annotate(platform, report, decision, "gate failed" + (" (dry run)" if dry_run else ""))
        return ExitCode.OK if dry_run else ExitCode.GATE_FAILED
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate report``; returns the exit code (0 pass, 1 fail, 2 usage, 3 undecided)."""
    return run(build_parser(), argv, environ, _body)


if __name__ == "__main__":
    sys.exit(main())
