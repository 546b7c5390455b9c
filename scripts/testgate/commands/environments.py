"""``testgate environments list|show|ensure``: the environments in ``envs/`` and in the broker.

``list`` and ``show`` are the local part (``testgate envs`` is their old name, kept as an alias;
they live in ``commands/envs.py``); ``ensure`` creates the broker environments ``envs/`` defines.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.commands._broker import GROUPS, broker_settings, broker_uses
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Settings, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "the environments (envs/*.env and the broker's): list, show NAME, ensure in the broker"

SPEC = CommandSpec(
    name="environments",
    help=HELP,
    description="The environments: `list` shows the envs/*.env files and, when a broker is set "
    "(PACT_BROKER_BASE_URL), what the broker has; `show NAME` the resolved settings of one "
    "(the file, overlaid by variables already set); `ensure` creates the broker environments "
    "envs/ defines that it lacks (pact broker create-environment).",
    examples="""\
  testgate environments list                       # envs/*.env, and the broker's with a broker
  testgate environments show beta                  # envs/beta.env overlaid by variables set
  testgate environments ensure                     # one broker environment per envs/<name>.env
  testgate environments ensure --production prod   # which of them are production""",
    uses=(
        use("env", positional=True, help="the environment to show (show only)"),
        use("envs-dir"),
        use("production"),
        *broker_uses(required=False),
    ),
    actions=("list", "show", "ensure"),
    groups=GROUPS,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``environments`` options."""
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate environments``."""
    return _common.execute(SPEC, argv, environ, _run)


def _run(cfg: Settings, platform: Platform) -> int:
    from testgate.commands import envs as local

    named = cfg.source("env") == "flag"
    if cfg.action == "show":
        if not named:
            raise ConfigError(
                "environments show needs the environment's name",
                hint="testgate environments show NAME (one of `testgate environments list`)",
            )
        return local.show_environment(cfg.env, cfg.envs_dir, cfg.environ, platform)
    if named:
        raise ConfigError(f"environments {cfg.action} takes no NAME (got {cfg.env!r})")
    if cfg.action == "list":
        return _list(cfg, platform)
    return _ensure(cfg, platform)


def _list(cfg: Settings, platform: Platform) -> int:
    """The envs/ files, and the environments the broker knows when a broker is set."""
    from testgate import broker
    from testgate.commands import envs as local

    local.list_local_environments(cfg.envs_dir, platform)
    settings = broker_settings(cfg, platform, required=False)
    if settings is None:
        return ExitCode.OK
    names = broker.list_environments(settings, cfg.environ)
    platform.summary(broker.environments_md(listed=names))
    return ExitCode.OK


def _ensure(cfg: Settings, platform: Platform) -> int:
    """Create the broker environments envs/ defines and the broker lacks."""
    from testgate import broker
    from testgate.config import list_environments

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
