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
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.commands._broker import GROUPS, broker_settings, broker_uses
from testgate.errors import ExitCode
from testgate.settings import CommandSpec, Settings, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "record that a version is now deployed to an environment"


def spec(kind: str = "deployment") -> CommandSpec:
    """``record-deployment`` (or, with ``kind="release"``, ``record-release``)."""
    examples = (
        """\
  testgate record-deployment --pacticipant inventory-api --environment prod   # version = git SHA
  testgate record-deployment --pacticipant inventory-api --version 1a2b3c --environment beta \\
      --application-instance blue"""
        if kind == "deployment"
        else """\
  testgate record-release --pacticipant mobile-app --version 4.2.0 --environment prod"""
    )
    instance = (use("application-instance"),) if kind == "deployment" else ()
    return CommandSpec(
        name=f"record-{kind}",
        help=HELP
        if kind == "deployment"
        else "record that a version is released (and supported) in an environment",
        description=f"Record the {kind} of a pacticipant version to an environment in the Pact "
        f"Broker (pact broker record-{kind}).",
        examples=examples,
        uses=(
            use("pacticipant", required=True),
            use("version", required=True),
            use("environment", required=True),
            *instance,
            *broker_uses(),
        ),
        groups=GROUPS,
    )


SPEC = spec("deployment")


def build_parser(kind: str = "deployment") -> argparse.ArgumentParser:
    """The ``record-deployment`` (or ``record-release``) options."""
    return build_spec_parser(spec(kind))


def record(kind: str, cfg: Settings, platform: Platform) -> int:
    """Record a deployment or a release."""
    from testgate import broker

    settings = broker_settings(cfg, platform)
    assert settings is not None
    if kind == "deployment":
        broker.record_deployment(
            settings,
            pacticipant=cfg.pacticipant,
            version=cfg.version,
            environment=cfg.environment,
            application_instance=cfg.application_instance,
            environ=cfg.environ,
        )
    else:
        broker.record_release(
            settings,
            pacticipant=cfg.pacticipant,
            version=cfg.version,
            environment=cfg.environment,
            environ=cfg.environ,
        )
    platform.summary(broker.recorded_md(kind, cfg.pacticipant, cfg.version, cfg.environment))
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate record-deployment``."""
    return _common.execute(SPEC, argv, environ, lambda c, p: record("deployment", c, p))


if __name__ == "__main__":
    sys.exit(main())
