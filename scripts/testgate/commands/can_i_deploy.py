"""``testgate can-i-deploy``: ask the Pact Broker whether a version may go to an environment."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence

from testgate import broker
from testgate.commands._broker import add_broker_arguments, settings_from, version_at
from testgate.commands._common import make_parser, reports_dir, run
from testgate.config import parse_bool, resolve
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform

HELP = "ask the Pact Broker whether a version can be deployed to an environment"

EXAMPLES = """\
  testgate can-i-deploy --pacticipant dashboard-api --to-environment prod   # version = git SHA
  testgate can-i-deploy --pacticipant inventory-api --version 1a2b3c --to-environment beta \\
      --retry-while-unknown 6 --retry-interval 10
  TESTGATE_DRY_RUN=true testgate can-i-deploy ...   # report FAIL but exit 0 (break glass)
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``can-i-deploy`` options."""
    parser = make_parser(
        "can-i-deploy",
        "Check the Pact Broker's matrix: may this version be deployed next to what is already "
        "in the environment? Writes a Markdown summary and reports/can-i-deploy.json; "
        "unknown results fail closed.",
        EXAMPLES,
    )
    parser.add_argument("--pacticipant", help="application name (env TESTGATE_PACTICIPANT)")
    parser.add_argument(
        "--version", help="its version (env TESTGATE_VERSION; default: the git SHA)"
    )
    parser.add_argument(
        "--to-environment", metavar="ENV", help="target environment (env TESTGATE_TO_ENVIRONMENT)"
    )
    parser.add_argument(
        "--retry-while-unknown",
        type=int,
        metavar="N",
        help="poll N times while verification results are missing (env TESTGATE_RETRY_WHILE_UNKNOWN; default 0)",
    )
    parser.add_argument(
        "--retry-interval",
        type=int,
        metavar="S",
        help="seconds between polls (env TESTGATE_RETRY_INTERVAL; default 10)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=None,
        help="report the decision but exit 0 (env TESTGATE_DRY_RUN)",
    )
    parser.add_argument(
        "--json",
        metavar="FILE",
        help="where to write the decision as JSON (env TESTGATE_JSON; default reports/can-i-deploy.json)",
    )
    add_broker_arguments(parser)
    return parser


def _int(value: object, name: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise ConfigError(f"{name} must not be negative")
    return number


def _body(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    settings = settings_from(args, env, platform)
    assert settings is not None
    pacticipant, version, to_environment = version_at(
        args, env, place="to-environment", flag_value=args.to_environment
    )
    retries = _int(
        resolve(args.retry_while_unknown, env, "TESTGATE_RETRY_WHILE_UNKNOWN", 0),
        "retry-while-unknown",
    )
    interval = _int(
        resolve(args.retry_interval, env, "TESTGATE_RETRY_INTERVAL", 10), "retry-interval"
    )
    dry_run = parse_bool(resolve(args.dry_run, env, "TESTGATE_DRY_RUN", False), "TESTGATE_DRY_RUN")
    decision = broker.can_i_deploy(
        settings,
        pacticipant=pacticipant,
        version=version,
        to_environment=to_environment,
        retry_while_unknown=retries,
        retry_interval=interval,
        environ=env,
    )
    out = resolve(args.json, env, "TESTGATE_JSON") or str(reports_dir(env) / "can-i-deploy.json")
    doc = decision.to_json()
    doc["dry_run"] = dry_run
    try:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc}", hint="choose another --json path") from None
    platform.summary(broker.render_can_i_deploy_md(decision, dry_run=dry_run))
    platform.output("deployable", "true" if decision.passed else "false")
    if decision.passed:
        return ExitCode.OK
    for reason in decision.reasons:
        platform.error(f"can-i-deploy: {reason}")
    return ExitCode.OK if dry_run else ExitCode.GATE_FAILED


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate can-i-deploy``."""
    return run(build_parser(), argv, environ, _body)


if __name__ == "__main__":
    sys.exit(main())
