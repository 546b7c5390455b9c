"""``testgate doctor``: one checklist over everything testgate needs, each failure with its fix."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _broker, _common
from testgate.commands._broker import GROUPS, broker_uses
from testgate.commands.verify import PROVIDER_START, provider_under_test
from testgate.errors import ConfigError, ExitCode, TestgateError
from testgate.settings import CommandSpec, Settings, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "check the config, the provider, its states, the pacts, envs/ and the broker"

SPEC = CommandSpec(
    name="doctor",
    help=HELP,
    description="One checklist, ✓ or ✗ with the fix, over what testgate needs here:\n"
    "  config        testgate.toml read by the strict loader (an unknown key is an error)\n"
    "  tests         the consumer and API tests' folders, or their commands' programs\n"
    "  pact folder   writable for a consumer; the provider's pacts in it\n"
    "  provider      started as verify starts it, answering its ready path\n"
    '  states        every provider state in the pacts, and the empty state "", set up\n'
    "                and torn down through the state endpoint\n"
    "  environments  each envs/<name>.env loads and says where the service is\n"
    "  broker        reachable, and the credentials accepted (one call, broker-timeout)\n"
    "Exit 0 only when every check holds; 1 when one fails; 2 when testgate.toml is invalid.",
    examples="""\
  testgate doctor
  PACT_BROKER_BASE_URL=https://broker.example.com PACT_BROKER_TOKEN=... testgate doctor
  testgate doctor --start-timeout 60        # a provider that starts slowly""",
    # the consumer's and API tests' settings are read with cfg.lookup (variable, testgate.toml,
    # default): both commands spell --tests and --junit, which one parser cannot hold twice
    uses=(
        use("provider"),
        *PROVIDER_START,
        use("states-path"),
        use("url-variable"),
        use("envs-dir"),
        *broker_uses(required=False),
    ),
    groups=GROUPS,
)


def build_parser() -> argparse.ArgumentParser:
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    from testgate import settings

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return int(exc.code or 0)
    from testgate import doctor, platforms

    explicit = getattr(args, "project_file", None) or environ.get(
        settings.setting("project-file").env or ""
    )
    try:
        settings.load_project(Path.cwd(), explicit or None)
    except ConfigError as exc:  # a checklist line, not only an error
        try:
            platform = platforms.detect(environ, getattr(args, "platform", None))
        except TestgateError:
            return _common.execute(SPEC, argv, environ, _run)
        for line in doctor.render([doctor.Check("config", False, exc.message, exc.hint)]):
            platform.info(line)
        return int(ExitCode.USAGE)
    return _common.execute(SPEC, argv, environ, _run)


def _run(cfg: Settings, platform: Platform) -> int:
    from testgate import doctor
    from testgate.commands import _suite
    from testgate.doctor import Check

    root = cfg.project.root
    checks: list[Check] = []
    if cfg.project.file:
        checks.append(Check("config", True, f"{cfg.project.file}: every section and key known"))
    else:
        checks.append(
            Check("config", False, f"no testgate.toml in {root} or above", "run testgate init")
        )
    tests, command = cfg.lookup("consumer-tests"), cfg.lookup("consumer-command")
    consumer = bool(tests or command)
    if consumer:
        checks += doctor.check_suite(
            "consumer tests",
            tests,
            command,
            _suite.command_cwd(tests, cfg.lookup("consumer-cwd"), root),
            tests_setting="consumer-tests",
            command_setting="consumer-command",
        )
    folder, pacts = doctor.check_pact_folder(cfg.pact_dir, consumer=consumer, provider=cfg.provider)
    checks += folder
    if cfg.provider:
        checks += _provider(cfg, platform, pacts)
    tests, command = cfg.lookup("api-tests"), cfg.lookup("api-tests-command")
    api = bool(tests or command)
    if api:
        checks += doctor.check_suite(
            "API tests",
            tests,
            command,
            _suite.command_cwd(tests, cfg.lookup("api-tests-cwd"), root),
            tests_setting="api-tests",
            command_setting="api-tests-command",
        )
    checks += doctor.check_environments(
        cfg.envs_dir,
        environ=cfg.environ,
        url_variable=cfg.url_variable if api else None,
        provider_starts=bool(cfg.provider and cfg.provider_command),
    )
    broker = _broker.broker_settings(cfg, platform, required=False)
    if broker is None:
        checks.append(
            Check("broker", None, "not configured (PACT_BROKER_BASE_URL): pacts stay local")
        )
    else:
        checks.append(doctor.check_broker(broker, cfg.environ))
    for line in doctor.render(checks):
        platform.info(line)
    platform.summary(doctor.render_md(checks))
    failed = sum(1 for c in checks if c.ok is False)
    platform.output("decision", "fail" if failed else "pass")
    platform.info(
        f"\n{failed} check(s) to fix" if failed else "\nready: testgate pipeline runs it all"
    )
    return ExitCode.GATE_FAILED if failed else ExitCode.OK


def _provider(cfg: Settings, platform: Platform, pacts: list) -> list:
    from testgate import doctor
    from testgate.doctor import Check

    name = cfg.provider
    if not cfg.provider_command:
        return [
            Check(
                "provider",
                None,
                "no provider-command: verify needs --provider-url (a deployed provider) here",
                "set [provider] command to start it in isolation",
            )
        ]
    started = time.monotonic()
    checks: list[Check] = []
    try:
        with provider_under_test(cfg, cfg.environ, url=None, name=name) as running:
            seconds = time.monotonic() - started
            log = running.log
            checks.append(
                Check(
                    "provider",
                    True,
                    f"{name} started in {seconds:.1f} s and answers {cfg.ready_path} at "
                    f"{running.url} (log {log})",
                )
            )
            checks += doctor.check_states(running.url, cfg.states_path, pacts, log)
            checks += [
                Check("stubs", False, problem, "see the stub's log beside the provider's")
                for problem in running.stubs.problems()
            ]
    except TestgateError as exc:
        checks.append(Check("provider", False, exc.message, exc.hint))
    return checks
