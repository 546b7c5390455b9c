"""The GitHub workflows, executed for real by act on the host, offline.

Every remote ``uses:`` is replaced with ``--local-repository``: our reusable workflows
(``testgate/testgate@v0.1.0``) by a copy of this checkout, the actions by the stubs in
``tests/templates/github/stubs``. The jobs really install testgate from the checked-out copy
(``pip install ./.testgate``) and really run the commands. Reports are read back from the
stubbed artifact store (absolute paths: act deletes its workspace copy after each job).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import ROOT, require_tool
from template_results import write_record

sys.path.insert(0, str(Path(__file__).resolve().parent / "github"))
import gha_harness as gha

VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
TAG = f"v{VERSION}"
EXAMPLE = ".github/workflows/example-pipeline.yml"
TOKEN = "ghs_faketoken_for_act_tests_0123456789"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def act_env(tmp_path_factory):
    """A service repository (a copy of this checkout) and the offline package folder."""
    require_tool("act")
    base = tmp_path_factory.mktemp("act")
    repo = gha.make_service_repo(base / "service")
    site = gha.make_dev_site(base / "site")
    return base, repo, site


def _box(tmp_path: Path, act_env) -> gha.Sandbox:
    _, repo, site = act_env
    return gha.Sandbox.create(tmp_path, repo, site)


def _report_json(paths: list[Path], out: Path) -> dict:
    """``testgate report --json`` run directly (not through a workflow) on ``paths``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    env["TESTGATE_PLATFORM"] = "local"
    subprocess.run(
        [sys.executable, "-m", "testgate", "report", *map(str, paths), "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def _junit_files(artifacts: Path) -> list[Path]:
    return sorted(artifacts.glob("testgate-junit-*/**/*.xml"))


def _record(factory: pytest.TempPathFactory, name: str, runs: list[gha.ActRun], report: dict):
    """What the GitHub run decided, beside the GitLab/Jenkins records of this session:
    ``<basetemp>/template-results/github-<name>.json`` (tests/templates/test_cross_platform.py
    compares them)."""
    jobs = {j.name.strip(): j.result for run in runs for j in run.jobs.values() if j.result}
    write_record(factory, "github", name, report, jobs=jobs)


def _cache_calls(run: gha.ActRun, action: str) -> list[dict]:
    return [c for c in run.stub_calls if c["action"] == action]


def _cache_keys(box: gha.Sandbox) -> list[str]:
    """The keys saved in the stubbed Actions cache (folder names are URL-quoted)."""
    return sorted(unquote(p.name) for p in box.cache.iterdir())


# -- the harness itself, on a trivial workflow (independent of the example services) --------


def test_act_harness_installs_testgate_at_the_pinned_tag_and_passes_outputs(tmp_path, act_env):
    box = _box(tmp_path, act_env)
    workflows = box.repo / ".github" / "workflows"
    (workflows / "zz-smoke-reusable.yml").write_text(
        textwrap.dedent(
            """\
            on:
              workflow_call:
                inputs:
                  tools-ref: {type: string, default: v0.0.0}
                outputs:
                  version: {value: "${{ jobs.install.outputs.version }}"}
            permissions: {}
            jobs:
              install:
                runs-on: ubuntu-latest
                outputs:
                  version: ${{ steps.v.outputs.version }}
                steps:
                  - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
                    with:
                      repository: testgate/testgate
                      ref: ${{ inputs.tools-ref }}
                      path: .testgate
                      persist-credentials: false
                  - uses: actions/setup-python@e797f83bcb11b83ae66e0230d6156d7c80228e7c # v6.0.0
                    with: {python-version: "3.11", cache: pip, cache-dependency-path: .testgate/pyproject.toml}
                  - run: python -m pip install ./.testgate
                  - id: v
                    run: echo "version=$(testgate --version)" >> "$GITHUB_OUTPUT"
            """
        ),
        encoding="utf-8",
    )
    (workflows / "zz-smoke-caller.yml").write_text(
        textwrap.dedent(
            f"""\
            on: push
            permissions: {{}}
            jobs:
              call:
                uses: testgate/testgate/.github/workflows/zz-smoke-reusable.yml@{TAG}
                with: {{tools-ref: {TAG}}}
              show:
                needs: call
                runs-on: ubuntu-latest
                steps:
                  - run: echo "installed=$V"
                    env: {{V: "${{{{ needs.call.outputs.version }}}}"}}
            """
        ),
        encoding="utf-8",
    )
    try:
        run = gha.run_act(box, "push", ".github/workflows/zz-smoke-caller.yml", timeout=180)
    finally:
        for name in ("zz-smoke-reusable.yml", "zz-smoke-caller.yml"):
            (workflows / name).unlink()
    assert run.returncode == 0, run.log[-4000:]
    assert f"installed=testgate {VERSION}" in run.output_lines()
    checkout = [c for c in run.stub_calls if c["action"] == "checkout"]
    assert checkout == [
        {
            "action": "checkout",
            "job": "install",
            "repository": "testgate/testgate",
            "ref": TAG,
            "path": ".testgate",
            "persist_credentials": "false",
        }
    ]


# -- test-report.yml: summary, annotations, outputs, one PR comment updated in place ---------

JUNIT = """\
<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="api" tests="3" failures="1" errors="0" skipped="1">
    <testcase classname="tests.api.test_items" name="test_list" time="0.01"/>
    <testcase classname="tests.api.test_items" name="test_get" time="0.02">
      <failure message="expected 200, got 500">AssertionError: expected 200, got 500</failure>
    </testcase>
    <testcase classname="tests.api.test_items" name="test_later" time="0"><skipped/></testcase>
  </testsuite>
</testsuites>
"""
# the next run on the same commit: test_get passes, so the history calls it flaky
JUNIT_GREEN = JUNIT.replace('failures="1"', 'failures="0"').replace(
    """ time="0.02">
      <failure message="expected 200, got 500">AssertionError: expected 200, got 500</failure>
    </testcase>""",
    """ time="0.02"/>""",
)
FLIPPED = "tests.api.test_items::test_get"


# the workspace of a service that committed a stale report (or a runner that kept one)
STALE = (
    """\
<?xml version="1.0" encoding="utf-8"?>
<testsuite name="stale" tests="5" failures="0">
"""
    + "".join(f'  <testcase classname="old" name="stale_{i}"/>\n' for i in range(5))
    + "</testsuite>\n"
)


def _fake_github(repo: str, number: int):
    """GitHub's REST API for the comment (tests/fake_github), reached by testgate's client."""
    from fake_github import FakeGitHub

    server = FakeGitHub()
    server.add_repo(repo, pulls=(number,))
    server.add_token(TOKEN, "github-actions[bot]", bot=True, installation=True)
    return server


def test_test_report_decides_annotates_and_keeps_one_pr_comment(tmp_path, act_env):
    box = _box(tmp_path, act_env)
    (box.artifacts / "testgate-junit-api-tests").mkdir()
    junit = box.artifacts / "testgate-junit-api-tests" / "api.xml"
    junit.write_text(JUNIT, encoding="utf-8")
    event = tmp_path / "event.json"
    head = {"sha": "0" * 40, "ref": "feature", "repo": {"full_name": "example-org/inventory-api"}}
    pull_request = {"number": 7, "head": head}
    event.write_text(json.dumps({"number": 7, "pull_request": pull_request}), encoding="utf-8")
    workflows = box.repo / ".github" / "workflows"
    caller = workflows / "zz-report-caller.yml"
    # reports-dir is a folder git does not ignore, holding a stale report act copies along
    stale = box.repo / "test-results" / "old.xml"
    stale.parent.mkdir()
    stale.write_text(STALE, encoding="utf-8")
    caller.write_text(
        textwrap.dedent(
            f"""\
            on: pull_request
            permissions: {{}}
            jobs:
              test-report:
                uses: testgate/testgate/.github/workflows/test-report.yml@{TAG}
                permissions:
                  contents: read
                  pull-requests: write
                with:
                  pr-comment: true
                  reports-dir: test-results
              workspace:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
                  - run: ls test-results | sed 's/^/in the workspace=/'
            """
        ),
        encoding="utf-8",
    )
    runs = []
    github = _fake_github("example-org/inventory-api", 7).start()
    try:
        for attempt in range(2):
            if attempt:  # a new run: its report artifact does not exist yet; test_get passes
                shutil.rmtree(box.artifacts / "testgate-report")
                junit.write_text(JUNIT_GREEN, encoding="utf-8")
            runs.append(
                gha.run_act(
                    box,
                    "pull_request",
                    ".github/workflows/zz-report-caller.yml",
                    env={"GITHUB_API_URL": github.url, "GITHUB_RUN_ID": str(301 + attempt)},
                    secrets={"GITHUB_TOKEN": TOKEN},
                    event_file=event,
                    timeout=240,
                )
            )
    finally:
        github.stop()
        caller.unlink()
        shutil.rmtree(stale.parent)
    first, second = runs
    # The gate failed: the report job fails, and says why.
    assert first.returncode != 0
    report_job = first.job("test-report", "test-report")
    assert report_job.result == "failure", first.log[-4000:]
    first_junit = tmp_path / "first-run" / "api.xml"
    first_junit.parent.mkdir()
    first_junit.write_text(JUNIT, encoding="utf-8")
    direct = _report_json([first_junit], tmp_path / "direct.json")
    assert report_job.outputs["decision"] == direct["decision"] == "fail"
    # only this run's artifact counts: the stale report sat in the workspace, and is not read
    assert "in the workspace=old.xml" in first.output_lines()
    assert int(report_job.outputs["tests"]) == direct["totals"]["tests"] == 3
    failed = direct["totals"]["failed"] + direct["totals"]["errors"]
    assert int(report_job.outputs["failed"]) == failed == 1
    assert "test_get" in report_job.summary
    assert "stale_0" not in report_job.summary
    # error annotations: the failing test (with its message) and the decision
    assert any("test_get" in a and "expected 200, got 500" in a for a in report_job.annotations)
    assert any("gate failed" in a for a in report_job.annotations)
    # The comment job ran although the gate failed: first run creates, second run updates,
    # through GitHub's REST API with the job's token (testgate ci comment).
    assert first.job("test-report", "pr-comment").result == "success", first.log[-4000:]
    comments = github.comments_on("example-org/inventory-api", 7)
    assert len(comments) == 1
    assert comments[0]["body"].startswith("<!-- testgate:testgate-report -->\n")
    assert "test_get" in comments[0]["body"]
    methods = [c.method for c in github.calls() if c.method in ("POST", "PATCH")]
    assert methods == ["POST", "PATCH"]
    assert {c.token for c in github.calls()} == {TOKEN}
    assert second.job("test-report", "pr-comment").result == "success"
    for run in runs:
        # act's JSON log echoes testgate's own `::add-mask::` command (GitHub never shows it)
        leaks = [r for r in run.records if TOKEN in json.dumps(r)]
        assert all(r.get("command") == "add-mask" for r in leaks), leaks
    # The history: recorded after the failed gate, restored by the next run, which sees
    # test_get fail and pass on one commit (flaky) and passes the gate itself.
    assert report_job.outputs["history-runs"] == "1"
    assert report_job.outputs["flaky-count"] == "0"
    assert report_job.outputs["html-report"] == "test-results/testgate-report.html"
    assert report_job.outputs["trend-svg"] == "test-results/history-trend.svg"
    assert second.returncode == 0, second.log[-4000:]
    again = second.job("test-report", "test-report")
    assert again.outputs["decision"] == "pass"
    assert again.outputs["history-runs"] == "2"
    assert again.outputs["flaky-count"] == "1"
    assert again.outputs["flaky-tests"] == FLIPPED
    assert float(again.outputs["pass-rate"]) > float(report_job.outputs["pass-rate"])
    assert FLIPPED.split("::")[1] in again.summary.split("decision", 1)[-1]
    restores = [c["matched"] for c in _cache_calls(second, "cache-restore")]
    assert restores == ["testgate-history-7/merge-301-1"]
    assert _cache_keys(box) == [
        "testgate-history-7/merge-301-1",
        "testgate-history-7/merge-302-1",
    ]
    artifact = box.artifacts / "testgate-report"
    page = (artifact / "testgate-report.html").read_text(encoding="utf-8")
    assert "test_get" in page
    assert "<svg" in (artifact / "history-trend.svg").read_text(encoding="utf-8")
    merged = (artifact / "merged.xml").read_text(encoding="utf-8")
    assert 'name="test_get"' in merged
    assert "stale_0" not in merged
    report = json.loads((artifact / "testgate-report.json").read_text(encoding="utf-8"))
    assert {t["id"] for t in report["tests"]} >= {FLIPPED}, "--json-tests for the history"


# -- the example pipeline, passing and failing at the provider verification ----------------


def _check_report_matches_direct_run(run: gha.ActRun, tmp_path: Path, announced: bool) -> dict:
    """The report job's outputs equal `testgate report --json` on the same JUnit files."""
    junit = _junit_files(run.artifacts)
    assert junit, f"no JUnit artifacts in {run.artifacts}"
    direct = _report_json(junit, tmp_path / "direct-report.json")
    outputs = run.job("test-report", "test-report").outputs
    recorded = {
        "decision": outputs.get("decision"),
        "tests": int(outputs.get("tests", -1)),
        "failed": int(outputs.get("failed", -1)),
    }
    expected = {
        "decision": direct["decision"],
        "tests": direct["totals"]["tests"],
        "failed": direct["totals"]["failed"] + direct["totals"]["errors"],
    }
    assert recorded == expected
    artifact = json.loads(
        (run.artifacts / "testgate-report" / "testgate-report.json").read_text(encoding="utf-8")
    )
    assert artifact["decision"] == direct["decision"]
    assert artifact["totals"] == direct["totals"]
    if announced:
        line = f"testgate decision={recorded['decision']} tests={recorded['tests']} failed={recorded['failed']}"
        assert line in run.output_lines(), "the caller's announce job sees the same outputs"
    summary = {"platform": "github", **recorded, "totals": direct["totals"], "seconds": run.seconds}
    print(json.dumps(summary))
    return summary


def _api_test_ids() -> set[str]:
    """The example API tests as pytest collects them (what the shards must add up to)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT / "examples" / "inventory-api" / "tests" / "api",
        capture_output=True,
        text=True,
        check=False,
    )
    ids = {line.rsplit("::", 1)[-1] for line in proc.stdout.splitlines() if "::" in line}
    assert ids, proc.stdout + proc.stderr
    return ids


def _shard_tests(artifacts: Path) -> dict[str, list[str]]:
    """Test names per shard artifact (testgate-junit-api-tests-<i>/api-shard-<i>.xml)."""
    found = {}
    for xml in sorted(artifacts.glob("testgate-junit-api-tests-*/api-shard-*.xml")):
        text = xml.read_text(encoding="utf-8")
        found[xml.parent.name] = re.findall(r'<testcase [^>]*name="([^"]+)"', text)
    return found


def _check_shards(run: gha.ActRun) -> None:
    """shards: 2 in the example: two matrix jobs, each ran its own half, nothing lost."""
    shards = run.called_jobs("api-tests", "api-tests")
    assert [j.name.strip() for j in shards] == [
        "api-tests/api-tests/API tests 1/2-1",
        "api-tests/api-tests/API tests 2/2-2",
    ]
    per_shard = _shard_tests(run.artifacts)
    assert sorted(per_shard) == ["testgate-junit-api-tests-1", "testgate-junit-api-tests-2"]
    one, two = per_shard.values()
    assert one, "each shard ran tests"
    assert two, "each shard ran tests"
    assert not set(one) & set(two)
    assert sorted(one + two) == sorted(_api_test_ids())
    assert not (run.artifacts / "testgate-junit-api-tests").exists()


def test_example_pipeline_passes(tmp_path, act_env, tmp_path_factory):
    box = _box(tmp_path, act_env)
    run = gha.run_act(box, "push", EXAMPLE, timeout=420)
    assert run.returncode == 0, run.log[-6000:]
    for job in ("consumer-contracts", "provider-verification", "announce"):
        assert run.job(job).result == "success", job
    assert [j.result for j in run.called_jobs("api-tests", "api-tests")] == ["success"] * 2
    _check_shards(run)
    report_job = run.job("test-report", "test-report")
    assert report_job.result == "success"
    summary = _check_report_matches_direct_run(run, tmp_path, announced=True)
    assert summary["decision"] == "pass"
    assert summary["tests"] > 0
    # the first run of the branch: a history of one run, saved for the next one
    assert report_job.outputs["history-runs"] == "1"
    assert report_job.outputs["pass-rate"] == "100.00"
    assert "history pass-rate=100.00 flaky=0" in run.output_lines()
    assert _cache_keys(box) == ["testgate-history-main-1-1"]
    assert (box.artifacts / "testgate-report" / "testgate-report.html").is_file()
    # the tools were checked out at the tag the example pins, never a branch
    refs = {c["ref"] for c in run.stub_calls if c["action"] == "checkout" and c["repository"]}
    assert refs == {TAG}
    report = json.loads(
        (box.artifacts / "testgate-report" / "testgate-report.json").read_text(encoding="utf-8")
    )
    _record(tmp_path_factory, "pass", [run], report)


def test_example_pipeline_fails_at_provider_verification(tmp_path, act_env, tmp_path_factory):
    box = _box(tmp_path, act_env)
    broken = {"EXAMPLE_BREAK": "provider"}
    # act ends a run at the first failed called workflow (GitHub would go on with the jobs that
    # do not need it and with `if: always()`), so the run is taken job by job, on one artifact
    # store: verification (with the consumer job it needs), then the API tests, then the
    # example's own test-report job on all the JUnit artifacts (its outputs are read from the
    # log: the announce job after it would be cut off by the same act behaviour).
    run = gha.run_act(box, "push", EXAMPLE, env=broken, job="provider-verification", timeout=420)
    assert run.returncode != 0
    assert run.job("consumer-contracts").result == "success"
    assert run.job("provider-verification").result == "failure"
    assert (box.artifacts / "testgate-junit-provider-verification").is_dir()
    # The API tests need the consumer job too (its pacts stub the provider's downstream): act
    # runs it again, and uploads its artifacts again, which a run may do once.
    for artifact in ("testgate-junit-consumer-contracts", "pacts"):
        shutil.rmtree(box.artifacts / artifact)
    api = gha.run_act(box, "push", EXAMPLE, env=broken, job="api-tests", timeout=420)
    api_results = {j.result for j in api.called_jobs("api-tests", "api-tests")}
    assert api_results <= {"success", "failure"}
    assert len(api.called_jobs("api-tests", "api-tests")) == 2
    workflows = box.repo / ".github" / "workflows"
    detached = gha.detached_jobs(
        box.repo / EXAMPLE, ["test-report"], workflows / "zz-example-report.yml"
    )
    try:
        report = gha.run_act(box, "push", str(detached.relative_to(box.repo)), timeout=300)
    finally:
        detached.unlink()
    assert report.returncode != 0
    # the report ran, decided FAIL and failed its job
    assert report.job("test-report", "test-report").result == "failure"
    summary = _check_report_matches_direct_run(report, tmp_path, announced=False)
    assert summary["decision"] == "fail"
    assert summary["failed"] > 0
    failing = {
        f["suite"]
        for f in _report_json(_junit_files(box.artifacts), tmp_path / "r.json")["failures"]
    }
    assert failing, "the failures are named in the report"
    # the failed gate's run is in the history too
    assert report.job("test-report", "test-report").outputs["history-runs"] == "1"
    assert float(report.job("test-report", "test-report").outputs["pass-rate"]) < 100
    print(json.dumps({"failing-suites": sorted(failing), "api-tests": sorted(api_results)}))
    artifact = json.loads(
        (box.artifacts / "testgate-report" / "testgate-report.json").read_text(encoding="utf-8")
    )
    _record(tmp_path_factory, "fail", [run, api, report], artifact)


# -- the baseline: a pull request fails only on its new failure (issue 13, item 4) -----------

# A tiny extra test job of the service, as its JUnit artifact: a test that has been failing on
# main for a while, and (on the pull request) one this pull request breaks.
LEGACY_OLD = "tests.legacy.test_export::test_known_broken"
LEGACY_NEW = "tests.legacy.test_export::test_new_regression"


def _legacy_junit(failing: list[str]) -> str:
    cases = []
    for test_id in ("tests.legacy.test_export::test_fine", LEGACY_OLD, LEGACY_NEW):
        classname, name = test_id.split("::")
        if test_id in failing:
            cases.append(
                f'<testcase classname="{classname}" name="{name}">'
                f'<failure message="{name} is broken">AssertionError</failure></testcase>'
            )
        else:
            cases.append(f'<testcase classname="{classname}" name="{name}"/>')
    return f'<testsuite name="legacy" tests="3">{"".join(cases)}</testsuite>\n'


def _put_legacy_artifact(box: gha.Sandbox, failing: list[str]) -> None:
    folder = box.artifacts / "testgate-junit-legacy"
    folder.mkdir()
    (folder / "legacy.xml").write_text(_legacy_junit(failing), encoding="utf-8")


def test_example_pipeline_pull_request_fails_only_on_its_new_failure(tmp_path, act_env):
    box = _box(tmp_path, act_env)
    # 1. main: the old failure fails the full gate there, and the run goes into the history
    _put_legacy_artifact(box, [LEGACY_OLD])
    main = gha.run_act(box, "push", EXAMPLE, env={"GITHUB_RUN_ID": "401"}, timeout=420)
    assert main.returncode != 0
    on_main = main.job("test-report", "test-report")
    assert on_main.outputs["decision"] == "fail", main.log[-6000:]
    assert "the full gate applies" in on_main.summary
    assert on_main.outputs["history-runs"] == "1"
    assert _cache_keys(box) == ["testgate-history-main-401-1"]
    # 2. a pull request: the same old failure and a new one
    for artifact in box.artifacts.iterdir():
        shutil.rmtree(artifact)
    _put_legacy_artifact(box, [LEGACY_OLD, LEGACY_NEW])
    event = tmp_path / "pull_request.json"
    head = {"sha": "c" * 40, "ref": "feature", "repo": {"full_name": "example-org/inventory-api"}}
    event.write_text(
        json.dumps(
            {
                "number": 8,
                "pull_request": {"number": 8, "head": head},
                "repository": {"full_name": "example-org/inventory-api", "default_branch": "main"},
            }
        ),
        encoding="utf-8",
    )
    github = _fake_github("example-org/inventory-api", 8).start()
    try:
        pr = gha.run_act(
            box,
            "pull_request",
            EXAMPLE,
            env={"GITHUB_API_URL": github.url, "GITHUB_RUN_ID": "402"},
            secrets={"GITHUB_TOKEN": TOKEN},
            event_file=event,
            timeout=420,
        )
    finally:
        github.stop()
    assert pr.returncode != 0
    for job in ("consumer-contracts", "provider-verification"):
        assert pr.job(job).result == "success", job
    report_job = pr.job("test-report", "test-report")
    assert report_job.outputs["decision"] == "fail", pr.log[-6000:]
    # the history came from the default branch's cache, and its run is the baseline
    restores = [c for c in _cache_calls(pr, "cache-restore") if c["job"] == "test-report"]
    assert [c["matched"] for c in restores] == ["testgate-history-main-401-1"]
    report = json.loads(
        (box.artifacts / "testgate-report" / "testgate-report.json").read_text(encoding="utf-8")
    )
    assert report["baseline"] == {"new": [LEGACY_NEW], "still_failing": [LEGACY_OLD], "fixed": []}
    assert report["reasons"] == ["1 new failing test (max-failures 0)"]
    # FAIL naming only the new one: the errors, the summary's new failures, the comment
    errors = " ".join(report_job.annotations)
    assert "test_new_regression" in errors
    assert "test_known_broken" not in errors
    summary = report_job.summary
    assert "1 new, 1 still failing, 0 fixed" in summary
    new_part = summary.split("**New**", 1)[1].split("**Still failing**", 1)[0]
    assert "test_new_regression" in new_part
    assert "test_known_broken" not in new_part
    assert "test_known_broken" in summary.split("**Still failing**", 1)[1].split("**", 1)[0]
    (comment,) = github.comments_on("example-org/inventory-api", 8)
    body = comment["body"]
    assert "1 new, 1 still failing, 0 fixed" in body
    assert "test_new_regression" in body.split("**New**", 1)[1].split("**Still failing**", 1)[0]


# -- a JavaScript consumer: pact-js under node --test, through the GitHub example -----------

JS_EXAMPLE = ROOT / "examples" / "js-consumer"


def test_example_js_consumer_runs_pact_js_and_the_provider_verifies_its_pact(tmp_path, act_env):
    """examples/js-consumer's suite (its testgate.toml's [consumer] command) in the job of
    example-js-consumer.yml: npm ci from the npm cache, the setup action, testgate consumer;
    then the Python provider verifies the pact pact-js wrote, and the report decides."""
    require_tool("node")
    require_tool("npm")
    if not (JS_EXAMPLE / "node_modules" / "@pact-foundation" / "pact").is_dir():
        # make test's scripts/ci/install-tools.sh runs npm ci there, which fills npm's cache
        message = f"{JS_EXAMPLE / 'node_modules'} is missing (make tools installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    box = _box(tmp_path, act_env)
    run = gha.run_act(box, "push", ".github/workflows/example-js-consumer.yml", timeout=420)
    assert run.returncode == 0, run.log[-6000:]
    for job in ("js-consumer-contracts", "consumer-contracts", "provider-verification"):
        assert run.job(job).result == "success", job
    assert [c["action"] for c in run.stub_calls].count("setup-node") == 1
    # node's own JUnit report of the pact-js tests, uploaded as the file testgate named
    consumer = box.artifacts / "testgate-junit-js-consumer-contracts"
    (junit,) = consumer.glob("*.xml")
    cases = re.findall(r'<testcase [^>]*name="([^"]+)"', junit.read_text(encoding="utf-8"))
    assert cases, "node --test wrote test cases"
    # the pact pact-js wrote (V4, web-dashboard -> inventory-api), verified by the provider
    (pact_file,) = (box.artifacts / "js-pacts").glob("*.json")
    pact = json.loads(pact_file.read_text(encoding="utf-8"))
    assert pact["consumer"]["name"] == "web-dashboard"
    assert pact["provider"]["name"] == "inventory-api"
    assert pact["metadata"]["pactSpecification"]["version"].startswith("4")
    verified = (
        box.artifacts / "testgate-junit-provider-verification" / "provider-verification.xml"
    ).read_text(encoding="utf-8")
    descriptions = {i["description"] for i in pact["interactions"]}
    assert descriptions
    assert all(d in verified for d in descriptions)
    report_job = run.job("test-report", "test-report")
    assert report_job.outputs["decision"] == "pass"
    direct = _report_json(_junit_files(box.artifacts), tmp_path / "direct.json")
    assert int(report_job.outputs["tests"]) == direct["totals"]["tests"]
    js_cases = [c for c in re.findall(r'classname="([^"]*)"', verified) if "web-dashboard" in c]
    assert len(js_cases) == len(descriptions), "one verification test case per interaction"
    assert _cache_keys(box) == ["testgate-history-js-consumer-main-1-1"]


# -- the broker webhook: repository_dispatch -> verify that pact -> results in the broker ---

BROKER_TOKEN = "tg-github-act-broker-token-5d1e"


def _testgate(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "testgate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_example_webhook_caller_verifies_the_pact_the_broker_names(
    tmp_path, act_env, pact_broker_factory
):
    box = _box(tmp_path, act_env)
    server = pact_broker_factory(token=BROKER_TOKEN)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    env.update(
        {
            "TESTGATE_PLATFORM": "local",
            "PACT_DO_NOT_TRACK": "true",
            "PACT_BROKER_BASE_URL": server.url,
            "PACT_BROKER_TOKEN": BROKER_TOKEN,
            "TESTGATE_REPORTS_DIR": str(tmp_path / "reports"),
            "TESTGATE_WEBHOOK_TOKEN": "ghp_dispatch_token_for_the_broker",
        }
    )
    # The broker side, as the consumer's pipeline and `testgate webhook ensure` leave it.
    hook = _testgate(
        [
            *("webhook", "ensure", "--provider", "inventory-api", "--target", "github"),
            *("--repository", "example-org/inventory-api"),
        ],
        box.repo,
        env,
    )
    assert hook.returncode == 0, hook.stdout + hook.stderr
    pacts = tmp_path / "pacts"
    consumer = _testgate(["consumer", "--pact-dir", str(pacts)], box.repo, env)
    assert consumer.returncode == 0, consumer.stdout + consumer.stderr
    published = _testgate(
        ["publish", "--pact-dir", str(pacts), "--version", "c-1", "--branch", "main"],
        box.repo,
        env,
    )
    assert published.returncode == 0, published.stdout + published.stderr
    (fired,) = server.state.triggered_webhooks
    body = fired["request"]["body"]
    assert body["event_type"] == "contract_requiring_verification_published"
    event = tmp_path / "dispatch.json"
    event.write_text(
        json.dumps({"action": body["event_type"], "client_payload": body["client_payload"]}),
        encoding="utf-8",
    )
    # The provider's side: the dispatch starts the example webhook caller.
    vars_file = tmp_path / "vars"
    vars_file.write_text(f"PACT_BROKER_BASE_URL={server.url}\n", encoding="utf-8")
    run = gha.run_act(
        box,
        "repository_dispatch",
        ".github/workflows/example-provider-webhook.yml",
        secrets={"PACT_BROKER_TOKEN": BROKER_TOKEN},
        event_file=event,
        extra_args=["--var-file", str(vars_file)],
        timeout=300,
    )
    assert run.returncode == 0, run.log[-6000:]
    assert run.job("provider-verification").result == "success"
    assert run.job("test-report", "test-report").outputs["decision"] == "pass"
    # act's JSON log echoes the `::add-mask::` command itself (GitHub never shows it)
    leaks = [r for r in run.records if BROKER_TOKEN in json.dumps(r)]
    assert all(r.get("command") == "add-mask" for r in leaks), leaks
    payload = body["client_payload"]
    service_checkouts = [
        c for c in run.stub_calls if c["action"] == "checkout" and not c["repository"]
    ]
    assert [c["ref"] for c in service_checkouts] == [payload["provider_version"]]
    # The verification of exactly that pact went back to the broker.
    results = [v for v in server.state.verifications if v.provider == "inventory-api"]
    assert results, "no verification results were published"
    assert all(v.success for v in results)
    assert {v.consumer for v in results} == {"dashboard-api"}


# -- the scheduled monitor: smoke checks on "prod", state carried between runs in the cache ---


def _start_provider() -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if k != "EXAMPLE_BREAK"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inventory_api", "--port", "0"],
        cwd=ROOT / "examples" / "inventory-api",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    url = line.split("listening on ", 1)[-1].split()[0] if "listening on" in line else ""
    if not url:
        proc.kill()
        pytest.fail(f"inventory-api did not start: {line!r}")
    return proc, url


def test_example_monitor_runs_on_schedule_and_carries_its_state(tmp_path, act_env):
    _, _, site = act_env
    # A service copy of its own whose prod is a provider started here (envs/prod.env names it).
    repo = gha.make_service_repo(tmp_path / "service")
    box = gha.Sandbox.create(tmp_path / "box", repo, site)
    provider, url = _start_provider()
    try:
        prod = repo / "envs" / "prod.env"
        prod.write_text(
            prod.read_text(encoding="utf-8").replace(
                "INVENTORY_API_URL=https://inventory.example.com", f"INVENTORY_API_URL={url}"
            ),
            encoding="utf-8",
        )
        assert url in prod.read_text(encoding="utf-8")
        up = gha.run_act(
            box,
            "schedule",
            ".github/workflows/example-monitor.yml",
            env={"GITHUB_RUN_ID": "101"},
            timeout=240,
        )
    finally:
        provider.kill()
        provider.wait()
    assert up.returncode == 0, up.log[-6000:]
    first = up.job("monitor", "monitor")
    assert first.outputs["state"] == "pass"
    assert int(first.outputs["checks"]) > 0
    assert first.outputs["failed"] == "0"
    assert (box.artifacts / "testgate-monitor" / "metrics.prom").is_file()
    # The provider is gone: the next scheduled run fails, restores the last state, alerts.
    shutil.rmtree(box.artifacts / "testgate-monitor")
    down = gha.run_act(
        box,
        "schedule",
        ".github/workflows/example-monitor.yml",
        env={"GITHUB_RUN_ID": "102"},
        timeout=240,
    )
    assert down.returncode != 0
    second = down.job("monitor", "monitor")
    assert second.result == "failure"
    assert second.outputs["state"] == "fail"
    assert second.outputs["alert"] == "failing"
    restores = [c for c in down.stub_calls if c["action"] == "cache-restore"]
    assert [c["matched"] for c in restores] == ["testgate-monitor-state-prod-testgate-monitor-101"]
    saved = _cache_keys(box)
    assert saved == [
        "testgate-monitor-state-prod-testgate-monitor-101",
        "testgate-monitor-state-prod-testgate-monitor-102",
    ]


# -- the deploy: can-i-deploy -> blue-green candidate -> tests on it -> record-deployment -----


def _start_candidate() -> tuple[subprocess.Popen, str]:
    """The example provider with its provider-state endpoint, as a deployed candidate."""
    env = {k: v for k, v in os.environ.items() if k != "EXAMPLE_BREAK"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inventory_api", "--port", "0", "--provider-states"],
        cwd=ROOT / "examples" / "inventory-api",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        proc.kill()
        pytest.fail(f"inventory-api did not start: {line!r}")
    return proc, line.split("listening on ", 1)[1].split()[0]


def test_example_deploy_gates_the_candidate_and_records_the_deployment(
    tmp_path, act_env, pact_broker_factory
):
    box = _box(tmp_path, act_env)
    server = pact_broker_factory(token=BROKER_TOKEN)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=box.repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    env.update(
        {
            "TESTGATE_PLATFORM": "local",
            "PACT_DO_NOT_TRACK": "true",
            "PACT_BROKER_BASE_URL": server.url,
            "PACT_BROKER_TOKEN": BROKER_TOKEN,
            "TESTGATE_REPORTS_DIR": str(tmp_path / "reports"),
        }
    )
    candidate, url = _start_candidate()
    try:
        # What the consumer's and the provider's CI did before: pacts published, this provider
        # version verified against them with results published, the environments created.
        pacts = tmp_path / "pacts"
        steps = [
            ["environments", "ensure"],
            ["consumer", "--pact-dir", str(pacts)],
            ["publish", "--pact-dir", str(pacts), "--version", "c-1", "--branch", "main"],
            [
                *("verify", "--broker", "--provider-url", url),
                *("--provider-version", sha, "--provider-branch", "main", "--publish-results"),
            ],
        ]
        for args in steps:
            done = _testgate(args, box.repo, env)
            assert done.returncode == 0, (args, done.stdout + done.stderr)
        vars_file = tmp_path / "vars"
        vars_file.write_text(
            f"PACT_BROKER_BASE_URL={server.url}\nINVENTORY_API_CANDIDATE_URL={url}\n",
            encoding="utf-8",
        )
        deploy = [
            box,
            "workflow_dispatch",
            ".github/workflows/example-deploy.yml",
        ]
        options = {
            "secrets": {"PACT_BROKER_TOKEN": BROKER_TOKEN},
            "extra_args": ["--var-file", str(vars_file), "--input", "environment=beta"],
            "timeout": 400,
        }
        run = gha.run_act(*deploy, env={"GITHUB_RUN_ID": "501"}, **options)
    finally:
        candidate.kill()
        candidate.wait()
    assert run.returncode == 0, run.log[-6000:]
    for job in ("can-i-deploy", "verify-candidate", "record-deployment"):
        assert run.job(job).result == "success", job
    assert run.job("api-tests-candidate", "api-tests").result == "success"
    assert run.job("switch-over").result == "success"
    assert run.job("can-i-deploy").outputs["deployable"] == "true"
    assert run.job("test-report", "test-report").outputs["decision"] == "pass"
    # the candidates' report keeps a history of its own
    assert _cache_keys(box) == ["testgate-history-deploy-beta-main-501-1"]
    beta = server.state.environment_named("beta")
    assert beta is not None
    deployed = [(d.pacticipant, d.version, d.environment) for d in server.state.deployments]
    assert deployed == [("inventory-api", sha, beta.uuid)]
    leaks = [r for r in run.records if BROKER_TOKEN in json.dumps(r)]
    assert all(r.get("command") == "add-mask" for r in leaks), leaks

    # The next candidate does not answer: its API tests fail, traffic stays where it was.
    for artifact in box.artifacts.iterdir():
        shutil.rmtree(artifact)
    refused = gha.run_act(*deploy, env={"GITHUB_RUN_ID": "502"}, **options)
    assert refused.returncode != 0
    assert refused.job("can-i-deploy").result == "success"
    assert refused.job("api-tests-candidate", "api-tests").result == "failure"
    ran = {j.name.split("/")[0] for j in refused.jobs.values() if j.result}
    assert not ran & {"switch-over", "record-deployment"}, ran
    assert len(server.state.deployments) == 1, "no deployment recorded for the refused one"
