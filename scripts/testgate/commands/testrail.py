"""``testgate testrail upload``: hand the merged JUnit to TestRail's CLI, ``trcli``.

Project, suite and run name default to the CI context (repository, workflow or
pipeline name, run number, branch and commit); credentials come only from the
environment (``TESTRAIL_USER`` and ``TESTRAIL_KEY``, or trcli's own
``TR_CLI_USERNAME`` / ``TR_CLI_KEY``) and are never printed.
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from testgate import testrail
from testgate.commands._common import make_parser, reports_dir, run
from testgate.config import parse_bool, resolve
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform
from testgate.platforms.context import ci_context
from testgate.render.markdown import md_link

HELP = "upload the merged JUnit to TestRail with trcli (credentials from the environment)"

EXAMPLES = """\
  export TESTRAIL_HOST=https://example.testrail.io/ TESTRAIL_USER=ci@example.com
  export TESTRAIL_KEY=...            # a secret: from the CI's secret store, never a flag
  testgate report reports/*.xml --junit-out reports/merged.xml
  testgate testrail upload --project "Dashboard" --suite-id 3
  testgate testrail upload --junit reports/merged.xml --title "Nightly #42" --close-run
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``testrail`` command's options."""
    parser = make_parser(
        "testrail",
        "Upload test results to TestRail with TestRail's own CLI (trcli parse_junit): cases "
        "are matched or created, a run is created and the results added.",
        EXAMPLES,
    )
    parser.add_argument("action", choices=("upload",), help="upload: send the JUnit to TestRail")
    parser.add_argument(
        "--junit",
        metavar="FILE",
        help="merged JUnit XML (env TESTGATE_TESTRAIL_JUNIT or TESTGATE_JUNIT_OUT, "
        "default REPORTS_DIR/merged.xml)",
    )
    parser.add_argument(
        "--host", metavar="URL", help="TestRail URL (env TESTRAIL_HOST or TR_CLI_HOST)"
    )
    parser.add_argument(
        "--project",
        help="TestRail project name (env TESTGATE_TESTRAIL_PROJECT; default: the repository)",
    )
    parser.add_argument(
        "--project-id", metavar="ID", help="when names clash (env TESTGATE_TESTRAIL_PROJECT_ID)"
    )
    parser.add_argument(
        "--suite-id", metavar="ID", help="suite to report to (env TESTGATE_TESTRAIL_SUITE_ID)"
    )
    parser.add_argument(
        "--suite-name",
        metavar="NAME",
        help="suite by name (env TESTGATE_TESTRAIL_SUITE; default: the pipeline name)",
    )
    parser.add_argument(
        "--title",
        help="run name (env TESTGATE_TESTRAIL_RUN_NAME; default: pipeline #run branch@commit)",
    )
    parser.add_argument(
        "--close-run",
        action="store_true",
        default=None,
        help="close the run after the upload (env TESTGATE_TESTRAIL_CLOSE_RUN)",
    )
    parser.add_argument(
        "--trcli", metavar="PATH", help="trcli executable (env TESTGATE_TRCLI, default trcli)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=None,
        help="print the trcli command (without credentials) and exit (env TESTGATE_DRY_RUN)",
    )
    return parser


def _int_or_none(value: object, name: str, var: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(
            f"{name} must be a positive number, not {value!r}", hint=f"--{name} or {var}"
        )
    return number


def _default_title(env: Mapping[str, str]) -> str:
    ci = ci_context(env)
    parts = [ci.pipeline_name or "testgate"]
    if ci.run_number:
        parts.append(f"#{ci.run_number}")
    if ci.branch or ci.commit:
        parts.append(f"{ci.branch}@{ci.commit[:8]}" if ci.commit else ci.branch)
    return " ".join(parts)


def settings_from(args: argparse.Namespace, env: Mapping[str, str]) -> testrail.UploadSettings:
    """Upload settings: flag > TESTGATE_/TESTRAIL_ variable > trcli's variable > CI context."""
    ci = ci_context(env)
    junit = resolve(
        args.junit,
        env,
        "TESTGATE_TESTRAIL_JUNIT",
        env.get("TESTGATE_JUNIT_OUT"),
        str(reports_dir(env) / "merged.xml"),
    )
    return testrail.UploadSettings(
        junit=Path(junit),
        host=resolve(args.host, env, "TESTRAIL_HOST", env.get("TR_CLI_HOST")) or "",
        project=resolve(
            args.project, env, "TESTGATE_TESTRAIL_PROJECT", env.get("TR_CLI_PROJECT"), ci.project
        )
        or "",
        project_id=_int_or_none(
            resolve(args.project_id, env, "TESTGATE_TESTRAIL_PROJECT_ID"),
            "project-id",
            "TESTGATE_TESTRAIL_PROJECT_ID",
        ),
        username=env.get("TESTRAIL_USER") or env.get("TR_CLI_USERNAME") or "",
        key=env.get("TESTRAIL_KEY") or env.get("TR_CLI_KEY") or "",
        password=env.get("TESTRAIL_PASSWORD") or env.get("TR_CLI_PASSWORD") or "",
        title=resolve(args.title, env, "TESTGATE_TESTRAIL_RUN_NAME") or _default_title(env),
        suite_id=_int_or_none(
            resolve(args.suite_id, env, "TESTGATE_TESTRAIL_SUITE_ID"),
            "suite-id",
            "TESTGATE_TESTRAIL_SUITE_ID",
        ),
        suite_name=resolve(args.suite_name, env, "TESTGATE_TESTRAIL_SUITE", ci.pipeline_name) or "",
        close_run=parse_bool(
            resolve(args.close_run, env, "TESTGATE_TESTRAIL_CLOSE_RUN", False), "close-run"
        ),
        trcli=resolve(args.trcli, env, "TESTGATE_TRCLI", "trcli"),
        run_description=f"Pipeline: {ci.pipeline_url}" if ci.pipeline_url else "",
    )


def _body(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    settings = settings_from(args, env)
    secrets = [s for s in (settings.key, settings.password) if s]
    for secret in secrets:
        platform.mask(secret)
    if parse_bool(resolve(args.dry_run, env, "TESTGATE_DRY_RUN", False), "dry-run"):
        platform.info("trcli command (credentials via TR_CLI_USERNAME / TR_CLI_KEY):")
        platform.info(shlex.join(testrail.build_command(settings)))
        return ExitCode.OK
    with platform.group("Upload results to TestRail"):
        result = testrail.upload(settings, env, secrets=secrets)
        for line in result.output.splitlines():
            if line.strip():
                platform.info(line)
    platform.output("testrail-run-url", result.run_url)
    platform.summary(
        f"### TestRail\n\nUploaded {result.submitted} results from `{settings.junit}` to "
        f"project **{settings.project}**" + f", run {md_link(settings.title, result.run_url)}.\n"
    )
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate testrail``."""
    return run(build_parser(), argv, environ, _body)
