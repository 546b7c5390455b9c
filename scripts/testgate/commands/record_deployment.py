"""``testgate record-deployment`` and ``record-release``: tell the broker what runs where.

Record a deployment after each successful deploy (it replaces the version
previously deployed there); record a release for software that several versions
of stay supported at once (mobile apps, libraries).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from testgate import broker
from testgate.commands._broker import add_broker_arguments, settings_from, version_at
from testgate.commands._common import make_parser, run
from testgate.config import resolve
from testgate.errors import ExitCode
from testgate.platforms import Platform

HELP = "record that a version is now deployed to an environment"

EXAMPLES = """\
  testgate record-deployment --pacticipant inventory-api --environment prod   # version = git SHA
  testgate record-deployment --pacticipant inventory-api --version 1a2b3c --environment beta \\
      --application-instance blue
"""

RELEASE_EXAMPLES = """\
  testgate record-release --pacticipant mobile-app --version 4.2.0 --environment prod
"""


def build_parser(kind: str = "deployment") -> argparse.ArgumentParser:
    """The ``record-deployment`` (or ``record-release``) options."""
    parser = make_parser(
        f"record-{kind}",
        f"Record the {kind} of a pacticipant version to an environment in the Pact Broker "
        f"(pact broker record-{kind}).",
        EXAMPLES if kind == "deployment" else RELEASE_EXAMPLES,
    )
    parser.add_argument("--pacticipant", help="application name (env TESTGATE_PACTICIPANT)")
    parser.add_argument(
        "--version", help="its version (env TESTGATE_VERSION; default: the git SHA)"
    )
    parser.add_argument(
        "--environment", metavar="ENV", help="environment (env TESTGATE_ENVIRONMENT)"
    )
    if kind == "deployment":
        parser.add_argument(
            "--application-instance",
            metavar="NAME",
            help="which instance, when several run side by side (env TESTGATE_APPLICATION_INSTANCE)",
        )
    add_broker_arguments(parser)
    return parser


def record(kind: str, args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    """Record a deployment or a release from parsed arguments."""
    settings = settings_from(args, env, platform)
    assert settings is not None
    pacticipant, version, environment = version_at(
        args, env, place="environment", flag_value=args.environment
    )
    if kind == "deployment":
        instance = resolve(args.application_instance, env, "TESTGATE_APPLICATION_INSTANCE")
        broker.record_deployment(
            settings,
            pacticipant=pacticipant,
            version=version,
            environment=environment,
            application_instance=instance,
            environ=env,
        )
    else:
        broker.record_release(
            settings,
            pacticipant=pacticipant,
            version=version,
            environment=environment,
            environ=env,
        )
    verb = "deployed to" if kind == "deployment" else "released to"
    platform.summary(f"## Recorded {kind}\n\n`{pacticipant}` `{version}` {verb} `{environment}`.\n")
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate record-deployment``."""
    return run(
        build_parser("deployment"), argv, environ, lambda a, p, e: record("deployment", a, p, e)
    )


if __name__ == "__main__":
    sys.exit(main())
