"""``testgate envs``: an alias of ``testgate environments list`` / ``environments show NAME``.

The local half of ``testgate environments`` lives here: listing the ``envs/<name>.env``
files and showing the resolved settings of one (the file, overlaid by variables already set).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.errors import ExitCode
from testgate.settings import CommandSpec, Settings, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "alias of `environments list` (envs/ only) and `environments show NAME` (--env NAME)"

SPEC = CommandSpec(
    name="envs",
    help=HELP,
    description="An alias kept for older scripts: `testgate envs` lists the envs/*.env files\n"
    "as `testgate environments list` does (without asking a broker), and `testgate envs --env NAME` is\n"
    "`testgate environments show NAME` (the file, overlaid by variables already set).",
    examples="""\
  testgate envs                         # = testgate environments list (the local files)
  testgate envs --env beta              # = testgate environments show beta""",
    uses=(use("env", default=None), use("envs-dir")),
)


def build_parser() -> argparse.ArgumentParser:
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.execute(SPEC, argv, environ, _run)


def _run(cfg: Settings, platform: Platform) -> int:
    # Only the flag shows one environment (the variable alone still lists them, as before).
    name = cfg.env if cfg.source("env") == "flag" else None
    alias_of = f"environments show {name}" if name else "environments list"
    platform.info(f"(`testgate envs` is an alias of `testgate {alias_of}`)")
    if name:
        return show_environment(name, cfg.envs_dir, cfg.environ, platform)
    return list_local_environments(cfg.envs_dir, platform)


def list_local_environments(envs_dir: Path, platform: Platform) -> int:
    """Print the environments defined in ``envs_dir`` (one ``<name>.env`` file each)."""
    from testgate.config import list_environments

    names = list_environments(envs_dir)
    platform.info(f"environments in {envs_dir}: {', '.join(names) or '(none)'}")
    return ExitCode.OK


def show_environment(
    name: str, envs_dir: Path, environ: Mapping[str, str], platform: Platform
) -> int:
    """Print the resolved settings of one environment and where each value comes from.

    Raises:
        ConfigError: the environment does not exist (the message lists those that do).
    """
    from testgate.config import load_environment  # python-dotenv: not for --help

    target = load_environment(name, environ, envs_dir)
    platform.info(f"{target.name} ({target.file}):")
    for key in sorted(target.values):
        source = "environment" if key in environ else "file"
        platform.info(f"  {key}={target.values[key]}    [{source}]")
    return ExitCode.OK
