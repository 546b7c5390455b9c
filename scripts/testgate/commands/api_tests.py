"""``testgate api-tests``: the API tests against the environment chosen by --env."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from testgate import runner
from testgate.commands import _common
from testgate.commands.verify import provider_under_test
from testgate.config import (
    Environment,
    ProjectConfig,
    load_environment,
    parse_bool,
    resolve,
)
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform

HELP = "run the API tests against an environment (envs/<env>.env) -> reports/api.xml"


def build_parser() -> argparse.ArgumentParser:
    parser = _common.make_parser(
        "api-tests",
        "Run the API tests (pytest + requests) against one environment.\n\n"
        "Settings come from envs/<env>.env (service URLs, test-data set, timeouts);\n"
        "variables already in the environment win over the file. In an environment with\n"
        "TESTGATE_START_PROVIDER=true (local), testgate starts the service itself.",
        """\
  testgate api-tests --env local
  TESTGATE_ENV=beta testgate api-tests
  testgate api-tests --env prod -m smoke          # read-only checks only
  testgate api-tests --env gamma --target-url https://green.inventory.gamma.example.com""",
    )
    add_environment_options(parser)
    parser.add_argument(
        "--tests",
        metavar="PATH",
        help="API tests (env TESTGATE_API_TESTS; testgate.toml [api-tests] tests)",
    )
    parser.add_argument(
        "--target-url",
        metavar="URL",
        help="test this deployment instead (a blue-green candidate); env TESTGATE_TARGET_URL",
    )
    parser.add_argument(
        "-m", "--marker", metavar="EXPR", help="only tests matching this pytest marker expression"
    )
    parser.add_argument(
        "--junit", metavar="FILE", help="JUnit report (default <reports-dir>/api.xml)"
    )
    return parser


def add_environment_options(parser: argparse.ArgumentParser) -> None:
    """``--env`` and ``--envs-dir``, shared by the commands that target an environment."""
    parser.add_argument(
        "--env", metavar="NAME", help="environment: envs/NAME.env (env TESTGATE_ENV; default local)"
    )
    parser.add_argument(
        "--envs-dir",
        metavar="DIR",
        help="folder of <env>.env files (env TESTGATE_ENVS_DIR; default envs)",
    )


def environment(
    args: argparse.Namespace, env: Mapping[str, str], project: ProjectConfig
) -> Environment:
    """The environment selected by ``--env`` / ``TESTGATE_ENV``."""
    envs_dir = project.path(resolve(args.envs_dir, env, "TESTGATE_ENVS_DIR", "envs"))
    return load_environment(args.env, env, envs_dir)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.run(build_parser(), argv, environ, _run)


@contextlib.contextmanager
def service_for(
    target: Environment,
    project: ProjectConfig,
    env: dict[str, str],
    *,
    target_url: str | None,
) -> Iterator[dict[str, str]]:
    """The child environment for the tests, with the service URL set.

    ``target_url`` wins; otherwise an environment with TESTGATE_START_PROVIDER=true
    gets the provider started in isolation; otherwise the URL must be in the env file.
    """
    url_var = project.get("api-tests", "url-variable", "TESTGATE_TARGET_URL")
    child = dict(env)
    child.update(target.values)
    child["TESTGATE_ENV"] = target.name
    start = parse_bool(target.get("TESTGATE_START_PROVIDER", "false"), "TESTGATE_START_PROVIDER")
    if target_url:
        child[url_var] = target_url
        yield child
    elif start:
        name = project.get("provider", "name", "provider")
        with provider_under_test(
            project, child, url=None, command=None, start_timeout=None, name=name
        ) as url:
            child[url_var] = url
            yield child
    else:
        target.require(url_var)
        yield child


def _run(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    project = _common.project(env)
    target = environment(args, env, project)
    tests = resolve(args.tests, env, "TESTGATE_API_TESTS", project.get("api-tests", "tests"))
    if not tests:
        raise ConfigError(
            "no API tests configured",
            hint="pass --tests, set TESTGATE_API_TESTS, or [api-tests] tests in testgate.toml",
        )
    junit = Path(args.junit) if args.junit else _common.reports_dir(env) / "api.xml"
    target_url = resolve(args.target_url, env, "TESTGATE_TARGET_URL")
    extra = ["-m", args.marker] if args.marker else []
    with service_for(target, project, env, target_url=target_url) as child:
        url_var = project.get("api-tests", "url-variable", "TESTGATE_TARGET_URL")
        with platform.group(f"API tests against {target.name} ({child.get(url_var)})"):
            run = runner.run_pytest(
                project.path(tests),
                junit,
                env=child,
                extra_args=extra,
                on_line=platform.info,
                what="API tests",
            )
    status = "✅ PASS" if run.passed else "❌ FAIL"
    platform.summary(f"### API tests against `{target.name}` — {status}\n\nJUnit: `{junit}`\n")
    platform.output("decision", "pass" if run.passed else "fail")
    return ExitCode.OK if run.passed else ExitCode.GATE_FAILED
