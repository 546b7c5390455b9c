"""Sharding: balanced by duration, deterministic, unknown tests spread evenly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from testgate import history as hist
from testgate import shard
from testgate.errors import ConfigError, ReportError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "history" / "history.json"


@pytest.mark.parametrize("shards", [2, 3, 4, 8])
def test_example_history_shards_within_ten_percent_of_ideal(shards: int) -> None:
    h = hist.read_history(EXAMPLE)
    tests = h.last_ids()
    durations = hist.durations_from_history(h)
    plan = shard.plan_shards(tests, durations, shards)
    assert plan.unknown == 0
    assert plan.slowest <= 1.10 * plan.ideal, (plan.slowest, plan.ideal)
    # and it beats splitting by count (round robin), which ignores durations
    naive = [sum(durations[t] for t in tests[i::shards]) for i in range(shards)]
    assert max(naive) > plan.slowest


def test_every_test_lands_in_exactly_one_shard_in_input_order() -> None:
    tests = [f"t::{i}" for i in range(50)]
    durations = {t: float(i % 7) for i, t in enumerate(tests)}
    plan = shard.plan_shards([*tests, "t::3"], durations, 4)
    seen = [t for s in plan.shards for t in s.tests]
    assert sorted(seen) == sorted(tests)
    for s in plan.shards:
        assert list(s.tests) == [t for t in tests if t in s.tests]
    assert [s.index for s in plan.shards] == [1, 2, 3, 4]


def test_the_plan_does_not_depend_on_input_order() -> None:
    tests = [f"t::{i}" for i in range(40)]
    durations = {t: 1.0 for t in tests}  # all ties: broken by id
    a = shard.plan_shards(tests, durations, 3)
    b = shard.plan_shards(list(reversed(tests)), durations, 3)
    assert [set(s.tests) for s in a.shards] == [set(s.tests) for s in b.shards]


def test_tests_without_history_are_spread_evenly() -> None:
    tests = [f"new::{i}" for i in range(23)]
    plan = shard.plan_shards(tests, {}, 4)
    assert sorted(len(s.tests) for s in plan.shards) == [5, 6, 6, 6]
    assert plan.unknown == 23


def test_unknown_tests_get_the_mean_duration_and_fill_the_light_shards() -> None:
    known = {"old::a": 10.0, "old::b": 2.0, "old::c": 2.0}
    tests = [*known, *(f"new::{i}" for i in range(6))]
    plan = shard.plan_shards(tests, known, 2)
    counts = {s.index: sum(t.startswith("new::") for t in s.tests) for s in plan.shards}
    heavy = next(s.index for s in plan.shards if "old::a" in s.tests)
    assert counts[heavy] < counts[3 - heavy]
    assert plan.imbalance < 0.25


def test_more_shards_than_tests_leaves_some_empty() -> None:
    plan = shard.plan_shards(["a::b"], {"a::b": 1.0}, 3)
    assert [len(s.tests) for s in plan.shards] == [1, 0, 0]


def test_zero_shards_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        shard.plan_shards(["a"], {}, 0)


@pytest.mark.parametrize(
    ("nodeid", "junit_id"),
    [
        pytest.param("tests/api/test_x.py::test_a", "tests.api.test_x::test_a", id="function"),
        pytest.param(
            "tests/api/test_x.py::TestA::test_b[1-2]",
            "tests.api.test_x.TestA::test_b[1-2]",
            id="class",
        ),
        pytest.param("tests.api.test_x::test_a", "tests.api.test_x::test_a", id="already-junit"),
        pytest.param("no_separator", "no_separator", id="plain"),
    ],
)
def test_nodeid_to_junit_id(nodeid: str, junit_id: str) -> None:
    assert shard.nodeid_to_junit_id(nodeid) == junit_id


def test_pytest_node_ids_find_durations_recorded_under_junit_ids() -> None:
    durations = {"tests.api.test_x::test_a": 3.0, "tests/api/test_y.py::test_b": 1.0}
    found = shard.lookup_durations(
        ["tests/api/test_x.py::test_a", "tests/api/test_y.py::test_b", "tests/z.py::test_c"],
        durations,
    )
    assert found == {"tests/api/test_x.py::test_a": 3.0, "tests/api/test_y.py::test_b": 1.0}


def test_durations_file_round_trip_in_pytest_split_format(tmp_path: Path) -> None:
    path = tmp_path / ".test_durations"
    shard.write_durations({"b::y": 2.5, "a::x": 1.0}, path)
    assert path.read_text().startswith('{\n    "a::x": 1.0,')
    assert shard.load_durations(path) == {"a::x": 1.0, "b::y": 2.5}


def test_old_pytest_split_list_format_is_read(tmp_path: Path) -> None:
    path = tmp_path / ".test_durations"
    path.write_text(json.dumps([["a::x", 1.5], ["b::y", 2]]))
    assert shard.load_durations(path) == {"a::x": 1.5, "b::y": 2.0}


@pytest.mark.parametrize(
    ("content", "error"),
    [
        pytest.param("{", ReportError, id="not-json"),
        pytest.param('"text"', ReportError, id="not-an-object"),
        pytest.param('{"a": "slow"}', ReportError, id="not-a-number"),
    ],
)
def test_bad_durations_files(tmp_path: Path, content: str, error: type) -> None:
    path = tmp_path / ".test_durations"
    path.write_text(content)
    with pytest.raises(error):
        shard.load_durations(path)


def test_missing_durations_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        shard.load_durations(tmp_path / "none")


def test_test_list_reads_pytest_collect_only_output() -> None:
    text = "tests/a.py::test_x\ntests/a.py::test_y[1]\n\n# comment\n2 tests collected in 0.01s\n"
    assert shard.read_test_list(None, text) == ["tests/a.py::test_x", "tests/a.py::test_y[1]"]


@given(
    st.lists(st.floats(min_value=0.0, max_value=100.0, allow_nan=False), min_size=1, max_size=60),
    st.integers(min_value=1, max_value=8),
)
# Loads used to be rounded to 0.0001 s: 6.1e-05 became 0.0001 and broke the bound.
@example(durations=[6.1e-05], shards=3)
def test_any_split_covers_every_test_once_within_the_lpt_bound(durations, shards):
    tests = [f"t::{i:03d}" for i in range(len(durations))]
    plan = shard.plan_shards(tests, dict(zip(tests, durations, strict=True)), shards)
    placed = sorted(t for s in plan.shards for t in s.tests)
    assert placed == tests
    # greedy LPT never puts more than one test's worth above the ideal
    assert plan.slowest <= plan.ideal + max(durations) + 1e-6


def test_sub_millisecond_loads_are_not_rounded_in_the_plan() -> None:
    plan = shard.plan_shards(["t::a", "t::b"], {"t::a": 6.1e-05, "t::b": 2e-05}, 2)
    assert sorted(s.seconds for s in plan.shards) == [2e-05, 6.1e-05]
    assert plan.total == pytest.approx(8.1e-05)


def test_shard_counts_have_one_bound_the_settings_tables() -> None:
    """`shard`, `api-tests` (GitLab's CI_NODE_* too) and `ci shards` share the table's bound."""
    from testgate.commands.shard import shard_position
    from testgate.settings_table import SETTINGS

    top = int(SETTINGS["shards"].maximum or 0)
    assert shard_position(top, top) == (top, top)
    assert shard_position("1", None) == (1, 1)
    with pytest.raises(ConfigError, match=f"shards must be a whole number from 1 to {top}"):
        shard_position(top + 1, 1)
    with pytest.raises(ConfigError, match="index 3 is out of range for 2 shards"):
        shard_position(2, 3)
