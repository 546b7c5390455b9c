"""The provider verified in true isolation: downstream stubs, a seeded database, events.

Real parts throughout: the example services, the consumer tests with pact-python, the
Verifier (HTTP and message interactions) and `pact stub` from the pact CLI.
"""

from __future__ import annotations

import json
import shutil
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from junitparser import JUnitXml
from testgate.commands import consumer, publish, verify

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "examples" / "inventory-api"
PRICING_PACT = Path(__file__).with_name("data") / "inventory-api-pricing-api.json"


@pytest.fixture(scope="module")
def example_pacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pacts the example's consumer tests write (both consumers), once for this module."""
    folder = tmp_path_factory.mktemp("example-pacts")
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(folder),
        "PACT_DO_NOT_TRACK": "true",
        "TESTGATE_PLATFORM": "local",
        "TESTGATE_PACT_DIR": str(folder / "pacts"),
        "TESTGATE_REPORTS_DIR": str(folder / "reports"),
        "PYTEST_ADDOPTS": "-p no:hypothesispytest",
    }
    assert consumer.main([], env) == 0
    return folder / "pacts"


@pytest.fixture
def env(clean_environ: dict[str, str], tmp_path: Path, example_pacts: Path) -> dict[str, str]:
    pacts = tmp_path / "pacts"
    shutil.copytree(example_pacts, pacts)
    clean_environ["TESTGATE_PACT_DIR"] = str(pacts)
    clean_environ["TESTGATE_PLATFORM"] = "local"
    return clean_environ


def junit_cases(path: Path) -> dict[str, object]:
    return {case.name: case for suite in JUnitXml.fromfile(str(path)) for case in suite}


def test_the_checked_in_pricing_pact_is_what_the_consumer_tests_write(example_pacts: Path) -> None:
    written = json.loads((example_pacts / PRICING_PACT.name).read_text())
    kept = json.loads(PRICING_PACT.read_text())
    assert written["interactions"] == kept["interactions"]


def test_the_real_pricing_api_honours_the_pact_its_stub_serves(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The stub stands in for pricing-api only because pricing-api is verified against the same pact."""
    env["TESTGATE_PROJECT_FILE"] = str(ROOT / "examples" / "pricing-api" / "testgate.toml")
    junit = tmp_path / "pricing.xml"
    assert verify.main(["--junit", str(junit)], env) == 0
    assert list(junit_cases(junit)) == ["a request for the price of a product"]


def test_a_request_the_stub_cannot_answer_fails_verification_by_name(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """inventory-api asks pricing-api for a product the pact does not cover: no hang, a named failure."""
    doc = json.loads(PRICING_PACT.read_text())
    del doc["interactions"][0]["request"]["matchingRules"]  # only /prices/p-100 now
    doc["interactions"][0]["request"]["path"] = "/prices/p-999"
    (tmp_path / "pacts" / PRICING_PACT.name).write_text(json.dumps(doc))
    started = time.monotonic()
    code = verify.main([], env)
    elapsed = time.monotonic() - started
    out = capsys.readouterr()
    assert code == 1, out.err
    assert elapsed < 30
    problem = "the pricing-api stub could not answer"
    assert problem in out.out
    assert "GET /prices/p-100" in out.out
    cases = junit_cases(tmp_path / "reports" / "provider-verification.xml")
    stub_cases = [c for name, c in cases.items() if name.startswith(problem)]
    assert len(stub_cases) == 1
    assert "could not answer 4 requests" in stub_cases[0].result[0].text  # type: ignore[attr-defined]
    assert stub_cases[0].result[0].text.endswith("\nGET /prices/p-100")  # type: ignore[attr-defined]
    assert not cases["a request for product p-100"].is_passed  # type: ignore[attr-defined]
    assert cases["a stock-changed event"].is_passed  # type: ignore[attr-defined]


def test_a_stub_pact_that_does_not_exist_is_exit_2_naming_it(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pacts" / PRICING_PACT.name).unlink()
    assert verify.main([], env) == 2
    err = capsys.readouterr().err
    assert "no pact for the stub of PRICING_API_URL" in err
    assert f"stub pact {tmp_path / 'pacts' / PRICING_PACT.name} does not exist" in err
    assert "no Pact Broker is configured" in err  # the second source in testgate.toml
    assert not (tmp_path / "reports" / "inventory-api.log").exists(), "nothing was started"


def test_a_stub_pact_naming_another_provider_is_exit_2(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(PRICING_PACT.read_text())
    doc["provider"]["name"] = "tax-api"
    (tmp_path / "pacts" / PRICING_PACT.name).write_text(json.dumps(doc))
    assert verify.main([], env) == 2
    assert "names provider 'tax-api', not 'pricing-api'" in capsys.readouterr().err


def test_a_stub_that_exits_is_exit_3_with_the_tail_of_its_log(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "pact"
    fake.write_text(f"#!{sys.executable}\nprint('pact stub: cannot bind, giving up')\nexit(9)\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env["TESTGATE_PACT_CLI"] = str(fake)
    assert verify.main([], env) == 3
    err = capsys.readouterr().err
    assert "the Pact stub for pricing-api exited with code 9" in err
    assert "pact stub: cannot bind, giving up" in err
    assert str(tmp_path / "reports" / "inventory-api.pricing-api-stub.log") in err


@pytest.fixture
def flaky_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A message handler that fails for the sold-out event and produces the others."""
    (tmp_path / "flaky_events.py").write_text(
        "from inventory_api.events import pact_message\n\n"
        "def produce(name, metadata):\n"
        "    if 'sold-out' in name:\n"
        "        raise LookupError('the outbox has no sold-out event')\n"
        "    return pact_message(name, metadata)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(INVENTORY))
    yield "flaky_events:produce"
    sys.modules.pop("flaky_events", None)


def test_a_message_handler_that_raises_fails_its_interaction_only(
    env: dict[str, str], tmp_path: Path, flaky_handler: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = verify.main(["--message-handler", flaky_handler], env)
    out = capsys.readouterr()
    assert code == 1, out.err
    cases = junit_cases(tmp_path / "reports" / "provider-verification.xml")
    failed = sorted(name for name, c in cases.items() if not c.is_passed)  # type: ignore[attr-defined]
    assert failed == ["a stock-changed event for a sold-out product"]
    assert len(cases) == 7
    text = cases[failed[0]].result[0].text  # type: ignore[attr-defined]
    expected = (
        "message handler flaky_events:produce raised LookupError: the outbox has no sold-out event"
    )
    assert expected in text
    assert expected in out.out
    assert "Traceback" not in out.out + out.err


def test_message_interactions_without_a_handler_are_exit_2(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = (ROOT / "testgate.toml").read_text()
    project = project.replace('handler = "inventory_api.events:pact_message"', "")
    project = project.replace('cwd = "examples/inventory-api"', f'cwd = "{INVENTORY}"')
    (tmp_path / "testgate.toml").write_text(project)
    env["TESTGATE_PROJECT_FILE"] = str(tmp_path / "testgate.toml")
    assert verify.main([], env) == 2
    err = capsys.readouterr().err
    assert "2 message interactions (a stock-changed event" in err
    assert "[provider.messages] handler" in err


# -- the database: rows set up by states, taken away by teardown -----------------------------


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(INVENTORY))
    from inventory_api.app import create_app

    app = create_app(tmp_path / "inventory.db", "http://127.0.0.1:9", enable_states=True)
    return app.config["DB"], app.test_client()


def state(client, name: str, action: str, **params: object) -> None:
    body = {"state": name, "action": action, "params": params}
    assert client.post("/_pact/provider-states", json=body).status_code == 200


def test_states_set_up_exactly_their_rows_and_teardown_restores_the_table(inventory) -> None:
    db, client = inventory
    assert db.count() == 0
    state(client, "products exist", "setup")
    assert [r["id"] for r in db.products()] == ["p-100", "p-200", "p-300"]
    state(client, "products exist", "teardown")
    assert db.count() == 0, "the next interaction starts from an empty table"
    state(client, "a product with id exists", "setup", id="p-7", stock=3)
    assert db.products() == [{"id": "p-7", "name": "Widget", "stock": 3, "warehouse": "berlin-1"}]
    state(client, "a product with id exists", "teardown", id="p-7", stock=3)
    assert db.count() == 0


def test_states_leave_a_seeded_database_as_it_was(inventory) -> None:
    """A candidate verified in its environment keeps its data (the API tests run next)."""
    db, client = inventory
    seeded = {"id": "p-100", "name": "Seeded", "stock": 1, "warehouse": "w"}
    db.insert([seeded])
    state(client, "a product with id exists", "setup", id="p-100", stock=9)
    assert db.product("p-100")["stock"] == 9
    state(client, "a product with id exists", "teardown", id="p-100", stock=9)
    assert db.products() == [seeded]
    state(client, "no product with id exists", "setup", id="p-100")
    assert db.count() == 0
    state(client, "no product with id exists", "teardown", id="p-100")
    assert db.products() == [seeded]


def test_an_unknown_state_is_refused(inventory) -> None:
    _, client = inventory
    answer = client.post("/_pact/provider-states", json={"state": "moon", "action": "setup"})
    assert answer.status_code == 400
    assert client.post("/_pact/provider-states", json={"state": ""}).status_code == 200


# -- no secret in a published contract ---------------------------------------------------------

JWT = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiJkYXNoYm9hcmQifQ" + ".c2lnbmF0dXJl"


def _pact_with_token(folder: Path, token: str) -> Path:
    doc = json.loads((folder / "dashboard-api-inventory-api.json").read_text())
    doc["interactions"][1]["request"]["headers"] = {"Authorization": [f"Bearer {token}"]}
    path = folder / "dashboard-api-inventory-api.json"
    path.write_text(json.dumps(doc))
    return path


def test_publish_refuses_a_pact_with_a_credential_naming_where_never_the_value(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], pact_broker
) -> None:
    _pact_with_token(tmp_path / "pacts", JWT)
    env["PACT_BROKER_BASE_URL"] = pact_broker.url
    code = publish.main(["--version", "c-1", "--branch", "main"], env)
    out = capsys.readouterr()
    assert code == 1
    text = out.out + out.err
    assert JWT not in text
    assert (
        "dashboard-api-inventory-api.json: interaction 1 'a request for all products': "
        "$.request.headers.Authorization[0] looks like a JWT"
    ) in text
    assert pact_broker.requests_to("POST", "/contracts/publish") == [], "nothing was published"


def test_known_fakes_in_the_allowlist_are_published(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _pact_with_token(tmp_path / "pacts", "test-token-for-pacts")
    (tmp_path / "testgate.toml").write_text(
        '[consumer]\npact-dir = "pacts"\nsecrets-allowlist = ["Bearer test-token-for-pacts"]\n'
    )
    env["TESTGATE_PROJECT_FILE"] = str(tmp_path / "testgate.toml")
    assert publish.main([], env) == 0  # no broker: the pacts stay as files
    env["TESTGATE_PROJECT_FILE"] = str(ROOT / "testgate.toml")
    assert publish.main([], env) == 1
    assert "looks like a bearer token" in capsys.readouterr().err


def test_consumer_warns_of_a_credential_in_a_pact(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = tmp_path / "ctests"
    tests.mkdir()
    (tests / "test_token.py").write_text(
        "import os, requests\n"
        "from pact import Pact\n\n"
        "def test_login():\n"
        "    pact = Pact('web', 'api').with_specification('V4')\n"
        "    (pact.upon_receiving('a login').with_request('GET', '/me')\n"
        f"        .with_header('Authorization', 'Bearer {JWT}')\n"
        "        .will_respond_with(200))\n"
        "    with pact.serve() as srv:\n"
        f"        requests.get(f'{{srv.url}}/me', headers={{'Authorization': 'Bearer {JWT}'}}, timeout=5)\n"
        "    pact.write_file(os.environ['TESTGATE_PACT_DIR'])\n"
    )
    env["PYTEST_ADDOPTS"] = "-p no:hypothesispytest"
    assert consumer.main(["--tests", str(tests)], env) == 0
    out = capsys.readouterr()
    warning = "web-api.json: interaction 0 'a login': $.request.headers.Authorization[0] looks like"
    assert warning in out.err
    assert "testgate publish will refuse this pact" in out.err
    assert JWT not in out.out.split("Secret scan")[-1]
