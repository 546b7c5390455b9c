"""``testgate ci``: the composite steps every template calls the same way.

``ci report``   the gate: report, then history and the HTML page when the gate decided, then
                the optional TestRail upload; exits with the gate's code.
``ci comment``  one pull / merge request comment with the report, created or updated in place.
``ci shards``   the shard count checked, and the list of shards each platform needs.

What the three platforms' templates did in three dialects (GitHub step ``if:``s, GitLab shell
``|| gate=$?``, Jenkins Groovy ``rc in [0,1]``) is decided here once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testgate import settings
from testgate.commands import _common
from testgate.commands.testrail import testrail_uses
from testgate.errors import ConfigError, ExitCode, ReportError, TestgateError
from testgate.settings import CommandSpec, Derived, Settings, in_reports, use

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "what every CI template runs: ci report (gate, history, TestRail), ci comment, ci shards"

# The files `ci report` writes into the reports folder, at the names the templates upload.
REPORT_JSON = "testgate-report.json"
REPORT_MD = "testgate-report.md"
MERGED_JUNIT = "merged.xml"
HTML_PAGE = "testgate-report.html"
TREND_SVG = "history-trend.svg"


def _var(name: str) -> str:
    """The environment variable of a setting (named in the table, never here)."""
    return settings.setting(name).env or name


_REPORT_PATHS_DEFAULT = Derived("<reports-dir>", lambda s: (str(s.reports_dir),))

REPORT_SPEC = CommandSpec(
    name="ci report",
    help="the gate of a test-report job: report, history and HTML page, TestRail",
    description=(
        "Merge the JUnit reports and decide (testgate report), writing into the reports folder "
        f"{REPORT_JSON} (with every test), {REPORT_MD} and {MERGED_JUNIT}. When the gate "
        f"decided (pass or fail, also under dry-run) and history is on ({_var('history')}, "
        f"default true): record the run in the history, write {TREND_SVG} and {HTML_PAGE}. "
        f"Then, when testrail is on ({_var('testrail')}, default false): upload the merged JUnit "
        "to TestRail. Exits with the gate's code; a history or TestRail error fails an "
        "otherwise green job and never hides a red gate. When the gate could not decide "
        "(exit 3) nothing is recorded or sent."
    ),
    examples="""\
  testgate ci report                                    # every *.xml under reports/
  testgate ci report 'reports/*.xml' --history-file .testgate-history/history.json
  {history}=false testgate ci report --policy gate.toml
  {testrail}=true TESTRAIL_HOST=https://example.testrail.io/ testgate ci report""".format(
        history=_var("history"), testrail=_var("testrail")
    ),
    uses=(
        use("report-paths", positional=True, default=_REPORT_PATHS_DEFAULT),
        use("report-format"),
        use("ctrf"),
        use("policy"),
        use("baseline"),
        use("dry-run"),
        use("max-size"),
        use("metrics-file"),
        use("pushgateway-url"),
        use("service"),
        use("env", default="ci", help="environment label of the metrics"),
        use("history"),
        use("history-file"),
        use("history-max-runs"),
        use("history-window"),
        use("flaky-max-flips"),
        use("commit"),
        use("branch"),
        use("build-url"),
        use("testrail"),
        *testrail_uses(),
    ),
    groups={"metrics": "export the totals as Prometheus metrics (pass rate over time)"},
)

COMMENT_SPEC = CommandSpec(
    name="ci comment",
    help="keep one pull / merge request comment with the report summary",
    description=(
        f"Render the summary of the report JSON (`ci report` writes {REPORT_JSON}) at the "
        "platform's comment size limit, shortened by the same renderer as the job summary, "
        "and create the comment or update it in place (found again by its hidden marker). "
        f"GitHub pull requests ({_var('github-token')}, pull-requests: write) and GitLab merge "
        f"requests ({_var('gitlab-token')}, a project access token with api scope). Outside a pull or "
        "merge request it does nothing."
    ),
    examples="""\
  testgate ci comment                                   # reports/testgate-report.json
  testgate ci comment --report-json downloaded/testgate-report.json --comment-marker api""",
    uses=(
        use("report-json", default=in_reports(REPORT_JSON)),
        use("comment-marker"),
        use("github-token"),
        use("gitlab-token"),
    ),
)

SHARDS_SPEC = CommandSpec(
    name="ci shards",
    help="check the shard count and list the shards for the platform's parallel jobs",
    description=(
        "Check the number of shards (the one bound is the settings table's) and list them: "
        "the `matrix` output [1,2,...] (GitHub: a job matrix with fromJSON) and one index a "
        "line on stdout (a shell loop, Jenkins parallel branches)."
    ),
    examples="""\
  testgate ci shards --shards 4         # matrix=[1,2,3,4]
  {shards}=3 testgate ci shards""".format(shards=_var("shards")),
    uses=(use("shards", required=True),),
)

SUBCOMMANDS: dict[str, CommandSpec] = {
    "report": REPORT_SPEC,
    "comment": COMMENT_SPEC,
    "shards": SHARDS_SPEC,
}
SPECS = tuple(SUBCOMMANDS.values())  # for the settings reference (docs/settings.md)

USAGE = """\
usage: testgate ci {report,comment,shards} [options]

The composite steps every CI template runs the same way (templates wire; these decide).

commands:
"""

# Where the summary goes instead, on platforms without pull request comments.
COMMENT_ALTERNATIVES = {
    "jenkins": "on Jenkins the summary is the archived reports/<job>.md and the build "
    "description (testReport step); the HTML page is published with publishHTML",
    "local": "locally the summary is printed; write it to a file with "
    "`testgate report ... --markdown FILE`",
}


def build_parser(name: str = "report"):
    """The parser of ``testgate ci <name>``."""
    return settings.build_parser(SUBCOMMANDS[name])


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate ci <report|comment|shards>``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        try:
            print(_usage(full=bool(args)), flush=True)
        except BrokenPipeError:  # testgate ci --help | head
            _common._quiet_stdout()
        return ExitCode.OK if args else ExitCode.USAGE
    name, rest = args[0], args[1:]
    body = {"report": _report, "comment": _comment, "shards": _shards}.get(name)
    if body is None:
        print(f"testgate ci: unknown command {name!r}\n", file=sys.stderr)
        print(_usage(full=False), file=sys.stderr)
        return ExitCode.USAGE
    return _common.execute(SUBCOMMANDS[name], rest, environ, body)


def _usage(full: bool) -> str:
    lines = [USAGE]
    for name, spec in SUBCOMMANDS.items():
        lines.append(f"  {name:<10} {spec.help}")
    lines.append("\nRun `testgate ci <command> --help` for its options and examples.")
    lines.append(
        "\nexamples:\n  testgate ci report\n  testgate ci comment\n  testgate ci shards "
        f"--shards 4\n\n{settings.EXIT_CODES_EPILOG}"
    )
    text = "\n".join(lines)
    if full:  # every sub-command's options too: what each reads, in one page
        text += "".join(
            "\n\n" + "-" * 78 + "\n" + settings.build_parser(spec).format_help()
            for spec in SUBCOMMANDS.values()
        )
    return text


# -- ci report -------------------------------------------------------------------------------


def _check_outputs(paths: Sequence[Path]) -> None:
    """The fixed output files can be written: checked before any work, like every output."""
    for path in paths:
        try:
            settings.check_output_file(path)
        except Exception as exc:  # settings' own "invalid" error: the reason, as text
            raise ConfigError(
                f"{path} {exc}",
                hint=f"the reports folder (--reports-dir, env {_var('reports-dir')}) must be a "
                "folder testgate can write",
            ) from None


def _report(cfg: Settings, platform: Platform) -> int:
    from testgate.commands import history as history_command
    from testgate.commands import report as report_command
    from testgate.commands import testrail as testrail_command

    reports = cfg.reports_dir
    json_file, md_file, merged = reports / REPORT_JSON, reports / REPORT_MD, reports / MERGED_JUNIT
    page, svg = reports / HTML_PAGE, reports / TREND_SVG
    _check_outputs([json_file, md_file, merged, page, svg])

    gate = report_command._run(
        _this_runs_reports(cfg, platform).with_values(
            json=json_file, json_tests=True, markdown=md_file, junit_out=merged, html=None
        ),
        platform,
    )
    if gate not in (ExitCode.OK, ExitCode.GATE_FAILED):
        platform.info(
            "ci report: the gate could not decide: no history recorded, nothing sent to TestRail"
        )
        return gate

    failed: list[tuple[str, int]] = []
    if cfg.history:
        recorded = cfg.with_values(report_json=json_file, trend_svg=svg, html=page, summary=True)
        _step(
            "history record", lambda: history_command.record(recorded, platform), failed, platform
        )
        _step("history html", lambda: history_command.html(recorded, platform), failed, platform)
    else:
        platform.info(f"ci report: history is off ({_var('history')}=false): nothing recorded")
    if cfg.testrail:
        sent = cfg.with_values(testrail_junit=merged, dry_run=False)
        _step("testrail upload", lambda: testrail_command.upload(sent, platform), failed, platform)

    if gate != ExitCode.OK:
        return gate  # a red gate stays red, whatever else failed
    if failed:
        names = " and ".join(f"testgate {name}" for name, _ in failed)
        platform.error(f"ci report: the gate passed, but {names} failed (see above)")
        return failed[0][1]
    return ExitCode.OK


def _this_runs_reports(cfg: Settings, platform: Platform) -> Settings:
    """``cfg`` without the report files the repository holds unchanged (issue 12, item 8).

    A CI job's results are never committed, so a report file that git tracks, unchanged, is a
    leftover in the workspace, not a result of this run: on GitLab the report job's workspace
    is a checkout plus the earlier jobs' artifacts, and a committed ``reports/old.xml`` would
    otherwise be counted with them. Each file left out is named; when nothing of this run is
    left, the gate cannot decide (exit 3). Outside a git checkout nothing is left out.

    Raises:
        ReportError: every report file found is committed unchanged.
    """
    import glob

    from testgate.readers import expand_paths

    patterns = [str(p) for p in cfg.report_paths or ()]
    found = expand_paths(patterns, format=cfg.report_format)
    committed = _committed_unchanged([f.path for f in found if f.path is not None])
    if not committed:
        return cfg
    kept: list[str] = []
    left_out: list[str] = []
    for item in found:
        if item.path is None:
            kept.append(item.display)  # a pattern that matched nothing: report says so
        elif item.path.resolve() in committed:
            left_out.append(item.display)
        else:
            kept.append(glob.escape(item.display))  # this very file, never a pattern again
    for name in left_out:
        platform.warning(
            f"ci report: {name} is committed to the repository, unchanged: "
            "not a result of this run, not counted"
        )
    if not kept:
        raise ReportError(
            f"no report of this run in {' '.join(patterns)}: every file there is committed "
            f"to the repository unchanged ({', '.join(left_out)})",
            hint="the test jobs must write their reports there (and keep them as artifacts); "
            f"or name the files with report-paths ({_var('report-paths')})",
        )
    return cfg.with_values(report_paths=tuple(kept))


def _committed_unchanged(paths: Sequence[Path]) -> set[Path]:
    """The ``paths`` that git tracks and that equal the committed file (resolved paths)."""
    import subprocess

    if not paths:
        return set()

    def git(*args: str, cwd: Path) -> str | None:
        try:
            proc = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return proc.stdout if proc.returncode == 0 else None

    first = Path(paths[0]).resolve().parent
    top_text = git("rev-parse", "--show-toplevel", cwd=first)
    if not top_text:
        return set()
    top = Path(top_text.strip()).resolve()
    inside = [p.resolve() for p in paths if p.resolve().is_relative_to(top)]
    folders = sorted({str(p.parent.relative_to(top)) for p in inside})
    if not folders:
        return set()
    tracked = git("ls-files", "-z", "--", *folders, cwd=top)
    changed = git("ls-files", "-z", "--modified", "--", *folders, cwd=top)
    if tracked is None or changed is None:
        return set()
    same = set(tracked.split("\0")) - set(changed.split("\0")) - {""}
    return {p for p in inside if str(p.relative_to(top)) in same}


def _step(
    name: str,
    run: Callable[[], int],
    failed: list[tuple[str, int]],
    platform: Platform,
) -> None:
    """Run one step after the gate; its failure is noted, never raised over the gate's code."""
    try:
        code = int(run())
    except TestgateError as exc:
        platform.error(f"{name}: {exc}")
        code = int(exc.exit_code)
    except Exception as exc:  # a bug in testgate: said, and never a pass
        platform.error(
            f"{name}: internal error: {type(exc).__name__}: {exc} "
            f"(set {_var('debug')}=true for a traceback, and please report it)"
        )
        code = int(ExitCode.UNDECIDED)
    if code != ExitCode.OK:
        failed.append((name, code))


# -- ci comment ------------------------------------------------------------------------------


def _comment(cfg: Settings, platform: Platform) -> int:
    from testgate import history as hist
    from testgate.render import render_report_md

    marker: str = cfg.comment_marker
    if platform.comment_limit is None:  # Jenkins, local: no pull request comments
        raise ConfigError(
            f"testgate ci comment is not supported on this platform ({platform.name}): "
            "pull / merge request comments need GitHub or GitLab",
            hint=COMMENT_ALTERNATIVES.get(platform.name, "use the job summary instead"),
        )
    build = cfg.build
    if not build.pr_number:
        platform.info("ci comment: this build is not for a pull / merge request: no comment")
        return ExitCode.OK
    doc = hist.load_report(cfg.report_json, require_tests=False)
    report, decision, ctx = _from_report_json(doc, str(cfg.report_json))
    body = render_report_md(report, decision, ctx, max_size=platform.comment_max_size(marker))
    url = platform.upsert_comment(body, marker)
    platform.info(f"ci comment: {url or 'comment created or updated'}")
    if url:
        platform.output("comment-url", str(url))
    return ExitCode.OK


def _from_report_json(doc: Mapping[str, Any], source: str):
    """The report and decision of a ``testgate-report/1`` JSON, for the renderers.

    Failure details (tracebacks) are not in the JSON: the comment shows each message.

    Raises:
        ReportError: a part of the document has the wrong shape.
    """
    from testgate.model import (
        BaselineDiff,
        Failure,
        FileResult,
        Flaky,
        GateDecision,
        Quarantined,
        Report,
        SuiteError,
        Totals,
    )
    from testgate.render import RenderContext

    def items(key: str) -> list[Mapping[str, Any]]:
        value = doc.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise ReportError(f"{source}: `{key}` is not a list of objects")
        return value

    try:
        t = doc.get("totals") or {}
        totals = Totals(
            tests=int(t.get("tests", 0)),
            passed=int(t.get("passed", 0)),
            failed=int(t.get("failed", 0)),
            errors=int(t.get("errors", 0)),
            skipped=int(t.get("skipped", 0)),
            flaky=int(t.get("flaky", 0)),
            time=float(t.get("time", 0.0)),
        )
        report = Report(
            files=tuple(
                FileResult(
                    path=str(f.get("path", "")),
                    tests=int(f.get("tests", 0)),
                    passed=int(f.get("passed", 0)),
                    failed=int(f.get("failed", 0)),
                    errors=int(f.get("errors", 0)),
                    skipped=int(f.get("skipped", 0)),
                    flaky=int(f.get("flaky", 0)),
                    error=f.get("error"),
                    line=f.get("line"),
                )
                for f in items("files")
            ),
            totals=totals,
            suites={},
            failures=tuple(
                Failure(
                    id=str(f["id"]),
                    suite=str(f.get("suite", "")),
                    classname=str(f.get("classname", "")),
                    name=str(f.get("name", "")),
                    outcome=str(f.get("outcome", "failed")),
                    message=str(f.get("message") or ""),
                    details="",
                    file=f.get("file"),
                    line=f.get("line"),
                    report=str(f.get("report", "")),
                    attempts=int(f.get("attempts", 1)),
                )
                for f in items("failures")
            ),
            flaky=tuple(
                Flaky(
                    id=str(f["id"]),
                    suite=str(f.get("suite", "")),
                    classname=str(f.get("classname", "")),
                    name=str(f.get("name", "")),
                    attempts=int(f.get("attempts", 2)),
                    report=str(f.get("report", "")),
                )
                for f in items("flaky")
            ),
            suite_errors=tuple(
                SuiteError(
                    suite=str(s.get("suite", "")),
                    report=str(s.get("report", "")),
                    message=str(s.get("message", "")),
                    declared=int(s.get("declared", 0)),
                    counted=int(s.get("counted", 0)),
                    line=s.get("line"),
                )
                for s in items("suite_errors")
            ),
            slowest=tuple((str(s["id"]), float(s["time"])) for s in items("slowest")),
            warnings=tuple(str(w) for w in doc.get("warnings") or ()),
        )
        base = doc.get("baseline")
        decision = GateDecision(
            decision=str(doc["decision"]),
            reasons=tuple(str(r) for r in doc.get("reasons") or ()),
            quarantined=tuple(
                Quarantined(
                    id=str(q["id"]),
                    pattern=str(q.get("pattern", "")),
                    owner=str(q.get("owner", "")),
                    reason=str(q.get("reason", "")),
                    expires=str(q.get("expires", "")),
                    expired=bool(q.get("expired", False)),
                )
                for q in items("quarantined")
            ),
            baseline=BaselineDiff(
                new=tuple(base.get("new") or ()),
                still_failing=tuple(base.get("still_failing") or ()),
                fixed=tuple(base.get("fixed") or ()),
            )
            if isinstance(base, Mapping)
            else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(
            f"{source} is not a complete testgate report ({type(exc).__name__}: {exc})",
            hint="pass the JSON `testgate ci report` wrote (reports/testgate-report.json)",
        ) from None
    if decision.decision not in ("pass", "fail", "error"):
        raise ReportError(f"{source}: unknown decision {decision.decision!r}")
    ctx = RenderContext(
        version=str(doc.get("testgate_version", "")),
        generated_at=str(doc.get("generated_at", "")),
        dry_run=bool(doc.get("dry_run", False)),
        full_report=REPORT_JSON,
    )
    return report, decision, ctx


# -- ci shards -------------------------------------------------------------------------------


def _shards(cfg: Settings, platform: Platform) -> int:
    import json

    count: int = cfg.shards  # checked by the settings loader against the table's bounds
    indexes = list(range(1, count + 1))
    platform.output("matrix", json.dumps(indexes, separators=(",", ":")))
    platform.output("shards", str(count))
    sys.stdout.write("".join(f"{i}\n" for i in indexes))
    sys.stdout.flush()
    return ExitCode.OK
