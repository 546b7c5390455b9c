"""``testgate pipeline``: consumer -> verify -> api-tests -> report, locally, in one go."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Settings, setting, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "the whole flow locally: consumer pacts -> verify -> API tests -> report"

SPEC = CommandSpec(
    name="pipeline",
    help=HELP,
    description="Run the contract and API test pipeline on this machine, as CI would:\n"
    "  1. consumer   the consumer's Pact tests write pacts/\n"
    "  2. verify     the provider, started in isolation, is verified against them\n"
    "  3. api-tests  the API tests run against the chosen environment\n"
    "  4. report     one pass/fail decision over all JUnit reports\n"
    "A stage the project does not configure (no [consumer] tests, no [provider] name, no\n"
    "[api-tests] tests) is skipped with a line saying so; envs/ is optional for `local`.\n"
    "A stage that fails the gate does not stop the next ones (you see everything that\n"
    "is wrong at once); a stage that cannot decide (exit 2 or 3) stops the pipeline.\n"
    "The exit code is the report's decision.",
    examples="""\
  testgate pipeline
  testgate pipeline --env local
  PACT_BROKER_TOKEN=... testgate pipeline --broker --broker-url https://broker.example.com
  testgate pipeline --broker https://broker.example.com     # the same, older spelling
  make pipeline BREAK=provider     # in testgate's own repository: the contract-break demo""",
    uses=(
        use("env"),
        use("envs-dir"),
        use(
            "broker",
            help="go through a Pact Broker: publish the pacts after the consumer tests pass, "
            "then verify the provider from the broker and publish the results",
        ),
        use("broker-url"),
        use("version", help="with --broker: the consumer and provider version"),
        use("branch", help="with --broker: the branch of both versions"),
    ),
    groups={
        "Pact Broker": "credentials come only from the environment: PACT_BROKER_TOKEN, or "
        "PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD",
    },
)


@dataclass(frozen=True)
class Stage:
    name: str
    what: str
    run: Callable[[list[str], Mapping[str, str]], int]
    argv: list[str]
    junit: str | None


def build_parser() -> argparse.ArgumentParser:
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.execute(SPEC, _older_broker_flag(argv), environ, _run)


def _older_broker_flag(argv: Sequence[str] | None) -> list[str] | None:
    """``--broker URL`` (the older spelling) is ``--broker --broker-url URL``."""
    if argv is None:
        return None
    out: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        if item.startswith("--broker="):
            out += ["--broker", "--broker-url", item.split("=", 1)[1]]
        elif item == "--broker" and i + 1 < len(items) and not items[i + 1].startswith("-"):
            out += ["--broker", "--broker-url", items[i + 1]]
            i += 1
        else:
            out.append(item)
        i += 1
    return out


def _configured(cfg: Settings, name: str) -> bool:
    return cfg.lookup(name) not in (None, "", ())


def _not_configured(name: str, what: str) -> str:
    s = setting(name)
    return (
        f"skipped: no {what} configured (set [{s.toml_section}] {s.toml_key} in testgate.toml "
        f"or {s.env} to run it)"
    )


def _run(cfg: Settings, platform: Platform) -> int:
    from testgate.commands import api_tests as api_tests_command
    from testgate.commands import consumer as consumer_command
    from testgate.commands import report as report_command
    from testgate.commands import verify as verify_command

    reports = cfg.reports_dir
    # Every stage reads the same testgate.toml (wherever the pipeline runs from) and debug flag.
    env = dict(cfg.environ)
    if cfg.project.file:
        env[setting("project-file").env or ""] = str(cfg.project.file)
    if cfg.debug:
        env[setting("debug").env or ""] = "true"
    common = ["--reports-dir", str(reports)]
    if cfg.platform:
        common += ["--platform", cfg.platform]
    # An unknown environment is a usage error before anything runs (local needs no file).
    api_tests_command.environment(cfg)
    env_args = ["--env", cfg.env, "--envs-dir", str(cfg.envs_dir)]

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
    if cfg.broker:
        stages = _broker_stages(stages, cfg, common)
    skipped = {
        "consumer": None
        if _configured(cfg, "consumer-tests") or _configured(cfg, "consumer-command")
        else ("consumer-tests", "consumer tests"),
        "verify": None if _configured(cfg, "provider") else ("provider", "provider"),
        "api-tests": None
        if _configured(cfg, "api-tests") or _configured(cfg, "api-tests-command")
        else ("api-tests", "API tests"),
    }
    skipped["publish"] = skipped["consumer"]
    if all(skipped[s] for s in ("consumer", "verify", "api-tests")):
        raise ConfigError(
            "nothing to run: the project configures no consumer tests, no provider and no API tests",
            hint="set [consumer] tests, [provider] name or [api-tests] tests in testgate.toml "
            f"({cfg.project.file or cfg.project.root / 'testgate.toml'})",
        )

    results: list[tuple[Stage, int, float]] = []
    junit_files: list[str] = []
    consumer_code: int | None = None
    for stage in stages:
        reason = skipped.get(stage.name)
        if reason:
            platform.info(f"\n▷ {stage.name}: {_not_configured(*reason)}")
            continue
        if stage.name in {"publish", "verify"} and consumer_code not in (None, ExitCode.OK):
            # Pacts from failing tests are not a contract: never publish or verify them.
            platform.warning(
                f"consumer tests failed: their pacts are not trustworthy, skipping {stage.name}"
            )
            continue
        platform.info(f"\n▶ {stage.name}: {stage.what}")
        started = time.monotonic()
        code = stage.run(stage.argv, env)
        results.append((stage, code, time.monotonic() - started))
        if stage.name == "consumer":
            consumer_code = code
        junit = _junit_of(cfg, stage)
        if junit is not None and junit.is_file():
            junit_files.append(str(junit))
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


# The stage's JUnit report when testgate.toml (or a variable) moves it from reports/.
_JUNIT_SETTINGS = {"consumer": "consumer-junit", "api-tests": "api-tests-junit"}


def _junit_of(cfg: Settings, stage: Stage) -> Path | None:
    name = _JUNIT_SETTINGS.get(stage.name)
    configured = cfg.lookup(name) if name else None
    if configured:
        return Path(configured)
    return cfg.reports_dir / stage.junit if stage.junit else None


def _broker_stages(stages: list[Stage], cfg: Settings, common: list[str]) -> list[Stage]:
    """consumer -> publish -> verify (pacts from the broker, results published) -> api-tests."""
    from testgate.commands import publish as publish_command

    broker = ["--broker-url", cfg.broker_url] if cfg.broker_url else []
    versions = (["--version", cfg.version] if cfg.version else []) + (
        ["--branch", cfg.branch] if cfg.branch else []
    )
    provider_versions = (["--provider-version", cfg.version] if cfg.version else []) + (
        ["--provider-branch", cfg.branch] if cfg.branch else []
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
        verify.run,
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
