"""``testgate doctor``: one checklist, ✓ or ✗ with the fix; exit 0 only when everything holds.

The provider is a real one (the example inventory-api, started as verify starts it), the
broker the test Pact Broker driven through the real ``pact`` CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testgate.commands import doctor

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = ROOT / "examples" / "inventory-api"


@pytest.fixture
def env(clean_environ: dict[str, str]) -> dict[str, str]:
    environ = {k: v for k, v in clean_environ.items() if k != "TESTGATE_REPORTS_DIR"}
    return dict(environ, TESTGATE_PLATFORM="local")


def project(root: Path, *, states_path: bool = True, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = [
        "[provider]",
        'name = "inventory-api"',
        'command = ["{python}", "-m", "inventory_api", "--port", "0", "--provider-states"]',
        f"cwd = {json.dumps(str(PROVIDER))}",
        'ready-path = "/health"',
    ]
    if states_path:
        lines.append('states-path = "/_pact/provider-states"')
    (root / "testgate.toml").write_text("\n".join(lines) + "\n" + extra)
    return root


def pact_with(root: Path, *states: str | None) -> None:
    interactions = []
    for i, state in enumerate(states):
        item: dict[str, object] = {
            "type": "Synchronous/HTTP",
            "description": f"interaction {i}",
            "request": {"method": "GET", "path": "/health"},
            "response": {"status": 200},
        }
        if state is not None:
            item["providerStates"] = [{"name": state}]
        interactions.append(item)
    (root / "pacts").mkdir(parents=True, exist_ok=True)
    (root / "pacts" / "dashboard-api-inventory-api.json").write_text(
        json.dumps(
            {
                "consumer": {"name": "dashboard-api"},
                "provider": {"name": "inventory-api"},
                "interactions": interactions,
                "metadata": {"pactSpecification": {"version": "4.0"}},
            }
        )
    )


def run(root: Path, env: dict[str, str], monkeypatch, *args: str) -> int:
    monkeypatch.chdir(root)
    return doctor.main(list(args), env)


def test_all_green_is_exit_0_and_every_state_and_the_empty_state_are_checked(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = project(tmp_path / "svc")
    pact_with(root, "products exist", "a product with id exists", None)
    code = run(root, env, monkeypatch)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "✓ config" in out
    assert "✓ provider" in out
    assert "answers /health" in out
    assert "✓ state 'products exist'" in out
    assert "✓ state 'a product with id exists'" in out
    assert '✓ state "" (no state)' in out
    assert "– broker" in out  # not configured: shown, never failing
    assert "✗" not in out


def test_a_state_without_a_handler_is_a_cross_with_the_fix_and_exit_1(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = project(tmp_path / "svc")
    pact_with(root, "products exist", "a user exists")
    code = run(root, env, monkeypatch)
    out = capsys.readouterr().out
    assert code == 1, out
    assert "✗ state 'a user exists'" in out
    assert "fix: add a handler: @states.state('a user exists')" in out
    assert "✓ state 'products exist'" in out


def test_states_in_the_pacts_without_a_state_endpoint_fail(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = project(tmp_path / "svc", states_path=False)
    pact_with(root, "products exist")
    assert run(root, env, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "✗ states" in out
    assert "set states-path" in out


def test_a_provider_that_does_not_start_names_its_log(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = project(tmp_path / "svc")
    toml = (root / "testgate.toml").read_text().replace("inventory_api", "no_such_module")
    (root / "testgate.toml").write_text(toml)
    assert run(root, env, monkeypatch, "--start-timeout", "20") == 1
    out = capsys.readouterr().out
    assert "✗ provider" in out
    assert "No module named no_such_module" in out  # the tail of its log
    assert str(root / "reports" / "inventory-api.log") in out


def test_a_typo_in_testgate_toml_is_a_config_cross_naming_the_nearest_key(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = project(tmp_path / "svc", extra="")
    text = (root / "testgate.toml").read_text().replace("states-path", "states_path")
    (root / "testgate.toml").write_text(text)
    assert run(root, env, monkeypatch) == 2
    out = capsys.readouterr().out
    assert "✗ config" in out
    assert "unknown key 'states_path' in [provider]; did you mean 'states-path'?" in out


def test_no_testgate_toml_says_run_init(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    (tmp_path / "empty").mkdir()
    assert run(tmp_path / "empty", env, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "✗ config" in out
    assert "fix: run testgate init" in out


def test_an_environment_without_the_service_url_is_a_cross(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = tmp_path / "svc"
    (root / "tests" / "api").mkdir(parents=True)
    (root / "testgate.toml").write_text(
        '[api-tests]\ntests = "tests/api"\nurl-variable = "ORDERS_URL"\n'
    )
    (root / "envs").mkdir()
    (root / "envs" / "beta.env").write_text("ORDERS_URL=https://orders.beta.example.com\n")
    (root / "envs" / "gamma.env").write_text("TIMEOUT=5\n")
    assert run(root, env, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "✓ env beta" in out
    assert "✗ env gamma" in out
    assert "add ORDERS_URL=https://... to" in out


# -- the broker, through the real pact CLI ------------------------------------------------------


def broker_project(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    (root / "tests").mkdir(parents=True)
    (root / "testgate.toml").write_text('[consumer]\nname = "web"\ntests = "tests"\n')
    return root


def test_a_reachable_broker_that_accepts_the_token_is_a_tick(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys, pact_broker_factory
) -> None:
    broker = pact_broker_factory(token="s3cr3t-token")
    env = dict(env, PACT_BROKER_BASE_URL=broker.url, PACT_BROKER_TOKEN="s3cr3t-token")
    assert run(broker_project(tmp_path), env, monkeypatch) == 0
    out = capsys.readouterr().out
    assert "✓ broker" in out
    assert "PACT_BROKER_TOKEN" in out
    assert "s3cr3t-token" not in out


def test_a_refused_token_is_a_cross_naming_the_variable(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys, pact_broker_factory
) -> None:
    broker = pact_broker_factory(token="right-token")
    env = dict(env, PACT_BROKER_BASE_URL=broker.url, PACT_BROKER_TOKEN="wrong-token")
    assert run(broker_project(tmp_path), env, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "✗ broker" in out
    assert "PACT_BROKER_TOKEN" in out
    assert "wrong-token" not in out


def test_an_unreachable_broker_is_a_cross_within_the_timeout(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys, unreachable_url: str
) -> None:
    import time

    env = dict(env, PACT_BROKER_BASE_URL=unreachable_url, PACT_BROKER_TOKEN="some-token")
    started = time.monotonic()
    assert run(broker_project(tmp_path), env, monkeypatch, "--broker-timeout", "5") == 1
    assert time.monotonic() - started < 30  # one attempt, no retries with backoff
    out = capsys.readouterr().out
    assert "✗ broker" in out
    assert unreachable_url in out


def test_doctor_help_has_examples(capsys) -> None:
    assert doctor.main(["--help"], {}) == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "testgate doctor" in out
