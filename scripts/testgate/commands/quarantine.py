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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Settings, setting, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "suggest quarantine entries (owner, reason, expiry) for flaky tests in the history"

SPEC = CommandSpec(
    name="quarantine",
    help=HELP,
    description="Find flaky tests in the history (passed and failed on one commit, or more "
    "than K flips in the last N runs) and write quarantine entries for the gate policy: a "
    "quarantined test's failure does not fail the gate until the entry expires.",
    examples="""\
  testgate quarantine suggest --owner team-orders                 # print the entries
  testgate quarantine suggest --owner team-orders --days 14 --policy gate.toml --write
  testgate report reports/*.xml --policy gate.toml                # the gate honours them""",
    actions=("suggest",),
    action_help="suggest: write or print entries",
    uses=(
        use("quarantine-owner", required=True),
        use("history-file"),
        use("policy", help="gate policy TOML to append to"),
        use("quarantine-write"),
        use("quarantine-days"),
        use("quarantine-reason"),
        use("history-window"),
        use("flaky-max-flips"),
        use("today"),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``quarantine`` command's options."""
    return build_spec_parser(SPEC)


def _existing_patterns(policy: Path) -> list[str]:
    import tomllib

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


def _run(cfg: Settings, platform: Platform) -> int:
    from datetime import UTC, date, datetime, timedelta

    from testgate import files
    from testgate import history as hist
    from testgate.commands.history import trend_for

    owner: str = cfg.quarantine_owner
    days: int = cfg.quarantine_days
    write: bool = cfg.quarantine_write
    policy: Path | None = cfg.policy
    if write and policy is None:
        raise ConfigError(
            "--write needs the policy file to append to",
            hint=f"pass --policy gate.toml or set {setting('policy').env}",
        )
    today: date = cfg.today or datetime.now(UTC).date()
    expires = (today + timedelta(days=days)).isoformat()
    path: Path = cfg.history_file
    history = hist.read_history(path)
    if not history.runs:
        platform.warning(f"history file {path} has no runs: nothing to suggest", file=str(path))
    trend = trend_for(cfg, history)
    already = _existing_patterns(policy) if policy else []
    entries = hist.suggest_quarantine(trend.flaky, owner, expires, already)
    prefix: str | None = cfg.quarantine_reason
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
        from testgate.render.markdown import render_quarantine_md

        platform.summary(render_quarantine_md(entries, policy))
    else:  # for review: the TOML alone on stdout, ready to paste or redirect
        sys.stdout.write(text)
        sys.stdout.flush()
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate quarantine``."""
    return _common.execute(SPEC, argv, environ, _run)
