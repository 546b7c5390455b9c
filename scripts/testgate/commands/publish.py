"""``testgate publish``: publish the consumer's pacts to the Pact Broker.

Run it after the consumer's contract tests passed (the pipeline and templates
enforce the order). With no broker configured, the pacts stay as files for the
CI system to pass on as artifacts, and the command says so.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from testgate import broker
from testgate.ci_context import detect_ci_context
from testgate.commands._broker import add_broker_arguments, settings_from
from testgate.commands._common import make_parser, pact_dir, project, run
from testgate.config import resolve
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform

HELP = "publish pacts/*.json to the Pact Broker with version, branch and build URL"

EXAMPLES = """\
  testgate publish                                  # version = git SHA, branch from git/CI
  testgate publish --version 1.4.2 --branch main --tag rc
  PACT_BROKER_BASE_URL=https://broker.example.com PACT_BROKER_TOKEN=... testgate publish
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``publish`` options."""
    parser = make_parser(
        "publish",
        "Publish the consumer's pact files to the Pact Broker (pact broker publish). "
        "Without a broker the pacts stay as files, to pass on as CI artifacts.",
        EXAMPLES,
    )
    parser.add_argument(
        "--pact-dir",
        metavar="DIR",
        help="where the pacts are (env TESTGATE_PACT_DIR; default: testgate.toml [consumer] "
        "pact-dir, else pacts)",
    )
    parser.add_argument(
        "--version", help="consumer version (env TESTGATE_VERSION; default: the git SHA)"
    )
    parser.add_argument(
        "--branch", help="consumer branch (env TESTGATE_BRANCH; default: from CI or git)"
    )
    parser.add_argument(
        "--build-url",
        metavar="URL",
        help="link to this build (env TESTGATE_BUILD_URL; default: detected on GitHub, GitLab, Jenkins)",
    )
    parser.add_argument(
        "--tag",
        action="append",
        default=None,
        help="a version tag, repeatable (env TESTGATE_TAGS, comma-separated; prefer branches)",
    )
    add_broker_arguments(parser)
    return parser


def _body(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    settings = settings_from(args, env, platform, required=False)
    proj = project(env)
    pacts = pact_dir(proj, env, args.pact_dir)
    files = broker.find_pact_files(pacts)
    if settings is None:
        count = f"{len(files)} pact file{'s' if len(files) != 1 else ''}"
        platform.summary(
            "## Pacts not published\n\n"
            "No Pact Broker is configured (PACT_BROKER_BASE_URL), so the pacts stay as files "
            f"({count} in `{pacts}`): pass them on as CI artifacts.\n"
        )
        if not files:
            platform.warning(f"{pacts} holds no pact files (*.json)")
        return ExitCode.OK
    if not files:
        raise ConfigError(
            f"no pact files (*.json) in {pacts} to publish",
            hint="run the consumer's contract tests first (testgate consumer), or set --pact-dir / TESTGATE_PACT_DIR",
        )
    ctx = detect_ci_context(env)
    version = resolve(args.version, env, "TESTGATE_VERSION", ctx.sha)
    if not version:
        raise ConfigError(
            'no consumer version: "version" (--version or env TESTGATE_VERSION), and git gave no SHA',
            hint="pass --version, or run inside a git checkout",
        )
    branch = resolve(args.branch, env, "TESTGATE_BRANCH", ctx.branch)
    build_url = resolve(args.build_url, env, "TESTGATE_BUILD_URL", ctx.build_url)
    tags = args.tag or [t.strip() for t in env.get("TESTGATE_TAGS", "").split(",") if t.strip()]
    with platform.group(f"Publish {len(files)} pact(s) to {settings.url}"):
        result = broker.publish_pacts(
            settings,
            files,
            version=str(version),
            branch=branch,
            build_url=build_url,
            tags=tags,
            environ=env,
        )
        platform.info(result.output.strip())
    lines = [
        "## Pacts published",
        "",
        f"Consumer version `{result.version}`"
        + (f" on branch `{result.branch}`" if result.branch else " (no branch)")
        + f" to {settings.url}:",
        "",
        *[f"- `{f.name}`" for f in result.files],
        "",
    ]
    if result.build_url:
        lines.append(f"Build: {result.build_url}")
    platform.summary("\n".join(lines) + "\n")
    platform.output("consumer-version", result.version)
    platform.output("branch", result.branch or "")
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate publish``."""
    return run(build_parser(), argv, environ, _body)


if __name__ == "__main__":
    sys.exit(main())
