"""The example Jenkinsfile, run by the Groovy harness with real ``sh`` on the example services.

Two runs in one JVM: the contract intact (every stage passes), and ``EXAMPLE_BREAK=provider``
(the provider drops a field the consumer reads: the build fails at *Provider verification*,
its JUnit file is still published, and the report still decides). The totals and decision the
Jenkins run made must equal what ``testgate report --json`` says on the same JUnit files; they
are also written to ``<basetemp>/template-results/jenkins-*.json`` beside the other platforms'.

testgate itself is not pip-installed here: ``TESTGATE_VENV`` points the install step at this
checkout's virtualenv, which it uses because its ``testgate --version`` matches ``toolsRef``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool
from jenkins_harness import LIBRARY, calls, run_harness
from template_results import (
    VENV,
    copy_service_files,
    direct_report,
    example_ready,
    other_records,
    write_record,
)

pytestmark = pytest.mark.slow

TEST_STAGES = ["Consumer contracts", "Provider verification", "API tests"]
HISTORY = ".testgate-history/history.json"


def make_workspace(dest: Path) -> Path:
    """A checkout of a service repository, as `checkout scm` would leave it."""
    copy_service_files(dest)
    git = ["git", "-C", str(dest), "-c", "user.name=ci", "-c", "user.email=ci@example.test"]
    subprocess.run([*git, "init", "-q", "-b", "feature/demo"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "service"], check=True)
    return dest


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    groovy = require_tool("groovy")
    example_ready()
    tmp = tmp_path_factory.mktemp("jenkins-example")
    # Nothing from the outer CI may leak into the build: a Jenkins agent has none of it.
    outer = {
        k: None
        for k in os.environ
        if k.startswith(("TESTGATE_", "PACT_BROKER_", "GITHUB_", "GITLAB_", "CI_"))
    }
    scenarios = []
    # Two builds of one job: the failing one restores the history the passing one archived.
    for name, extra in [("pass", {}), ("fail", {"EXAMPLE_BREAK": "provider"})]:
        ws = make_workspace(tmp / name / "workspace")
        env = {
            **outer,
            "TESTGATE_VENV": str(VENV),
            "BRANCH_NAME": "feature/demo",
            "PACT_DO_NOT_TRACK": "true",
            **extra,
        }
        scenarios.append(
            {
                "name": name,
                "workspace": str(ws),
                "jenkinsfile": str(LIBRARY / "Jenkinsfile"),
                "env": env,
                "artifacts": str(tmp / name / "artifacts"),
                "previousArtifacts": str(tmp / "pass" / "artifacts") if name == "fail" else None,
            }
        )
    results = run_harness(groovy, scenarios, tmp, timeout=900)
    for name, result in results.items():
        ws = Path(result["workspace"])
        result["jenkins_json"] = json.loads(
            (ws / "reports" / "testgate-report.json").read_text(encoding="utf-8")
        )
        result["direct_json"] = direct_report(ws, tmp / name)
        write_record(
            tmp_path_factory,
            "jenkins",
            name,
            result["jenkins_json"],
            stages=result["stages"],
        )
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


@pytest.mark.parametrize("run", ["pass", "fail"])
def test_same_totals_and_decision_as_the_other_platforms(
    example_runs: dict, tmp_path_factory: pytest.TempPathFactory, run: str
) -> None:
    """Against the GitHub/GitLab example runs of this session (their tests run before these)."""
    others = other_records(tmp_path_factory, "jenkins", run)
    if not others:
        pytest.skip("no GitHub or GitLab example run in this session to compare with")
    ours = example_runs[run]["jenkins_json"]
    counts = {k: v for k, v in ours["totals"].items() if k != "time"}
    for path in others:
        other = json.loads(path.read_text(encoding="utf-8"))
        assert other["decision"] == ours["decision"], path.name
        assert {k: v for k, v in other["totals"].items() if k != "time"} == counts, path.name


def test_history_carries_the_runs_from_build_to_build(example_runs: dict) -> None:
    """The real testgate history record/html after the report, in both builds."""
    passing, failing = example_runs["pass"], example_runs["fail"]
    for result in (passing, failing):
        commands = [c["label"] for c in calls(result, "sh") if c["stage"] == "Test report"]
        assert commands[-3:] == [
            "testgate report",
            "testgate history record",
            "testgate history html",
        ], _explain(result)
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
