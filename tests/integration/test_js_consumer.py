"""The JavaScript consumer (examples/js-consumer): pact-js from npm under `node --test`, its V4
pact verified against the real Python inventory-api with `testgate verify`.

The suite runs for real (pact-js's mock server is its Rust core, shipped in the npm package);
the pact it writes into TESTGATE_PACT_DIR and the JUnit node writes where told are checked, then
`testgate verify --pact-dir` (the command, not its internals) starts inventory-api in isolation
and replays the pact. A broken copy of the consumer (expecting a field the provider lacks) must
fail verification.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, on_ci, require_tool
from junitparser import JUnitXml

EXAMPLE = ROOT / "examples" / "js-consumer"
PACT_FILE = "web-dashboard-inventory-api.json"
# The states inventory-api's state endpoint handles (examples/inventory-api STATES).
PROVIDER_STATES = {"products exist", "a product with id exists", "no product with id exists"}


def node_suite_command(junit: Path) -> list[str]:
    """The command line a project runs its pact-js suite with (what testgate's wiring will run)."""
    return [
        "node",
        "--test",
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        "--test-reporter=junit",
        f"--test-reporter-destination={junit}",
    ]


def require_node_modules() -> None:
    require_tool("node")
    if not (EXAMPLE / "node_modules" / "@pact-foundation" / "pact" / "package.json").is_file():
        message = (
            f"{EXAMPLE / 'node_modules'} is missing "
            "(make test installs it: scripts/ci/install-tools.sh runs npm ci there)"
        )
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)


def base_env(reports: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PACT_DO_NOT_TRACK"] = "true"
    env["TESTGATE_PLATFORM"] = "local"
    env["TESTGATE_REPORTS_DIR"] = str(reports)
    return env


def run_node_suite(workdir: Path, pact_dir: Path, junit: Path) -> subprocess.CompletedProcess[str]:
    env = base_env(junit.parent)
    env["TESTGATE_PACT_DIR"] = str(pact_dir)
    return subprocess.run(
        node_suite_command(junit),
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def run_verify(pact_dir: Path, reports: Path) -> subprocess.CompletedProcess[str]:
    """`testgate verify` from the repository: testgate.toml starts inventory-api in isolation,
    its downstream pricing-api stubbed from inventory-api's own pact (which its consumer tests
    write into the same folder; here the copy tests/integration/data keeps)."""
    shutil.copy(Path(__file__).with_name("data") / "inventory-api-pricing-api.json", pact_dir)
    return subprocess.run(
        [sys.executable, "-m", "testgate", "verify", "--pact-dir", str(pact_dir)],
        cwd=ROOT,
        env=base_env(reports),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def junit_cases(path: Path) -> list[tuple[str, str, bool]]:
    xml = JUnitXml.fromfile(str(path))
    return [(suite.name, case.name, case.is_passed) for suite in xml for case in suite]


@pytest.fixture(scope="module")
def js_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The example's node suite, run once: (pact folder, JUnit file, output)."""
    require_node_modules()
    out = tmp_path_factory.mktemp("js-consumer")
    pact_dir, junit = out / "pacts", out / "reports" / "consumer.xml"
    junit.parent.mkdir()
    proc = run_node_suite(EXAMPLE, pact_dir, junit)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return pact_dir, junit, proc.stdout


def test_the_node_suite_writes_a_v4_pact_into_testgate_pact_dir(
    js_run: tuple[Path, Path, str],
) -> None:
    pact_dir, _, _ = js_run
    assert sorted(p.name for p in pact_dir.iterdir()) == [PACT_FILE]
    doc = json.loads((pact_dir / PACT_FILE).read_text())
    assert doc["consumer"] == {"name": "web-dashboard"}
    assert doc["provider"] == {"name": "inventory-api"}
    assert doc["metadata"]["pactSpecification"]["version"] == "4.0"
    assert doc["metadata"]["pact-js"]["version"] == pinned_pact_js()
    interactions = {i["description"]: i for i in doc["interactions"]}
    assert sorted(interactions) == [
        "a request for a product that does not exist, from the web dashboard",
        "a request for all products, from the web dashboard",
        "a request for product p-100, from the web dashboard",
    ]
    states = {s["name"] for i in doc["interactions"] for s in i.get("providerStates", [])}
    assert states == PROVIDER_STATES  # only states the provider already handles
    product = interactions["a request for product p-100, from the web dashboard"]
    assert product["providerStates"] == [
        {"name": "a product with id exists", "params": {"id": "p-100", "stock": 7}}
    ]
    assert product["request"]["headers"] == {"Accept": ["application/json"]}


def test_the_node_suite_writes_junit_where_told(js_run: tuple[Path, Path, str]) -> None:
    _, junit, output = js_run
    cases = junit_cases(junit)
    assert len(cases) == 4  # three contract tests and one unit test
    assert all(passed for _, _, passed in cases)
    assert {suite for suite, _, _ in cases} == {
        "inventory-api, as the web dashboard uses it",
        "stock value",
    }
    assert "pass 4" in output  # the spec reporter still reaches the job log


def test_testgate_verify_passes_the_js_pact_against_the_python_provider(
    js_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    pact_dir, _, _ = js_run
    proc = run_verify(pact_dir, tmp_path / "reports")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "3 interactions, 3 passed" in out
    cases = junit_cases(tmp_path / "reports" / "provider-verification.xml")
    assert len(cases) == 3
    assert all(passed for _, _, passed in cases)


def test_a_consumer_expecting_a_field_the_provider_lacks_fails_verification(
    tmp_path: Path,
) -> None:
    require_node_modules()
    work = tmp_path / "js-consumer"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("node_modules", "pacts"))
    (work / "node_modules").symlink_to(EXAMPLE / "node_modules", target_is_directory=True)
    test_file = work / "test" / "inventory.contract.test.js"
    source = test_file.read_text()
    anchor = "  inStock: boolean(true),\n"
    assert anchor in source  # the break below must apply
    test_file.write_text(source.replace(anchor, anchor + "  sku: string('SKU-100'),\n"))

    pact_dir, junit = tmp_path / "pacts", tmp_path / "reports" / "consumer.xml"
    junit.parent.mkdir()
    consumer = run_node_suite(work, pact_dir, junit)
    assert consumer.returncode == 0, consumer.stdout + consumer.stderr  # the consumer is happy

    proc = run_verify(pact_dir, tmp_path / "verify")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "missing the following keys: sku" in out
    failed = {
        name
        for _, name, passed in junit_cases(tmp_path / "verify" / "provider-verification.xml")
        if not passed
    }
    assert failed == {
        "a request for all products, from the web dashboard",
        "a request for product p-100, from the web dashboard",
    }


def pinned_pact_js() -> str:
    """The one place the pact-js version is declared: the example's package.json."""
    package = json.loads((EXAMPLE / "package.json").read_text())
    version = package["devDependencies"]["@pact-foundation/pact"]
    assert version[0].isdigit(), f"pin @pact-foundation/pact exactly, not {version!r}"
    return version


def test_the_lock_file_pins_what_package_json_pins() -> None:
    lock = json.loads((EXAMPLE / "package-lock.json").read_text())
    assert lock["packages"][""]["devDependencies"] == {"@pact-foundation/pact": pinned_pact_js()}
    assert lock["packages"]["node_modules/@pact-foundation/pact"]["version"] == pinned_pact_js()


def test_the_readme_shows_the_command_line_tested_here() -> None:
    readme = (EXAMPLE / "README.md").read_text()
    command = " ".join(node_suite_command(Path("reports/consumer.xml")))
    assert command in " ".join(readme.replace("\\\n", " ").split())


# -- the JavaScript consumer through `testgate pipeline` (its own testgate.toml) ---------------


def monorepo_copy(tmp_path: Path) -> Path:
    """A scratch monorepo: the JS consumer and inventory-api side by side, as in examples/."""
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("node_modules", "pacts", "reports", "__pycache__")
    shutil.copytree(EXAMPLE, root / "js-consumer", ignore=ignore)
    for service in ("inventory-api", "pricing-api"):
        shutil.copytree(ROOT / "examples" / service, root / service, ignore=ignore)
    (root / "js-consumer" / "node_modules").symlink_to(
        EXAMPLE / "node_modules", target_is_directory=True
    )
    return root


def run_pipeline(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "testgate", "pipeline"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_testgate_pipeline_runs_the_js_consumer_and_verifies_its_provider(tmp_path: Path) -> None:
    require_node_modules()
    root = monorepo_copy(tmp_path)
    service = root / "js-consumer"
    env = {k: v for k, v in base_env(tmp_path).items() if k != "TESTGATE_REPORTS_DIR"}
    proc = run_pipeline(service, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "consumer contract tests: 4 tests, 4 passed, 0 failed" in out  # node's JUnit, read
    assert "3 interactions, 3 passed" in out  # the JS pact replayed against the provider
    assert "7 tests, 7 passed" in out  # report: node's 4 and the verification's 3
    assert "skipped: no API tests configured" in out
    assert (service / "pacts" / PACT_FILE).is_file()
    assert len(junit_cases(service / "reports" / "consumer.xml")) == 4


def test_testgate_pipeline_catches_the_js_consumer_breaking_the_contract(tmp_path: Path) -> None:
    require_node_modules()
    root = monorepo_copy(tmp_path)
    test_file = root / "js-consumer" / "test" / "inventory.contract.test.js"
    anchor = "  inStock: boolean(true),\n"
    source = test_file.read_text()
    assert anchor in source
    test_file.write_text(source.replace(anchor, anchor + "  sku: string('SKU-100'),\n"))
    env = {k: v for k, v in base_env(tmp_path).items() if k != "TESTGATE_REPORTS_DIR"}
    proc = run_pipeline(root / "js-consumer", env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "missing the following keys: sku" in out


def test_the_example_testgate_toml_runs_the_command_line_tested_here() -> None:
    from testgate.settings import load_project

    project = load_project(EXAMPLE)  # strict: an unknown key fails here
    command = project.get("consumer", "command")
    assert command == node_suite_command(Path("{junit}"))
    assert project.get("provider", "cwd") == "../inventory-api"
