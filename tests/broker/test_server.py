"""The test broker itself, over HTTP: it must behave like the documented Pact Broker API."""

from __future__ import annotations

import base64

import pytest
import requests

from broker.server import PactBrokerServer
from broker.support import CONSUMER, PROVIDER, for_verification, pact_doc, publish, verify


def test_index_links_the_relations_the_clients_navigate(pact_broker: PactBrokerServer) -> None:
    links = requests.get(pact_broker.url, timeout=10).json()["_links"]
    for rel in (
        "pb:publish-contracts",
        "pb:provider-pacts-for-verification",
        "pb:latest-provider-pacts",
        "pb:environments",
        "pb:webhooks",
        "pb:pacticipant-version",
        "pb:can-i-deploy-pacticipant-version-to-environment",
    ):
        assert links[rel]["href"].startswith(pact_broker.url), rel
    assert links["pb:provider-pacts-for-verification"]["templated"] is True
    assert (
        requests.get(pact_broker.url, timeout=10)
        .headers["Content-Type"]
        .startswith("application/hal+json")
    )


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 401, id="no-credentials"),
        pytest.param({"Authorization": "Bearer wrong"}, 401, id="wrong-token"),
        pytest.param({"Authorization": "Bearer tok"}, 200, id="token"),
        pytest.param(
            {"Authorization": "Basic " + base64.b64encode(b"user:pw").decode()}, 200, id="basic"
        ),
        pytest.param(
            {"Authorization": "Basic " + base64.b64encode(b"user:nope").decode()},
            401,
            id="bad-basic",
        ),
    ],
)
def test_auth(pact_broker_factory, headers: dict[str, str], status: int) -> None:
    server = pact_broker_factory(token="tok", username="user", password="pw")
    assert requests.get(server.url, headers=headers, timeout=10).status_code == status


def test_read_only_token_may_read_but_not_write(pact_broker_factory) -> None:
    server = pact_broker_factory(token="rw", read_only_token="ro")
    ro = {"Authorization": "Bearer ro"}
    assert requests.get(server.url, headers=ro, timeout=10).status_code == 200
    assert publish(server.url, "1", headers=ro).status_code == 403
    assert publish(server.url, "1", headers={"Authorization": "Bearer rw"}).status_code == 200


def test_publish_validates_and_refuses_changed_content(pact_broker: PactBrokerServer) -> None:
    bad = requests.post(f"{pact_broker.url}/contracts/publish", json={}, timeout=10)
    assert bad.status_code == 400
    assert "pacticipantVersionNumber" in bad.json()["errors"]
    assert publish(pact_broker.url, "1", "main").status_code == 200
    assert publish(pact_broker.url, "1", "main").status_code == 200  # same content: fine
    changed = publish(pact_broker.url, "1", "main", pact_doc(CONSUMER, PROVIDER, "/other"))
    assert changed.status_code == 409
    assert "Cannot change the content" in changed.text


def test_publish_answers_like_the_broker(pact_broker: PactBrokerServer) -> None:
    body = publish(pact_broker.url, "1", "main").json()
    assert body["_embedded"]["version"]["number"] == "1"
    assert body["_links"]["pb:contracts"][0]["href"].startswith(
        pact_broker.url + "/pacts/provider/"
    )
    assert any("with branch main" in n["text"] for n in body["notices"])
    # main is detected as the main branch, as the broker's auto_detect_main_branch does
    p = requests.get(f"{pact_broker.url}/pacticipants/{CONSUMER}", timeout=10).json()
    assert p["mainBranch"] == "main"


def _descriptions(pacts: list[dict]) -> list[str]:
    return sorted(p["_links"]["self"]["name"] for p in pacts)


def test_selectors_main_branch_branch_matching_branch_and_latest(
    pact_broker: PactBrokerServer,
) -> None:
    url = pact_broker.url
    publish(url, "m1", "main", pact_doc(CONSUMER, PROVIDER, "/a"))
    publish(url, "m2", "main", pact_doc(CONSUMER, PROVIDER, "/b"))
    publish(url, "f1", "feat-x", pact_doc(CONSUMER, PROVIDER, "/c"))
    publish(url, "o1", "main", consumer="other-web")
    main = for_verification(url, consumerVersionSelectors=[{"mainBranch": True}])
    assert _descriptions(main) == [
        f"Pact between {CONSUMER} (m2) and {PROVIDER}",
        f"Pact between other-web (o1) and {PROVIDER}",
    ]
    only = for_verification(
        url, consumerVersionSelectors=[{"mainBranch": True, "consumer": CONSUMER}]
    )
    assert _descriptions(only) == [f"Pact between {CONSUMER} (m2) and {PROVIDER}"]
    branch = for_verification(url, consumerVersionSelectors=[{"branch": "feat-x"}])
    assert _descriptions(branch) == [f"Pact between {CONSUMER} (f1) and {PROVIDER}"]
    matching = for_verification(
        url, consumerVersionSelectors=[{"matchingBranch": True}], providerVersionBranch="feat-x"
    )
    assert _descriptions(matching) == [f"Pact between {CONSUMER} (f1) and {PROVIDER}"]
    assert for_verification(url, consumerVersionSelectors=[{"matchingBranch": True}]) == []
    latest = for_verification(url, consumerVersionSelectors=[{"latest": True}])
    assert f"Pact between {CONSUMER} (f1) and {PROVIDER}" in _descriptions(latest)


def test_same_content_from_two_selectors_is_one_pact(pact_broker: PactBrokerServer) -> None:
    publish(pact_broker.url, "m1", "main")
    pacts = for_verification(
        pact_broker.url,
        consumerVersionSelectors=[{"mainBranch": True}, {"latest": True}],
    )
    assert len(pacts) == 1
    assert "main branch" in pacts[0]["shortDescription"]


def test_deployed_or_released_selector_follows_recorded_deployments(
    pact_broker: PactBrokerServer,
) -> None:
    url = pact_broker.url
    env = pact_broker.create_environment("prod", production=True)
    publish(url, "1", "main", pact_doc(CONSUMER, PROVIDER, "/a"))
    publish(url, "2", "main", pact_doc(CONSUMER, PROVIDER, "/b"))
    selector = [{"deployedOrReleased": True}]
    assert for_verification(url, consumerVersionSelectors=selector) == []
    version = requests.get(f"{url}/pacticipants/{CONSUMER}/versions/1", timeout=10).json()
    link = next(lk for lk in version["_links"]["pb:record-deployment"] if lk["name"] == "prod")
    assert link["href"].endswith(f"/deployed-versions/environment/{env}")
    assert requests.post(link["href"], json={}, timeout=10).status_code == 201
    assert _descriptions(for_verification(url, consumerVersionSelectors=selector)) == [
        f"Pact between {CONSUMER} (1) and {PROVIDER}"
    ]
    # deploying version 2 to the same environment replaces version 1
    requests.post(
        f"{url}/pacticipants/{CONSUMER}/versions/2/deployed-versions/environment/{env}",
        json={},
        timeout=10,
    ).raise_for_status()
    assert _descriptions(for_verification(url, consumerVersionSelectors=selector)) == [
        f"Pact between {CONSUMER} (2) and {PROVIDER}"
    ]


def test_pending_until_the_provider_branch_verifies(pact_broker: PactBrokerServer) -> None:
    url = pact_broker.url
    publish(url, "1", "main")
    query = {
        "consumerVersionSelectors": [{"mainBranch": True}],
        "includePendingStatus": True,
        "providerVersionBranch": "main",
    }
    (pact,) = for_verification(url, **query)
    assert pact["verificationProperties"]["pending"] is True
    verify(url, pact["_links"]["self"]["href"], "p1", success=False, branch="main")
    assert for_verification(url, **query)[0]["verificationProperties"]["pending"] is True
    verify(url, pact["_links"]["self"]["href"], "p2", success=True, branch="main")
    assert for_verification(url, **query)[0]["verificationProperties"]["pending"] is False
    # a new provider branch inherits from the main branch; another existing branch does not
    feature = dict(query, providerVersionBranch="feat-new")
    assert for_verification(url, **feature)[0]["verificationProperties"]["pending"] is False
    requests.put(
        f"{url}/pacticipants/{PROVIDER}/branches/feat-old/versions/p0", json={}, timeout=10
    ).raise_for_status()
    old = dict(query, providerVersionBranch="feat-old")
    assert for_verification(url, **old)[0]["verificationProperties"]["pending"] is True
    # without includePendingStatus nothing is pending
    plain = dict(query, includePendingStatus=False)
    assert for_verification(url, **plain)[0]["verificationProperties"]["pending"] is False


def test_wip_pacts_are_the_unverified_heads_of_other_branches(
    pact_broker: PactBrokerServer,
) -> None:
    url = pact_broker.url
    publish(url, "m1", "main", pact_doc(CONSUMER, PROVIDER, "/a"))
    publish(url, "f1", "feat-x", pact_doc(CONSUMER, PROVIDER, "/b"))
    query = {
        "consumerVersionSelectors": [{"mainBranch": True}],
        "includePendingStatus": True,
        "providerVersionBranch": "main",
    }
    assert len(for_verification(url, **query)) == 1
    pacts = for_verification(url, includeWipPactsSince="2020-01-01", **query)
    wip = [p for p in pacts if p["verificationProperties"].get("wip")]
    assert _descriptions(wip) == [f"Pact between {CONSUMER} (f1) and {PROVIDER}"]
    assert wip[0]["verificationProperties"]["pending"] is True
    assert for_verification(url, includeWipPactsSince="2999-01-01", **query) == pacts[:1]


def test_selector_validation(pact_broker: PactBrokerServer) -> None:
    response = requests.post(
        f"{pact_broker.url}/pacts/provider/{PROVIDER}/for-verification",
        json={"consumerVersionSelectors": [{"mainBranch": False}, {"bogus": 1}]},
        timeout=10,
    )
    assert response.status_code == 400
    problems = " ".join(response.json()["errors"]["consumerVersionSelectors"])
    assert "mainBranch can only be set to true" in problems
    assert "bogus" in problems


def test_can_i_deploy_follows_verifications_and_deployments(pact_broker: PactBrokerServer) -> None:
    url = pact_broker.url
    pact_broker.create_environment("prod")
    publish(url, "c1", "main")
    answer = pact_broker.can_i_deploy(CONSUMER, "c1", "prod")
    assert answer["summary"]["deployable"] is None
    assert "no version is currently recorded" in answer["summary"]["reason"]
    (pact,) = for_verification(url, consumerVersionSelectors=[{"mainBranch": True}])
    verify(url, pact["_links"]["self"]["href"], "p1", success=True, branch="main")
    requests.post(
        f"{url}/pacticipants/{PROVIDER}/versions/p1/deployed-versions/environment/"
        + next(iter(pact_broker.state.environments)),
        json={},
        timeout=10,
    ).raise_for_status()
    answer = pact_broker.can_i_deploy(CONSUMER, "c1", "prod")
    assert answer["summary"]["deployable"] is True
    assert answer["matrix"][0]["provider"]["version"]["number"] == "p1"
    assert (
        answer["summary"]["reason"]
        == "All required verification results are published and successful"
    )
    # the provider may deploy too: its consumer is not in prod, so nothing is missing
    provider = pact_broker.can_i_deploy(PROVIDER, "p1", "prod")
    assert provider["summary"]["deployable"] is True
    assert provider["summary"]["reason"] == "There are no missing dependencies"
    # /can-i-deploy and /matrix answer the same over HTTP
    http = requests.get(
        f"{url}/can-i-deploy",
        params={"pacticipant": CONSUMER, "version": "c1", "environment": "prod"},
        timeout=10,
    ).json()
    assert http["summary"]["deployable"] is True


def test_can_i_deploy_reports_a_failed_verification(pact_broker: PactBrokerServer) -> None:
    url = pact_broker.url
    env = pact_broker.create_environment("prod")
    publish(url, "c1", "main")
    (pact,) = for_verification(url, consumerVersionSelectors=[{"mainBranch": True}])
    verify(url, pact["_links"]["self"]["href"], "p1", success=False)
    requests.post(
        f"{url}/pacticipants/{PROVIDER}/versions/p1/deployed-versions/environment/{env}",
        json={},
        timeout=10,
    ).raise_for_status()
    answer = pact_broker.can_i_deploy(CONSUMER, "c1", "prod")
    assert answer["summary"]["deployable"] is False
    assert answer["summary"]["failed"] == 1
    assert "failed" in answer["summary"]["reason"]


def test_unknown_version_or_environment_is_not_deployable(pact_broker: PactBrokerServer) -> None:
    publish(pact_broker.url, "c1", "main")
    assert pact_broker.can_i_deploy(CONSUMER, "nope", "prod")["summary"]["deployable"] is False
    answer = pact_broker.can_i_deploy(CONSUMER, "c1", "nowhere")
    assert answer["summary"]["deployable"] is False
    assert "does not exist" in answer["summary"]["reason"]


def test_webhook_fires_on_contract_requiring_verification(pact_broker: PactBrokerServer) -> None:
    url = pact_broker.url
    hook = {
        "description": "verify",
        "events": [{"name": "contract_requiring_verification_published"}],
        "provider": {"name": PROVIDER},
        "request": {
            "method": "POST",
            "url": "http://127.0.0.1:9/dispatches",
            "body": {
                "pact_url": "${pactbroker.pactUrl}",
                "branch": "${pactbroker.consumerVersionBranch}",
            },
        },
    }
    assert requests.put(f"{url}/webhooks/abc", json=hook, timeout=10).status_code == 201
    assert requests.put(f"{url}/webhooks/abc", json=hook, timeout=10).status_code == 200
    assert len(requests.get(f"{url}/webhooks", timeout=10).json()["_links"]["pb:webhooks"]) == 1
    publish(url, "c1", "feat-x")
    (fired,) = pact_broker.state.triggered_webhooks
    assert fired["event"] == "contract_requiring_verification_published"
    assert fired["request"]["body"]["pact_url"].startswith(f"{url}/pacts/provider/{PROVIDER}/")
    assert fired["request"]["body"]["branch"] == "feat-x"
    bad = requests.post(f"{url}/webhooks", json={"events": [{"name": "nope"}]}, timeout=10)
    assert bad.status_code == 400


def test_injected_faults(pact_broker: PactBrokerServer) -> None:
    pact_broker.inject_faults(503, count=2, path_prefix="/environments")
    assert requests.get(pact_broker.url, timeout=10).status_code == 200
    assert requests.get(f"{pact_broker.url}/environments", timeout=10).status_code == 503
    assert requests.get(f"{pact_broker.url}/environments", timeout=10).status_code == 503
    assert requests.get(f"{pact_broker.url}/environments", timeout=10).status_code == 200
    pact_broker.inject_faults(None, count=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(pact_broker.url, timeout=10)


def test_requests_are_recorded_without_credentials(pact_broker_factory) -> None:
    server = pact_broker_factory(token="very-secret-token")
    requests.get(server.url, headers={"Authorization": "Bearer very-secret-token"}, timeout=10)
    (recorded,) = server.requests
    assert recorded["authorized_with"] == "Bearer"
    assert "very-secret-token" not in repr(recorded)
