"""``testgate report``: test reports in (JUnit XML and 8 more formats), one summary and one
pass/fail decision out."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from testgate import __version__
from testgate.commands import _common
from testgate.errors import ExitCode
from testgate.settings import CommandSpec, Settings, setting, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.model import GateDecision, Report
    from testgate.platforms import Platform

HELP = "merge test reports (JUnit XML and 8 more formats) and decide pass/fail under a gate policy"

EXAMPLES = """\
  testgate report reports/*.xml
  testgate report 'build/**/TEST-*.xml' --policy gate.toml --json reports/report.json
  testgate report reports/ --markdown summary.md --max-size 65000   # fits a PR comment
  testgate report reports/ --baseline main-report.json              # fail only on new failures
  {paths}='shard-*/junit.xml' testgate report --dry-run
  testgate report TestResults/*.trx go-test.json --ctrf reports/ctrf.json   # any mix of formats
  testgate report results/ --format nunit                           # every *.xml below as NUnit
""".format(paths=setting("report-paths").env)

SPEC = CommandSpec(
    name="report",
    help=HELP,
    description="Read test reports (files, directories, globs), merge them, and make one gate "
    "decision: a summary on the console and in the CI job, optional JSON/Markdown/JUnit/"
    "CTRF outputs. Each file's format is detected from its content: JUnit XML, NUnit 2/3, "
    "xUnit.net v1-v3, MSTest TRX, CTRF, Mocha JSON, RSpec JSON, Dart/Flutter JSON, "
    "go test -json. Zero tests, a missing or malformed file is never a pass.",
    examples=EXAMPLES,
    uses=(
        use("report-paths", required=True, positional=True),
        use("report-format"),
        use("policy"),
        use("json"),
        use("json-tests"),
        use("markdown"),
        use("max-size"),
        use("junit-out"),
        use("ctrf"),
        use("baseline"),
        use("history-file"),
        use("dry-run"),
        use("html"),
        use("metrics-file"),
        use("pushgateway-url"),
        use("service"),
        use("env", default="ci", help="environment label of the metrics"),
    ),
    groups={
        "metrics": "export the totals as Prometheus metrics, like testgate monitor "
        "(pass rate over time)"
    },
)

ANNOTATION_LIMIT = 10
"""GitHub shows at most 10 error annotations per step; the decision takes the last one."""
PROGRESS_MIN_FILES = 10
PROGRESS_EVERY_SECONDS = 2.0
WARNINGS_SHOWN = 10  # GitHub also shows at most 10 warning annotations per step


def build_parser() -> argparse.ArgumentParser:
    """The ``testgate report`` argument parser."""
    return build_spec_parser(SPEC)


def _progress(platform: Platform, count: int):
    from testgate.model import FileResult

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
    if decision.baseline is not None:  # only new failures fail the gate: only they are errors
        new = set(decision.baseline.new)
        failing = [f for f in failing if f.id in new]
    room = ANNOTATION_LIMIT - 1  # the last one is the decision itself
    for f in failing[:room]:
        msg = f"{f.outcome}: {f.id}" + (f": {f.message}" if f.message else "")
        platform.error(msg[:2000], file=f.file, line=f.line)
    more = len(failing) - room
    extra = f" ({more} more failures in the summary)" if more > 0 else ""
    platform.error(f"{verdict}: {'; '.join(decision.reasons)[:2000]}{extra}")


def _export(cfg: Settings, platform: Platform, make_doc: Callable[[], dict]) -> None:
    """The optional HTML page and metrics of this run; a failed push warns, never decides.

    ``make_doc`` builds the report document, only when one of them is asked for.
    """
    from testgate import files

    html_file: Path | None = cfg.html
    metrics_file: Path | None = cfg.metrics_file
    gateway: str | None = cfg.pushgateway_url
    if not (html_file or metrics_file or gateway):
        return
    doc = make_doc()
    if html_file:
        from testgate.render.html import render_html

        files.write_text(html_file, render_html(doc), what="HTML page")
    if not (metrics_file or gateway):
        return
    from testgate import metrics

    if gateway:
        metrics.check_gateway_url(gateway)
        if metrics.redact_url(gateway) != gateway:
            platform.mask(gateway)  # it carries user:password@
    export = metrics.export_report_json(
        doc,
        environment=cfg.env,
        service=cfg.service,
        textfile=metrics_file,
        pushgateway_url=gateway,
    )
    if export.push_error:
        platform.warning(export.push_error)


def _inputs(patterns: Sequence[str], junit_out: Path | None, report_format: str | None) -> list:
    """The input files; the merged JUnit this run writes is never one of them (a folder of
    reports that already holds the last run's merged.xml would count every test twice)."""
    from testgate.junit import expand_paths

    inputs = expand_paths(patterns, format=report_format)
    if junit_out is None:
        return inputs
    own = junit_out.resolve()
    kept = [i for i in inputs if i.path is None or i.path.resolve() != own]
    return kept if kept else inputs  # only that file: read it, as asked


def _baseline(cfg: Settings, platform: Platform) -> tuple[frozenset[str] | None, str, str | None]:
    """The failing tests to compare with: ``(ids or None, where they come from, why none)``.

    ``auto`` takes the newest run of the default branch from the history (before this run is
    recorded). On the default branch itself, or with no such run, the full gate applies, and
    the summary says why.
    """
    from testgate.gate import load_baseline

    value = (cfg.baseline or "").strip()
    if not value:
        return None, "", None
    if value != "auto":
        path = cfg.project.path(value)
        return load_baseline(path), _common.shown_path(cfg, path), None
    from testgate import history as hist

    default = cfg.build.default_branch or "main"
    if cfg.build.branch == default:
        note = (
            f"baseline auto: this build is of the default branch {default}: the full gate applies"
        )
        platform.info(note)
        return None, "", note
    history_file: Path = cfg.history_file
    found = None
    if history_file.is_file():
        found = hist.baseline_of_branch(hist.read_history(history_file), default)
    if found is None:
        where = _common.shown_path(cfg, history_file)
        note = f"baseline auto: no run of {default} in the history ({where}): the full gate applies"
        platform.info(note)
        return None, "", note
    platform.info(
        f"baseline: {found.describe()}, {len(found.failing)} failing there; "
        "only new failures fail the gate"
    )
    return found.failing, found.describe(), None


def _run(cfg: Settings, platform: Platform) -> int:
    import datetime as dt

    from testgate import files
    from testgate.gate import decide_gate
    from testgate.junit import parse_reports, read_test_entries, write_junit
    from testgate.policy import load_policy
    from testgate.render import (
        RenderContext,
        console_text,
        iter_json,
        render_report_md,
        report_json,
    )

    _pipe_safe(platform)
    patterns: Sequence[str] = cfg.report_paths
    json_file: Path | None = cfg.json
    md_file: Path | None = cfg.markdown
    junit_out: Path | None = cfg.junit_out
    dry_run: bool = cfg.dry_run
    json_tests: bool = cfg.json_tests
    max_size: int = cfg.max_size

    policy = load_policy(cfg.policy)
    baseline, baseline_source, baseline_note = _baseline(cfg, platform)
    ctrf_file: Path | None = cfg.ctrf
    inputs = _inputs(patterns, junit_out, cfg.report_format)
    keep_tests = bool(junit_out) or bool(ctrf_file) or (json_tests and bool(json_file))
    report = parse_reports(
        inputs,
        keep_tests=keep_tests,
        progress=_progress(platform, len(inputs)),
        format=cfg.report_format,
    )
    try:
        today = dt.datetime.now(dt.UTC).date()
        decision = decide_gate(
            report, policy, today=today, baseline=baseline, baseline_source=baseline_source
        )
        ctx = RenderContext(
            version=__version__,
            generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            dry_run=dry_run,
            full_report=_common.shown_path(cfg, json_file) if json_file else None,
            baseline_note=baseline_note,
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
                json_file,
                iter_json(report_json(report, decision, ctx, tests)),
                what="JSON report",
            )
        if junit_out:
            write_junit(report, junit_out)
        if ctrf_file:
            from testgate.ctrf import iter_ctrf

            files.write_text(
                ctrf_file,
                iter_ctrf(report, version=__version__, generated_at=dt.datetime.now(dt.UTC)),
                what="CTRF report",
            )
        markdown = render_report_md(report, decision, ctx, max_size=max_size)
        if md_file:
            files.write_text(md_file, markdown, what="Markdown summary")
        platform.summary(markdown)
        _export(cfg, platform, lambda: report_json(report, decision, ctx, None))
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


class _PipeSafe:
    """A stdout that a closed pipe (``testgate report | head -1``) cannot stop: after the
    first EPIPE everything goes to /dev/null, so the decision is still written and returned."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._closed = False

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._close()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._close()

    def _close(self) -> None:
        self._closed = True
        try:  # the interpreter's last flush at exit must not complain either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _pipe_safe(platform: Platform) -> None:
    if not isinstance(platform.stdout, _PipeSafe):
        platform.stdout = _PipeSafe(platform.stdout)  # type: ignore[assignment]


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate report``; returns the exit code (0 pass, 1 fail, 2 usage, 3 undecided)."""
    return _common.execute(SPEC, argv, environ, _run)


if __name__ == "__main__":
    sys.exit(main())
