"""``testgate envs``: list the environments, or show one's settings."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence

from testgate.commands import _common
from testgate.commands.api_tests import add_environment_options
from testgate.config import list_environments, load_environment, resolve
from testgate.errors import ExitCode
from testgate.platforms import Platform

HELP = "list the environments in envs/, or show the settings of one"


def build_parser() -> argparse.ArgumentParser:
    parser = _common.make_parser(
        "envs",
        "List the environments defined in envs/*.env, or show the resolved settings of one\n"
        "(the file, overlaid by variables already set in the environment).",
        """\
  testgate envs
  testgate envs --env beta
  INVENTORY_API_URL=http://127.0.0.1:9000 testgate envs --env local""",
    )
    add_environment_options(parser)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.run(build_parser(), argv, environ, _run)


def _run(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    project = _common.project(env)
    envs_dir = project.path(resolve(args.envs_dir, env, "TESTGATE_ENVS_DIR", "envs"))
    if not args.env:
        names = list_environments(envs_dir)
        platform.info(f"environments in {envs_dir}: {', '.join(names) or '(none)'}")
        return ExitCode.OK
    target = load_environment(args.env, env, envs_dir)
    platform.info(f"{target.name} ({target.file}):")
    for key in sorted(target.values):
        source = "environment" if key in env else "file"
        platform.info(f"  {key}={target.values[key]}    [{source}]")
    return ExitCode.OK
