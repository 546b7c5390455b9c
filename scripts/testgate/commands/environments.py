"""``testgate environments ensure|list``: the broker environments that ``envs/`` defines."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from testgate import broker
from testgate.commands import _common
from testgate.commands._broker import GROUPS, broker_settings, broker_uses
from testgate.config import list_environments
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform
from testgate.settings import CommandSpec, Settings, use
from testgate.settings import build_parser as build_spec_parser

HELP = "create the Pact Broker environments named by envs/*.env that it lacks"

SPEC = CommandSpec(
    name="environments",
    help=HELP,
    description="Keep the Pact Broker's environments in step with envs/*.env: `ensure` creates "
    "the missing ones (pact broker create-environment), `list` shows what the broker has.",
    examples="""\
  testgate environments ensure                     # one broker environment per envs/<name>.env
  testgate environments ensure --production prod   # which of them are production
  testgate environments list""",
    uses=(use("envs-dir"), use("production"), *broker_uses()),
    actions=("ensure", "list"),
    groups=GROUPS,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``environments`` options."""
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate environments``."""
    return _common.execute(SPEC, argv, environ, _run)


def _run(cfg: Settings, platform: Platform) -> int:
    if cfg.action == "list":
        return _broker_list(cfg, platform)
    return _ensure(cfg, platform)


def _broker_list(cfg: Settings, platform: Platform) -> int:
    """The environments the broker knows."""
    settings = broker_settings(cfg, platform)
    assert settings is not None
    names = broker.list_environments(settings, cfg.environ)
    platform.summary(broker.environments_md(listed=names))
    return ExitCode.OK


def _ensure(cfg: Settings, platform: Platform) -> int:
    """Create the broker environments envs/ defines and the broker lacks."""
    names = list_environments(cfg.envs_dir)
    if not names:
        raise ConfigError(
            f"no environments defined: {cfg.envs_dir} has no <name>.env files",
            hint="create envs/<name>.env files or pass --envs-dir",
        )
    settings = broker_settings(cfg, platform)
    assert settings is not None
    production = tuple(cfg.production or ())
    result = broker.ensure_environments(settings, names, production=production, environ=cfg.environ)
    platform.summary(broker.environments_md(result, production=production))
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
