"""The Pact Broker lifecycle end to end: the real ``pact`` CLI and the real Verifier.

A consumer publishes from a feature branch; the provider verifies with consumer
version selectors (pending and WIP on) and publishes results; can-i-deploy says
no before and yes after, with the broker's reasons; deployments are recorded; a
later consumer version's can-i-deploy accounts for the deployed provider; a
pending pact's failure is shown but does not fail the provider's build.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from broker.server import PactBrokerServer
from broker.support import CONSUMER, PROVIDER, ItemsProvider, make_pact
from testgate import broker
from testgate.cli import main
from testgate.commands._broker import from_environ

TOKEN = "tg-lifecycle-token-7f3a9c"  # must never appear in any output


@pytest.fixture
def provider() -> Any:
    app = ItemsProvider()
    yield app
    app.stop()


@pytest.fixture
def env(pact_broker_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")  # the Verifier runs in this process
    server: PactBrokerServer = pact_broker_factory(token=TOKEN)
    envs = tmp_path / "envs"
    envs.mkdir()
    for name in ("beta", "prod"):
        (envs / f"{name}.env").write_text("# no secrets here\n")
    environ = {
        "PATH": str(Path(__import__("sys").executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PACT_DO_NOT_TRACK": "true",
        "PACT_BROKER_BASE_URL": server.url,
        "PACT_BROKER_TOKEN": TOKEN,
        "TESTGATE_REPORTS_DIR": str(tmp_path / "reports"),
        "TESTGATE_ENVS_DIR": str(envs),
        "TESTGATE_BROKER_RETRY_BACKOFF": "0.01",
    }
    return {"server": server, "environ": environ, "tmp": tmp_path}


def run(ctx: dict[str, Any], capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv), ctx["environ"])
    out = capsys.readouterr()
    text = out.out + out.err
    assert TOKEN not in text, f"token leaked by testgate {argv[0]}"
    return code, text


def run_verify(
    ctx: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    provider: ItemsProvider,
    version: str,
    branch: str,
) -> tuple[int, str, str]:
    """The provider's CI: ``testgate verify --broker`` with the default selectors, pending and WIP."""
    junit = ctx["tmp"] / f"verify-{version}.xml"
    code, text = run(
        ctx,
        capsys,
        "verify",
        "--broker",
        "--provider",
        PROVIDER,
        "--provider-url",
        provider.url,
        "--states-url",
        f"{provider.url}/_pact/state",
        "--provider-version",
        version,
        "--provider-branch",
        branch,
        "--publish-results",
        "--include-wip-pacts-since",
        "2026-01-01",
        "--junit",
        str(junit),
    )
    return code, text, junit.read_text() if junit.exists() else ""


def verify_from_broker(
    ctx: dict[str, Any], provider: ItemsProvider, version: str, branch: str
) -> dict[str, Any]:
    """The provider's CI: the real Verifier with the default selectors, pending and WIP on."""
    from pact import Verifier

    settings = from_environ(ctx["environ"])
    assert settings is not None
    options = broker.BrokerVerificationOptions(
        settings=settings,
        include_wip_since=date(2026, 1, 1),
        provider_version=version,
        provider_branch=branch,
        publish_results=True,
        build_url="https://ci.example.com/provider/1",
    )
    verifier = Verifier(PROVIDER, host="127.0.0.1").add_transport(url=provider.url)
    verifier.state_handler(f"{provider.url}/_pact/state", body=True)
    broker.add_broker_source(verifier, options)
    verifier.verify()
    results = verifier.results
    assert TOKEN not in json.dumps(results)
    assert TOKEN not in verifier.output(strip_ansi=True)
    return results


def failures(results: dict[str, Any], *, pending: bool) -> list[str]:
    return [
        r["description"]
        for r in results["interactionResults"]
        if r["result"] != "OK" and bool(r.get("pending")) is pending
    ]


def test_publish_verify_can_i_deploy_record(env, provider, capsys) -> None:
    server: PactBrokerServer = env["server"]
    tmp: Path = env["tmp"]

    # The environments from envs/*.env.
    code, text = run(env, capsys, "environments", "ensure")
    assert code == 0, text
    assert "`prod`: created (production)" in text

    # Baseline: c0 (main) verified by p0, both deployed to prod.
    make_pact(tmp / "c0", "item")
    assert (
        run(
            env,
            capsys,
            "publish",
            "--pact-dir",
            str(tmp / "c0"),
            "--version",
            "c0",
            "--branch",
            "main",
        )[0]
        == 0
    )
    results = verify_from_broker(env, provider, "p0", "main")
    assert failures(results, pending=False) == []
    for pacticipant, version in ((PROVIDER, "p0"), (CONSUMER, "c0")):
        code, text = run(
            env,
            capsys,
            "record-deployment",
            "--pacticipant",
            pacticipant,
            "--version",
            version,
            "--environment",
            "prod",
        )
        assert code == 0, text

    # 1. The consumer publishes c1 from a feature branch (a new interaction: /count).
    make_pact(tmp / "c1", "item", "count")
    code, text = run(
        env,
        capsys,
        "publish",
        "--pact-dir",
        str(tmp / "c1"),
        "--version",
        "c1",
        "--branch",
        "feat-count",
        "--build-url",
        "https://ci.example.com/consumer/7",
    )
    assert code == 0, text
    assert "Consumer version `c1` on branch `feat-count`" in text
    publish_request = server.requests_to("POST", "/contracts/publish")[-1]
    assert json.loads(publish_request["body"])["buildUrl"] == "https://ci.example.com/consumer/7"

    # 2. can-i-deploy says no before verification, naming the provider version in prod.
    code, text = run(
        env,
        capsys,
        "can-i-deploy",
        "--pacticipant",
        CONSUMER,
        "--version",
        "c1",
        "--to-environment",
        "prod",
    )
    assert code == 1, text
    assert (
        "There is no verified pact between version c1 of dashboard-api and the version of inventory-api currently in prod (p0)"
        in text
    )
    report = json.loads((tmp / "reports" / "can-i-deploy.json").read_text())
    assert report["deployable"] is None
    assert report["passed"] is False
    assert report["matrix"][0]["provider_version"] == "p0"
    assert report["matrix"][0]["status"] == "unverified"

    # 3. The provider's main build (p1) verifies: c0 by selectors, c1 as a WIP (pending) pact.
    code, text, junit = run_verify(env, capsys, provider, "p1", "main")
    assert code == 0, text
    assert "Provider verification: inventory-api — ✅ PASS" in text
    assert "Results published as provider version `p1` on branch `main`" in text
    assert junit.count("<testcase") == 3  # c0: item; c1: item and count
    assert "<failure" not in junit
    query = next(
        json.loads(r["body"])
        for r in server.requests_to("POST", f"/pacts/provider/{PROVIDER}/for-verification")[-1:]
    )
    assert query["consumerVersionSelectors"] == [
        {"mainBranch": True},
        {"deployedOrReleased": True},
        {"matchingBranch": True},
    ]
    assert query["includePendingStatus"] is True
    assert query["providerVersionBranch"] == "main"
    assert query["includeWipPactsSince"] == "2026-01-01"
    assert {v.provider_version for v in server.state.verifications} == {"p0", "p1"}

    # Still no for c1: p0, not p1, is in prod. The provider p1 may deploy (c0 in prod is verified).
    assert (
        run(
            env,
            capsys,
            "can-i-deploy",
            "--pacticipant",
            CONSUMER,
            "--version",
            "c1",
            "--to-environment",
            "prod",
        )[0]
        == 1
    )
    code, text = run(
        env,
        capsys,
        "can-i-deploy",
        "--pacticipant",
        PROVIDER,
        "--version",
        "p1",
        "--to-environment",
        "prod",
    )
    assert code == 0, text
    assert "All required verification results are published and successful" in text
    code, text = run(
        env,
        capsys,
        "record-deployment",
        "--pacticipant",
        PROVIDER,
        "--version",
        "p1",
        "--environment",
        "prod",
    )
    assert code == 0, text

    # 4. Yes after: c1 against the deployed p1.
    code, text = run(
        env,
        capsys,
        "can-i-deploy",
        "--pacticipant",
        CONSUMER,
        "--version",
        "c1",
        "--to-environment",
        "prod",
    )
    assert code == 0, text
    assert "to prod: ✅ yes" in text
    assert (
        "| dashboard-api | c1 | inventory-api | p1 | ✅ yes | inventory-api p1 verified the pact |"
        in text
    )
    assert (
        run(
            env,
            capsys,
            "record-deployment",
            "--pacticipant",
            CONSUMER,
            "--version",
            "c1",
            "--environment",
            "prod",
        )[0]
        == 0
    )

    # 5. A later consumer version c2 adds /items/2, which the provider does not serve.
    make_pact(tmp / "c2", "item", "count", "item2")
    assert (
        run(
            env,
            capsys,
            "publish",
            "--pact-dir",
            str(tmp / "c2"),
            "--version",
            "c2",
            "--branch",
            "feat-item2",
        )[0]
        == 0
    )
    # The provider's next build (p2) meets c2 as a pending WIP pact: the failure is shown, not fatal.
    code, text, junit = run_verify(env, capsys, provider, "p2", "main")
    assert code == 0, text  # the provider's build does not fail
    assert "Pending (not failing the gate)" in text
    assert "**a request for item 2**" in text
    assert 'message="pending pact failed (given item 2 exists)' in junit
    assert "<failure" not in junit
    p2_results = [v for v in server.state.verifications if v.provider_version == "p2"]
    # c0 (main), c1 (deployed) and c2 (WIP) were verified and published, the failure included
    assert sorted(v.success for v in p2_results) == [False, True, True]
    # c2's can-i-deploy accounts for the deployed provider p1 (which never verified c2).
    code, text = run(
        env,
        capsys,
        "can-i-deploy",
        "--pacticipant",
        CONSUMER,
        "--version",
        "c2",
        "--to-environment",
        "prod",
    )
    assert code == 1, text
    assert "the version of inventory-api currently in prod (p1)" in text
    # Dry run: the decision is still FAIL, but the exit code lets a break-glass deploy through.
    code, text = run(
        env,
        capsys,
        "can-i-deploy",
        "--pacticipant",
        CONSUMER,
        "--version",
        "c2",
        "--to-environment",
        "prod",
        "--dry-run",
    )
    assert code == 0, text
    assert "Dry run" in text


def test_record_release_and_deployed_or_released_selector(env, provider, capsys) -> None:
    tmp: Path = env["tmp"]
    assert run(env, capsys, "environments", "ensure")[0] == 0
    make_pact(tmp / "r1", "item")
    assert (
        run(
            env,
            capsys,
            "publish",
            "--pact-dir",
            str(tmp / "r1"),
            "--version",
            "r1",
            "--branch",
            "release-1",
        )[0]
        == 0
    )
    code, text = run(
        env,
        capsys,
        "record-release",
        "--pacticipant",
        CONSUMER,
        "--version",
        "r1",
        "--environment",
        "prod",
    )
    assert code == 0, text
    assert "released to `prod`" in text
    # Not on main, not a WIP (wip off): only deployedOrReleased selects the released version.
    from pact import Verifier

    settings = from_environ(env["environ"])
    assert settings is not None
    verifier = Verifier(PROVIDER, host="127.0.0.1").add_transport(url=provider.url)
    verifier.state_handler(f"{provider.url}/_pact/state", body=True)
    broker.add_broker_source(
        verifier,
        broker.BrokerVerificationOptions(
            settings=settings, provider_version="p9", provider_branch="main"
        ),
    )
    verifier.verify()
    assert [r["description"] for r in verifier.results["interactionResults"]] == [
        "a request for item 1"
    ]
    assert env["server"].state.verifications == []  # publish_results off: nothing sent back


def test_webhook_ensure_then_publish_fires_the_github_dispatch(env, capsys) -> None:
    server: PactBrokerServer = env["server"]
    env["environ"]["TESTGATE_WEBHOOK_TOKEN"] = "ghp_webhook_secret_value"
    argv = (
        "webhook",
        "ensure",
        "--provider",
        PROVIDER,
        "--target",
        "github",
        "--repository",
        "acme/inventory-api",
    )
    code, text = run(env, capsys, *argv)
    assert code == 0, text
    assert "ghp_webhook_secret_value" not in text
    assert run(env, capsys, *argv)[0] == 0  # idempotent: same UUID, updated in place
    assert len(server.state.webhooks) == 1
    make_pact(env["tmp"] / "w1", "item")
    assert (
        run(
            env,
            capsys,
            "publish",
            "--pact-dir",
            str(env["tmp"] / "w1"),
            "--version",
            "w1",
            "--branch",
            "feat-w",
        )[0]
        == 0
    )
    (fired,) = server.state.triggered_webhooks
    request = fired["request"]
    assert request["url"] == "https://api.github.com/repos/acme/inventory-api/dispatches"
    assert request["headers"]["Authorization"] == "Bearer ghp_webhook_secret_value"
    assert request["body"]["event_type"] == "contract_requiring_verification_published"
    assert request["body"]["client_payload"]["pact_url"].startswith(
        f"{server.url}/pacts/provider/{PROVIDER}/"
    )
    assert request["body"]["client_payload"]["consumer_branch"] == "feat-w"

    # The run the dispatch starts: verify that one pact and report back.
    provider = ItemsProvider()
    try:
        env["environ"]["TESTGATE_PACT_URL"] = request["body"]["client_payload"]["pact_url"]
        code, text = run(
            env,
            capsys,
            "verify",
            "--provider",
            PROVIDER,
            "--provider-url",
            provider.url,
            "--states-url",
            f"{provider.url}/_pact/state",
            "--provider-version",
            "p-hook",
            "--provider-branch",
            "main",
            "--publish-results",
            "--junit",
            str(env["tmp"] / "hook.xml"),
        )
    finally:
        provider.stop()
    assert code == 0, text
    assert "one pact from" in text
    assert "item 1 exists" in provider.states
    (verification,) = server.state.verifications
    assert (verification.provider_version, verification.success) == ("p-hook", True)


# -- message (event) interactions through the same lifecycle ---------------------------------

EVENTS_MODULE = """\
import json

def produce(name, metadata):
    if name == "an item-created event":
        return {"contents": {"id": 1, "name": "widget"}, "metadata": {"topic": "items"}}
    raise LookupError(f"no event called {name!r}")
"""


def make_event_pact(out_dir: Path, *events: str) -> Path:
    """A V4 pact with the HTTP ``item`` interaction and the named events, from pact-python."""
    from pact import Pact, match

    make_pact(out_dir, "item")
    for event in events:
        pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
        (
            pact.upon_receiving(event, "Async")
            .with_body({"id": match.int(1), "name": match.str("widget")}, "application/json")
            .with_metadata({"topic": "items"})
        )
        pact.verify(lambda body, metadata: None, "Async")
        pact.write_file(out_dir)
    return out_dir


def test_message_interactions_go_through_publish_verify_and_can_i_deploy(
    env, provider, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp: Path = env["tmp"]
    (tmp / "item_events.py").write_text(EVENTS_MODULE)
    monkeypatch.syspath_prepend(str(tmp))
    server: PactBrokerServer = env["server"]
    assert run(env, capsys, "environments", "ensure")[0] == 0

    def verify_version(version: str, *extra: str) -> tuple[int, str, str]:
        junit = tmp / f"verify-{version}.xml"
        code, text = run(
            env,
            capsys,
            *("verify", "--broker", "--provider", PROVIDER, "--provider-url", provider.url),
            *extra,
            *("--states-url", f"{provider.url}/_pact/state"),
            *("--message-handler", "item_events:produce"),
            *("--provider-version", version, "--provider-branch", "main", "--publish-results"),
            *("--junit", str(junit)),
        )
        return code, text, junit.read_text() if junit.exists() else ""

    def can_i_deploy(pacticipant: str, version: str) -> tuple[int, str]:
        return run(
            env,
            capsys,
            *("can-i-deploy", "--pacticipant", pacticipant, "--version", version),
            *("--to-environment", "prod"),
        )

    # The consumer publishes an HTTP interaction and an event in one V4 pact.
    make_event_pact(tmp / "m1", "an item-created event")
    doc = json.loads((tmp / "m1" / f"{CONSUMER}-{PROVIDER}.json").read_text())
    assert sorted(i["type"] for i in doc["interactions"]) == [
        "Asynchronous/Messages",
        "Synchronous/HTTP",
    ]
    publish = ("publish", "--pact-dir", str(tmp / "m1"), "--version", "m1", "--branch", "main")
    assert run(env, capsys, *publish)[0] == 0
    assert can_i_deploy(CONSUMER, "m1")[0] == 1  # nothing verified it yet

    # The provider verifies both from the broker, the event through the message handler.
    code, text, junit = verify_version("q1")
    assert code == 0, text
    assert "2 interactions (1 of them messages), 2 passed" in text
    assert 'name="an item-created event"' in junit
    assert [(v.provider_version, v.success) for v in server.state.verifications] == [("q1", True)]
    assert (
        run(
            env,
            capsys,
            "record-deployment",
            "--pacticipant",
            PROVIDER,
            "--version",
            "q1",
            "--environment",
            "prod",
        )[0]
        == 0
    )
    code, text = can_i_deploy(CONSUMER, "m1")
    assert code == 0, text
    assert "to prod: ✅ yes" in text

    # m2 expects an event the provider does not publish: its handler raises, verification fails
    # (pending off: a new pact would otherwise not fail the build), the failure goes back to the
    # broker, and can-i-deploy refuses m2.
    make_event_pact(tmp / "m2", "an item-created event", "an item-deleted event")
    publish = ("publish", "--pact-dir", str(tmp / "m2"), "--version", "m2", "--branch", "main")
    assert run(env, capsys, *publish)[0] == 0
    code, text, junit = verify_version("q2", "--no-include-pending")
    assert code == 1, text
    assert (
        "message handler item_events:produce raised LookupError: "
        "no event called 'an item-deleted event'"
    ) in text
    assert junit.count("<failure") == 1
    assert ("q2", False) in [(v.provider_version, v.success) for v in server.state.verifications]
    assert (
        run(
            env,
            capsys,
            "record-deployment",
            "--pacticipant",
            PROVIDER,
            "--version",
            "q2",
            "--environment",
            "prod",
        )[0]
        == 0
    )
    code, text = can_i_deploy(CONSUMER, "m2")
    assert code == 1, text
    assert "failed" in text
