"""``testgate environments list|show|ensure``: the environments in ``envs/`` and in the broker.

``list`` and ``show`` are the local part (``testgate envs`` is their old name, kept as an alias;
they live in ``commands/envs.py``); ``ensure`` creates the broker environments ``envs/`` defines.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from testgate import broker
from testgate.commands import envs as local
from testgate.commands._broker import add_broker_arguments, settings_from
from testgate.commands._common import make_parser, project, run
from testgate.config import list_environments, resolve
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform

HELP = "the environments (envs/*.env and the broker's): list, show NAME, ensure in the broker"

EXAMPLES = """\
  testgate environments list                       # envs/*.env, and the broker's with a broker
  testgate environments show beta                  # envs/beta.env overlaid by variables set
  testgate environments ensure                     # one broker environment per envs/<name>.env
  testgate environments ensure --production prod   # which of them are production
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``environments`` options."""
    parser = make_parser(
        "environments",
        "The environments: `list` shows the envs/*.env files and, when a broker is set "
        "(PACT_BROKER_BASE_URL), what the broker has; `show NAME` the resolved settings of one "
        "(the file, overlaid by variables already set); `ensure` creates the broker environments "
        "envs/ defines that it lacks (pact broker create-environment).",
        EXAMPLES,
    )
    parser.add_argument("action", choices=["list", "show", "ensure"], help="what to do")
    parser.add_argument("name", nargs="?", metavar="NAME", help="the environment to show")
    parser.add_argument(
        "--envs-dir",
        metavar="DIR",
        help="where the <name>.env files are (env TESTGATE_ENVS_DIR; default envs)",
    )
    parser.add_argument(
        "--production",
        metavar="NAMES",
        help="comma-separated production environments (env TESTGATE_PRODUCTION; default prod,production)",
    )
    add_broker_arguments(parser)
    return parser


def _body(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    envs_dir = project(env).path(resolve(args.envs_dir, env, "TESTGATE_ENVS_DIR", "envs"))
    if args.action == "show":
        if not args.name:
            raise ConfigError(
                "environments show needs the environment's name",
                hint="testgate environments show NAME (one of `testgate environments list`)",
            )
        return local.show_environment(args.name, envs_dir, env, platform)
    if args.name:
        raise ConfigError(f"environments {args.action} takes no NAME (got {args.name!r})")
    settings = settings_from(args, env, platform, required=args.action != "list")
    if args.action == "list":
        local.list_local_environments(envs_dir, platform)
        if settings is None:
            return ExitCode.OK
        names = broker.list_environments(settings, env)
        platform.summary(
            "## Pact Broker environments\n\n"
            + ("\n".join(f"- `{n}`" for n in names) if names else "_none_")
            + "\n"
        )
        return ExitCode.OK
    assert settings is not None
    names = list_environments(envs_dir)
    if not names:
        raise ConfigError(
            f"no environments defined: {envs_dir} has no <name>.env files",
            hint="create envs/<name>.env files or pass --envs-dir",
        )
    production = [
        n.strip()
        for n in str(resolve(args.production, env, "TESTGATE_PRODUCTION", "prod,production")).split(
            ","
        )
        if n.strip()
    ]
    result = broker.ensure_environments(settings, names, production=production, environ=env)
    lines = ["## Pact Broker environments", ""]
    lines += [
        f"- `{n}`: created" + (" (production)" if n in production else "") for n in result.created
    ]
    lines += [f"- `{n}`: already there" for n in result.existing]
    platform.summary("\n".join(lines) + "\n")
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate environments``."""
    return run(build_parser(), argv, environ, _body)


if __name__ == "__main__":
    sys.exit(main())
