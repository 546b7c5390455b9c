"""The example services through the broker: consumer -> publish -> verify --broker -> can-i-deploy.

Uses this repository's testgate.toml (the inventory-api provider started in isolation, with
its provider-state endpoint) and the real pact CLI and Verifier against the test broker.
Once the provider verified the main-branch pact, that pact is no longer pending, so the
contract break (EXAMPLE_BREAK=provider) fails the provider's build.
"""

from __future__ import annotations

import json
from pathlib import Path

from broker.server import PactBrokerServer
from testgate.cli import main

TOKEN = "tg-example-token-5e6f"


def test_example_pipeline_through_the_broker(
    pact_broker_factory, clean_environ, tmp_path: Path, repo_root: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(repo_root)  # testgate.toml: how to start the example provider
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    server: PactBrokerServer = pact_broker_factory(token=TOKEN)
    server.create_environment("prod", production=True)
    env = dict(
        clean_environ,
        PACT_BROKER_BASE_URL=server.url,
        PACT_BROKER_TOKEN=TOKEN,
        TESTGATE_PACT_DIR=str(tmp_path / "pacts"),
        TESTGATE_REPORTS_DIR=str(tmp_path / "reports"),
    )

    def run(*argv: str, **extra: str) -> tuple[int, str]:
        code = main(list(argv), {**env, **extra})
        captured = capsys.readouterr()
        text = captured.out + captured.err
        assert TOKEN not in text
        return code, text

    assert run("consumer")[0] == 0
    assert run("publish", "--version", "c1", "--branch", "main")[0] == 0
    verify = ("verify", "--broker", "--provider-branch", "main", "--publish-results")
    code, text = run(*verify, "--provider-version", "p1")
    assert code == 0, text
    assert "0 failed" in text
    results = {v.provider_version: v.success for v in server.state.verifications}
    assert results == {"p1": True}
    assert (
        run(
            "record-deployment",
            "--pacticipant",
            "inventory-api",
            "--version",
            "p1",
            "--environment",
            "prod",
        )[0]
        == 0
    )
    code, text = run(
        "can-i-deploy",
        "--pacticipant",
        "dashboard-api",
        "--version",
        "c1",
        "--to-environment",
        "prod",
    )
    assert code == 0, text

    # The break: the verified main-branch pact is not pending any more, so the build fails.
    code, text = run(*verify, "--provider-version", "p2", EXAMPLE_BREAK="provider")
    assert code == 1, text
    assert "price" in text  # the mismatch names the dropped field
    junit = (tmp_path / "reports" / "provider-verification.xml").read_text()
    assert "<failure" in junit
    assert server.state.verifications[-1].success is False
    report = json.loads(server.requests_to("POST", "/pacts/provider/")[-1]["body"])
    assert report["providerApplicationVersion"] == "p2"
