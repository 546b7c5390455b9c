"""The callers `testgate init` writes are valid against the templates as they are NOW.

`init` takes every input name from the settings table; the template tests keep the templates'
inputs equal to the table's names. These tests close the loop on the real files: the GitHub
workflow is checked by actionlint against the reusable workflows themselves (a local copy, so
actionlint reads their ``workflow_call`` inputs: an unknown or mistyped input fails) and by
check-jsonschema; the GitLab includes' inputs against each include's ``spec:inputs`` and the
GitLab CI schema; the Jenkinsfile's arguments against each step's defaults map (a step rejects
an unknown argument).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import require_tool
from gitlab_harness import load_yaml, template
from jenkins_harness import parse_groovy_defaults
from testgate import __version__, scaffold

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
REF = f"v{__version__}"

KINDS = {
    # both in one repository: consumer, provider and API tests (the typical Flask service)
    "flask-service": None,
    # a provider-only repository, verifying what its consumers published to the broker
    "provider-only": {
        "pyproject.toml": '[project]\nname = "orders-api"\n',
        "orders/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    },
    # a JavaScript consumer-only repository
    "js-consumer": {
        "package.json": json.dumps({"name": "web", "scripts": {"test": "node --test"}}),
        "test/orders.contract.test.js": (
            "const { PactV4 } = require('@pact-foundation/pact');\n"
            "new PactV4({ consumer: 'web', provider: 'orders-api' });\n"
        ),
    },
}


def make_repo(tmp_path: Path, kind: str) -> Path:
    root = tmp_path / kind
    files = KINDS[kind]
    if files is None:
        shutil.copytree(FIXTURES / kind, root)
        return root
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def callers(root: Path) -> dict[str, str]:
    broker = "https://broker.example.com" if "provider-only" in root.name else None
    found = scaffold.detect(root)
    planned = scaffold.plan_files(found, scaffold.PLATFORMS, broker_url=broker)
    return {p.path: p.content for p in planned}


def _tool_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def local_workflow_repo(tmp_path: Path, workflow: str) -> Path:
    """A repository with the reusable workflows and the caller, `uses:` pointing at them."""
    repo = tmp_path / "gh"
    shutil.copytree(ROOT / ".github" / "workflows", repo / ".github" / "workflows")
    local = re.sub(
        r"uses: [\w.-]+/[\w.-]+/\.github/workflows/([\w-]+\.yml)@v[\d.]+",
        r"uses: ./.github/workflows/\1",
        workflow,
    )
    assert local != workflow  # the caller names the reusable workflows
    (repo / ".github" / "workflows" / "testgate-caller.yml").write_text(local)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def actionlint(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("actionlint"), "-no-color", ".github/workflows/testgate-caller.yml"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=_tool_env(),
        check=False,
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_github_caller_passes_actionlint_against_the_reusable_workflows(
    tmp_path: Path, kind: str
) -> None:
    workflow = callers(make_repo(tmp_path, kind))[".github/workflows/testgate.yml"]
    assert f"@{REF}" in workflow
    proc = actionlint(local_workflow_repo(tmp_path, workflow))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_would_catch_an_input_the_workflows_do_not_have(tmp_path: Path) -> None:
    """The clean result above means something: an unknown input is an actionlint error."""
    workflow = callers(make_repo(tmp_path, "flask-service"))[".github/workflows/testgate.yml"]
    broken = workflow.replace('      tools-ref: "', '      tools-reff: "', 1)
    proc = actionlint(local_workflow_repo(tmp_path, broken))
    assert proc.returncode == 1
    assert "tools-reff" in proc.stdout


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_callers_match_the_github_and_gitlab_schemas(tmp_path: Path, kind: str) -> None:
    checker = require_tool("check-jsonschema")
    files = callers(make_repo(tmp_path, kind))
    out = tmp_path / "out"
    out.mkdir()
    (out / "testgate.yml").write_text(files[".github/workflows/testgate.yml"])
    (out / "gitlab-ci.yml").write_text(files[".gitlab-ci.yml"])
    for schema, name in (
        ("vendor.github-workflows", "testgate.yml"),
        ("vendor.gitlab-ci", "gitlab-ci.yml"),
    ):
        proc = subprocess.run(
            [checker, "--builtin-schema", schema, str(out / name)],
            capture_output=True,
            text=True,
            env=_tool_env(),
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_gitlab_includes_use_only_inputs_the_templates_declare(
    tmp_path: Path, kind: str
) -> None:
    includes = load_yaml(callers(make_repo(tmp_path, kind))[".gitlab-ci.yml"])["include"]
    assert includes
    for inc in includes:
        assert inc["ref"] == REF
        name = Path(inc["file"]).stem
        declared = template(name).inputs
        assert set(inc["inputs"]) <= set(declared), f"{name}: {set(inc['inputs']) - set(declared)}"
        required = {k for k, v in declared.items() if "default" not in v}
        assert required <= set(inc["inputs"]), f"{name} needs {required}"


_CALL = re.compile(r"\b(\w+)\(((?:\w+: [^,()]+(?:, )?)*)\)")


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_jenkinsfile_passes_only_arguments_the_steps_take(tmp_path: Path, kind: str) -> None:
    text = callers(make_repo(tmp_path, kind))["Jenkinsfile"]
    assert f"@Library('testgate@{REF}') _" in text
    common = set(parse_groovy_defaults("testgateInstall")) | {"reportsDir", "timeoutMinutes"}
    steps = {
        "consumerContracts",
        "providerVerification",
        "apiTests",
        "testReport",
        "testgateInstall",
    }
    seen = set()
    for step, args in _CALL.findall(text):
        if step not in steps:
            continue
        seen.add(step)
        names = {a.split(":")[0].strip() for a in args.split(", ") if a}
        takes = set(parse_groovy_defaults(step)) | common
        assert names <= takes, f"{step}: {names - takes}"
    assert {"testgateInstall", "testReport"} <= seen
    assert f"toolsRef: '{REF}'" in text


def test_the_yaml_callers_are_yaml(tmp_path: Path) -> None:
    files = callers(make_repo(tmp_path, "flask-service"))
    workflow = yaml.safe_load(files[".github/workflows/testgate.yml"])
    assert set(workflow["jobs"]) == {
        "consumer-contracts",
        "provider-verification",
        "api-tests",
        "test-report",
    }
    assert workflow["jobs"]["test-report"]["needs"] == [
        "consumer-contracts",
        "provider-verification",
        "api-tests",
    ]
