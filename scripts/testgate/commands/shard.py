"""``testgate shard``: pick this runner's share of the tests, balanced by duration.

Durations come from the history file (the mean of each test's recent runs) and/or
a pytest-split ``.test_durations`` file; the tests to split come from a list
(``pytest --collect-only -q`` output) or, without one, from the history's last run.
Prints the selected test ids one a line (or as pytest arguments).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from testgate import history as hist
from testgate import shard
from testgate.commands._common import make_parser, run
from testgate.commands.history import DEFAULT_HISTORY, positive_int
from testgate.config import resolve
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform
from testgate.platforms.context import ci_context

HELP = "select one of N test groups balanced by duration (from history or .test_durations)"

EXAMPLES = """\
  pytest --collect-only -q > tests.txt
  testgate shard --shards 4 --index 2 --tests-from tests.txt --format pytest-args
  pytest $(testgate shard --shards 4 --index 2 --tests-from tests.txt)
  testgate shard --shards 4 --index 1 --durations .test_durations --tests-from tests.txt
  testgate shard --write-durations .test_durations     # pytest-split's file, from history
  # GitLab `parallel: 4` sets CI_NODE_TOTAL and CI_NODE_INDEX: no flags needed there
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``shard`` command's options."""
    parser = make_parser(
        "shard",
        "Split the tests into N groups of about equal duration (greedy, longest first) and print "
        "group I (1-based). Tests with no recorded duration get the mean one, so they spread "
        "evenly. Every runner computes the same split.",
        EXAMPLES,
    )
    parser.add_argument(
        "--shards",
        metavar="N",
        help="number of groups (env TESTGATE_SHARDS, or GitLab's CI_NODE_TOTAL)",
    )
    parser.add_argument(
        "--index",
        metavar="I",
        help="this runner's group, 1..N (env TESTGATE_SHARD_INDEX, or GitLab's CI_NODE_INDEX)",
    )
    parser.add_argument(
        "--history",
        metavar="FILE",
        help=f"history file with durations (env TESTGATE_HISTORY_FILE, default {DEFAULT_HISTORY})",
    )
    parser.add_argument(
        "--durations",
        metavar="FILE",
        help="pytest-split .test_durations file (env TESTGATE_DURATIONS); wins over history",
    )
    parser.add_argument(
        "--tests-from",
        metavar="FILE",
        help="tests to split, one id a line, - for stdin (env TESTGATE_TESTS_FROM; "
        "default: the tests of the history's last run)",
    )
    parser.add_argument(
        "--format",
        choices=("ids", "pytest-args", "json"),
        help="ids: one a line (default); pytest-args: one shell-quoted line; json: the whole plan",
    )
    parser.add_argument(
        "--write-durations",
        metavar="FILE",
        help="write the known durations in pytest-split's format to FILE and exit",
    )
    parser.add_argument(
        "--runs",
        metavar="N",
        help="recent runs averaged per test (env TESTGATE_SHARD_RUNS, default 10)",
    )
    return parser


def durations_for(
    env: Mapping[str, str],
    *,
    history: str | None = None,
    durations: str | None = None,
    runs: str | int | None = None,
) -> tuple[dict[str, float], hist.History | None]:
    """Known test durations: the history's recent runs, then a pytest-split file on top.

    Shared with ``testgate api-tests --shards``.
    """
    found: dict[str, float] = {}
    loaded = None
    history_file = Path(resolve(history, env, "TESTGATE_HISTORY_FILE", DEFAULT_HISTORY))
    if history_file.is_file() or history:
        loaded = hist.read_history(history_file)
        last = positive_int(
            resolve(runs, env, "TESTGATE_SHARD_RUNS", 10), "runs", "TESTGATE_SHARD_RUNS"
        )
        found.update(hist.durations_from_history(loaded, last=last))
    durations_file = resolve(durations, env, "TESTGATE_DURATIONS")
    if durations_file:
        found.update(shard.load_durations(Path(durations_file)))
    return found, loaded


def shard_position(
    shards: str | int | None, index: str | int | None, env: Mapping[str, str]
) -> tuple[int, int] | None:
    """(N, I) from the flags, TESTGATE_SHARDS/TESTGATE_SHARD_INDEX or GitLab's CI_NODE_*; None if unset.

    Raises:
        ConfigError: only one of the two is set, or I is not in 1..N.
    """
    ci = ci_context(env)
    total = resolve(shards, {}, "", ci.shard_total)
    position = resolve(index, {}, "", ci.shard_index)
    if not total and not position:
        return None
    if total and not position and str(total).strip() == "1":
        return 1, 1  # one shard needs no index (a matrix of one, or sharding switched off)
    if not total or not position:
        missing = [n for n, v in (("shards", total), ("index", position)) if not v]
        raise ConfigError(
            f"{' and '.join(missing)} not set",
            hint="pass --shards N --index I (or env TESTGATE_SHARDS / TESTGATE_SHARD_INDEX)",
        )
    n = positive_int(total, "shards", "TESTGATE_SHARDS")
    i = positive_int(position, "index", "TESTGATE_SHARD_INDEX")
    if i > n:
        raise ConfigError(
            f"index {i} is out of range for {n} shards (1..{n})",
            hint="the index is 1-based: pass --index 1 to --index N",
        )
    return n, i


def _body(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    durations, history = durations_for(
        env, history=args.history, durations=args.durations, runs=args.runs
    )
    tests_from = resolve(args.tests_from, env, "TESTGATE_TESTS_FROM")
    if tests_from == "-":
        tests = shard.read_test_list(None, sys.stdin.read())
    elif tests_from:
        tests = shard.read_test_list(Path(tests_from))
    else:
        tests = history.last_ids() if history else []
    if args.write_durations:
        chosen = shard.lookup_durations(tests, durations) if tests_from else durations
        shard.write_durations(chosen, Path(args.write_durations))
        print(f"wrote {len(chosen)} durations to {args.write_durations}", file=sys.stderr)
        return ExitCode.OK

    position = shard_position(args.shards, args.index, env)
    if position is None:
        raise ConfigError(
            "shards and index not set",
            hint="pass --shards N --index I (or env TESTGATE_SHARDS / TESTGATE_SHARD_INDEX)",
        )
    n, i = position
    if not tests:
        raise ConfigError(
            "no tests to split: no --tests-from list and no runs in the history",
            hint="pass --tests-from FILE (pytest --collect-only -q > FILE) or --history FILE",
        )
    plan = shard.plan_shards(tests, shard.lookup_durations(tests, durations), n)
    mine = plan.shards[i - 1]
    fmt = args.format or "ids"
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
    return run(build_parser(), argv, environ, _body)
