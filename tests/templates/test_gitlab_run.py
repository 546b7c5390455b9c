"""gitlab-ci-local runs the GitLab templates for real (shell executor, offline).

The jobs install testgate the way the templates do, except that ``TESTGATE_INSTALL=skip`` and
``TESTGATE_VENV`` point them at the virtualenv this suite runs in (no network, and seconds
instead of a pip install per job). What the report job decided is compared with
``testgate report --json`` run directly on the same JUnit files: every platform's templates must
decide exactly what the tool decides.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import on_ci
from gitlab_harness import (
    GITLAB_DIR,
    REMOTE_HOST,
    ROOT,
    TOOLS_PROJECT,
    VERSION,
    PipelineRun,
    gitlab_ci_local,
    gitlab_name,
    install_job,
    make_service_repo,
    run_pipeline,
)
from template_results import direct_report

pytestmark = pytest.mark.slow

VENV = Path(sys.executable).parent.parent
SKIP_INSTALL = {"TESTGATE_INSTALL": "skip", "TESTGATE_VENV": str(VENV)}

PASSING_XML = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="unit" tests="2" failures="0" errors="0" skipped="0" time="0.3">
  <testcase classname="svc.test_a" name="test_one" time="0.1"/>
  <testcase classname="svc.test_a" name="test_two" time="0.2"/>
</testsuite>
"""
FAILING_XML = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="unit" tests="3" failures="1" errors="0" skipped="1" time="0.6">
  <testcase classname="svc.test_a" name="test_one" time="0.1"/>
  <testcase classname="svc.test_a" name="test_two" time="0.2">
    <failure message="expected 200, got 500">AssertionError</failure>
  </testcase>
  <testcase classname="svc.test_a" name="test_three" time="0.0"><skipped/></testcase>
</testsuite>
"""

REPORT_ONLY_PIPELINE = f"""\
# A service with its own test job and testgate's report template.
stages: [test, report]
include:
  - project: {TOOLS_PROJECT}
    ref: v{VERSION}
    file: gitlab/test-report.yml
    inputs:
      stage: report
      job-prefix: svc

unit-tests:
  stage: test
  script:
    - mkdir -p reports
    - cp "junit/$JUNIT_CASE.xml" reports/unit.xml
    - if [ "$JUNIT_CASE" = failing ]; then exit 1; fi
  artifacts:
    when: always
    paths: [reports/]
    reports:
      junit: reports/unit.xml

after-report:
  stage: .post
  needs: [svc-test-report]
  rules:
    - when: always
  script:
    - echo "decision from dotenv=$TESTGATE_OUT_DECISION tests=$TESTGATE_OUT_TESTS"
    - echo "history from dotenv runs=$TESTGATE_OUT_HISTORY_RUNS flaky=$TESTGATE_OUT_FLAKY_COUNT"
"""


@pytest.fixture(scope="module")
def gcl() -> str:
    found = gitlab_ci_local()
    if not found:
        message = (
            "gitlab-ci-local is not installed (make test installs it: scripts/ci/install-tools.sh)"
        )
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)
    return found


def dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def assert_same_decision(repo: Path, tmp: Path, run: PipelineRun) -> dict:
    pipeline = json.loads((repo / "reports" / "testgate-report.json").read_text(encoding="utf-8"))
    direct = direct_report(repo, tmp)
    assert pipeline["decision"] == direct["decision"], run.explain()
    assert pipeline["totals"] == direct["totals"], run.explain()
    outputs = dotenv(repo / "reports" / "testgate.env")
    assert outputs["TESTGATE_OUT_DECISION"] == direct["decision"]
    assert outputs["TESTGATE_OUT_TESTS"] == str(direct["totals"]["tests"])
    return pipeline


def report_only_repo(tmp_path: Path, branch: str = "feature/demo", extra_jobs: str = "") -> Path:
    repo = tmp_path / "svc"
    (repo / "junit").mkdir(parents=True)
    (repo / "junit" / "passing.xml").write_text(PASSING_XML, encoding="utf-8")
    (repo / "junit" / "failing.xml").write_text(FAILING_XML, encoding="utf-8")
    (repo / "gate.toml").write_text("# gate policy\n", encoding="utf-8")
    pipeline = REPORT_ONLY_PIPELINE + extra_jobs
    (repo / "example.gitlab-ci.yml").write_text(pipeline, encoding="utf-8")
    return make_service_repo(
        repo, pipeline_file=repo / "example.gitlab-ci.yml", branch=branch, with_examples=False
    )


def readme_snippet(job: str) -> str:
    """The YAML snippet of gitlab/README.md that defines ``job``."""
    text = (GITLAB_DIR / "README.md").read_text(encoding="utf-8")
    (snippet,) = [
        s for s in re.findall(r"```yaml\n(.*?)```", text, flags=re.S) if f"\n{job}:" in "\n" + s
    ]
    return snippet


def test_report_template_decides_like_testgate_and_keeps_history(gcl: str, tmp_path: Path) -> None:
    """Two pipelines on one commit, green then red: each report job decides like testgate, and
    the history cache carries the first run into the second, which flags the flipped test.
    Then the README's scheduled quarantine job turns it into a quarantine entry."""
    repo = report_only_repo(
        tmp_path, branch="main", extra_jobs="\n" + readme_snippet("quarantine-suggest")
    )
    cases = [("passing", "pass", 2, 1), ("failing", "fail", 3, 2)]
    for case, decision, tests, runs in cases:
        # Only the cache may carry the history: no reports or job folders from the last run.
        for leftover in (repo / "reports", repo / ".gitlab-ci-local" / "builds"):
            shutil.rmtree(leftover, ignore_errors=True)
        run = run_pipeline(repo, {**SKIP_INSTALL, "JUNIT_CASE": case})

        expected_jobs = {"unit-tests": "PASS", "svc-test-report": "PASS", "after-report": "PASS"}
        if case == "failing":  # the history step ran, yet the gate still fails the job
            expected_jobs = {
                "unit-tests": "FAIL",
                "svc-test-report": "FAIL",
                "after-report": "PASS",
            }
        assert run.jobs == expected_jobs, run.explain()
        assert (run.returncode == 0) == (case == "passing"), run.explain()
        assert "testgate 0.1.0" in run.output, "the base job runs testgate --version"

        pipeline = assert_same_decision(repo, tmp_path, run)
        assert pipeline["decision"] == decision
        assert pipeline["totals"]["tests"] == tests
        assert len(pipeline["tests"]) == tests, "--json-tests: the history needs every test"
        # the dotenv outputs reached the next job as variables
        assert f"decision from dotenv={decision} tests={tests}" in run.output, run.explain()
        outputs = dotenv(repo / "reports" / "testgate.env")
        assert outputs["TESTGATE_OUT_HISTORY_RUNS"] == str(runs), run.explain()
        assert f"history from dotenv runs={runs} " in run.output, run.explain()
        page = (repo / "reports" / "testgate-report.html").read_text(encoding="utf-8")
        assert f'data-testid="decision">{decision.upper()}<' in page
        assert "<svg" in (repo / "reports" / "history-trend.svg").read_text(encoding="utf-8")
        merged = (repo / "reports" / "merged.xml").read_text(encoding="utf-8")
        assert merged.count("<testcase") == tests, "the merged JUnit for TestRail"

    # passed, then failed on the same commit: flaky
    assert outputs["TESTGATE_OUT_FLAKY_COUNT"] == "1", outputs
    assert outputs["TESTGATE_OUT_FLAKY_TESTS"] == "svc.test_a::test_two", outputs
    assert "svc.test_a::test_two" in page
    cache = repo / ".gitlab-ci-local" / "cache" / "testgate-history-main"
    history = json.loads((cache / ".testgate-history" / "history.json").read_text("utf-8"))
    assert len(history["runs"]) == 2, "the failed job saved its cache too (when: always)"

    schedule = {**SKIP_INSTALL, "CI_PIPELINE_SOURCE": "schedule"}
    quiet = ("--ignore-predefined-vars", "CI_PIPELINE_SOURCE")
    run = run_pipeline(repo, schedule, *quiet, "quarantine-suggest")
    assert run.jobs == {"quarantine-suggest": "PASS"}, run.explain()
    policy = (repo / "gate.toml").read_text(encoding="utf-8")
    assert "[[quarantine]]" in policy, run.explain()
    assert 'owner = "team-inventory"' in policy
    assert "svc.test_a::test_two" in policy


def test_include_project_is_served_from_the_prefilled_cache(gcl: str, tmp_path: Path) -> None:
    repo = report_only_repo(tmp_path)
    cached = (
        repo
        / ".gitlab-ci-local/includes"
        / REMOTE_HOST
        / TOOLS_PROJECT
        / f"v{VERSION}/gitlab/test-report.yml"
    )
    marker = "\nserved-from-the-include-cache:\n  stage: report\n  script: [echo cached]\n"
    cached.write_text(cached.read_text(encoding="utf-8") + marker, encoding="utf-8")
    run = run_pipeline(repo, SKIP_INSTALL, "--list")
    assert run.returncode == 0, run.explain()
    assert "served-from-the-include-cache" in run.output, run.explain()


def test_the_shared_install_comes_from_the_included_project(gcl: str, tmp_path: Path) -> None:
    """A template's include: local of gitlab/base.yml resolves in the project the template came
    from (GitLab's nested includes; gitlab-ci-local turns it into an include: project of the same
    ref, served from its include cache), never from the service's own repository."""
    repo = report_only_repo(tmp_path)
    shutil.rmtree(repo / "gitlab")  # a service repository has no gitlab/ of testgate's
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "x"],
        cwd=repo,
        check=True,
    )
    cached = repo / ".gitlab-ci-local/includes" / REMOTE_HOST / TOOLS_PROJECT / f"v{VERSION}"
    base = cached / "gitlab" / "base.yml"
    base.write_text(
        base.read_text(encoding="utf-8").replace(
            "    - testgate --version\n", "    - testgate --version\n    - echo served-base\n"
        ),
        encoding="utf-8",
    )
    run = run_pipeline(
        repo, {**SKIP_INSTALL, "JUNIT_CASE": "passing"}, "unit-tests", "svc-test-report"
    )
    assert run.jobs == {"unit-tests": "PASS", "svc-test-report": "PASS"}, run.explain()
    assert "served-base" in run.output, "the install job came from the included project"


STALE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="stale" tests="3" failures="1">
  <testcase classname="old.suite" name="stale_1"/>
  <testcase classname="old.suite" name="stale_2"/>
  <testcase classname="old.suite" name="stale_3"><failure message="long fixed">x</failure></testcase>
</testsuite>
"""


def test_a_stale_report_in_the_workspace_is_not_counted(gcl: str, tmp_path: Path) -> None:
    """A report the repository holds (reports/old.xml, committed) is in every job's workspace
    and in the artifacts of a job that keeps its whole reports folder; the report job counts
    only what this pipeline wrote (issue 12, item 8). Counting it would also turn PASS to FAIL."""
    repo = report_only_repo(tmp_path)
    (repo / "reports").mkdir()
    (repo / "reports" / "old.xml").write_text(STALE_XML, encoding="utf-8")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "add", "-f", "reports/old.xml"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "a stale report"], cwd=repo, check=True)
    run = run_pipeline(repo, {**SKIP_INSTALL, "JUNIT_CASE": "passing"})
    assert run.jobs.get("svc-test-report") == "PASS", run.explain()
    report = json.loads((repo / "reports" / "testgate-report.json").read_text(encoding="utf-8"))
    assert report["decision"] == "pass"
    assert report["totals"]["tests"] == 2, "unit.xml only"
    assert [Path(f["path"]).name for f in report["files"]] == ["unit.xml"]
    assert "old.xml is committed to the repository, unchanged" in run.output, run.explain()


# ---------------------------------------------------------------------------------------------
# The install the base job does for real users (tests otherwise skip it).

FAKE_PYTHON = """#!/bin/sh
# records its argv; "-m venv DIR" makes DIR/bin/python, another recorder
echo "$0 $*" >> "$RECORD"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && printf '#!/bin/sh\\necho testgate 0.1.0\\n' > "$3/bin/testgate" && chmod +x "$3/bin/testgate"
fi
printf '%s\\n' "$@" > "$RECORD.last"
"""


def run_install(tmp_path: Path, extra_env: dict[str, str]) -> tuple[str, list[str]]:
    """Run the base job's before_script with a recording python3; return (log, pip argv)."""
    base = install_job()  # gitlab/base.yml: what every template's base job extends
    fake_bin = tmp_path / "fakebin"
    fake_bin.mkdir()
    python3 = fake_bin / "python3"
    python3.write_text(FAKE_PYTHON, encoding="utf-8")
    python3.chmod(0o755)
    record = tmp_path / "record"
    env = {
        "PATH": f"{fake_bin}:/usr/bin:/bin",
        "RECORD": str(record),
        "TESTGATE_VENV": str(tmp_path / "venv"),
        "TESTGATE_TOOLS_REPOSITORY": TOOLS_PROJECT,
        "TESTGATE_TOOLS_REF": f"v{VERSION}",
        "TESTGATE_REPORTS_DIR": str(tmp_path / "reports"),
        "CI_SERVER_PROTOCOL": "https",
        "CI_SERVER_HOST": "gitlab.example.com",
        "CI_SERVER_PORT": "443",
        "CI_JOB_TOKEN": "job-token-123",
        **extra_env,
    }
    script = "set -eo pipefail\n" + "\n".join(base["before_script"])
    proc = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = tmp_path / "record.last"
    argv = last.read_text(encoding="utf-8").splitlines() if last.exists() else []
    return proc.stdout, argv


def test_base_job_pip_installs_testgate_from_the_tools_repository_at_tools_ref(
    tmp_path: Path,
) -> None:
    log, argv = run_install(tmp_path, {"TESTGATE_INSTALL": "pip"})
    assert argv[:3] == ["-m", "pip", "install"]
    assert argv[-1] == (
        "testgate @ git+https://gitlab-ci-token:job-token-123@gitlab.example.com:443/"
        f"{TOOLS_PROJECT}.git@v{VERSION}"
    )
    assert "testgate 0.1.0" in log
    assert "job-token-123" not in log, "the job token is never printed"


def test_base_job_skips_the_install_when_told(tmp_path: Path) -> None:
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    tg = tmp_path / "venv" / "bin" / "testgate"
    tg.write_text("#!/bin/sh\necho testgate 0.1.0\n", encoding="utf-8")
    tg.chmod(0o755)
    log, argv = run_install(tmp_path, {"TESTGATE_INSTALL": "skip"})
    assert argv == []
    assert "testgate 0.1.0" in log


def test_pip_resolves_the_requirement_the_base_job_builds(tmp_path: Path) -> None:
    """The exact requirement string, against a clone of this repo tagged like a release."""
    bare = tmp_path / "testgate.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(ROOT), str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "tag", f"v{VERSION}", "HEAD"], check=True)
    _, argv = run_install(
        tmp_path, {"TESTGATE_INSTALL": "pip", "TESTGATE_TOOLS_URL": f"file://{bare}"}
    )
    requirement = argv[-1]
    assert requirement == f"testgate @ git+file://{bare}@v{VERSION}"
    report = tmp_path / "pip-report.json"
    proc = subprocess.run(
        [
            sys.executable,
            *("-m", "pip", "install", "--dry-run", "--no-deps", "--no-index"),
            *("--no-build-isolation", "--quiet", "--report", str(report), requirement),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (item,) = json.loads(report.read_text(encoding="utf-8"))["install"]
    assert item["metadata"]["name"] == "testgate"
    assert item["metadata"]["version"] == VERSION
    assert item["download_info"]["vcs_info"]["requested_revision"] == f"v{VERSION}"


# ---------------------------------------------------------------------------------------------
# The example pipeline (gitlab/example*.gitlab-ci.yml) on the example services.

# api-tests runs as two parallel jobs in the examples (shards: 2)
API_SHARDS = ("pact-api-tests 1/2", "pact-api-tests 2/2")
EXAMPLE_TEST_JOBS = ("pact-consumer-contracts", "pact-provider-verification", *API_SHARDS)
DEPLOY_JOBS = ("pact-can-i-deploy", "deploy-prod", "pact-record-deployment", "pact-monitor")


def run_example(
    tmp_path_factory: pytest.TempPathFactory, name: str, pipeline: str, **variables: str
):
    tmp = tmp_path_factory.mktemp(pipeline.split(".")[0])
    repo = make_service_repo(tmp / "inventory-api", GITLAB_DIR / pipeline)
    run = run_pipeline(repo, {**SKIP_INSTALL, **variables}, timeout=600)
    # beside the other platforms' results: <basetemp>/template-results/<platform>-<name>.json
    record = tmp_path_factory.getbasetemp() / "template-results" / f"gitlab-{name}.json"
    return repo, tmp, run, record


def record_result(record: Path, run: PipelineRun, pipeline_json: dict) -> None:
    """Keep what the GitLab pipeline decided, for a cross-platform comparison in this session."""
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(
        json.dumps(
            {
                "platform": "gitlab",
                "jobs": run.jobs,
                "decision": pipeline_json["decision"],
                "totals": pipeline_json["totals"],
            },
            indent=2,
        ),
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def passing_example(gcl: str, tmp_path_factory: pytest.TempPathFactory):
    """The service-repo example (include: project, pinned tag), the contract intact."""
    return run_example(tmp_path_factory, "pass", "example.gitlab-ci.yml")


@pytest.fixture(scope="module")
def failing_example(gcl: str, tmp_path_factory: pytest.TempPathFactory):
    """The include: local variant, with the example provider breaking the contract."""
    return run_example(
        tmp_path_factory, "fail", "example-local.gitlab-ci.yml", EXAMPLE_BREAK="provider"
    )


def test_example_pipeline_passes(passing_example) -> None:
    repo, tmp, run, record = passing_example
    assert run.returncode == 0, run.explain()
    for job in (*EXAMPLE_TEST_JOBS, "pact-test-report"):
        assert run.jobs.get(job) == "PASS", run.explain()
    # a feature branch: the deploy jobs' rules leave them out, the monitor waits for a schedule
    assert not set(DEPLOY_JOBS) & set(run.jobs), run.explain()
    assert (repo / "reports" / "consumer.xml").exists()
    assert list((repo / "pacts").glob("*.json")), "the consumer job's pacts reached the repo"
    pipeline = assert_same_decision(repo, tmp, run)
    assert pipeline["decision"] == "pass"
    assert pipeline["totals"]["tests"] > 0
    # each shard ran its share, and the report merged both: every API test exactly once
    shard_files = sorted(p.name for p in (repo / "reports").glob("api*.xml"))
    assert shard_files == ["api-shard-1.xml", "api-shard-2.xml"], run.explain()
    api = [t for t in pipeline["tests"] if ".tests.api." in t["id"]]
    assert api, pipeline["tests"]
    assert len({t["id"] for t in api}) == len(api)
    assert pipeline["totals"]["failed"] == pipeline["totals"]["errors"] == 0
    # baseline: auto on a branch with no run of main in its history: said, and the full gate
    assert "baseline auto: no run of main in the history" in run.output, run.explain()
    record_result(record, run, pipeline)


def test_example_pipeline_fails_at_provider_verification(failing_example) -> None:
    repo, tmp, run, record = failing_example
    assert run.returncode != 0, run.explain()
    assert run.jobs.get("pact-consumer-contracts") == "PASS", run.explain()
    assert run.jobs.get("pact-provider-verification") == "FAIL", run.explain()
    # the report still runs (when: always) and fails the pipeline with the same decision
    assert run.jobs.get("pact-test-report") == "FAIL", run.explain()
    pipeline = assert_same_decision(repo, tmp, run)
    assert pipeline["decision"] == "fail"
    by_file = {Path(f["path"]).name: f for f in pipeline["files"]}
    broken = by_file["provider-verification.xml"]
    assert broken["failed"] + broken["errors"] > 0, pipeline["files"]
    assert by_file["consumer.xml"]["failed"] == by_file["consumer.xml"]["errors"] == 0
    record_result(record, run, pipeline)


# ---------------------------------------------------------------------------------------------
# The baseline (issue 13, item 4): a merge request fails only on the failures it adds.

# A test module the service copy gets: a known failure on the default branch, and a merge
# request that adds another (the same file and names as the other platforms' baseline runs).
KNOWN_FAILURES = "examples/inventory-api/tests/api/test_known_failures.py"
OLD_FAILURE = "test_old_failure"
NEW_FAILURE = "test_new_failure"
MR_IID = 7
PROJECT_ID = 1217  # gitlab-ci-local's CI_PROJECT_ID
GITLAB_TOKEN = "glpat-project-token-s3cret"  # a test secret that must never be printed


def add_failing_tests(repo: Path, *names: str) -> None:
    """Write KNOWN_FAILURES into the service copy: one failing test per name, then commit."""
    body = ['"""Known failures of the baseline example (written by the template tests)."""\n']
    for name in names:
        body.append(f"\n\ndef {name}() -> None:\n    assert False, {f'{name} fails'!r}\n")
    (repo / KNOWN_FAILURES).write_text("".join(body), encoding="utf-8")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", f"tests: {' '.join(names)}"], cwd=repo, check=True)


def known(report: dict, name: str) -> list[str]:
    """The failure ids of ``report`` that are the known failure ``name``."""
    return [f["id"] for f in report["failures"] if f["id"].endswith(f"::{name}")]


@pytest.fixture(scope="module")
def baseline_runs(gcl: str, tmp_path_factory: pytest.TempPathFactory):
    """The example pipeline (baseline: auto, pr-comment: true) three times in one repository:

    1. main, with an old failure: the full gate (FAIL), the run recorded in the history cache;
    2. a merge request pipeline of feature/stock-alerts adding a new failure, with
       gitlab-ci-local's variables standing in for the merge request (CI_PIPELINE_SOURCE,
       CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, CI_DEFAULT_BRANCH) and the
       notes API served by tests/fake_gitlab;
    3. the merge request's next push, which fixes the new failure (the old one remains).

    gitlab-ci-local does not apply cache:fallback_keys: before the merge request's first
    pipeline, the default branch's history cache is copied to the branch's key, which is what
    GitLab restores for a branch with no cache of its own.
    """
    from fake_gitlab import FakeGitLab

    tmp = tmp_path_factory.mktemp("baseline")
    repo = make_service_repo(tmp / "inventory-api", GITLAB_DIR / "example.gitlab-ci.yml", "main")
    add_failing_tests(repo, OLD_FAILURE)
    runs: dict[str, tuple[PipelineRun, dict]] = {}

    def run(name: str, variables: dict[str, str], *extra: str) -> None:
        shutil.rmtree(repo / "reports", ignore_errors=True)  # only this run's outputs
        result = run_pipeline(repo, {**SKIP_INSTALL, **variables}, *extra, timeout=600)
        path = repo / "reports" / "testgate-report.json"
        assert path.exists(), result.explain()
        runs[name] = (result, json.loads(path.read_text(encoding="utf-8")))

    run("main", {})
    branch = "feature/stock-alerts"
    subprocess.run(["git", "checkout", "-qb", branch], cwd=repo, check=True)
    add_failing_tests(repo, OLD_FAILURE, NEW_FAILURE)
    cache = repo / ".gitlab-ci-local" / "cache"
    shutil.copytree(
        cache / "testgate-history-main", cache / "testgate-history-feature-stock-alerts"
    )
    with FakeGitLab() as server:
        server.add_project(PROJECT_ID, "acme/inventory-api", merge_requests=(MR_IID,))
        server.add_token(GITLAB_TOKEN, f"project_{PROJECT_ID}_bot_1")
        merge_request = {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": str(MR_IID),
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": branch,
            "CI_DEFAULT_BRANCH": "main",
            "CI_API_V4_URL": server.url,
            "TESTGATE_GITLAB_TOKEN": GITLAB_TOKEN,
        }
        quiet = ("--ignore-predefined-vars", "CI_PIPELINE_SOURCE,CI_DEFAULT_BRANCH,CI_API_V4_URL")
        run("merge-request", merge_request, *quiet)
        notes = [dict(n) for n in server.notes_on(PROJECT_ID, MR_IID)]
        add_failing_tests(repo, OLD_FAILURE)  # the next push fixes the new failure
        run("fixed", merge_request, *quiet)
        notes_after = [dict(n) for n in server.notes_on(PROJECT_ID, MR_IID)]
    return runs, notes, notes_after


def test_baseline_merge_request_fails_naming_only_its_new_failure(baseline_runs) -> None:
    runs, _, _ = baseline_runs
    main_run, main = runs["main"]
    # main: baseline auto on the default branch is the full gate, and the run is recorded
    assert main_run.jobs.get("pact-test-report") == "FAIL", main_run.explain()
    assert main["decision"] == "fail"
    assert "baseline" not in main or main["baseline"] is None
    (old,) = known(main, OLD_FAILURE)
    assert not known(main, NEW_FAILURE)
    assert "pact-mr-comment" not in main_run.jobs, "a branch pipeline gets no note"

    mr_run, report = runs["merge-request"]
    assert mr_run.returncode != 0, mr_run.explain()
    assert mr_run.jobs.get("pact-test-report") == "FAIL", mr_run.explain()
    (new,) = known(report, NEW_FAILURE)
    assert report["baseline"] == {"new": [new], "still_failing": [old], "fixed": []}
    reasons = " ".join(report["reasons"])
    assert "1 new failing test" in reasons, reasons
    assert OLD_FAILURE not in reasons
    assert GITLAB_TOKEN not in mr_run.output


def test_baseline_merge_request_passes_with_only_the_old_failure(baseline_runs) -> None:
    runs, _, _ = baseline_runs
    run, report = runs["fixed"]
    assert run.jobs.get("pact-test-report") == "PASS", run.explain()
    assert report["decision"] == "pass"
    (old,) = known(report, OLD_FAILURE)
    assert report["baseline"] == {"new": [], "still_failing": [old], "fixed": []}


def test_merge_request_note_is_written_once_and_updated_in_place(baseline_runs) -> None:
    runs, notes, notes_after = baseline_runs
    assert runs["merge-request"][0].jobs.get("pact-mr-comment") == "PASS"
    assert runs["fixed"][0].jobs.get("pact-mr-comment") == "PASS"
    (note,) = notes
    body = note["body"]
    assert "## ❌ Test report: FAIL" in body
    compared = body.split("### Compared with the baseline", 1)[1].split("\n### ", 1)[0]
    new_part, still_part = compared.split("**Still failing**", 1)
    assert NEW_FAILURE in new_part
    assert OLD_FAILURE not in new_part
    assert OLD_FAILURE in still_part
    (after,) = notes_after
    assert after["id"] == note["id"], "the same note, updated"
    assert "## ✅ Test report: PASS" in after["body"]


# ---------------------------------------------------------------------------------------------
# The deploy jobs on the default branch, against the test Pact Broker.

BROKER_TOKEN = "broker-token-s3cret"  # a test secret that must never be printed


def git_sha(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.parametrize("known", [True, False], ids=["deployable", "unknown-version"])
def test_deploy_jobs_gate_and_record_the_deployment(
    gcl: str, tmp_path: Path, pact_broker_factory, known: bool
) -> None:
    broker = pact_broker_factory(token=BROKER_TOKEN)
    broker.create_environment("prod", production=True)
    repo = make_service_repo(
        tmp_path / "svc", GITLAB_DIR / "example.gitlab-ci.yml", branch="main", with_examples=False
    )
    sha = git_sha(repo)
    if known:
        broker.state.version("inventory-api", sha, create=True)
    variables = {
        **SKIP_INSTALL,
        "PACT_BROKER_BASE_URL": broker.url,
        "PACT_BROKER_TOKEN": BROKER_TOKEN,
    }
    run = run_pipeline(
        repo, variables, "pact-can-i-deploy", "deploy-prod", "pact-record-deployment"
    )

    assert BROKER_TOKEN not in run.output
    deployments = [d for d in broker.state.deployments if d.version == sha]
    if known:
        assert run.returncode == 0, run.explain()
        assert run.jobs == {
            "pact-can-i-deploy": "PASS",
            "deploy-prod": "PASS",
            "pact-record-deployment": "PASS",
        }, run.explain()
        assert [(d.pacticipant, d.kind) for d in deployments] == [("inventory-api", "deployed")]
    else:
        assert run.returncode != 0, run.explain()
        assert run.jobs.get("pact-can-i-deploy") == "FAIL", run.explain()
        assert "deploy-prod" not in run.jobs, "no deploy without a green matrix"
        assert deployments == []


# ---------------------------------------------------------------------------------------------
# rules: which jobs a pipeline gets


def active_jobs(repo: Path, *extra: str) -> set[str]:
    run = run_pipeline(repo, SKIP_INSTALL, "--list-json", *extra)
    assert run.returncode == 0, run.explain()
    listing = json.loads(run.stdout)
    return {gitlab_name(job["name"]) for job in listing if job["when"] != "never"}


TEST_JOBS = {
    "pact-consumer-contracts",
    "pact-provider-verification",
    *API_SHARDS,
    "pact-test-report",
}


@pytest.mark.parametrize(
    ("branch", "source", "expected"),
    [
        pytest.param("feature/demo", "push", TEST_JOBS, id="feature-branch"),
        pytest.param(
            "main",
            "push",
            TEST_JOBS | {"pact-can-i-deploy", "deploy-prod", "pact-record-deployment"},
            id="default-branch",
        ),
        pytest.param("main", "schedule", {"pact-monitor"}, id="schedule"),
        # the note on the merge request: only in a merge request pipeline (pr-comment: true)
        pytest.param(
            "feature/demo", "merge_request_event", TEST_JOBS | {"pact-mr-comment"}, id="mr"
        ),
    ],
)
def test_rules_choose_the_jobs_of_each_pipeline(
    gcl: str, tmp_path: Path, branch: str, source: str, expected: set[str]
) -> None:
    repo = make_service_repo(
        tmp_path / "svc", GITLAB_DIR / "example.gitlab-ci.yml", branch=branch, with_examples=False
    )
    pipeline_source = ("--variable", f"CI_PIPELINE_SOURCE={source}")
    if source == "merge_request_event":
        pipeline_source += ("--variable", f"CI_MERGE_REQUEST_IID={MR_IID}")
    quiet = ("--ignore-predefined-vars", "CI_PIPELINE_SOURCE")  # overriding it is the point
    assert active_jobs(repo, *pipeline_source, *quiet) == expected


# ---------------------------------------------------------------------------------------------
# The scheduled monitor: state carried from run to run by the job's cache.


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append(json.loads(body or b"{}"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def alert_receiver():
    handler = type("Receiver", (_Receiver,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler.received
    server.shutdown()


def start_provider(
    port: int = 0, provider_states: bool = False, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """The example provider on 127.0.0.1 (it prints its URL once it listens)."""
    argv = [sys.executable, "-m", "inventory_api", "--port", str(port)]
    if provider_states:
        argv.append("--provider-states")
    proc = subprocess.Popen(
        argv,
        cwd=ROOT / "examples" / "inventory-api",
        env={**os.environ, **(extra_env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        if match:
            # keep reading its log, so a full pipe never blocks the provider
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, match[0]
    proc.kill()
    raise AssertionError("the example provider did not start")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_scheduled_monitor_alerts_once_on_failure_and_once_on_recovery(
    gcl: str, tmp_path: Path, alert_receiver
) -> None:
    """Down, still down, back up: one FAILING alert, none, one RECOVERED."""
    hook, received = alert_receiver
    repo = make_service_repo(tmp_path / "svc", GITLAB_DIR / "example.gitlab-ci.yml", branch="main")
    port = free_port()
    variables = {
        **SKIP_INSTALL,
        "CI_PIPELINE_SOURCE": "schedule",
        "TESTGATE_TARGET_URL": f"http://127.0.0.1:{port}",
        "TESTGATE_ALERT_WEBHOOK_URL": hook,
    }
    quiet = ("--ignore-predefined-vars", "CI_PIPELINE_SOURCE")
    outcomes, alerts_after, provider = [], [], None
    try:
        for up in (False, False, True):
            if up:
                provider, _ = start_provider(port)
            run = run_pipeline(repo, variables, *quiet)
            outcomes.append(run.jobs)
            alerts_after.append(len(received))
            assert hook not in run.output, "the webhook URL is a secret"
    finally:
        if provider:
            provider.kill()
    assert outcomes == [{"pact-monitor": r} for r in ("FAIL", "FAIL", "PASS")], run.explain()
    # the second run saw the first run's state (through the job's cache) and stayed quiet
    assert alerts_after == [1, 1, 2], received
    assert (repo / "reports" / "metrics.prom").exists()
    assert (repo / "reports" / "monitor.xml").exists()


# ---------------------------------------------------------------------------------------------
# Blue-green: gitlab/example-deploy.gitlab-ci.yml promotes a good candidate, refuses a broken one.


def publish_example_pacts(repo: Path, tmp: Path, broker_url: str) -> None:
    """The history of the two main branches: the consumer published its pacts and the
    provider verified them, so they are no longer pending (a pending pact would not fail)."""
    env = {
        "PATH": f"{VENV / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp),
        "PACT_DO_NOT_TRACK": "true",
        "TESTGATE_REPORTS_DIR": str(tmp / "seed-reports"),
        "TESTGATE_PACT_DIR": str(tmp / "seed-pacts"),
        "PACT_BROKER_BASE_URL": broker_url,
        "PACT_BROKER_TOKEN": BROKER_TOKEN,
        "TESTGATE_VERSION": "dashboard-1",
        "TESTGATE_BRANCH": "main",
    }
    verify = [
        *("verify", "--broker", "--publish-results"),
        *("--provider-version", "inventory-0", "--provider-branch", "main"),
    ]
    for command in (["consumer"], ["publish"], verify):
        proc = subprocess.run(
            [str(VENV / "bin" / "testgate"), *command, "--platform", "local"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=180,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def blue_green(gcl: str, tmp_path: Path, pact_broker_factory):
    broker = pact_broker_factory(token=BROKER_TOKEN)
    broker.create_environment("prod", production=True)
    repo = make_service_repo(
        tmp_path / "svc", GITLAB_DIR / "example-deploy.gitlab-ci.yml", branch="main"
    )
    broker.state.version("inventory-api", git_sha(repo), create=True)
    publish_example_pacts(repo, tmp_path, broker.url)

    def deploy(candidate_breaks: bool) -> tuple[PipelineRun, list, dict]:
        port = free_port()
        env_break = {"EXAMPLE_BREAK": "provider"} if candidate_breaks else {}
        candidate, url = start_provider(port, provider_states=True, extra_env=env_break)
        try:
            run = run_pipeline(
                repo,
                {
                    **SKIP_INSTALL,
                    "PACT_BROKER_BASE_URL": broker.url,
                    "PACT_BROKER_TOKEN": BROKER_TOKEN,
                    "INVENTORY_API_CANDIDATE_URL": url,
                },
                timeout=600,
            )
        finally:
            candidate.kill()
        assert BROKER_TOKEN not in run.output
        report = assert_same_decision(repo, tmp_path, run)
        deployed = [d for d in broker.state.deployments if d.pacticipant == "inventory-api"]
        return run, deployed, report

    return deploy


def test_blue_green_promotes_a_candidate_that_passes(blue_green) -> None:
    run, deployments, report = blue_green(candidate_breaks=False)
    assert run.returncode == 0, run.explain()
    assert run.jobs == dict.fromkeys(
        [
            "pact-can-i-deploy",
            "deploy-candidate",
            "candidate-api-tests 1/1",
            "candidate-provider-verification",
            "switch-over",
            "pact-record-deployment",
            "pact-test-report",
        ],
        "PASS",
    ), run.explain()
    assert len(deployments) == 1
    assert report["decision"] == "pass"


def test_blue_green_refuses_a_candidate_that_breaks_the_contract(blue_green) -> None:
    run, deployments, report = blue_green(candidate_breaks=True)
    assert run.returncode != 0, run.explain()
    assert run.jobs.get("candidate-provider-verification") == "FAIL", run.explain()
    # the candidate drops price: its API tests fail as well (either alone blocks the switch)
    assert run.jobs.get("candidate-api-tests 1/1") == "FAIL", run.explain()
    assert "switch-over" not in run.jobs, "traffic never moves to a failing candidate"
    assert "pact-record-deployment" not in run.jobs
    assert run.jobs.get("pact-test-report") == "FAIL", run.explain()
    assert deployments == []
    assert report["decision"] == "fail"
