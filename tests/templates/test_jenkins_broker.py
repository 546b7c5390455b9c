"""canIDeploy and recordDeployment with the real testgate and pact CLI against the test broker.

The broker demands a token, which the steps bind from a Jenkins credential: the run proves
the credential reaches the pact CLI (the broker accepts it and records the deployment) and
that nothing the steps or testgate print contains it. Both scenarios share one JVM.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import require_tool
from jenkins_harness import calls, run_harness

pytestmark = pytest.mark.slow

VENV = Path(sys.executable).parent.parent
TOKEN = "jenkins-broker-token-5e1d"

SCRIPT = """
node {
    canIDeploy(pacticipant: 'inventory-api', version: ARGS.version, toEnvironment: 'prod',
               brokerUrl: ARGS.broker)
    recordDeployment(pacticipant: 'inventory-api', version: ARGS.version, environment: 'prod',
                     brokerUrl: ARGS.broker)
}
"""


def test_can_i_deploy_gates_and_record_deployment_records(
    tmp_path: Path, pact_broker_factory
) -> None:
    groovy = require_tool("groovy")
    broker = pact_broker_factory(token=TOKEN)
    broker.create_environment("prod", production=True)
    broker.state.version("inventory-api", "1.0.0-known", create=True)
    outer = {k: None for k in os.environ if k.startswith(("TESTGATE_", "PACT_BROKER_"))}
    env = {**outer, "TESTGATE_VENV": str(VENV), "PACT_DO_NOT_TRACK": "true"}
    scenarios = [
        {
            "name": name,
            "workspace": str(tmp_path / name),
            "script": SCRIPT,
            "args": {"version": version, "broker": broker.url},
            "env": env,
            "credentials": {"pact-broker-token": TOKEN},
        }
        for name, version in [("known", "1.0.0-known"), ("unknown", "2.0.0-never-seen")]
    ]
    runs = run_harness(groovy, scenarios, tmp_path)

    known, unknown = runs["known"], runs["unknown"]
    assert known["result"] == "SUCCESS", known["error"] + known["log"][-4000:]
    deployed = [(d.pacticipant, d.version) for d in broker.state.deployments]
    assert deployed == [("inventory-api", "1.0.0-known")]
    # the version the broker has never seen: can-i-deploy fails closed, nothing is recorded
    assert unknown["result"] == "FAILURE", unknown["log"][-4000:]
    assert unknown["error"] == "script returned exit code 1"
    assert (known["description"], unknown["description"]) == (
        "can-i-deploy: yes",
        "can-i-deploy: no",
    )
    assert not any("record-deployment" in c["script"] for c in calls(unknown, "sh"))
    for run in (known, unknown):
        bindings = [b for c in calls(run, "withCredentials") for b in c["bindings"]]
        assert {b["variable"] for b in bindings} == {"PACT_BROKER_TOKEN"}
        assert TOKEN not in run["log"]
        assert all(TOKEN not in c["script"] for c in calls(run, "sh"))
        assert calls(run, "archiveArtifacts")
