"""``testgate api-tests``: the API tests against the environment chosen by --env."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from testgate import runner, shard
from testgate.commands import _common
from testgate.commands.shard import durations_for, shard_position
from testgate.commands.verify import provider_under_test
from testgate.config import (
    Environment,
    ProjectConfig,
    load_environment,
    parse_bool,
    resolve,
)
from testgate.errors import ExitCode
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
  testgate api-tests --env gamma --target-url https://green.inventory.gamma.example.com
  testgate api-tests --env beta --shards 4 --shard-index 2   # one of 4 CI runners""",
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
        "--junit",
        metavar="FILE",
        help="JUnit report (default <reports-dir>/api.xml, or api-shard-I.xml)",
    )
    shards = parser.add_argument_group(
        "sharding",
        "run one of N groups balanced by the durations in the history (see testgate shard)",
    )
    shards.add_argument(
        "--shards",
        metavar="N",
        help="number of groups (env TESTGATE_SHARDS, or GitLab's CI_NODE_TOTAL)",
    )
    shards.add_argument(
        "--shard-index",
        metavar="I",
        help="this runner's group, 1..N (env TESTGATE_SHARD_INDEX, or GitLab's CI_NODE_INDEX)",
    )
    shards.add_argument(
        "--history", metavar="FILE", help="history with test durations (env TESTGATE_HISTORY_FILE)"
    )
    shards.add_argument(
        "--durations",
        metavar="FILE",
        help="pytest-split .test_durations file (env TESTGATE_DURATIONS)",
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


def _select_shard(
    args: argparse.Namespace,
    env: dict[str, str],
    tests: Path,
    extra: list[str],
    position: tuple[int, int],
    platform: Platform,
) -> list[str]:
    """This runner's share of the API tests: pytest node ids balanced by recorded duration."""
    n, i = position
    ids = runner.collect_tests(tests, env=env, extra_args=extra, what="API tests")
    durations, _ = durations_for(env, history=args.history, durations=args.durations)
    plan = shard.plan_shards(ids, shard.lookup_durations(ids, durations), n)
    mine = plan.shards[i - 1]
    platform.info(
        f"shard {i}/{n}: {len(mine.tests)} of {len(ids)} tests, ~{mine.seconds:.1f}s "
        f"(ideal {plan.ideal:.1f}s; {plan.unknown} without a recorded duration)"
    )
    return list(mine.tests)


def _run(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    project = _common.project(env)
    target = environment(args, env, project)
    tests = _common.required_setting(
        project,
        env,
        args.tests,
        flag="--tests",
        var="TESTGATE_API_TESTS",
        section="api-tests",
        key="tests",
    )
    position = shard_position(args.shards, args.shard_index, env)
    default_junit = f"api-shard-{position[1]}.xml" if position and position[0] > 1 else "api.xml"
    junit = Path(args.junit) if args.junit else _common.reports_dir(env) / default_junit
    target_url = resolve(args.target_url, env, "TESTGATE_TARGET_URL")
    extra = ["-m", args.marker] if args.marker else []
    selection = None
    if position and position[0] > 1:
        selection = _select_shard(args, env, project.path(tests), extra, position, platform)
        if not selection:
            platform.warning(
                f"shard {position[1]}/{position[0]} has no tests (more shards than tests)"
            )
            platform.output("decision", "pass")
            return ExitCode.OK
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
                selection=selection,
            )
    status = "✅ PASS" if run.passed else "❌ FAIL"
    platform.summary(f"### API tests against `{target.name}` — {status}\n\nJUnit: `{junit}`\n")
    platform.output("decision", "pass" if run.passed else "fail")
    return ExitCode.OK if run.passed else ExitCode.GATE_FAILED
