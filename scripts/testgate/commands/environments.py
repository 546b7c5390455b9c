"""``testgate environments ensure``: create the broker environments that ``envs/`` defines."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from testgate import broker
from testgate.commands._broker import add_broker_arguments, settings_from
from testgate.commands._common import make_parser, project, run
from testgate.config import list_environments, resolve
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform

HELP = "create the Pact Broker environments named by envs/*.env that it lacks"

EXAMPLES = """\
  testgate environments ensure                     # one broker environment per envs/<name>.env
  testgate environments ensure --production prod   # which of them are production
  testgate environments list
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``environments`` options."""
    parser = make_parser(
        "environments",
        "Keep the Pact Broker's environments in step with envs/*.env: `ensure` creates the "
        "missing ones (pact broker create-environment), `list` shows what the broker has.",
        EXAMPLES,
    )
    parser.add_argument("action", choices=["ensure", "list"], help="what to do")
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
    settings = settings_from(args, env, platform)
    assert settings is not None
    if args.action == "list":
        names = broker.list_environments(settings, env)
        platform.summary(
            "## Pact Broker environments\n\n"
            + ("\n".join(f"- `{n}`" for n in names) if names else "_none_")
            + "\n"
        )
        return ExitCode.OK
    envs_dir = project(env).path(resolve(args.envs_dir, env, "TESTGATE_ENVS_DIR", "envs"))
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
