"""``testgate history``, ``shard`` and ``quarantine``: exit codes, files and summaries."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from history_sim import FLIPPER, make_report, write_series
from testgate.cli import main as cli_main
from testgate.commands import history, quarantine, shard


def _record_all(paths: list[Path], hist_file: Path, env: dict[str, str]) -> None:
    for i, p in enumerate(paths):
        code = history.main(
            [
                "record",
                "--report",
                str(p),
                "--history",
                str(hist_file),
                "--commit",
                f"sha{i:03d}",
                "--no-summary",
            ],
            env,
        )
        assert code == 0


@pytest.fixture
def recorded(tmp_path: Path, clean_environ: dict[str, str]) -> Path:
    hist_file = tmp_path / "history.json"
    _record_all(write_series(tmp_path / "runs", runs=12), hist_file, clean_environ)
    return hist_file


def test_record_reads_ci_context_and_writes_the_trend(tmp_path, clean_environ, capsys):
    report = tmp_path / "reports" / "report.json"
    report.parent.mkdir()
    report.write_text(json.dumps(make_report([{"id": "a::x", "outcome": "passed", "time": 1.0}])))
    env = {
        **clean_environ,
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": "0123456789abcdef",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REPOSITORY": "org/svc",
        "GITHUB_RUN_ID": "77",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "TESTGATE_HISTORY_FILE": str(tmp_path / "h.json"),
    }
    assert history.main(["record"], env) == 0  # report from REPORTS_DIR/report.json
    [run] = json.loads((tmp_path / "h.json").read_text())["runs"]
    assert (run["commit"], run["branch"], run["pipeline_url"]) == (
        "0123456789abcdef",
        "main",
        "https://github.com/org/svc/actions/runs/77",
    )
    summary = (tmp_path / "summary.md").read_text()
    assert "### Results over time (last 1 runs)" in summary
    assert (tmp_path / "reports" / "history-trend.svg").read_text().startswith("<svg")
    outputs = (tmp_path / "output.txt").read_text()
    assert "history-runs=1" in outputs
    assert "pass-rate=100.00" in outputs
    assert "flaky-count=0" in outputs


def test_trend_shows_flaky_and_growth(recorded, clean_environ, capsys, tmp_path):
    code = history.main(
        ["trend", "--history", str(recorded), "--last", "12", "--svg", str(tmp_path / "t.svg")],
        clean_environ,
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "| tests | `▁▁▂▂▄▄▅▅▇▇██` | 22 | 27 |" in out
    assert FLIPPER in out
    assert "Getting slower" in out
    assert (tmp_path / "t.svg").is_file()


def test_max_flips_from_the_environment_changes_what_is_flaky(recorded, clean_environ, capsys):
    env = {**clean_environ, "TESTGATE_FLAKY_MAX_FLIPS": "20", "TESTGATE_HISTORY_WINDOW": "12"}
    assert history.main(["trend", "--history", str(recorded)], env) == 0
    out = capsys.readouterr().out
    assert "No flaky tests in the last 12 runs" in out


def test_html_page_is_written(recorded, clean_environ, tmp_path):
    out = tmp_path / "page.html"
    reports = sorted((tmp_path / "runs").glob("*.json"))
    code = history.main(
        ["html", "--history", str(recorded), "--report", str(reports[-1]), "--out", str(out)],
        clean_environ,
    )
    assert code == 0
    page = out.read_text()
    assert FLIPPER in page
    assert "<svg" in page
    assert "refund not found (timeout)" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        pytest.param(["record", "--report", "nope.json"], 3, "does not exist", id="missing-report"),
        pytest.param(["record", "--max-runs", "0"], 2, "max-runs", id="bad-max-runs"),
        pytest.param(["trend", "--last", "x"], 2, "last must be", id="bad-last"),
        pytest.param(["trend", "--max-flips", "-1"], 2, "max-flips", id="bad-max-flips"),
        pytest.param(["html"], 2, "nothing to show", id="html-without-input"),
        pytest.param(["explode"], 2, "invalid choice", id="unknown-action"),
    ],
)
def test_usage_and_input_errors(tmp_path, clean_environ, capsys, argv, code, needle):
    env = {**clean_environ, "TESTGATE_HISTORY_FILE": str(tmp_path / "h.json")}
    if argv[:2] == ["record", "--max-runs"]:
        rep = tmp_path / "r.json"
        rep.write_text(json.dumps(make_report([{"id": "a::x", "outcome": "passed", "time": 1}])))
        argv = [*argv, "--report", str(rep)]
    assert history.main(argv, env) == code
    captured = capsys.readouterr()
    assert needle in captured.out + captured.err


def test_corrupt_history_warns_and_records(tmp_path, clean_environ, capsys):
    hist_file = tmp_path / "h.json"
    hist_file.write_text("{torn")
    rep = tmp_path / "r.json"
    rep.write_text(json.dumps(make_report([{"id": "a::x", "outcome": "passed", "time": 1}])))
    code = history.main(
        ["record", "--report", str(rep), "--history", str(hist_file), "--no-summary"], clean_environ
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "warning:" in err
    assert "corrupt-" in err
    assert [p.read_text() for p in tmp_path.glob("h.json.corrupt-*")] == ["{torn"]
    assert len(json.loads(hist_file.read_text())["runs"]) == 1


def test_the_commands_are_registered_in_the_cli(capsys):
    for name in ("history", "shard", "quarantine", "testrail"):
        assert cli_main([name, "--help"], {}) == 0
    assert "testgate history" in capsys.readouterr().out


# ---------------------------------------------------------------- shard


def test_shard_prints_its_share_and_all_shards_cover_the_suite(recorded, clean_environ, capsys):
    groups = []
    for i in (1, 2, 3):
        code = shard.main(
            ["--shards", "3", "--index", str(i), "--history", str(recorded)], clean_environ
        )
        assert code == 0
        captured = capsys.readouterr()
        groups.append(captured.out.split())
        assert f"shard {i}/3" in captured.err
    flat = [t for g in groups for t in g]
    assert len(flat) == len(set(flat)) == 27
    assert all(groups)


def test_shard_reads_gitlab_parallel_variables_and_a_test_list(tmp_path, clean_environ, capsys):
    listing = tmp_path / "tests.txt"
    listing.write_text(
        "tests/a.py::test_1\ntests/a.py::test_2\ntests/b.py::test_3\n\n3 tests collected\n"
    )
    env = {
        **clean_environ,
        "CI_NODE_TOTAL": "2",
        "CI_NODE_INDEX": "2",
        "TESTGATE_TESTS_FROM": str(listing),
    }
    env["TESTGATE_HISTORY_FILE"] = str(tmp_path / "none.json")
    assert shard.main(["--format", "pytest-args"], env) == 0
    out = capsys.readouterr().out.strip()
    assert out == "tests/a.py::test_2"  # three unknown tests over two shards: 2 + 1


def test_shard_writes_pytest_split_durations(recorded, tmp_path, clean_environ):
    out = tmp_path / ".test_durations"
    assert (
        shard.main(["--history", str(recorded), "--write-durations", str(out)], clean_environ) == 0
    )
    data = json.loads(out.read_text())
    assert data[FLIPPER] == pytest.approx(0.2, abs=1e-4)
    assert len(data) == 27


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        pytest.param(["--shards", "2"], "index not set", id="no-index"),
        pytest.param(["--shards", "2", "--index", "3"], "out of range", id="index-too-big"),
        pytest.param(["--shards", "0", "--index", "1"], "shards must be", id="zero-shards"),
    ],
)
def test_shard_usage_errors_exit_2(recorded, clean_environ, capsys, argv, needle):
    assert shard.main([*argv, "--history", str(recorded)], clean_environ) == 2
    captured = capsys.readouterr()
    assert needle in captured.err


# ---------------------------------------------------------------- quarantine


def test_quarantine_suggest_prints_then_writes_then_adds_nothing_new(
    recorded, tmp_path, clean_environ, capsys
):
    policy = tmp_path / "gate.toml"
    policy.write_text("# our gate\n[gate]\nmax-failures = 0\n")
    base = [
        "suggest",
        "--history",
        str(recorded),
        "--owner",
        "team-orders",
        "--last",
        "12",
        "--today",
        "2026-11-23",
        "--days",
        "14",
    ]
    assert quarantine.main(base, clean_environ) == 0
    printed = capsys.readouterr().out
    assert tomllib.loads(printed)["quarantine"][0]["test"] == FLIPPER
    assert policy.read_text() == "# our gate\n[gate]\nmax-failures = 0\n"  # not written

    assert quarantine.main([*base, "--policy", str(policy), "--write"], clean_environ) == 0
    data = tomllib.loads(policy.read_text())
    assert data["gate"] == {"max-failures": 0}
    [entry] = data["quarantine"]
    assert entry["owner"] == "team-orders"
    assert str(entry["expires"]) == "2026-12-07"
    assert "flip rate 100%" in entry["reason"]
    assert policy.read_text().startswith("# our gate\n")

    capsys.readouterr()
    assert quarantine.main([*base, "--policy", str(policy), "--write"], clean_environ) == 0
    assert "no new flaky tests" in capsys.readouterr().out
    assert len(tomllib.loads(policy.read_text())["quarantine"]) == 1


def test_quarantine_needs_an_owner(recorded, clean_environ, capsys):
    assert quarantine.main(["suggest", "--history", str(recorded)], clean_environ) == 2
    assert "TESTGATE_QUARANTINE_OWNER" in capsys.readouterr().err
