"""The walking skeleton end to end: real pytest, real pact-python mock server and Verifier,
the real Flask provider started on 127.0.0.1 port 0, its downstream served by the real
`pact stub` from its own pact (the chain dashboard-api -> inventory-api -> pricing-api)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from junitparser import JUnitXml
from testgate.commands import consumer, pipeline, verify

ROOT = Path(__file__).resolve().parents[2]
# inventory-api's pact with pricing-api, as its consumer tests write it (checked by test_chain.py)
PRICING_PACT = Path(__file__).with_name("data") / "inventory-api-pricing-api.json"


@pytest.fixture
def env(clean_environ: dict[str, str], tmp_path: Path) -> dict[str, str]:
    clean_environ["TESTGATE_PACT_DIR"] = str(tmp_path / "pacts")
    clean_environ["TESTGATE_PLATFORM"] = "local"
    return clean_environ


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "testgate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_pipeline_passes_on_the_example_services(env: dict[str, str], tmp_path: Path) -> None:
    proc = run_cli(["pipeline", "--env", "local"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reports = tmp_path / "reports"
    report = json.loads((reports / "report.json").read_text())
    assert report["decision"] == "pass"
    # 6 consumer tests (dashboard-api's 4 HTTP + 1 of events, inventory-api's 1 of pricing-api)
    # + 7 interactions (5 HTTP, 2 messages) + 6 API tests, each from its own report
    assert report["totals"]["tests"] == 19
    assert report["totals"]["passed"] == 19
    assert sorted(Path(f["path"]).name for f in report["files"]) == [
        "api.xml",
        "consumer.xml",
        "provider-verification.xml",
    ]
    pacts = tmp_path / "pacts"
    assert sorted(p.name for p in pacts.glob("*.json")) == [
        "dashboard-api-inventory-api.json",
        "inventory-api-pricing-api.json",
    ]
    pact_doc = json.loads((pacts / "dashboard-api-inventory-api.json").read_text())
    assert pact_doc["metadata"]["pactSpecification"]["version"] == "4.0"
    kinds = [i["type"] for i in pact_doc["interactions"]]
    assert kinds.count("Synchronous/HTTP") == 5
    assert kinds.count("Asynchronous/Messages") == 2  # the events, in the same V4 pact
    junit = JUnitXml.fromfile(str(reports / "provider-verification.xml"))
    cases = {case.name for suite in junit for case in suite}
    assert {"a stock-changed event", "a stock-changed event for a sold-out product"} <= cases
    # pricing-api was the Pact stub for both verification and the API tests, logged beside them
    for log in ("inventory-api", "inventory-api.api-tests"):
        stub_log = (reports / f"{log}.pricing-api-stub.log").read_text()
        port = re.search(r"Server started on port (\d+)", stub_log)
        assert port, stub_log
        provider_log = (reports / f"{log}.log").read_text()
        assert f"prices from http://127.0.0.1:{port[1]}" in provider_log
        assert "Received HTTP Request ( method: GET, path: /prices/p-100" in stub_log
    assert "3 rows of data set 'seed'" in (reports / "inventory-api.api-tests.log").read_text()
    assert "data set" not in (reports / "inventory-api.log").read_text(), "states seed verify"
    assert "pricing-api stubbed at http://127.0.0.1:" in proc.stdout
    assert "Secret scan: no value in the 2 pacts looks like a credential" in proc.stdout
    assert "consumer" in proc.stdout
    assert "verify" in proc.stdout
    assert "api-tests" in proc.stdout


def test_pipeline_catches_the_broken_contract(env: dict[str, str], tmp_path: Path) -> None:
    env["EXAMPLE_BREAK"] = "provider"
    proc = run_cli(["pipeline", "--env", "local"], env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    # the summary names the failing interaction and the mismatch
    assert "a request for all products" in out
    assert "Actual map is missing the following keys: price" in out
    junit = JUnitXml.fromfile(str(tmp_path / "reports" / "provider-verification.xml"))
    cases = [case for suite in junit for case in suite]
    assert len(cases) == 7  # one testcase per interaction (the 2 messages pass)
    failed = {case.name for case in cases if not case.is_passed}
    assert failed == {
        "a request for all products",
        "a request for all products, for the stock value",
        "a request for product p-100",
        "a request for product p-100, for the stock value",
    }
    texts = " ".join(r.text or "" for case in cases for r in case.result)
    assert "missing the following keys: price" in texts
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["decision"] == "fail"


def test_pipeline_catches_downstream_drift_at_inventory_apis_consumer_stage(
    env: dict[str, str], tmp_path: Path
) -> None:
    """`make pipeline BREAK=pricing`: inventory-api's client of pricing-api drifts from its pact."""
    env["EXAMPLE_BREAK"] = "pricing"
    proc = run_cli(["pipeline", "--env", "local"], env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert re.search(r"consumer\s+FAIL", out), out[-2000:]
    assert "skipping verify" in out  # pacts of failing tests are never verified
    reports = tmp_path / "reports"
    cases = {
        case.name: case
        for suite in JUnitXml.fromfile(str(reports / "consumer.xml"))
        for case in suite
    }
    failed = sorted(name for name, case in cases.items() if not case.is_passed)
    assert failed == ["test_gets_the_price_of_a_product"], failed  # inventory-api's own test
    assert "Unexpected query parameter 'currency' received" in cases[failed[0]].result[0].text
    assert not (reports / "provider-verification.xml").exists()
    # and the API tests against inventory-api, its pricing-api stubbed: the stub says why
    assert "the pricing-api stub could not answer" in out
    assert "GET /prices/p-100?currency=EUR" in out


def test_verify_without_pacts_is_undecided_not_a_pass(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "pacts").mkdir()
    code = verify.main([], env)
    assert code == 3
    assert not (tmp_path / "reports" / "provider-verification.xml").exists()


def _write_pact(folder: Path, state: str) -> None:
    """A dashboard-api pact needing ``state``, and inventory-api's pact with pricing-api (its stub)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PRICING_PACT, folder / PRICING_PACT.name)
    doc = {
        "consumer": {"name": "dashboard-api"},
        "provider": {"name": "inventory-api"},
        "interactions": [
            {
                "type": "Synchronous/HTTP",
                "description": "a request needing an unknown state",
                "providerStates": [{"name": state}],
                "request": {"method": "GET", "path": "/health"},
                "response": {"status": 200},
            }
        ],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    (folder / "dashboard-api-inventory-api.json").write_text(json.dumps(doc))


def test_a_state_without_handler_fails_fast(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_pact(tmp_path / "pacts", "the moon is made of cheese")
    started = time.monotonic()
    code = verify.main([], env)
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2, err
    assert "the moon is made of cheese" in err
    assert elapsed < 20  # the Pact core alone would retry for minutes


def test_a_provider_that_cannot_start_is_exit_3_with_its_log(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_pact(tmp_path / "pacts", "products exist")
    command = f"{sys.executable} -c \"import sys; print('boom: port already taken'); sys.exit(7)\""
    code = verify.main(["--provider-command", command], env)
    err = capsys.readouterr().err
    assert code == 3
    assert "exited with code 7" in err
    assert "boom: port already taken" in err  # the tail of its log


def test_consumer_failure_is_a_failed_gate(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = tmp_path / "ctests"
    tests.mkdir()
    (tests / "test_fails.py").write_text("def test_no():\n    assert 1 == 2\n")
    code = consumer.main(["--tests", str(tests)], env)
    assert code == 1
    assert (tmp_path / "reports" / "consumer.xml").is_file()
    assert "FAIL" in capsys.readouterr().out


def test_consumer_with_no_tests_is_undecided(env: dict[str, str], tmp_path: Path) -> None:
    tests = tmp_path / "empty"
    tests.mkdir()
    assert consumer.main(["--tests", str(tests)], env) == 3


def test_unknown_environment_is_a_usage_error_naming_the_known_ones(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = pipeline.main(["--env", "staging"], env)
    err = capsys.readouterr().err
    assert code == 2
    assert "staging" in err
    for name in ("alpha", "beta", "gamma", "local", "prod"):
        assert name in err


def test_missing_service_url_names_the_variable_and_the_file(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    envs = tmp_path / "envs"
    envs.mkdir()
    (envs / "qa.env").write_text("TESTGATE_START_PROVIDER=false\nINVENTORY_API_URL=\n")
    from testgate.commands import api_tests

    code = api_tests.main(["--env", "qa", "--envs-dir", str(envs)], env)
    err = capsys.readouterr().err
    assert code == 2
    assert "INVENTORY_API_URL" in err
    assert str(envs / "qa.env") in err


def test_pipeline_through_a_broker_publishes_and_verifies(
    env: dict[str, str], tmp_path: Path, pact_broker_factory, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(ROOT)
    token = "pipeline-token-93c1"
    broker = pact_broker_factory(token=token)
    env["PACT_BROKER_TOKEN"] = token
    code = pipeline.main(["--broker", broker.url, "--version", "v-abc", "--branch", "main"], env)
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert code == 0, out
    assert token not in out
    assert "publish" in out
    # the pact reached the broker, and the provider's result went back to it
    assert [(v.provider_version, v.success) for v in broker.state.verifications] == [
        ("v-abc", True)
    ]
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["totals"]["tests"] == 19
    # both consumers' pacts went to the broker; inventory-api's results, messages included
    published = {(p.consumer, p.provider) for p in broker.state.publications}
    assert published == {("dashboard-api", "inventory-api"), ("inventory-api", "pricing-api")}


def test_pipeline_never_publishes_pacts_of_failing_consumer_tests(
    env: dict[str, str], tmp_path: Path, pact_broker, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(ROOT)
    tests = tmp_path / "ctests"
    tests.mkdir()
    (tests / "test_fails.py").write_text("def test_no():\n    assert 1 == 2\n")
    env["TESTGATE_CONSUMER_TESTS"] = str(tests)
    code = pipeline.main(["--broker", pact_broker.url, "--version", "v1", "--branch", "main"], env)
    err = capsys.readouterr().err
    # These consumer tests wrote no pact of inventory-api with pricing-api either, so the API
    # tests cannot stub pricing-api: the pipeline stops there, undecided, never a pass.
    assert code == 2
    assert "no pact for the stub of PRICING_API_URL" in err
    assert "inventory-api-pricing-api.json does not exist" in err
    assert "skipping publish" in err
    assert pact_broker.state.verifications == []
    assert pact_broker.requests_to("POST", "/contracts/publish") == []


def test_a_contract_only_project_runs_the_pipeline_without_api_tests_or_envs(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No [api-tests], no envs/: the API-test stage is skipped with a line, the rest decides."""
    root = tmp_path / "service"
    root.mkdir()
    examples = ROOT / "examples"
    (root / "testgate.toml").write_text(
        f"""\
[consumer]
name = "dashboard-api"
tests = {json.dumps(str(examples / "dashboard-api" / "tests" / "contract"))}

[provider]
name = "inventory-api"
command = ["{{python}}", "-m", "inventory_api", "--port", "0", "--provider-states"]
cwd = {json.dumps(str(examples / "inventory-api"))}
ready-path = "/health"
states-path = "/_pact/provider-states"

[provider.messages]
handler = "inventory_api.events:pact_message"
""",
        encoding="utf-8",
    )
    env["TESTGATE_PROJECT_FILE"] = str(root / "testgate.toml")
    code = pipeline.main(["--env", "local"], env)
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "api-tests: skipped: no API tests configured" in out.out
    assert "[api-tests] tests in testgate.toml" in out.out
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["decision"] == "pass"
    assert sorted(Path(f["path"]).name for f in report["files"]) == [
        "consumer.xml",
        "provider-verification.xml",
    ]


def test_a_project_with_nothing_to_run_is_a_usage_error(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "testgate.toml").write_text("", encoding="utf-8")
    env["TESTGATE_PROJECT_FILE"] = str(tmp_path / "testgate.toml")
    assert pipeline.main([], env) == 2
    assert "nothing to run" in capsys.readouterr().err


def test_every_stage_reads_the_project_file_the_pipeline_was_given(
    env: dict[str, str], tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--project-file reaches the stages: here a project with API tests only."""
    root = tmp_path / "service"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_ok.py").write_text(
        "import os\n\ndef test_ok():\n    assert os.environ['SERVICE_URL'] == 'http://x.test'\n"
    )
    (root / "testgate.toml").write_text(
        '[api-tests]\ntests = "tests"\nurl-variable = "SERVICE_URL"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)  # no testgate.toml here or above
    env["SERVICE_URL"] = "http://x.test"
    env["PYTEST_ADDOPTS"] = "-p no:hypothesispytest"
    code = pipeline.main(["--project-file", str(root / "testgate.toml")], env)
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "consumer: skipped: no consumer tests configured" in out.out
    assert "verify: skipped: no provider configured" in out.out
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert [Path(f["path"]).name for f in report["files"]] == ["api.xml"]
