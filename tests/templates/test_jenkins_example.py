"""The example Jenkinsfile, run by the Groovy harness with real ``sh`` on the example services.

Builds in one JVM (``jenkins_harness.run_examples``): the contract intact (every stage passes);
``EXAMPLE_BREAK=provider`` (the provider drops a field the consumer reads: the build fails at
*Provider verification*, its JUnit file is still published, and the report still decides); the
baseline example (a build of ``main`` with an old failure, then a multibranch pull request build
adding a new one: it fails naming only the new one); and a stale report left in a workspace,
which is not counted. The totals and decision the Jenkins builds made must equal what
``testgate report --json`` says on the same JUnit files; tests/templates/test_cross_platform.py
compares them with the other platforms' (the same builds: they run once per session).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool
from jenkins_harness import calls, example_builds
from template_results import (
    NEW_FAILURE,
    OLD_FAILURE,
    direct_report,
    failure_ids,
)

pytestmark = pytest.mark.slow

TEST_STAGES = ["Consumer contracts", "Provider verification", "API tests"]
HISTORY = ".testgate-history/history.json"


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    # once per session: tests/templates/test_cross_platform.py reads the same builds
    results = example_builds(tmp_path_factory, require_tool("groovy"))
    for name in ("pass", "fail"):
        result = results[name]
        assert result["report"] is not None, _explain(result)
        result["jenkins_json"] = result["report"]
        if "direct_json" not in result:
            out = Path(result["workspace"]).parent / "direct"
            result["direct_json"] = direct_report(Path(result["workspace"]), out)
    return results


def _explain(result: dict[str, Any]) -> str:
    return f"{result['result']} {result['error']} {result['stages']}\n{result['log'][-6000:]}"


def _assert_same_decision(result: dict[str, Any]) -> dict[str, Any]:
    jenkins, direct = result["jenkins_json"], result["direct_json"]
    assert jenkins["decision"] == direct["decision"], _explain(result)
    assert jenkins["totals"] == direct["totals"], _explain(result)
    totals = jenkins["totals"]
    failed = totals["failed"] + totals["errors"]
    # (", N flaky" follows when the history found flaky tests)
    assert result["description"].startswith(
        f"testgate {jenkins['decision']}: {totals['tests']} tests, {failed} failed"
    )
    return jenkins


def test_example_jenkinsfile_passes_on_the_example_services(example_runs: dict) -> None:
    result = example_runs["pass"]
    assert result["result"] == "SUCCESS", _explain(result)
    assert [s["name"] for s in result["stages"]] == ["Checkout", *TEST_STAGES, "Test report"]
    assert all(s["status"] == "SUCCESS" for s in result["stages"])
    published = {c["testResults"]: c["files"] for c in calls(result, "junit")}
    assert published == {
        "reports/consumer.xml": ["reports/consumer.xml"],
        "reports/provider-verification.xml": ["reports/provider-verification.xml"],
        # apiTests(shards: 2): each branch ran its share
        "reports/api-shard-1.xml": ["reports/api-shard-1.xml"],
        "reports/api-shard-2.xml": ["reports/api-shard-2.xml"],
    }
    report = _assert_same_decision(result)
    assert report["decision"] == "pass"
    assert report["totals"]["tests"] > 0
    # the two shards together ran every API test exactly once
    api = [t["id"] for t in report["tests"] if ".tests.api." in t["id"]]
    assert api
    assert len(set(api)) == len(api)
    assert report["totals"]["failed"] == report["totals"]["errors"] == 0


def test_example_jenkinsfile_fails_at_provider_verification(example_runs: dict) -> None:
    result = example_runs["fail"]
    assert result["result"] == "FAILURE", _explain(result)
    stages = {s["name"]: s["status"] for s in result["stages"]}
    # the API tests' parallel branch ran to its end too, as their job does on the other platforms
    # (the broken provider may fail some of them as well)
    assert list(stages) == ["Checkout", *TEST_STAGES, "Test report"], _explain(result)
    assert stages["Consumer contracts"] == "SUCCESS"
    assert stages["Provider verification"] == "FAILURE"
    assert stages["Test report"] == "FAILURE"
    # junit ran for the failing stage too, and found its file
    verification = [c for c in calls(result, "junit") if c["stage"] == "Provider verification"]
    assert [c["files"] for c in verification] == [["reports/provider-verification.xml"]]
    assert any(c["stage"] == "Provider verification" for c in calls(result, "archiveArtifacts"))
    report = _assert_same_decision(result)
    assert report["decision"] == "fail"
    by_file = {Path(f["path"]).name: f for f in report["files"]}
    assert "merged.xml" not in by_file  # the merged JUnit is an output, never an input
    broken = by_file["provider-verification.xml"]
    assert broken["failed"] + broken["errors"] > 0, report["files"]
    assert by_file["consumer.xml"]["failed"] == by_file["consumer.xml"]["errors"] == 0
    assert by_file["api-shard-1.xml"]["tests"] > 0
    assert by_file["api-shard-2.xml"]["tests"] > 0


def test_history_carries_the_runs_from_build_to_build(example_runs: dict) -> None:
    """The real testgate history record/html after the report, in both builds."""
    passing, failing = example_runs["pass"], example_runs["fail"]
    for result in (passing, failing):
        commands = [c["label"] for c in calls(result, "sh") if c["stage"] == "Test report"]
        # the report, then the history record and its page: one command decides the sequence
        assert commands[-1:] == ["testgate ci report"], _explain(result)
        (html,) = calls(result, "publishHTML")
        assert html["exists"] is True
        archived = calls(result, "archiveArtifacts")[-1]["files"]
        assert HISTORY in archived
        assert {"reports/testgate-report.html", "reports/history-trend.svg"} <= set(archived)
    assert calls(passing, "copyArtifacts")[0]["files"] == []  # the first build
    assert calls(failing, "copyArtifacts")[0]["files"] == [HISTORY]
    history = json.loads((Path(failing["workspace"]) / HISTORY).read_text(encoding="utf-8"))
    runs = history["runs"]
    assert len(runs) == 2, history.keys()
    assert [r["totals"]["tests"] for r in runs] == [
        passing["jenkins_json"]["totals"]["tests"],
        failing["jenkins_json"]["totals"]["tests"],
    ]


def _known(report: dict[str, Any], name: str) -> list[str]:
    return [i for i in failure_ids(report) if i.endswith(name)]


def test_baseline_pull_request_fails_naming_only_its_new_failure(example_runs: dict) -> None:
    """Issue 13 item 4: main recorded an old failure; the pull request adds a new one."""
    main, pull_request = example_runs["main"], example_runs["pull-request"]
    # main: baseline 'auto' on the default branch is the full gate, and the run is recorded
    assert main["result"] == "FAILURE", _explain(main)
    assert main["report"]["decision"] == "fail"
    assert "baseline" not in main["report"]
    (old,) = _known(main["report"], OLD_FAILURE)
    assert not _known(main["report"], NEW_FAILURE)
    # the pull request build: the history of main's last build, then new failures only
    (copy,) = {c["projectName"]: c for c in calls(pull_request, "copyArtifacts")}.values()
    assert copy["projectName"] == "/inventory-api/main"
    assert copy["files"] == [HISTORY]
    report = pull_request["report"]
    assert pull_request["result"] == "FAILURE", _explain(pull_request)
    assert report["decision"] == "fail"
    (new,) = _known(report, NEW_FAILURE)
    assert report["baseline"]["new"] == [new]
    assert report["baseline"]["still_failing"] == [old]
    assert report["reasons"] == ["1 new failing test (max-failures 0)"]
    summary = (Path(pull_request["workspace"]) / "reports" / "testgate-report.md").read_text(
        encoding="utf-8"
    )
    compared = summary.split("### Compared with the baseline", 1)[1].split("\n### ", 1)[0]
    assert "run 1 of main" in compared
    new_part, still = compared.split("**New**", 1)[1].split("**Still failing**", 1)
    assert new_part.split() == ["-", new]  # named: only the new one
    assert still.split()[:2] == ["-", old]
    assert pull_request["description"].startswith("testgate fail:")


def test_a_stale_report_in_the_workspace_is_not_counted(example_runs: dict) -> None:
    """Issue 12 item 8: reports/old.xml of an earlier build is neither read nor archived."""
    result = example_runs["stale"]
    assert result["result"] == "SUCCESS", _explain(result)
    report = result["report"]
    assert [Path(f["path"]).name for f in report["files"]] == ["consumer.xml"]
    assert report["decision"] == "pass"
    consumer = json.loads(json.dumps(report["files"][0]))
    assert report["totals"]["tests"] == consumer["tests"] > 0
    for call in calls(result, "archiveArtifacts"):
        assert "reports/old.xml" not in call["files"]
