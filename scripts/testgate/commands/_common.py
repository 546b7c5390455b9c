"""What every command shares: turning settings into a run and errors into exit codes.

Imports that only a run needs (the platform adapters, traceback) wait until the arguments are
parsed, so that ``--help`` and a usage error stay fast (start-up is measured by a test).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate import settings
from testgate.errors import ConfigError, ExitCode, TestgateError
from testgate.settings import CommandSpec, Settings, parse_bool

if TYPE_CHECKING:
    import argparse

    from testgate.platforms import Platform


def debug(environ: Mapping[str, str]) -> bool:
    """The debug setting: tracebacks for errors (an unreadable value means no)."""
    var = settings.setting("debug").env or ""
    try:
        return parse_bool(environ.get(var, "false"), var)
    except ConfigError:
        return False


def _traceback() -> None:
    import traceback

    traceback.print_exc()


def execute(
    spec: CommandSpec,
    argv: Sequence[str] | None,
    environ: Mapping[str, str],
    body: Callable[[Settings, Platform], int],
    *,
    parser: argparse.ArgumentParser | None = None,
) -> int:
    """Parse ``argv`` from the spec, load the settings, run ``body``; errors become exit codes.

    Every missing or invalid setting is reported at once (exit 2) before ``body`` runs. A
    :class:`TestgateError` is one clear message (a traceback only with the debug setting on);
    anything else is an internal error, exit 3, because a gate that cannot decide never passes.
    A closed stdout (``testgate report | head -1``) ends the command quietly.
    """
    parser = parser or settings.build_parser(spec)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    env = dict(environ)
    # Pact's own telemetry is off for every command and every child, unless set.
    env.setdefault("PACT_DO_NOT_TRACK", "true")
    from testgate import platforms

    try:
        platform = platforms.detect(env, getattr(args, "platform", None))
    except TestgateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        cfg = settings.load(spec, args, env, platform)
        if spec.actions:  # the positional action is not a setting: hand it over as cfg.action
            cfg = cfg.with_values(action=args.action)
        # Adapters and children read the reports folder the settings resolved.
        env[settings.setting("reports-dir").env or ""] = str(cfg.reports_dir)
        platform.environ = env
        return int(body(cfg, platform))
    except TestgateError as exc:
        if debug(env):
            _traceback()
        platform.error(str(exc))
        return int(exc.exit_code)
    except KeyboardInterrupt:
        platform.error("interrupted")
        return int(ExitCode.UNDECIDED)
    except BrokenPipeError:
        _quiet_stdout()
        return int(ExitCode.UNDECIDED)
    except Exception as exc:  # a bug in testgate: say so, and never pass
        if debug(env):
            _traceback()
        platform.error(
            f"internal error: {type(exc).__name__}: {exc} "
            f"(set {settings.setting('debug').env}=true for a traceback, and please report it)"
        )
        return int(ExitCode.UNDECIDED)


def how_to_set(name: str) -> str:
    """Every way to set a setting, for messages: ``--provider, env <its variable>, ...``."""
    return settings._how_to_set(settings.setting(name))


def _quiet_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush is silent."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def shown_path(cfg: Settings, path: Path) -> str:
    """A path as people (and outputs) read it: relative to the project root when inside it."""
    try:
        return str(path.relative_to(cfg.project.root))
    except ValueError:
        return str(path)
