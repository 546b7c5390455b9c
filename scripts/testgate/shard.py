"""Split a test suite into N groups of about equal duration, for N CI runners.

Durations use pytest-split's ``.test_durations`` format (a JSON object of test
id -> seconds), which ``testgate shard --write-durations`` also writes from the
history, so the same file works with ``pytest --splits N --group I``.

Balancing is greedy LPT (longest processing time first): tests sorted by
duration, longest first, each onto the currently lightest shard. Tests with no
recorded duration get the mean of the known ones (what pytest-split does), so
they are spread evenly. Every runner computes the same partition: ties are
broken by test id, never by chance.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from testgate.errors import ConfigError, ReportError
from testgate.files import read_json, write_text


@dataclass(frozen=True)
class Shard:
    """One group: its 1-based index, tests in the input order, and estimated seconds."""

    index: int
    tests: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class ShardPlan:
    """All groups of a split, with the numbers to judge the balance."""

    shards: tuple[Shard, ...]
    total: float
    known: int
    unknown: int

    @property
    def ideal(self) -> float:
        """Total estimated seconds over the number of shards."""
        return self.total / len(self.shards) if self.shards else 0.0

    @property
    def slowest(self) -> float:
        """Estimated seconds of the slowest shard."""
        return max((s.seconds for s in self.shards), default=0.0)

    @property
    def imbalance(self) -> float:
        """How far the slowest shard is above the ideal (0.05 = 5 %)."""
        return self.slowest / self.ideal - 1.0 if self.ideal > 0 else 0.0


def nodeid_to_junit_id(nodeid: str) -> str:
    """A pytest node id as the JUnit-derived id the report uses.

    ``tests/api/test_x.py::TestA::test_b[1]`` -> ``tests.api.test_x.TestA::test_b[1]``
    (pytest's JUnit ``classname`` is the module path with dots plus the classes).
    """
    if "::" not in nodeid:
        return nodeid
    path, *parts = nodeid.split("::")
    name = parts[-1]
    module = path[:-3] if path.endswith(".py") else path
    classname = ".".join([module.replace("\\", "/").replace("/", "."), *parts[:-1]])
    return f"{classname}::{name}"


def load_durations(path: Path) -> dict[str, float]:
    """Read a pytest-split ``.test_durations`` file (test id -> seconds).

    Raises:
        ConfigError: missing file. ReportError: not a JSON object of numbers.
    """
    data = read_json(
        path,
        "durations file",
        missing_error=ConfigError,
        missing_hint="write one with `testgate shard --write-durations FILE` "
        "or pytest-split's --store-durations",
    )
    if isinstance(data, list):  # pytest-split before 0.8 stored [[id, seconds], ...]
        data = {str(k): v for k, v in data if isinstance(k, str)}
    if not isinstance(data, dict):
        raise ReportError(
            f"{path} is not a durations file (a JSON object of test id -> seconds expected)"
        )
    out = {}
    for key, value in data.items():
        try:
            out[str(key)] = max(0.0, float(value))
        except (TypeError, ValueError):
            raise ReportError(f"{path}: duration of {key!r} is not a number") from None
    return out


def write_durations(durations: Mapping[str, float], path: Path) -> None:
    """Write pytest-split's format: sorted keys, 4 spaces, like ``--store-durations``.

    Raises:
        ConfigError: ``path`` is a folder or cannot be written. ToolError: the disk is full.
    """
    text = json.dumps(dict(sorted(durations.items())), indent=4) + "\n"
    write_text(path, text, what="durations file")


def lookup_durations(tests: Iterable[str], durations: Mapping[str, float]) -> dict[str, float]:
    """Durations of ``tests``, matching pytest node ids against JUnit-style ids too."""
    out = {}
    for test in tests:
        if test in durations:
            out[test] = durations[test]
        else:
            alt = nodeid_to_junit_id(test)
            if alt in durations:
                out[test] = durations[alt]
    return out


def plan_shards(tests: Sequence[str], durations: Mapping[str, float], shards: int) -> ShardPlan:
    """Split ``tests`` into ``shards`` groups balanced by duration (greedy LPT).

    Args:
        tests: the test ids to split, in the order they should run (duplicates dropped).
        durations: seconds per test id; tests not in it get the mean known duration
            (1 s when nothing is known), so they are spread evenly.
        shards: number of groups, at least 1.
    """
    if shards < 1:
        raise ConfigError("shards must be at least 1", hint="pass --shards 1 or more")
    order = list(dict.fromkeys(tests))
    known = {t: float(durations[t]) for t in order if t in durations}
    default = (sum(known.values()) / len(known)) if known else 1.0
    if default <= 0:
        default = 1.0
    weights = {t: known.get(t, default) for t in order}
    # Longest first; ties by id so every runner builds the same plan (two stable
    # sorts: by id, then by weight descending, keep tied ids in order).
    ranked = sorted(order)
    ranked.sort(key=weights.__getitem__, reverse=True)
    heap = [(0.0, i) for i in range(shards)]
    owner: dict[str, int] = {}
    replace = heapq.heapreplace
    for test in ranked:
        load, i = heap[0]  # the lightest shard takes the next-longest test
        owner[test] = i
        replace(heap, (load + weights[test], i))
    loads = [0.0] * shards
    for load, i in heap:
        loads[i] = load
    members: list[list[str]] = [[] for _ in range(shards)]
    for test in order:
        members[owner[test]].append(test)
    # Loads stay exact: rounding them here broke the LPT bound on sub-0.1 ms tests
    # (6.1e-05 s became 0.0001 s). Outputs round when they print.
    return ShardPlan(
        shards=tuple(
            Shard(index=i + 1, tests=tuple(members[i]), seconds=loads[i]) for i in range(shards)
        ),
        total=sum(weights.values()),
        known=len(known),
        unknown=len(order) - len(known),
    )


def read_test_list(path: Path | None, text: str | None = None) -> list[str]:
    """Test ids, one a line (``pytest --collect-only -q`` output works: its footer is skipped)."""
    if text is None:
        if path is None:
            return []
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"test list {path} does not exist",
                hint="write it with `pytest --collect-only -q > FILE`, or pass - for stdin",
            ) from None
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # pytest's footer ("12 tests collected in 0.1s") and warnings summary
        if " collected" in line or line.startswith(("=", "-", "no tests ran")):
            continue
        out.append(line)
    return out


_UNSAFE_ID = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]|^\s*(::|##\[)")


def printable_ids(ids: Sequence[str]) -> tuple[list[str], int]:
    """The ids that are safe to print one a line (no control character, no line that a CI
    could read as a command), and how many were left out."""
    kept = [i for i in ids if not _UNSAFE_ID.search(i)]
    return kept, len(ids) - len(kept)
