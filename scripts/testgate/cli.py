"""``testgate``: one thin command-line tool behind every CI template.

Each sub-command lives in ``testgate.commands.<module>`` and exposes ``SPEC`` (its
:class:`~testgate.settings.CommandSpec`: the one-line help, description, examples and the
settings it uses; older modules a ``HELP`` line), ``build_parser()`` and
``main(argv, environ) -> int``, so it can be run and tested on its own.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence

from testgate import __version__
from testgate.errors import ExitCode

# command name -> module under testgate.commands (one line each; keep sorted by pipeline order)
COMMANDS: dict[str, str] = {
    "consumer": "consumer",
    "verify": "verify",
    "api-tests": "api_tests",
    "report": "report",
    "pipeline": "pipeline",
    "publish": "publish",
    "can-i-deploy": "can_i_deploy",
    "record-deployment": "record_deployment",
    "record-release": "record_release",
    "environments": "environments",
    "webhook": "webhook",
    "monitor": "monitor",
    "history": "history",
    "shard": "shard",
    "quarantine": "quarantine",
    "testrail": "testrail",
    "envs": "envs",  # alias of `environments list|show`, kept for older scripts
    "ci": "ci",
    "init": "init",
    "doctor": "doctor",
}

USAGE = """\
usage: testgate <command> [options]

API tests and Pact contract tests as CI gates.

commands:
{commands}

Run `testgate <command> --help` for a command's options and examples.

exit codes: 0 passed, 1 gate failed, 2 usage or configuration error, 3 could not decide

examples:
  testgate pipeline --env local        # consumer pacts -> verify -> API tests -> report
  testgate report reports/*.xml        # one pass/fail decision over JUnit files
"""


def _load(name: str):
    return importlib.import_module(f"testgate.commands.{COMMANDS[name]}")


def help_line(name: str) -> str:
    """A command's one-line help: its spec's (or, not moved yet, its module's HELP)."""
    module = _load(name)
    spec = getattr(module, "SPEC", None)
    return spec.help if spec is not None else module.HELP


def _usage() -> str:
    lines = [f"  {name:<20} {help_line(name)}" for name in COMMANDS]
    return USAGE.format(commands="\n".join(lines))


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Dispatch to a sub-command and return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return ExitCode.OK if args else ExitCode.USAGE
    if args[0] in {"-V", "--version"}:
        print(f"testgate {__version__}")
        return ExitCode.OK
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"testgate: unknown command {name!r}\n", file=sys.stderr)
        print(_usage(), file=sys.stderr)
        return ExitCode.USAGE
    return int(_load(name).main(rest, env))


if __name__ == "__main__":
    sys.exit(main())
