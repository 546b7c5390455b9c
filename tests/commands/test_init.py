"""``testgate init``: what it finds in a repository, what it writes, and what it never overwrites."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from adoption_snippets import glue
from testgate import __version__, scaffold
from testgate.commands import init
from testgate.settings import load_project, setting
from testgate.settings_table import SETTINGS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FLASK_SERVICE = FIXTURES / "flask-service"


@pytest.fixture
def env(clean_environ: dict[str, str]) -> dict[str, str]:
    environ = {k: v for k, v in clean_environ.items() if k != "TESTGATE_REPORTS_DIR"}
    return dict(environ, TESTGATE_PLATFORM="local")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_init(root: Path, env: dict[str, str], monkeypatch, *args: str) -> int:
    monkeypatch.chdir(root)
    return init.main(list(args), env)


PY_CONSUMER = {
    "tests/pact/test_orders_contract.py": (
        'from pact import Pact\n\ndef test_x():\n    pact = Pact("web-shop", "orders-api")\n'
    ),
}
FASTAPI_APP = {
    "pyproject.toml": '[project]\nname = "orders-api"\n',
    "src/orders/main.py": (
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        '@app.get("/orders")\ndef orders():\n    return []\n\n'
        '@app.get("/ready")\ndef ready():\n    return {}\n'
    ),
}
JS_CONSUMER = {
    "package.json": json.dumps({"name": "@shop/web", "scripts": {"test": "node --test"}}),
    "test/orders.contract.test.js": (
        "const { PactV4 } = require('@pact-foundation/pact');\n"
        "const provider = new PactV4({ consumer: 'web', provider: 'orders-api' });\n"
    ),
}


# -- what it finds -----------------------------------------------------------------------------


def test_detects_the_typical_flask_service() -> None:
    found = scaffold.detect(FLASK_SERVICE)
    assert (found.consumer, found.consumer_tests, found.consumer_runner) == (
        "storefront",
        "tests/contract",
        "pytest",
    )
    assert found.providers_called == ("bookshop",)
    assert found.provider == "bookshop"
    assert found.app is not None
    assert (found.app.framework, found.app.module, found.app.attr) == (
        "flask",
        "bookshop.app",
        "app",
    )
    assert found.app.ready_path == "/healthz"
    assert found.app.states_path is None  # no glue yet
    assert (found.api_tests, found.url_variable) == ("tests/api", "BOOKSHOP_URL")
    assert found.pip_install == "-r requirements.txt"


def test_the_state_glue_module_is_what_testgate_starts(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    shutil.copytree(FLASK_SERVICE, root)
    (root / glue().options["file"]).write_text(glue().text)
    found = scaffold.detect(root)
    assert found.app is not None
    assert found.app.module == "bookshop.pact_states"
    assert found.app.states_path == "/_pact/provider-states"
    assert "bookshop.pact_states:app" in found.app.command


def test_detects_a_fastapi_provider_under_src_and_its_ready_route(tmp_path: Path) -> None:
    found = scaffold.detect(write(tmp_path, FASTAPI_APP))
    assert found.app is not None
    assert (found.app.framework, found.app.module, found.app.cwd) == (
        "fastapi",
        "orders.main",
        "src",
    )
    assert found.app.command[:4] == ["{python}", "-m", "uvicorn", "orders.main:app"]
    assert found.app.ready_path == "/ready"
    assert found.provider == "orders-api"
    assert not found.is_consumer


def test_detects_a_pact_js_consumer_and_its_node_command(tmp_path: Path) -> None:
    found = scaffold.detect(write(tmp_path, JS_CONSUMER))
    assert found.consumer == "web"
    assert found.consumer_runner == "node --test"
    assert found.consumer_command is not None
    assert "--test-reporter-destination={junit}" in found.consumer_command
    assert found.consumer_cwd == "."
    assert found.app is None


@pytest.mark.parametrize(
    ("package", "runner", "word"),
    [
        pytest.param({"devDependencies": {"jest": "29"}}, "jest", "jest-junit", id="jest"),
        pytest.param(
            {"devDependencies": {"vitest": "3"}},
            "vitest",
            "--outputFile.junit={junit}",
            id="vitest",
        ),
        pytest.param(
            {"devDependencies": {"mocha": "10"}}, "mocha", "mochaFile={junit}", id="mocha"
        ),
        pytest.param({}, "node --test", "--test-reporter=junit", id="node"),
    ],
)
def test_js_runners_write_junit_where_testgate_says(package, runner: str, word: str) -> None:
    got_runner, command = scaffold.js_command(package)
    assert got_runner == runner
    assert any(word in part for part in command)


def test_a_django_project_is_started_with_runserver(tmp_path: Path) -> None:
    write(
        tmp_path, {"manage.py": "import django\n", "pyproject.toml": '[project]\nname = "acct"\n'}
    )
    found = scaffold.detect(tmp_path)
    assert found.app is not None
    assert found.app.command[1:3] == ["manage.py", "runserver"]


# -- what it writes ------------------------------------------------------------------------------


def test_init_writes_a_strictly_valid_toml_and_callers_pinned_to_this_release(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = tmp_path / "bookshop"
    shutil.copytree(FLASK_SERVICE, root)
    assert run_init(root, env, monkeypatch, "--ci", "github,gitlab,jenkins") == 0
    out = capsys.readouterr().out
    project = load_project(root)  # strict: raises on an unknown key
    assert project.get("consumer", "name") == "storefront"
    assert project.get("provider", "ready-path") == "/healthz"
    assert project.get("api-tests", "url-variable") == "BOOKSHOP_URL"
    ref = f"v{__version__}"
    assert ref == setting("tools-ref").default
    github = (root / ".github/workflows/testgate.yml").read_text()
    assert f"consumer-contracts.yml@{ref}" in github
    assert f'tools-ref: "{ref}"' in github
    gitlab = (root / ".gitlab-ci.yml").read_text()
    assert f"ref: {ref}" in gitlab
    jenkins = (root / "Jenkinsfile").read_text()
    assert f"@Library('testgate@{ref}') _" in jenkins
    assert "START_PROVIDER=true" in (root / "envs/local.env").read_text()
    assert "next steps:" in out
    assert "add the provider-state glue" in out  # no glue yet: said first
    assert "testgate doctor" in out


def test_init_never_overwrites_without_force(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = write(tmp_path / "svc", {**PY_CONSUMER, "testgate.toml": "# mine\n"})
    assert run_init(root, env, monkeypatch, "--ci", "none") == 0
    assert (root / "testgate.toml").read_text() == "# mine\n"
    assert "kept:  testgate.toml (exists; --force replaces it)" in capsys.readouterr().out
    assert run_init(root, env, monkeypatch, "--ci", "none", "--force") == 0
    assert tomllib.loads((root / "testgate.toml").read_text())["consumer"]["name"] == "web-shop"


def test_init_without_ci_writes_callers_for_the_ci_files_the_repo_has(
    tmp_path: Path, env: dict[str, str], monkeypatch
) -> None:
    root = write(tmp_path / "svc", {**PY_CONSUMER, ".gitlab-ci.yml": "stages: [test]\n"})
    assert run_init(root, env, monkeypatch) == 0
    assert (root / ".gitlab-ci.yml").read_text() == "stages: [test]\n"  # kept, not replaced
    assert not (root / ".github").exists()
    assert not (root / "Jenkinsfile").exists()


def test_a_provider_only_repo_verifies_from_the_broker(
    tmp_path: Path, env: dict[str, str], monkeypatch
) -> None:
    root = write(tmp_path / "svc", FASTAPI_APP)
    code = run_init(
        root, env, monkeypatch, "--ci", "github", "--broker-url", "https://broker.example.com"
    )
    assert code == 0
    github = (root / ".github/workflows/testgate.yml").read_text()
    assert "broker: true" in github
    assert 'broker-url: "https://broker.example.com"' in github
    assert "PACT_BROKER_TOKEN: ${{ secrets.PACT_BROKER_TOKEN }}" in github
    assert "consumer-contracts" not in github


def test_an_unknown_platform_and_an_empty_repo_are_usage_errors(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = write(tmp_path / "svc", PY_CONSUMER)
    assert run_init(root, env, monkeypatch, "--ci", "circleci") == 2
    assert "unknown platform circleci" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_init(empty, env, monkeypatch) == 2
    assert "found nothing testgate runs" in capsys.readouterr().err
    assert not (empty / "testgate.toml").exists()


def test_every_name_init_writes_comes_from_the_settings_table(tmp_path: Path) -> None:
    root = write(tmp_path, {**PY_CONSUMER, **FASTAPI_APP, "requirements.txt": "x\n"})
    found = scaffold.detect(root)
    jobs = scaffold.plan_jobs(found, broker_url="https://broker.example.com")
    for inputs in (jobs.consumer, jobs.provider, jobs.report):
        assert inputs
        for name in inputs:
            assert setting(name).input or setting(name).kind == "template"
    text = scaffold.render_toml(found)
    keys = {(section, key) for section, body in tomllib.loads(text).items() for key in body}
    table = {(s.toml_section, s.toml_key) for s in SETTINGS.values() if s.toml}
    assert keys <= table


def test_init_help_has_examples(capsys) -> None:
    assert init.main(["--help"], {}) == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "testgate init --ci github" in out
    assert "--force" in out
