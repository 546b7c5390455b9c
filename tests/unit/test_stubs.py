"""Downstream stubs: the [[provider.stubs]] settings, finding their pacts, and the real `pact stub`."""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from testgate import broker, stubs
from testgate.errors import ConfigError, ExitCode, ToolError

PRICE = {
    "type": "Synchronous/HTTP",
    "description": "a request for the price of a product",
    "request": {
        "method": "GET",
        "path": "/prices/p-100",
        "matchingRules": {
            "path": {
                "combine": "AND",
                "matchers": [{"match": "regex", "regex": "^/prices/p-\\d+$"}],
            }
        },
    },
    "response": {
        "status": 200,
        "headers": {"Content-Type": ["application/json"]},
        "body": {
            "content": {"productId": "p-100", "amount": 12.5, "currency": "EUR"},
            "contentType": "application/json",
            "encoded": False,
        },
    },
}


def pact_doc(consumer: str = "inventory-api", provider: str = "pricing-api", *items: Any) -> dict:
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": list(items or [PRICE]),
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }


def write(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


# -- settings ---------------------------------------------------------------------------------


def test_stub_specs_parse() -> None:
    specs = stubs.parse_stub_specs(
        [
            {"pact": "{pact-dir}/a.json", "url-variable": "PRICING_API_URL"},
            {
                "pact": ["x.json", "broker"],
                "url-variable": "TAX_URL",
                "provider": "tax",
                "environment": "prod",
            },
        ]
    )
    assert specs == (
        stubs.StubSpec(("{pact-dir}/a.json",), "PRICING_API_URL"),
        stubs.StubSpec(("x.json", "broker"), "TAX_URL", provider="tax", environment="prod"),
    )
    assert stubs.parse_stub_specs(None) == ()


def test_every_problem_of_the_stub_specs_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as error:
        stubs.parse_stub_specs(
            [
                {"pact": "a.json", "url-variable": "A", "urlvariable": "x"},
                {"url-variable": "not a name"},
                {"pact": "b.json", "url-variable": "A"},
                {"pact": "broker", "url-variable": "B"},
                {"pact": "c.json", "url-variable": "C", "environment": "prod"},
                {"pact": ["d.json", 3], "url-variable": "D"},
            ]
        )
    message = str(error.value)
    assert error.value.exit_code == ExitCode.USAGE
    for part in (
        "stub #1: unknown key 'urlvariable'",
        "stub #2: pact is required",
        "stub #2: url-variable 'not a name' is not a variable name",
        "stub #3: a second stub for url-variable 'A'",
        "stub #4: pact = 'broker' needs provider",
        "stub #5: environment only applies to pact = 'broker'",
        "stub #6: pact must be a string or a list of strings",
    ):
        assert part in message


def test_stubs_must_be_a_list_of_tables() -> None:
    with pytest.raises(ConfigError, match="must be a list of tables"):
        stubs.parse_stub_specs({"pact": "a.json"})


# -- which pact a stub serves -------------------------------------------------------------------


def resolve(tmp_path: Path, *specs: stubs.StubSpec, **kw: Any) -> list[stubs.StubPact]:
    return stubs.resolve_stub_pacts(
        specs,
        consumer="inventory-api",
        root=tmp_path,
        pact_dir=tmp_path / "pacts",
        fetch_dir=tmp_path / "fetched",
        **kw,
    )


def test_pact_dir_placeholder_and_relative_paths(tmp_path: Path) -> None:
    write(tmp_path / "pacts" / "inventory-api-pricing-api.json", pact_doc())
    write(tmp_path / "contracts" / "tax.json", pact_doc(provider="tax-api"))
    found = resolve(
        tmp_path,
        stubs.StubSpec(("{pact-dir}/inventory-api-pricing-api.json",), "PRICING_API_URL"),
        stubs.StubSpec(("contracts/tax.json",), "TAX_URL", provider="tax-api"),
    )
    assert [(p.provider, p.url_variable, p.interactions) for p in found] == [
        ("pricing-api", "PRICING_API_URL", 1),
        ("tax-api", "TAX_URL", 1),
    ]


def test_a_folder_gives_the_one_pact_of_this_provider_with_the_downstream(tmp_path: Path) -> None:
    write(tmp_path / "pacts" / "a.json", pact_doc("dashboard-api", "inventory-api"))
    write(tmp_path / "pacts" / "b.json", pact_doc())
    write(tmp_path / "pacts" / "c.json", pact_doc(provider="tax-api"))
    found = resolve(tmp_path, stubs.StubSpec(("{pact-dir}",), "PRICING_API_URL", "pricing-api"))
    assert found[0].path.name == "b.json"
    with pytest.raises(
        ConfigError, match=r"several pacts inventory-api -> a downstream \(b.json, c.json\)"
    ):
        resolve(tmp_path, stubs.StubSpec(("{pact-dir}",), "PRICING_API_URL"))


def test_a_stub_pact_that_does_not_exist_is_exit_2_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        resolve(tmp_path, stubs.StubSpec(("{pact-dir}/missing.json",), "PRICING_API_URL"))
    assert error.value.exit_code == ExitCode.USAGE
    assert "no pact for the stub of PRICING_API_URL" in str(error.value)
    assert f"stub pact {tmp_path / 'pacts' / 'missing.json'} does not exist" in str(error.value)
    assert "testgate consumer" in str(error.value)


def test_sources_are_tried_in_order(tmp_path: Path, pact_broker_factory) -> None:
    """The build that ran the consumer tests has the file; a webhook's run takes the broker's."""
    server = pact_broker_factory()
    publish(server, "i-1", pact_doc())
    settings = broker.broker_settings(server.url)
    spec = stubs.StubSpec(("{pact-dir}/p.json", "broker"), "PRICING_API_URL", "pricing-api")
    assert "Pact Broker" in resolve(tmp_path, spec, broker=settings)[0].source
    write(tmp_path / "pacts" / "p.json", pact_doc())
    assert resolve(tmp_path, spec, broker=settings)[0].source == str(tmp_path / "pacts" / "p.json")
    (tmp_path / "pacts" / "p.json").unlink()
    with pytest.raises(ConfigError) as error:
        resolve(tmp_path, spec)
    assert "p.json does not exist; no Pact Broker is configured" in str(error.value)


def test_a_stub_pact_of_another_consumer_is_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "p.json", pact_doc("dashboard-api", "inventory-api"))
    with pytest.raises(
        ConfigError,
        match="is dashboard-api's pact with inventory-api, not inventory-api's pact with a downstream",
    ):
        resolve(tmp_path, stubs.StubSpec(("p.json",), "PRICING_API_URL"))


def test_a_stub_pact_naming_another_provider_is_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "p.json", pact_doc(provider="tax-api"))
    with pytest.raises(ConfigError, match="names provider 'tax-api', not 'pricing-api'"):
        resolve(tmp_path, stubs.StubSpec(("p.json",), "PRICING_API_URL", provider="pricing-api"))


def test_a_stub_pact_with_only_messages_is_exit_2(tmp_path: Path) -> None:
    message = {"type": "Asynchronous/Messages", "description": "e", "contents": {}}
    write(tmp_path / "p.json", pact_doc("inventory-api", "pricing-api", message))
    with pytest.raises(ConfigError, match="no HTTP interaction"):
        resolve(tmp_path, stubs.StubSpec(("p.json",), "PRICING_API_URL"))


# -- pacts from the broker ------------------------------------------------------------------------


def publish(server: Any, version: str, doc: dict, token: str | None = None) -> str:
    from broker.support import publish as publish_contract

    headers = {"Authorization": f"Bearer {token}"} if token else None
    response = publish_contract(
        server.url,
        version,
        "main",
        doc,
        consumer="inventory-api",
        provider="pricing-api",
        headers=headers,
    )
    response.raise_for_status()
    return version


def test_the_latest_pact_from_the_broker(tmp_path: Path, pact_broker_factory) -> None:
    server = pact_broker_factory(token="stub-token-1")
    old = pact_doc()
    new = pact_doc()
    new["interactions"] = [PRICE, {**PRICE, "description": "another"}]
    publish(server, "i-1", old, "stub-token-1")
    publish(server, "i-2", new, "stub-token-1")
    settings = broker.broker_settings(server.url, token="stub-token-1")
    found = resolve(
        tmp_path, stubs.StubSpec(("broker",), "PRICING_API_URL", "pricing-api"), broker=settings
    )
    assert found[0].interactions == 2
    assert found[0].path == tmp_path / "fetched" / "inventory-api-pricing-api.json"
    assert "_links" not in json.loads(found[0].path.read_text())
    assert "Pact Broker" in found[0].source


def test_the_pact_verified_by_the_downstream_in_an_environment(
    tmp_path: Path, pact_broker_factory
) -> None:
    from broker.support import verify

    server = pact_broker_factory()
    prod = server.create_environment("prod", production=True)
    publish(server, "i-1", pact_doc())
    settings = broker.broker_settings(server.url)
    spec = stubs.StubSpec(("broker",), "PRICING_API_URL", "pricing-api", environment="prod")
    # pricing-api p-1 is in prod but has not verified the pact: no stub can stand for it
    server.state.version("pricing-api", "p-1", create=True)
    requests.post(
        f"{server.url}/pacticipants/pricing-api/versions/p-1/deployed-versions/environment/{prod}",
        json={},
        timeout=10,
    ).raise_for_status()
    with pytest.raises(
        ConfigError,
        match="no pact of the latest inventory-api has been verified by the pricing-api deployed in prod",
    ):
        resolve(tmp_path, spec, broker=settings)
    href = f"{server.url}/pacts/provider/pricing-api/consumer/inventory-api/version/i-1"
    verify(server.url, href, "p-1", success=True)
    found = resolve(tmp_path, spec, broker=settings)
    assert found[0].provider == "pricing-api"
    assert "verified by the pricing-api in prod" in found[0].source


def test_broker_problems_name_the_cause(tmp_path: Path, pact_broker_factory) -> None:
    server = pact_broker_factory(token="right")
    spec = stubs.StubSpec(("broker",), "PRICING_API_URL", "pricing-api")
    with pytest.raises(ConfigError, match="no Pact Broker is configured"):
        resolve(tmp_path, spec)  # the only source
    wrong = broker.broker_settings(server.url, token="wrong-token-5x")
    with pytest.raises(ConfigError, match=r"refused the credentials .* PACT_BROKER_TOKEN") as error:
        resolve(tmp_path, spec, broker=wrong)
    assert "wrong-token-5x" not in str(error.value)
    right = broker.broker_settings(server.url, token="right")
    with pytest.raises(ConfigError, match="has no inventory-api's pact with pricing-api"):
        resolve(tmp_path, spec, broker=right)
    gone = broker.broker_settings("http://127.0.0.1:9")
    with pytest.raises(ToolError, match="cannot be reached"):
        resolve(tmp_path, spec, broker=gone)


# -- the stub server's log ------------------------------------------------------------------------

LOG = """\
2026-12-06T01:39:31.697458Z  INFO main pact_stub_server: Loaded 1 pacts (1 total interactions)
2026-12-06T01:39:31.697636Z  INFO tokio-rt-worker pact_stub_server::server: Server started on port 43199
2026-12-06T01:39:34.676272Z  INFO tokio-rt-worker pact_stub_server::server: ===> Received HTTP Request ( method: GET, path: /prices/p-200, query: None, headers: Some({"host": ["x"]}), body: Empty )
2026-12-06T01:39:34.676742Z  INFO tokio-rt-worker pact_stub_server::pact_support: <=== Sending HTTP Response ( status: 200, headers: None, body: Missing )
2026-12-06T01:39:34.700300Z  INFO tokio-rt-worker pact_stub_server::server: ===> Received HTTP Request ( method: GET, path: /prices/p-200, query: Some({"currency": [Some("EUR")]}), headers: Some({}), body: Empty )
2026-12-06T01:39:34.700456Z  WARN tokio-rt-worker pact_stub_server::server: No matching request found for path /prices/p-200, sending 404 Not Found
2026-12-06T01:39:34.695257Z  INFO tokio-rt-worker pact_stub_server::server: ===> Received HTTP Request ( method: POST, path: /nothing, query: None, headers: Some({}), body: Empty )
2026-12-06T01:39:34.695313Z  WARN tokio-rt-worker pact_stub_server::server: No matching request found for path /nothing, sending 404 Not Found
"""


def test_unanswered_requests_are_read_from_the_stub_log() -> None:
    found = stubs.parse_unanswered(LOG, "pricing-api")
    assert [str(u) for u in found] == ["GET /prices/p-200?currency=EUR", "POST /nothing"]


# -- the real pact stub ---------------------------------------------------------------------------


def pact_cli() -> str:
    """The pact CLI of pact-python-cli, a dependency of testgate (never skipped)."""
    return broker.find_pact_cli(path=str(Path(sys.executable).parent))


def test_a_real_stub_answers_from_the_pact_and_reports_what_it_cannot(tmp_path: Path) -> None:
    pact = resolve(
        tmp_path, stubs.StubSpec((str(write(tmp_path / "p.json", pact_doc())),), "PRICING_API_URL")
    )
    provider_log = tmp_path / "reports" / "inventory-api.log"
    with stubs.run_stubs(
        pact, pact_cli=pact_cli(), provider_log=provider_log, environ={}
    ) as running:
        running.wait_ready(10)
        url = running.variables["PRICING_API_URL"]
        assert url.startswith("http://127.0.0.1:")
        requests.get(f"{url}/health", timeout=5)  # before watching: the provider's start-up
        running.start_watching()
        answer = requests.get(f"{url}/prices/p-300", timeout=5)
        assert answer.json() == {"productId": "p-100", "amount": 12.5, "currency": "EUR"}
        started = time.monotonic()
        missed = requests.get(f"{url}/prices/p-300", params={"currency": "EUR"}, timeout=5)
        assert missed.status_code == 404
        assert time.monotonic() - started < 2, "an unanswerable request must not hang"
        problems = running.problems()
    log = tmp_path / "reports" / "inventory-api.pricing-api-stub.log"
    assert log.is_file(), "the stub's log is kept beside the provider's"
    assert len(problems) == 1
    assert "the pricing-api stub could not answer 1 request from inventory-api" in problems[0]
    assert "GET /prices/p-300?currency=EUR" in problems[0]
    assert "/health" not in problems[0]


def fake_cli(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-pact"
    script.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.mark.parametrize(
    ("body", "expected", "tail"),
    [
        pytest.param(
            "print('error: could not load pact: boom', flush=True); sys.exit(4)",
            "exited with code 4 before it listened",
            "could not load pact: boom",
            id="exits",
        ),
        pytest.param(
            "print('loading forever', flush=True); time.sleep(30)",
            "did not listen on http://127.0.0.1:",
            "loading forever",
            id="never-listens",
        ),
    ],
)
def test_a_stub_that_exits_or_never_listens_is_exit_3_with_its_log(
    tmp_path: Path, body: str, expected: str, tail: str
) -> None:
    pact = resolve(
        tmp_path, stubs.StubSpec((str(write(tmp_path / "p.json", pact_doc())),), "PRICING_API_URL")
    )
    cli = fake_cli(tmp_path, body)
    with (
        stubs.run_stubs(pact, pact_cli=cli, provider_log=tmp_path / "x.log", environ={}) as running,
        pytest.raises(ToolError) as error,
    ):
        running.wait_ready(1)
    assert error.value.exit_code == ExitCode.UNDECIDED
    assert expected in str(error.value)
    assert tail in str(error.value)  # the tail of its log
