"""``testgate api-tests``: the API tests against the environment chosen by --env."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.commands.verify import PROVIDER_START, provider_under_test
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Derived, Settings, setting, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.config import Environment
    from testgate.platforms import Platform

HELP = "run the API tests against an environment (envs/<env>.env) -> reports/api.xml"

# Choosing the environment and the service URL (api-tests, and monitor's smoke checks).
ENVIRONMENT = (
    use("env"),
    use("envs-dir"),
    use("target-url"),
    use("url-variable"),
    use("start-provider"),
    use("provider"),
    *PROVIDER_START,
)


def _default_junit(cfg: Settings) -> Path:
    position = cfg.shards or 1
    if position > 1 and cfg.shard_index:
        return cfg.reports_dir / f"api-shard-{cfg.shard_index}.xml"
    return cfg.reports_dir / "api.xml"


SPEC = CommandSpec(
    name="api-tests",
    help=HELP,
    description="Run the API tests (pytest + requests, or any runner with api-tests-command)\n"
    "against one environment.\n\n"
    "Settings come from envs/<env>.env (service URLs, test-data set, timeouts);\n"
    "variables already in the environment win over the file. A project without envs/\n"
    "runs `local` with the real environment. With start-provider true (local), testgate\n"
    "starts the service itself.\n\n"
    "A command ([api-tests] command) runs in api-tests-cwd (default: the tests' folder)\n"
    "with {junit} and {python} replaced and the service URL in url-variable; it must write\n"
    "JUnit to {junit}, which decides: a failed test fails, no report or zero tests cannot\n"
    "decide (exit 3). Every pytest run knows the smoke and writes markers.",
    examples="""\
  testgate api-tests --env local
  testgate api-tests --env beta
  testgate api-tests --env prod -m smoke          # read-only checks only
  testgate api-tests --env gamma --target-url https://green.inventory.gamma.example.com
  testgate api-tests --env beta --shards 4 --shard-index 2   # one of 4 CI runners
  testgate api-tests --api-tests-command 'npx newman run api.json -r junit --reporter-junit-export {junit}'""",
    uses=(
        use("api-tests"),
        use("api-tests-command"),
        use("api-tests-cwd"),
        *ENVIRONMENT,
        use("marker"),
        use(
            "api-tests-junit",
            default=Derived("<reports-dir>/api.xml, or api-shard-I.xml", _default_junit),
        ),
        use("shards"),
        use("shard-index"),
        use("history-file"),
        use("durations"),
    ),
    groups={
        "sharding": "run one of N groups balanced by the durations in the history "
        "(see testgate shard)",
    },
)


def build_parser() -> argparse.ArgumentParser:
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.execute(SPEC, argv, environ, _run)


def environment(cfg: Settings) -> Environment:
    """The environment selected by ``--env``: ``envs/<env>.env`` (optional for ``local``)."""
    from testgate.config import load_environment  # python-dotenv: not for --help

    return load_environment(cfg.env, cfg.environ, cfg.envs_dir)


@contextlib.contextmanager
def service_for(
    cfg: Settings,
    target: Environment,
    on_stub_problem: Callable[[str], None] | None = None,
) -> Iterator[dict[str, str]]:
    """The child environment for the tests, with the service URL set.

    ``target-url`` wins; otherwise an environment with ``start-provider`` true gets the
    provider started in isolation (its downstreams stubbed from its pacts,
    ``on_stub_problem`` told of each request a stub could not answer); otherwise the URL
    comes from the environment file or the real environment (a project without ``envs/``
    runs ``local`` with what is set).
    """
    url_var: str = cfg.url_variable
    child = dict(cfg.environ)
    child.update(target.values)
    child[setting("env").env or ""] = target.name
    if cfg.target_url:
        child[url_var] = cfg.target_url
        yield child
    elif cfg.start_provider:
        name = cfg.provider or "provider"
        with provider_under_test(
            cfg, child, url=None, name=name, log_name=f"{name}.api-tests"
        ) as running:
            child[url_var] = running.url
            yield child
            for problem in running.stubs.problems():
                if on_stub_problem:
                    on_stub_problem(problem)
    else:
        if not child.get(url_var):
            where = f"in {target.file} " if target.file.is_file() else ""
            raise ConfigError(
                f"environment {target.name!r} is missing {url_var}",
                hint=f"set {url_var} {where}or as an environment variable, pass --target-url, "
                f"or start the provider ({_common.how_to_set('start-provider')})",
            )
        yield child


def shard_position(cfg: Settings) -> tuple[int, int] | None:
    """(N, I) from ``shards`` and ``shard-index`` (GitLab's CI_NODE_* too); None if unset.

    Raises:
        ConfigError: only one of the two is set, or I is not in 1..N.
    """
    total, index = cfg.shards, cfg.shard_index
    if not total and not index:
        return None
    if total == 1 and not index:
        return 1, 1  # one shard needs no index (a matrix of one, or sharding switched off)
    if not total or not index:
        missing = "shards" if not total else "shard-index"
        raise ConfigError(
            f"{missing} is not set but its partner is",
            hint=f"set both: shards ({_common.how_to_set('shards')}) and shard-index "
            f"({_common.how_to_set('shard-index')})",
        )
    if index > total:
        raise ConfigError(
            f"index {index} is out of range for {total} shards (1..{total})",
            hint="the index is 1-based: pass --shard-index 1 to --shard-index N",
        )
    return total, index


def _durations(cfg: Settings) -> dict[str, float]:
    """Known test durations: the history's recent runs, then a pytest-split file on top."""
    from testgate import history as hist
    from testgate import shard

    found: dict[str, float] = {}
    if cfg.history_file.is_file() or cfg.source("history-file") != "default":
        runs = cfg.lookup("shard-runs") or 10
        found.update(hist.durations_from_history(hist.read_history(cfg.history_file), last=runs))
    if cfg.durations:
        found.update(shard.load_durations(cfg.durations))
    return found


def _select_shard(
    cfg: Settings,
    env: dict[str, str],
    extra: list[str],
    position: tuple[int, int],
    platform: Platform,
) -> list[str]:
    """This runner's share of the API tests: pytest node ids balanced by recorded duration."""
    from testgate import runner, shard

    n, i = position
    ids = runner.collect_tests(cfg.api_tests, env=env, extra_args=extra, what="API tests")
    plan = shard.plan_shards(ids, shard.lookup_durations(ids, _durations(cfg)), n)
    mine = plan.shards[i - 1]
    platform.info(
        f"shard {i}/{n}: {len(mine.tests)} of {len(ids)} tests, ~{mine.seconds:.1f}s "
        f"(ideal {plan.ideal:.1f}s; {plan.unknown} without a recorded duration)"
    )
    return list(mine.tests)


def _run(cfg: Settings, platform: Platform) -> int:
    from testgate.commands import _suite

    command = cfg.api_tests_command
    _suite.require_tests_or_command(cfg.api_tests, command, "api-tests", "api-tests-command")
    target = environment(cfg)
    tests: Path = cfg.api_tests
    position = shard_position(cfg)
    junit: Path = cfg.api_tests_junit
    platform.output("junit", str(junit))  # what the template uploads: this file, no glob
    extra = ["-m", cfg.marker] if cfg.marker else []
    if command and (extra or (position and position[0] > 1)):
        raise ConfigError(
            "marker and shards select pytest tests; api-tests-command runs another runner",
            hint="select the tests in the command itself, or unset marker / shards",
        )
    selection = None
    if position and position[0] > 1:
        selection = _select_shard(cfg, dict(cfg.environ), extra, position, platform)
        if not selection:
            platform.warning(
                f"shard {position[1]}/{position[0]} has no tests (more shards than tests)"
            )
            platform.output("decision", "pass")
            return ExitCode.OK
    stub_problems: list[str] = []
    with service_for(cfg, target, on_stub_problem=stub_problems.append) as child:
        url = child.get(cfg.url_variable)
        with platform.group(f"API tests against {target.name} ({url})"):
            run = _suite.run_suite(
                platform=platform,
                what="API tests",
                tests=tests,
                command=command,
                cwd=_suite.command_cwd(tests, cfg.api_tests_cwd, cfg.project.root),
                junit=junit,
                junit_setting="api-tests-junit",
                env=child,
                extra_args=extra,
                selection=selection,
            )
    status = "✅ PASS" if run.passed else "❌ FAIL"
    for problem in stub_problems:
        platform.warning(problem.replace("\n", "; "))
    stubs_md = "".join(f"\n- ⚠️ {p.splitlines()[0]}" for p in stub_problems)
    platform.summary(
        f"### API tests against `{target.name}` — {status}\n\nJUnit: `{junit}`\n{stubs_md}"
    )
    platform.output("decision", "pass" if run.passed else "fail")
    return ExitCode.OK if run.passed else ExitCode.GATE_FAILED
