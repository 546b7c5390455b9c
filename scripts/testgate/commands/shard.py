"""``testgate shard``: pick this runner's share of the tests, balanced by duration.

Durations come from the history file (the mean of each test's recent runs) and/or
a pytest-split ``.test_durations`` file; the tests to split come from a list
(``pytest --collect-only -q`` output) or, without one, from the history's last run.
Prints the selected test ids one a line (or as pytest arguments).
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
    from testgate import history as hist
    from testgate.platforms import Platform

HELP = "select one of N test groups balanced by duration (from history or .test_durations)"

SPEC = CommandSpec(
    name="shard",
    help=HELP,
    description="Split the tests into N groups of about equal duration (greedy, longest first) "
    "and print group I (1-based). Tests with no recorded duration get the mean one, so they "
    "spread evenly. Every runner computes the same split.",
    examples="""\
  pytest --collect-only -q > tests.txt
  testgate shard --shards 4 --index 2 --tests-from tests.txt --format pytest-args
  pytest $(testgate shard --shards 4 --index 2 --tests-from tests.txt)
  testgate shard --shards 4 --index 1 --durations .test_durations --tests-from tests.txt
  testgate shard --write-durations .test_durations     # pytest-split's file, from history
  # GitLab `parallel: 4` sets CI_NODE_TOTAL and CI_NODE_INDEX: no flags needed there""",
    uses=(
        use("shards"),
        use("shard-index"),
        use("history-file", help="history file with the durations"),
        use("durations"),
        use("tests-from"),
        use("shard-format"),
        use("write-durations"),
        use("shard-runs"),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``shard`` command's options."""
    return build_spec_parser(SPEC)


def known_durations(
    history_file: Path, durations_file: Path | None, runs: int, *, history_given: bool = False
) -> tuple[dict[str, float], hist.History | None]:
    """Known test durations: the history's recent runs, then a pytest-split file on top.

    Args:
        history_file: the history; read when it exists or ``history_given``.
        durations_file: a pytest-split ``.test_durations`` file, whose values win.
        runs: recent runs averaged per test.
    """
    from testgate import history as hist
    from testgate import shard

    found: dict[str, float] = {}
    loaded = None
    if history_given or history_file.is_file():
        loaded = hist.read_history(history_file)
        found.update(hist.durations_from_history(loaded, last=runs))
    if durations_file:
        found.update(shard.load_durations(durations_file))
    return found, loaded


def shard_position(shards: str | int | None, index: str | int | None) -> tuple[int, int] | None:
    """(N, I) of this runner; None when neither is set.

    ``shards`` and ``index`` are the settings' values (``CI_NODE_TOTAL`` and ``CI_NODE_INDEX``
    are among their variables in the table).

    Raises:
        ConfigError: only one of the two is set, a value is out of the table's bounds, or I is
            not in 1..N.
    """
    if shards in (None, "") and index in (None, ""):
        return None
    total = None if shards in (None, "") else _count(shards, "shards")
    position = None if index in (None, "") else _count(index, "shard-index")
    if total == 1 and position is None:
        return 1, 1  # one shard needs no index (a matrix of one, or sharding switched off)
    if total is None or position is None:
        missing = [n for n, v in (("shards", total), ("index", position)) if v is None]
        raise ConfigError(
            f"{' and '.join(missing)} not set",
            hint=f"pass --shards N --index I (or env {setting('shards').env} / "
            f"{setting('shard-index').env})",
        )
    if position > total:
        raise ConfigError(
            f"index {position} is out of range for {total} shards (1..{total})",
            hint="the index is 1-based: pass --index 1 to --index N",
        )
    return total, position


def _count(value: object, name: str) -> int:
    """A shard count or index within the table's bounds (the one place they are set)."""
    s = setting(name)
    low, high = int(s.minimum or 1), int(s.maximum or 1)
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ConfigError(
            f"{name} must be a whole number from {low} to {high}, not {value!r}",
            hint=f"pass {s.flag} or set {s.env}",
        )
    return number


def _run(cfg: Settings, platform: Platform) -> int:
    import shlex

    from testgate import shard

    durations, history = known_durations(
        cfg.history_file,
        cfg.durations,
        cfg.shard_runs,
        history_given=cfg.source("history-file") != "default",
    )
    tests_from: str | None = cfg.tests_from
    if tests_from == "-":
        tests = shard.read_test_list(None, sys.stdin.read())
    elif tests_from:
        tests = shard.read_test_list(cfg.project.path(tests_from))
    else:
        tests = history.last_ids() if history else []
    if cfg.write_durations:
        chosen = shard.lookup_durations(tests, durations) if tests_from else durations
        shard.write_durations(chosen, cfg.write_durations)
        shown = _common.shown_path(cfg, cfg.write_durations)
        print(f"wrote {len(chosen)} durations to {shown}", file=sys.stderr)
        return ExitCode.OK

    position = shard_position(cfg.shards, cfg.shard_index)
    if position is None:
        raise ConfigError(
            "shards and index not set",
            hint=f"pass --shards N --index I (or env {setting('shards').env} / "
            f"{setting('shard-index').env})",
        )
    n, i = position
    if not tests:
        raise ConfigError(
            "no tests to split: no --tests-from list and no runs in the history",
            hint="pass --tests-from FILE (pytest --collect-only -q > FILE) or --history FILE",
        )
    tests, dropped = shard.printable_ids(tests)
    if dropped:
        # Test ids come from reports others wrote: one that could steer the job log (a control
        # character, a workflow command at its start) is no pytest node id either.
        platform.warning(
            f"{dropped} test id(s) left out: they hold control characters or start like a "
            "workflow command, so they cannot be pytest node ids"
        )
    plan = shard.plan_shards(tests, shard.lookup_durations(tests, durations), n)
    mine = plan.shards[i - 1]
    fmt: str = cfg.shard_format
    if fmt == "json":
        import json

        print(
            json.dumps(
                {
                    "shards": n,
                    "index": i,
                    "tests": list(mine.tests),
                    "seconds": round(mine.seconds, 4),
                    "ideal": round(plan.ideal, 4),
                    "slowest": round(plan.slowest, 4),
                    "known": plan.known,
                    "unknown": plan.unknown,
                },
                indent=2,
            )
        )
    elif fmt == "pytest-args":
        print(shlex.join(mine.tests))
    else:
        sys.stdout.write("".join(f"{t}\n" for t in mine.tests))
    # The selection goes to stdout; the explanation to stderr, so $(...) stays clean.
    print(
        f"shard {i}/{n}: {len(mine.tests)} of {len(tests)} tests, ~{mine.seconds:.1f} s "
        f"(ideal {plan.ideal:.1f} s, slowest shard {plan.slowest:.1f} s, "
        f"{plan.unknown} tests without a recorded duration)",
        file=sys.stderr,
    )
    platform.output("shard-tests", str(len(mine.tests)))
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate shard``."""
    return _common.execute(SPEC, argv, environ, _run)
