"""The composite actions (`.github/actions`), executed for real by act on the host, offline.

The workflow of `.github/actions/README.md`'s example runs as it is written, in a copy of this
repository playing the service: `testgate/testgate/.github/actions/<name>@<tag>` is mapped to
that copy with act's ``--local-repository`` (as the harness does for the reusable workflows),
the third-party actions to the stubs of ``tests/templates/github/stubs``. So `setup` really
installs testgate from the action's own checkout (``github.action_path``), `publish` really
publishes to a Pact Broker (the test broker of ``tests/broker``), `report` really decides,
records the history in the (stubbed) Actions cache and uploads the report, `can-i-deploy`
really asks the broker, once before the provider was verified (no: the deploy never runs) and
once after (yes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import ROOT, require_tool

sys.path.insert(0, str(Path(__file__).resolve().parent / "github"))
import gha_harness as gha

VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
README = ROOT / ".github" / "actions" / "README.md"
BROKER_TOKEN = "tg-actions-act-broker-token-77c1"

pytestmark = pytest.mark.slow


def readme_example() -> str:
    """The complete workflow of the actions README (its first ```yaml block after ## Example)."""
    text = README.read_text(encoding="utf-8")
    return text.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]


def _testgate(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "testgate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _step_results(run: gha.ActRun, job: str) -> dict[str, str]:
    """{step name: success | failure | skipped} of the job's own (top-level) steps."""
    results = {}
    for rec in run.records:
        if rec.get("jobID") == job and "stepResult" in rec and len(rec.get("stepID", [])) == 1:
            results.setdefault(rec["step"], rec["stepResult"])
    return results


def test_the_readme_example_runs_every_action(tmp_path, pact_broker_factory):
    require_tool("act")
    repo = gha.make_service_repo(tmp_path / "service")
    box = gha.Sandbox.create(tmp_path / "box", repo, gha.make_dev_site(tmp_path / "site"))
    workflow = repo / ".github" / "workflows" / "service-ci.yml"
    workflow.write_text(readme_example(), encoding="utf-8")
    server = pact_broker_factory(token=BROKER_TOKEN)
    vars_file = tmp_path / "vars"
    vars_file.write_text(f"PACT_BROKER_BASE_URL={server.url}\n", encoding="utf-8")
    options = {
        "secrets": {"PACT_BROKER_TOKEN": BROKER_TOKEN},
        "extra_args": ["--var-file", str(vars_file)],
        "timeout": 420,
    }
    host = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    host.update(
        {
            "TESTGATE_PLATFORM": "local",
            "PACT_BROKER_BASE_URL": server.url,
            "PACT_BROKER_TOKEN": BROKER_TOKEN,
            "TESTGATE_REPORTS_DIR": str(tmp_path / "host-reports"),
        }
    )
    ensured = _testgate(["environments", "ensure"], repo, host)
    assert ensured.returncode == 0, ensured.stdout + ensured.stderr
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()

    # 1. inventory-api's version was never verified (nor is its downstream pricing-api in
    # beta): the test job passes, the deploy is refused
    first = gha.run_act(box, "push", ".github/workflows/service-ci.yml", **options)
    assert first.returncode != 0
    assert first.job("test").result == "success", first.log[-6000:]
    assert first.job("deploy").result == "failure"
    deploy_steps = _step_results(first, "deploy")
    assert "Deploy" not in deploy_steps or deploy_steps["Deploy"] != "success", deploy_steps
    refused = first.job("deploy").summary
    assert f"## can-i-deploy: inventory-api {sha} to beta: ❌ no" in refused, refused
    # setup installed testgate from the action's checkout (the tag the workflow pins), and the
    # next actions of the job used that installation
    lines = first.output_lines()
    installs = [x for x in lines if x.startswith("Installing testgate from ")]
    assert len(installs) == 2, installs  # the test job once, the deploy job once
    assert all("testgate-testgate-.github-actions-" in x and f"@v{VERSION}" in x for x in installs)
    assert sum("is installed already" in x for x in lines) == 2  # publish and report
    assert f"testgate {VERSION}" in lines
    # publish: the consumer's pacts reached the broker, as the build's commit and branch
    published = {(p.consumer, p.provider, p.consumer_version) for p in server.state.publications}
    assert ("dashboard-api", "inventory-api", sha) in published, published
    # report: decided on the job's reports, recorded the history, uploaded the report
    report = json.loads(
        (box.artifacts / "testgate-report" / "testgate-report.json").read_text(encoding="utf-8")
    )
    assert report["decision"] == "pass"
    paths = sorted(Path(f["path"]).name for f in report["files"])
    assert paths == ["api.xml", "consumer.xml"], paths
    assert report["totals"]["tests"] > 0
    assert any("baseline auto" in x and "default branch" in x for x in lines)
    assert any("not for a pull / merge request" in x for x in lines), "pr-comment on a push"
    keys = sorted(unquote(p.name) for p in box.cache.iterdir())
    assert keys == ["testgate-history-main-1-1"]

    # 2. the provider's CI verified that version and published the results: the deploy goes on
    verify = ["verify", "--broker", "--provider-branch", "main", "--publish-results"]
    verified = _testgate([*verify, "--provider-version", sha], repo, host)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # ... and inventory-api's own downstream, pricing-api, verified it and runs in beta
    pricing = {**host, "TESTGATE_PROJECT_FILE": "examples/pricing-api/testgate.toml"}
    deployed = ["record-deployment", "--pacticipant", "pricing-api", "--environment", "beta"]
    for args in ([*verify, "--provider-version", "p-1"], [*deployed, "--version", "p-1"]):
        done = _testgate(args, repo, pricing)
        assert done.returncode == 0, (args, done.stdout + done.stderr)
    (box.artifacts / "testgate-report").rename(tmp_path / "first-report")
    second = gha.run_act(
        box, "push", ".github/workflows/service-ci.yml", env={"GITHUB_RUN_ID": "2"}, **options
    )
    assert second.returncode == 0, second.log[-6000:]
    assert second.job("deploy").result == "success"
    assert f"## can-i-deploy: inventory-api {sha} to beta: ✅ yes" in second.job("deploy").summary
    assert _step_results(second, "deploy").get("Deploy") == "success"
    # the history the first run saved was restored and grew
    keys = sorted(unquote(p.name) for p in box.cache.iterdir())
    assert keys == ["testgate-history-main-1-1", "testgate-history-main-2-1"]
    for run in (first, second):
        leaks = [r for r in run.records if BROKER_TOKEN in json.dumps(r)]
        assert all(r.get("command") == "add-mask" for r in leaks), leaks
