"""A simulated series of CI runs, end to end through the real commands.

JUnit XML per run -> ``testgate report --json --json-tests`` -> ``testgate history
record``: a test that flips, a test that gets slower and a suite that grows. The
summary and the HTML page show the trend and the flaky test; ``quarantine
suggest`` writes the entry that keeps ``testgate report --policy`` green, but
only until it expires.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from testgate.commands import history, quarantine, report

FLIPPER = "tests.api.test_orders::test_refund"
SLOWER = "tests.api.test_search::test_full_text"


def junit_for_run(run: int, flipper_fails: bool) -> str:
    """One run's JUnit: the suite grows by a test per run; SLOWER doubles; FLIPPER as told."""
    cases = [
        f'<testcase classname="tests.api.test_stable" name="test_{i:02d}" time="0.{i % 9 + 1}"/>'
        for i in range(8 + run)
    ]
    cases.append(
        f'<testcase classname="tests.api.test_search" name="test_full_text" time="{0.2 * 2**run:.3f}"/>'
    )
    if flipper_fails:
        cases.append(
            '<testcase classname="tests.api.test_orders" name="test_refund" time="0.3">'
            '<failure message="refund not visible after 2 s">AssertionError: refund not visible '
            "after 2 s</failure></testcase>"
        )
    else:
        cases.append('<testcase classname="tests.api.test_orders" name="test_refund" time="0.3"/>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="api-tests" '
        f'tests="{len(cases)}">' + "".join(cases) + "</testsuite></testsuites>\n"
    )


def run_pipeline(tmp: Path, env: dict[str, str], run: int, flipper_fails: bool, *extra: str) -> int:
    """What a pipeline's report job does: report, then record the run in the history."""
    xml = tmp / f"run{run:02d}" / "api.xml"
    xml.parent.mkdir(parents=True, exist_ok=True)
    xml.write_text(junit_for_run(run, flipper_fails))
    rep = tmp / f"run{run:02d}" / "report.json"
    code = report.main([str(xml), "--json", str(rep), "--json-tests", *extra], env)
    assert (
        history.main(
            [
                "record",
                "--report",
                str(rep),
                "--history",
                str(tmp / "history.json"),
                "--commit",
                f"{run:040x}",
                "--no-summary",
            ],
            env,
        )
        == 0
    )
    return code


def test_series_shows_trend_and_flaky_and_quarantine_holds_until_expiry(
    tmp_path, clean_environ, capsys
):
    env = {**clean_environ, "TESTGATE_HISTORY_WINDOW": "10"}
    codes = [run_pipeline(tmp_path, env, r, flipper_fails=r % 2 == 1) for r in range(10)]
    assert codes == [0, 1] * 5  # the flaky test fails the gate every other run
    capsys.readouterr()

    # -- the summary: trends and the flaky test
    assert history.main(["trend", "--history", str(tmp_path / "history.json")], env) == 0
    summary = capsys.readouterr().out
    tests_row = next(line for line in summary.splitlines() if line.startswith("| tests |"))
    assert "| 10 | 19 |" in tests_row  # 8 stable + 2 -> 17 stable + 2
    assert re.search(r"`▁[▁-█]*█`", tests_row)
    duration_row = next(line for line in summary.splitlines() if line.startswith("| duration |"))
    assert duration_row.split("`")[1].endswith("█")
    assert f"`{FLIPPER}` | 100% | 9 | 10 |" in summary
    assert SLOWER in summary.split("Getting slower")[1]

    # -- the HTML page
    page_file = tmp_path / "page.html"
    assert (
        history.main(
            [
                "html",
                "--history",
                str(tmp_path / "history.json"),
                "--report",
                str(tmp_path / "run09" / "report.json"),
                "--out",
                str(page_file),
            ],
            env,
        )
        == 0
    )
    page = page_file.read_text()
    flaky_section = page.split("Flaky tests")[1].split("<h2>")[0]
    assert FLIPPER in flaky_section
    assert "refund not visible after 2 s" in page
    assert "<polyline" in page.split('data-testid="trend-chart"')[1]

    # -- quarantine: suggested from history, honoured by the gate until it expires
    policy = tmp_path / "gate.toml"
    policy.write_text("[gate]\nmax-failures = 0\n")
    assert (
        quarantine.main(
            [
                "suggest",
                "--history",
                str(tmp_path / "history.json"),
                "--owner",
                "team-orders",
                "--days",
                "14",
                "--policy",
                str(policy),
                "--write",
            ],
            env,
        )
        == 0
    )
    today = datetime.now(UTC).date()
    [entry] = tomllib.loads(policy.read_text())["quarantine"]
    assert entry["test"] == FLIPPER
    assert str(entry["expires"]) == (today + timedelta(days=14)).isoformat()
    capsys.readouterr()

    assert run_pipeline(tmp_path, env, 10, True, "--policy", str(policy)) == 0  # green
    green = json.loads((tmp_path / "run10" / "report.json").read_text())
    assert green["decision"] == "pass"
    assert [(q["id"], q["owner"], q["expired"]) for q in green["quarantined"]] == [
        (FLIPPER, "team-orders", False)
    ]

    # The same entry, suggested a month ago, has expired: the failure counts again.
    expired_policy = tmp_path / "expired.toml"
    expired_policy.write_text("[gate]\nmax-failures = 0\n")
    month_ago = (today - timedelta(days=30)).isoformat()
    assert (
        quarantine.main(
            [
                "suggest",
                "--history",
                str(tmp_path / "history.json"),
                "--owner",
                "team-orders",
                "--days",
                "14",
                "--policy",
                str(expired_policy),
                "--write",
                "--today",
                month_ago,
            ],
            env,
        )
        == 0
    )
    capsys.readouterr()
    assert run_pipeline(tmp_path, env, 11, True, "--policy", str(expired_policy)) == 1  # red
    out = capsys.readouterr()
    assert "expired" in out.out + out.err
    red = json.loads((tmp_path / "run11" / "report.json").read_text())
    assert [(q["id"], q["expired"]) for q in red["quarantined"]] == [(FLIPPER, True)]

    # The page of the last run lists the expired quarantine entry.
    assert (
        history.main(
            [
                "html",
                "--history",
                str(tmp_path / "history.json"),
                "--report",
                str(tmp_path / "run11" / "report.json"),
                "--out",
                str(page_file),
            ],
            env,
        )
        == 0
    )
    quarantined_section = page_file.read_text().split("Quarantined (1)")[1].split("<h2>")[0]
    assert FLIPPER in quarantined_section
    assert "(expired)" in quarantined_section
