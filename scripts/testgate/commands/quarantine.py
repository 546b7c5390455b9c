"""``testgate quarantine suggest``: quarantine entries for the flaky tests in the history.

Writes ``[[quarantine]]`` tables (test, owner, reason, expires) in the gate
policy's format (``testgate report --policy FILE``), appended to the policy file
with ``--write`` or printed for review. Tests a pattern in the policy already
covers are left out, so running it again adds nothing new.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from testgate import files
from testgate import history as hist
from testgate.commands._common import make_parser, run
from testgate.commands.history import DEFAULT_HISTORY, history_path, positive_int, trend_from_args
from testgate.config import parse_bool, resolve
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform
from testgate.render.markdown import render_quarantine_md

HELP = "suggest quarantine entries (owner, reason, expiry) for flaky tests in the history"

EXAMPLES = """\
  testgate quarantine suggest --owner team-orders                 # print the entries
  testgate quarantine suggest --owner team-orders --days 14 --policy gate.toml --write
  testgate report reports/*.xml --policy gate.toml                # the gate honours them
"""

DEFAULT_DAYS = 14


def build_parser() -> argparse.ArgumentParser:
    """The ``quarantine`` command's options."""
    parser = make_parser(
        "quarantine",
        "Find flaky tests in the history (passed and failed on one commit, or more than K flips "
        "in the last N runs) and write quarantine entries for the gate policy: a quarantined "
        "test's failure does not fail the gate until the entry expires.",
        EXAMPLES,
    )
    parser.add_argument("action", choices=("suggest",), help="suggest: write or print entries")
    parser.add_argument(
        "--history",
        metavar="FILE",
        help=f"history file (env TESTGATE_HISTORY_FILE, default {DEFAULT_HISTORY})",
    )
    parser.add_argument(
        "--policy", metavar="FILE", help="gate policy TOML to append to (env TESTGATE_POLICY)"
    )
    parser.add_argument(
        "--write",
        action="store_true",
        default=None,
        help="append the entries to the policy file (env TESTGATE_QUARANTINE_WRITE); "
        "default: print them",
    )
    parser.add_argument(
        "--owner", help="owner of the entries (env TESTGATE_QUARANTINE_OWNER; required)"
    )
    parser.add_argument(
        "--days",
        metavar="N",
        help=f"entries expire N days from today (env TESTGATE_QUARANTINE_DAYS, default {DEFAULT_DAYS})",
    )
    parser.add_argument(
        "--reason-prefix",
        metavar="TEXT",
        help="put this before each reason, e.g. a ticket id (env TESTGATE_QUARANTINE_REASON)",
    )
    parser.add_argument("--last", metavar="N", help="runs searched (env TESTGATE_HISTORY_WINDOW)")
    parser.add_argument(
        "--max-flips", metavar="K", help="flips allowed before flaky (env TESTGATE_FLAKY_MAX_FLIPS)"
    )
    parser.add_argument("--today", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)
    return parser


def _existing_patterns(policy: Path) -> list[str]:
    if not policy.is_file():
        return []
    try:
        data = tomllib.loads(policy.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"cannot read policy {policy}: {exc}", hint="fix the TOML before adding entries"
        ) from exc
    entries = data.get("quarantine") or []
    return [str(e.get("test")) for e in entries if isinstance(e, dict) and e.get("test")]


def _body(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    owner = resolve(args.owner, env, "TESTGATE_QUARANTINE_OWNER")
    if not owner:
        raise ConfigError(
            "owner is required (who will fix or remove the quarantined tests)",
            hint="pass --owner TEAM or set TESTGATE_QUARANTINE_OWNER",
        )
    days = positive_int(
        resolve(args.days, env, "TESTGATE_QUARANTINE_DAYS", DEFAULT_DAYS),
        "days",
        "TESTGATE_QUARANTINE_DAYS",
    )
    write = parse_bool(resolve(args.write, env, "TESTGATE_QUARANTINE_WRITE", False), "write")
    policy_value = resolve(args.policy, env, "TESTGATE_POLICY")
    if write and not policy_value:
        raise ConfigError(
            "--write needs the policy file to append to",
            hint="pass --policy gate.toml or set TESTGATE_POLICY",
        )
    today = date.fromisoformat(args.today) if args.today else datetime.now(UTC).date()
    expires = (today + timedelta(days=days)).isoformat()
    path = history_path(args.history, env)
    history = hist.read_history(path)
    if not history.runs:
        platform.warning(f"history file {path} has no runs: nothing to suggest", file=str(path))
    trend = trend_from_args(args, env, history)
    policy = Path(policy_value) if policy_value else None
    already = _existing_patterns(policy) if policy else []
    entries = hist.suggest_quarantine(trend.flaky, owner, expires, already)
    prefix = resolve(args.reason_prefix, env, "TESTGATE_QUARANTINE_REASON")
    if prefix:
        entries = [
            hist.QuarantineSuggestion(e.test, e.owner, f"{prefix}: {e.reason}", e.expires)
            for e in entries
        ]
    text = hist.render_quarantine_toml(entries, generated=today.isoformat())
    platform.output("quarantine-count", str(len(entries)))
    if not entries:
        platform.info(
            f"quarantine: no new flaky tests in the last {trend.window} runs "
            f"({len(trend.flaky)} flaky, {len(trend.flaky) - len(entries)} already quarantined)"
        )
        return ExitCode.OK
    if write and policy is not None:
        old = policy.read_text(encoding="utf-8") if policy.is_file() else ""
        sep = "" if not old or old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
        files.write_text(policy, old + sep + text, what="policy file")
        platform.info(
            f"quarantine: added {len(entries)} entries to {policy} (expire {expires}, owner {owner})"
        )
        platform.summary(render_quarantine_md(entries, policy))
    else:  # for review: the TOML alone on stdout, ready to paste or redirect
        sys.stdout.write(text)
        sys.stdout.flush()
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate quarantine``."""
    return run(build_parser(), argv, environ, _body)
