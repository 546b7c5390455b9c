"""History store: record, bound, atomic writes, corrupt files, flaky and slower tests."""

from __future__ import annotations

import json
import threading
import tomllib
import xml.etree.ElementTree as ET
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from history_sim import FLIPPER, SLOWER, make_report, series
from hypothesis import given
from hypothesis import strategies as st
from testgate import history as hist
from testgate.errors import ConfigError, ReportError
from testgate.policy import parse_policy
from testgate.render.markdown import render_trend_md
from testgate.render.svg import render_trend_svg
from testgate.render.text import sparkline


def _t(test_id: str, outcome: str = "passed", time: float = 0.1, flaky: bool = False) -> dict:
    return {"id": test_id, "outcome": outcome, "time": time, "flaky": flaky}


def _record_series(path: Path, reports: list[dict], commits: list[str] | None = None) -> None:
    for i, report in enumerate(reports):
        commit = commits[i] if commits else f"c{i:03d}"
        hist.record_run(path, report, hist.RunContext(commit=commit, branch="main"))


def test_record_appends_runs_with_totals_outcomes_and_durations(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    report = make_report([_t("a::x", time=0.5), _t("a::y", "failed", 1.25), _t("a::z", "skipped")])
    result = hist.record_run(
        path, report, hist.RunContext("abc123", "main", "https://ci.example/run/1")
    )
    assert (result.runs, result.tests, result.dropped, result.warning) == (1, 3, 0, None)
    h = hist.read_history(path)
    run = h.runs[0]
    assert run["outcomes"] == "PFS"
    assert [round(x, 3) for x in h.durations(run)] == [0.5, 1.25, 0.1]
    s = h.summaries()[0]
    assert (s.commit, s.branch, s.pipeline_url, s.decision) == (
        "abc123",
        "main",
        "https://ci.example/run/1",
        "fail",
    )
    assert (s.tests, s.failed, s.skipped) == (3, 1, 1)
    assert s.pass_rate == pytest.approx(0.5)
    assert s.time == report["generated_at"]


def test_history_is_bounded_and_sequence_numbers_continue(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    for i in range(5):
        r = hist.record_run(path, make_report([_t(f"t::n{i}")]), hist.RunContext(), max_runs=3)
    assert (r.runs, r.dropped) == (3, 1)
    h = hist.read_history(path)
    assert [s.seq for s in h.summaries()] == [3, 4, 5]
    assert h.max_runs == 3


def test_ids_no_kept_run_uses_are_compacted_away(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    old = make_report([_t(f"old::t{i}") for i in range(100)])
    new = make_report([_t(f"new::t{i}", time=i / 100) for i in range(10)])
    hist.record_run(path, old, hist.RunContext(), max_runs=2)
    hist.record_run(path, new, hist.RunContext(), max_runs=2)
    hist.record_run(path, new, hist.RunContext(), max_runs=2)
    h = hist.read_history(path)
    assert h.tests == [f"new::t{i}" for i in range(10)]
    assert all(r["outcomes"] == "P" * 10 for r in h.runs)
    assert round(h.durations(h.runs[-1])[7], 3) == 0.07


def test_a_test_reported_twice_in_one_run_that_passed_and_failed_is_a_rerun() -> None:
    h = hist.History()
    hist.append_run(
        h,
        make_report([_t("a::x", "failed"), _t("a::x", "passed"), _t("a::y", "passed", flaky=True)]),
        hist.RunContext(),
    )
    assert h.runs[0]["outcomes"] == "RR"


def test_unknown_outcomes_count_as_errors() -> None:
    assert hist.outcome_code("weird") == hist.ERROR
    assert hist.outcome_code("error") == hist.ERROR
    assert hist.outcome_code("passed", flaky=True) == hist.RERUN


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"schema": "testgate-history/1", "tests": [', id="torn-json"),
        pytest.param(b'{"schema": "something-else"}', id="wrong-schema"),
        pytest.param(b"\xff\xfe garbage", id="binary"),
        pytest.param(
            b'{"schema": "testgate-history/1", "tests": [], "runs": [{"outcomes": "PPP"}]}',
            id="run-refers-to-unknown-tests",
        ),
        pytest.param(
            b'{"schema": "testgate-history/1", "tests": ["a::x"], "runs": '
            b'[{"outcomes": "P", "durations": "AAAAAA=="}]}',
            id="durations-of-another-encoding",
        ),
    ],
)
def test_corrupt_history_is_kept_aside_and_the_run_still_recorded(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "h.json"
    path.write_bytes(content)
    result = hist.record_run(path, make_report([_t("a::x")]), hist.RunContext("c1"))
    assert result.backup is not None
    assert result.backup.read_bytes() == content
    assert result.warning is not None
    assert result.backup.name in result.warning
    h = hist.read_history(path)
    assert len(h.runs) == 1
    assert h.summaries()[0].commit == "c1"


def test_read_history_of_a_corrupt_file_raises_report_error(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_text("not json")
    with pytest.raises(ReportError, match="cannot read history file"):
        hist.read_history(path)


def test_missing_history_is_empty(tmp_path: Path) -> None:
    assert hist.read_history(tmp_path / "none.json").runs == []


def test_concurrent_writers_never_tear_the_file_nor_lose_runs(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    report = make_report([_t(f"t::n{i}") for i in range(300)])
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(name: str) -> None:
        try:
            for _ in range(15):
                hist.record_run(path, report, hist.RunContext(commit=name), max_runs=100)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        while not stop.is_set():
            if path.exists():
                try:
                    hist.parse_history(json.loads(path.read_bytes()))
                except BaseException as exc:  # a torn file would land here
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    assert errors == []
    h = hist.read_history(path)
    assert len(h.runs) == 30
    assert sorted(s.commit for s in h.summaries()).count("a") == 15
    assert not list(tmp_path.glob(".h.json.*.tmp"))


def test_load_report_requires_the_per_test_list(tmp_path: Path) -> None:
    report = make_report([_t("a::x")])
    del report["tests"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    with pytest.raises(ReportError, match="--json-tests"):
        hist.load_report(path)
    assert hist.load_report(path, require_tests=False)["decision"] == "pass"


def test_load_report_rejects_other_json(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(ReportError, match="not a testgate report"):
        hist.load_report(path)


def test_max_runs_below_one_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        hist.trim(hist.History(), 0)


# ---------------------------------------------------------------- flaky and slower


def _history_of(reports: list[dict], commits: list[str] | None = None) -> hist.History:
    h = hist.History()
    for i, r in enumerate(reports):
        commit = commits[i] if commits else f"c{i}"
        hist.append_run(h, r, hist.RunContext(commit=commit))
    return h


def test_a_test_that_flips_is_flaky_with_its_flip_rate() -> None:
    h = _history_of(series(runs=12))
    flaky = hist.find_flaky(h, window=12, max_flips=2)
    assert [f.id for f in flaky] == [FLIPPER]
    f = flaky[0]
    assert (f.flips, f.runs, f.failures) == (11, 12, 6)
    assert f.flip_rate == 1.0
    assert "11 flips in 12 runs" in f.reason


def test_a_test_that_broke_once_and_was_fixed_is_not_flaky() -> None:
    outcomes = ["passed"] * 4 + ["failed"] * 3 + ["passed"] * 4
    h = _history_of([make_report([_t("a::x", o)]) for o in outcomes])
    assert hist.find_flaky(h, window=30, max_flips=2) == []
    # ...but with a stricter threshold its two flips count
    assert [f.flips for f in hist.find_flaky(h, window=30, max_flips=1)] == [2]


def test_passed_and_failed_on_the_same_commit_is_flaky_even_with_few_flips() -> None:
    h = _history_of(
        [make_report([_t("a::x", o)]) for o in ("passed", "failed", "passed")],
        commits=["c1", "c2", "c2"],
    )
    [f] = hist.find_flaky(h, window=30, max_flips=5)
    assert f.same_commit
    assert "same commit" in f.reason


def test_the_window_limits_what_is_searched() -> None:
    outcomes = ["passed", "failed"] * 5 + ["passed"] * 10
    h = _history_of([make_report([_t("a::x", o)]) for o in outcomes])
    assert hist.find_flaky(h, window=20, max_flips=2)
    assert hist.find_flaky(h, window=10, max_flips=2) == []


def test_skips_and_absences_do_not_count_as_flips() -> None:
    outcomes = ["passed", "skipped", "passed", "skipped", "passed", "failed"]
    h = _history_of([make_report([_t("a::x", o)]) for o in outcomes])
    assert hist.find_flaky(h, window=30, max_flips=0)[0].flips == 1


def test_a_test_that_gets_slower_is_listed() -> None:
    h = _history_of(series(runs=12))
    slower = hist.find_slower(h)
    assert [s.id for s in slower] == [SLOWER]
    assert slower[0].after > 3 * slower[0].before


def test_durations_from_history_average_recent_runs_and_ignore_skips() -> None:
    reports = [
        make_report([_t("a::x", time=1.0), _t("a::y", "skipped", 0.0)]),
        make_report([_t("a::x", time=3.0), _t("a::y", time=2.0)]),
    ]
    h = _history_of(reports)
    assert hist.durations_from_history(h, last=10) == {"a::x": 2.0, "a::y": 2.0}
    assert hist.durations_from_history(h, last=1) == {"a::x": 3.0, "a::y": 2.0}


@given(st.lists(st.floats(min_value=0.001, max_value=60_000, allow_nan=False), max_size=50))
def test_durations_round_trip_to_three_significant_digits(values: list[float]) -> None:
    decoded = hist.decode_durations(hist.encode_durations(values))
    assert list(decoded) == pytest.approx(values, rel=1e-3)


def test_durations_out_of_range_are_clamped() -> None:
    assert hist.decode_durations(hist.encode_durations([-1.0, 1e9, float("nan")])) == (
        0.0,
        65504.0,
        0.0,
    )


# ---------------------------------------------------------------- rendering


def test_sparkline_scales_between_low_and_high() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "███"
    assert sparkline([]) == ""


def test_trend_markdown_shows_the_three_trends_flaky_and_slower() -> None:
    trend = hist.build_trend(_history_of(series(runs=12)), last=12)
    md = render_trend_md(trend, svg_name="reports/history-trend.svg")
    assert "### Results over time (last 12 runs)" in md
    rows = {line.split("|")[1].strip(): line for line in md.splitlines() if line.startswith("| ")}
    assert "`▁▁▂▂▄▄▅▅▇▇██`" in rows["tests"]  # the suite grows
    assert rows["duration"].split("`")[1].endswith("█")
    assert "`" + FLIPPER + "` | 100% | 11 | 12" in md
    assert SLOWER in md.split("Getting slower")[1]
    assert "reports/history-trend.svg" in md


def test_trend_markdown_of_an_empty_history() -> None:
    assert "No runs recorded yet" in render_trend_md(hist.build_trend(hist.History()))


def test_trend_svg_is_well_formed_with_three_panels() -> None:
    trend = hist.build_trend(_history_of(series(runs=6)), last=6)
    root = ET.fromstring(render_trend_svg(trend))  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    panels = root.findall(f"{ns}g")
    assert [p.get("data-metric") for p in panels] == ["pass rate (%)", "tests", "duration (s)"]
    for panel in panels:
        points = panel.find(f"{ns}polyline").get("points").split()
        assert len(points) == 6


# ---------------------------------------------------------------- quarantine


def test_quarantine_suggestions_are_valid_policy_entries_matching_exactly_one_test() -> None:
    flaky = [
        hist.FlakyTest("tests.a::test_p[1-x]", 3, 6, 0.6, False, 3, "failed", "3 flips in 6 runs"),
        hist.FlakyTest("tests.a::test_known", 4, 6, 0.8, False, 3, "failed", "4 flips in 6 runs"),
    ]
    entries = hist.suggest_quarantine(flaky, "team-x", "2026-12-07", already=["tests.a::*known"])
    assert [e.test for e in entries] == ["tests.a::test_p[[]1-x]"]
    text = hist.render_quarantine_toml(entries, generated="2026-11-23")
    policy = parse_policy(tomllib.loads(text))
    [q] = policy.quarantine
    assert (q.owner, q.expires) == ("team-x", date(2026, 12, 7))
    assert "flip rate 60%" in q.reason
    assert fnmatchcase("tests.a::test_p[1-x]", q.pattern)
    assert not fnmatchcase("tests.a::test_p1", q.pattern)
