"""The same example pipeline on GitHub (act), GitLab (gitlab-ci-local) and Jenkins (the Groovy
harness) must decide the same and count the same tests.

This module drives all three runners itself, on the example services: ``pass`` with the contract
intact and ``fail`` with ``EXAMPLE_BREAK=provider``, each the way the platform's own tests run it
(``template_results.github_example`` / ``gitlab_example``, ``jenkins_harness.example_builds``).
A run happens once per session: a platform's own example tests that use the same driver share
it. With ``CI=true`` a missing runner fails the test (never a skip); locally it is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import on_ci, require_tool
from gitlab_harness import gitlab_ci_local
from jenkins_harness import example_builds
from template_results import counts, github_example, gitlab_example

pytestmark = pytest.mark.slow

PLATFORMS = ("github", "gitlab", "jenkins")
RUNS = ("pass", "fail")


def _require_gitlab_ci_local() -> None:
    if gitlab_ci_local() is None:
        message = (
            "gitlab-ci-local is not installed (make test installs it: scripts/ci/install-tools.sh)"
        )
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)


def _jenkins(factory: pytest.TempPathFactory, run: str) -> dict[str, Any]:
    build = example_builds(factory, require_tool("groovy"))[run]
    assert build["report"] is not None, f"the Jenkins {run} build wrote no report: {build['error']}"
    return {**build["report"], "jobs": {s["name"]: s["status"] for s in build["stages"]}}


def _github(factory: pytest.TempPathFactory, run: str) -> dict[str, Any]:
    require_tool("act")
    return github_example(factory, run)


def _gitlab(factory: pytest.TempPathFactory, run: str) -> dict[str, Any]:
    _require_gitlab_ci_local()
    return gitlab_example(factory, run)


DRIVERS: dict[str, Callable[[pytest.TempPathFactory, str], dict[str, Any]]] = {
    "github": _github,
    "gitlab": _gitlab,
    "jenkins": _jenkins,
}


def differences(reports: dict[str, dict[str, Any]], decision: str) -> list[str]:
    """What keeps the platforms' reports of one run from agreeing (nothing: an empty list)."""
    problems = [
        f"{platform} decided {report['decision']}, not {decision}"
        for platform, report in reports.items()
        if report["decision"] != decision
    ]
    problems += [f"{p} counted no tests" for p, r in reports.items() if r["totals"]["tests"] <= 0]
    totals = {platform: counts(report["totals"]) for platform, report in reports.items()}
    if len({json.dumps(t, sort_keys=True) for t in totals.values()}) > 1:
        problems.append(f"the totals differ: {json.dumps(totals, indent=2)}")
    return problems


# Up to three example pipelines in one test (each runs once per session: the second run's
# test, and the platforms' own example tests, find them done).
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("run", RUNS)
def test_every_platform_decides_the_same_on_the_example(
    tmp_path_factory: pytest.TempPathFactory, run: str
) -> None:
    reports = {platform: DRIVERS[platform](tmp_path_factory, run) for platform in PLATFORMS}
    jobs = {platform: report["jobs"] for platform, report in reports.items()}
    print(json.dumps({p: {"decision": r["decision"], **r["totals"]} for p, r in reports.items()}))
    assert differences(reports, run) == [], json.dumps(jobs, indent=2)


def test_the_comparison_notices_a_difference() -> None:
    """The check above can fail: one test apart, another decision, or nothing counted."""
    totals = {"tests": 15, "passed": 15, "failed": 0, "errors": 0, "skipped": 0, "time": 1.0}
    same = {
        p: {"decision": "pass", "totals": {**totals, "time": i}} for i, p in enumerate(PLATFORMS)
    }
    assert differences(same, "pass") == []  # the wall time may differ
    apart = {**same, "gitlab": {"decision": "pass", "totals": {**totals, "tests": 14}}}
    assert [p.split(":")[0] for p in differences(apart, "pass")] == ["the totals differ"]
    other = {**same, "jenkins": {"decision": "fail", "totals": totals}}
    assert differences(other, "pass") == ["jenkins decided fail, not pass"]
    empty = {p: {"decision": "fail", "totals": {**totals, "tests": 0}} for p in PLATFORMS}
    assert differences(empty, "fail") == [f"{p} counted no tests" for p in PLATFORMS]
