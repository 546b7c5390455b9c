"""``testgate pipeline``: consumer -> verify -> api-tests -> report, locally, in one go."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from testgate.commands import _common
from testgate.commands import api_tests as api_tests_command
from testgate.commands import consumer as consumer_command
from testgate.commands import verify as verify_command
from testgate.errors import ExitCode
from testgate.platforms import Platform

HELP = "the whole flow locally: consumer pacts -> verify -> API tests -> report"


@dataclass(frozen=True)
class Stage:
    name: str
    what: str
    run: Callable[[list[str], Mapping[str, str]], int]
    argv: list[str]
    junit: str | None


def build_parser() -> argparse.ArgumentParser:
    parser = _common.make_parser(
        "pipeline",
        "Run the contract and API test pipeline on this machine, as CI would:\n"
        "  1. consumer   the consumer's Pact tests write pacts/\n"
        "  2. verify     the provider, started in isolation, is verified against them\n"
        "  3. api-tests  the API tests run against the chosen environment\n"
        "  4. report     one pass/fail decision over all JUnit reports\n"
        "A stage that fails the gate does not stop the next ones (you see everything that\n"
        "is wrong at once); a stage that cannot decide (exit 2 or 3) stops the pipeline.\n"
        "The exit code is the report's decision.",
        """\
  testgate pipeline
  testgate pipeline --env local
  EXAMPLE_BREAK=provider testgate pipeline      # the contract-break demo: exits 1
  PACT_BROKER_TOKEN=... testgate pipeline --broker https://broker.example.com""",
    )
    api_tests_command.add_environment_options(parser)
    parser.add_argument(
        "--broker",
        metavar="URL",
        help="go through a Pact Broker: publish the pacts after the consumer tests pass, then "
        "verify the provider from the broker and publish the results "
        "(credentials from PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PASSWORD)",
    )
    parser.add_argument(
        "--version",
        metavar="VERSION",
        help="with --broker: the consumer and provider version (env TESTGATE_VERSION; default: the git SHA)",
    )
    parser.add_argument(
        "--branch",
        metavar="BRANCH",
        help="with --broker: the branch of both versions (env TESTGATE_BRANCH; default: from git/CI)",
    )
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.run(build_parser(), argv, environ, _run)


def _run(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    from testgate.commands import report as report_command

    reports = _common.reports_dir(env)
    common = ["--reports-dir", str(reports)]
    if args.platform:
        common += ["--platform", args.platform]
    env_args = (["--env", args.env] if args.env else []) + (
        ["--envs-dir", args.envs_dir] if args.envs_dir else []
    )
    stages = [
        Stage("consumer", "consumer contract tests", consumer_command.main, common, "consumer.xml"),
        Stage(
            "verify",
            "provider verification",
            verify_command.main,
            common,
            "provider-verification.xml",
        ),
        Stage("api-tests", "API tests", api_tests_command.main, common + env_args, "api.xml"),
    ]
    if args.broker:
        stages = _broker_stages(stages, args, common)
    results: list[tuple[Stage, int, float]] = []
    junit_files: list[str] = []
    for stage in stages:
        if stage.name in {"publish", "verify"} and results and results[0][1] != ExitCode.OK:
            # Pacts from failing tests are not a contract: never publish or verify them.
            platform.warning(
                f"consumer tests failed: their pacts are not trustworthy, skipping {stage.name}"
            )
            continue
        platform.info(f"\n▶ {stage.name}: {stage.what}")
        started = time.monotonic()
        code = stage.run(stage.argv, env)
        results.append((stage, code, time.monotonic() - started))
        if stage.junit and (reports / stage.junit).is_file():
            junit_files.append(str(reports / stage.junit))
        if code not in (ExitCode.OK, ExitCode.GATE_FAILED):
            platform.error(f"pipeline stopped: {stage.name} could not decide (exit {code})")
            platform.info(_stage_table(results))
            return code
    platform.info("\n▶ report: one decision over all JUnit reports")
    started = time.monotonic()
    decision = report_command.main(
        [
            *junit_files,
            "--json",
            str(reports / "report.json"),
            "--markdown",
            str(reports / "report.md"),
            *common,
        ],
        env,
    )
    results.append(
        (
            Stage("report", "gate decision", report_command.main, [], None),
            decision,
            time.monotonic() - started,
        )
    )
    platform.info(_stage_table(results))
    return decision


def _broker_stages(stages: list[Stage], args: argparse.Namespace, common: list[str]) -> list[Stage]:
    """consumer -> publish -> verify (pacts from the broker, results published) -> api-tests."""
    from testgate.commands import publish as publish_command

    broker = ["--broker-url", args.broker]
    versions = (["--version", args.version] if args.version else []) + (
        ["--branch", args.branch] if args.branch else []
    )
    provider_versions = (["--provider-version", args.version] if args.version else []) + (
        ["--provider-branch", args.branch] if args.branch else []
    )
    consumer, verify, api = stages
    publish = Stage(
        "publish",
        "publish the pacts to the broker",
        publish_command.main,
        common + broker + versions,
        None,
    )
    verify = Stage(
        "verify",
        "provider verification, pacts from the broker",
        verify_command.main,
        common + broker + ["--broker", "--publish-results", *provider_versions],
        verify.junit,
    )
    return [consumer, publish, verify, api]


def _stage_table(results: list[tuple[Stage, int, float]]) -> str:
    words = {0: "pass", 1: "FAIL", 2: "config error", 3: "could not decide"}
    lines = ["", "pipeline:"]
    for stage, code, seconds in results:
        lines.append(f"  {stage.name:<10} {words.get(int(code), str(code)):<17} {seconds:5.1f}s")
    return "\n".join(lines)
