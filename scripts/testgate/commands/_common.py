"""What every command shares: common options and turning errors into exit codes."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate import platforms, settings
from testgate.errors import ConfigError, ExitCode, TestgateError
from testgate.platforms import Platform
from testgate.settings import CommandSpec, Settings, parse_bool

if TYPE_CHECKING:
    from testgate.config import ProjectConfig

EXIT_CODES_EPILOG = (
    "exit codes: 0 passed, 1 gate failed, 2 usage or configuration error, 3 could not decide"
)


class _Parser(argparse.ArgumentParser):
    """argparse, but its usage errors name the command and exit 2 as documented."""


def make_parser(prog: str, description: str, examples: str) -> argparse.ArgumentParser:
    """A sub-command parser with the shared options and an examples epilog."""
    parser = _Parser(
        prog=f"testgate {prog}",
        description=description,
        epilog=f"examples:\n{examples.rstrip()}\n\n{EXIT_CODES_EPILOG}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = parser.add_argument_group("common options")
    common.add_argument(
        "--platform",
        choices=sorted(platforms.PLATFORMS),
        help="CI platform to report to (default: detected; env TESTGATE_PLATFORM)",
    )
    common.add_argument(
        "--reports-dir",
        metavar="DIR",
        help="where reports and summaries go (default: reports; env TESTGATE_REPORTS_DIR)",
    )
    return parser


def environ_with_reports_dir(
    args: argparse.Namespace, environ: Mapping[str, str]
) -> dict[str, str]:
    """``environ`` with ``--reports-dir`` applied, so adapters and library agree on it."""
    env = dict(environ)
    if getattr(args, "reports_dir", None):
        env["TESTGATE_REPORTS_DIR"] = args.reports_dir
    return env


def reports_dir(environ: Mapping[str, str]) -> Path:
    """The reports folder (``TESTGATE_REPORTS_DIR``, default ``reports``)."""
    return Path(environ.get("TESTGATE_REPORTS_DIR") or "reports")


def project(environ: Mapping[str, str]) -> ProjectConfig:
    """The project configuration, found from the current directory."""
    from testgate.config import load_project  # python-dotenv: only for the older commands

    return load_project(Path.cwd(), environ)


def pact_dir(project: ProjectConfig, env: Mapping[str, str], flag_value: str | None) -> Path:
    """The pact folder: ``--pact-dir``, TESTGATE_PACT_DIR, ``[consumer] pact-dir``, else ``pacts``."""
    from testgate.config import resolve

    value = resolve(
        flag_value, env, "TESTGATE_PACT_DIR", project.get("consumer", "pact-dir"), "pacts"
    )
    return project.path(value)


def debug(environ: Mapping[str, str]) -> bool:
    try:
        return parse_bool(environ.get("TESTGATE_DEBUG", "false"), "TESTGATE_DEBUG")
    except ConfigError:
        return False


def run(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    environ: Mapping[str, str],
    body: Callable[[argparse.Namespace, Platform, dict[str, str]], int],
) -> int:
    """Parse ``argv``, detect the platform and run ``body``; errors become exit codes.

    A :class:`TestgateError` is printed as one clear message (no traceback unless
    ``TESTGATE_DEBUG=true``); anything else is an internal error, exit 3, because
    a gate that cannot decide must never pass.
    """
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    env = environ_with_reports_dir(args, environ)
    env.setdefault("PACT_DO_NOT_TRACK", "true")  # as execute() does
    try:
        platform = platforms.detect(env, getattr(args, "platform", None))
    except TestgateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        return int(body(args, platform, env))
    except TestgateError as exc:
        if debug(env):
            traceback.print_exc()
        platform.error(str(exc))
        return int(exc.exit_code)
    except KeyboardInterrupt:
        platform.error("interrupted")
        return int(ExitCode.UNDECIDED)
    except Exception as exc:  # a bug in testgate: say so, and never pass
        if debug(env):
            traceback.print_exc()
        platform.error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(set TESTGATE_DEBUG=true for a traceback, and please report it)"
        )
        return int(ExitCode.UNDECIDED)


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
    :class:`TestgateError` is one clear message (a traceback only with ``TESTGATE_DEBUG=true``);
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
        env["TESTGATE_REPORTS_DIR"] = str(cfg.reports_dir)
        platform.environ = env
        return int(body(cfg, platform))
    except TestgateError as exc:
        if debug(env):
            traceback.print_exc()
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
            traceback.print_exc()
        platform.error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(set TESTGATE_DEBUG=true for a traceback, and please report it)"
        )
        return int(ExitCode.UNDECIDED)


def how_to_set(name: str) -> str:
    """Every way to set a setting, for messages: ``--provider, env TESTGATE_PROVIDER, ...``."""
    return settings._how_to_set(settings.setting(name))


def spelled(name: str) -> str:
    """A setting as a person types it: its flag and its variable (``--broker / TESTGATE_BROKER``)."""
    s = settings.setting(name)
    return " / ".join(x for x in (s.flag, s.env) if x) or name


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
