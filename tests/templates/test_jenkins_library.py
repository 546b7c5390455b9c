"""Static checks of the Jenkins shared library: help texts, defaults, docs, version pins, lint."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import require_tool
from jenkins_harness import (
    JENKINS_ONLY,
    LIBRARY,
    README,
    STEPS,
    VARS,
    VERSION,
    groovy_env,
    parse_groovy_defaults,
    parse_groovy_env,
    parse_help,
    render_readme,
)
from testgate.config import env_var_for

# Inputs whose variable is the tool's own name (Pact, trcli), or a secret bound from a Jenkins
# credential.
TOOL_NAMES = {"brokerUrl": "PACT_BROKER_BASE_URL", "testrailHost": "TESTRAIL_HOST"}
SECRET_VARS = {
    "credentialsId": "PACT_BROKER_TOKEN",
    "usernamePasswordCredentialsId": "PACT_BROKER_USERNAME, PACT_BROKER_PASSWORD",
    "alertWebhookCredentialsId": "TESTGATE_ALERT_WEBHOOK_URL",
    "testrailCredentialsId": "TESTRAIL_USER, TESTRAIL_KEY",
}


def test_every_step_has_its_help_text() -> None:
    steps = sorted(p.stem for p in VARS.glob("*.groovy"))
    assert sorted([*STEPS, "testgateStep"]) == steps
    assert [p.stem for p in VARS.glob("*.txt")]
    assert all((VARS / f"{s}.txt").is_file() for s in steps)


@pytest.mark.parametrize("step", STEPS)
def test_help_documents_exactly_the_arguments_the_step_takes(step: str) -> None:
    documented = {a.name: a.default for a in parse_help(step)}
    assert documented == parse_groovy_defaults(step)


@pytest.mark.parametrize("step", STEPS)
def test_arguments_map_to_the_env_var_named_after_their_input(step: str) -> None:
    wired = parse_groovy_env(step)
    source = (VARS / f"{step}.groovy").read_text(encoding="utf-8")
    for arg in parse_help(step):
        if arg.name in SECRET_VARS:
            assert arg.env == SECRET_VARS[arg.name]
            continue
        if arg.name in JENKINS_ONLY and arg.env is None:
            continue
        expected = TOOL_NAMES.get(arg.name) or env_var_for(arg.kebab)
        assert arg.env == expected, f"{step}.{arg.name}"
        if step == "testgateInstall":
            assert f'"{expected}=' in source, f"{step} never sets {expected}"
        else:
            assert wired.get(arg.name) == expected, f"{step}.{arg.name} is not wired to {expected}"


def test_secret_variables_are_bound_from_credentials_not_passed_as_text() -> None:
    helper = (VARS / "testgateStep.groovy").read_text(encoding="utf-8")
    assert "variable: 'PACT_BROKER_TOKEN'" in helper
    assert "variable: 'TESTGATE_ALERT_WEBHOOK_URL'" in (VARS / "monitor.groovy").read_text()
    report = (VARS / "testReport.groovy").read_text(encoding="utf-8")
    assert "usernameVariable: 'TESTRAIL_USER', passwordVariable: 'TESTRAIL_KEY'" in report
    for path in VARS.glob("*.groovy"):
        text = path.read_text(encoding="utf-8")
        # A secret interpolated into a Groovy string ends up in the sh script and the log.
        assert not re.search(
            r"\$\{?(env\.)?(PACT_BROKER_TOKEN|PACT_BROKER_PASSWORD|TESTRAIL_KEY)", text
        ), path


def test_readme_argument_tables_are_generated_from_the_help_texts() -> None:
    text = README.read_text(encoding="utf-8")
    for step in STEPS:
        assert f"<!-- args:start {step} -->" in text, f"README has no table for {step}"
    assert render_readme(text) == text, (
        "jenkins/README.md is stale: python tests/templates/jenkins_harness.py --update-readme"
    )


def test_tools_ref_default_and_library_pins_equal_version() -> None:
    tag = f"v{VERSION}"
    assert parse_groovy_defaults("testgateInstall")["toolsRef"] == f"'{tag}'"
    pins = []
    for path in [*sorted(LIBRARY.glob("Jenkinsfile*")), README]:
        pins += re.findall(r"@Library\('testgate@([^']*)'\)", path.read_text(encoding="utf-8"))
    assert pins
    assert set(pins) == {tag}
    assert re.search(rf"Default version \| `{re.escape(tag)}`", README.read_text(encoding="utf-8"))


def test_readme_says_how_to_load_the_library_from_its_subfolder() -> None:
    text = README.read_text(encoding="utf-8")
    assert "Library Path" in text
    assert "`jenkins/`" in text
    assert "JENKINS-38609" in text


@pytest.mark.slow
def test_npm_groovy_lint_finds_no_errors() -> None:
    lint = require_tool("npm-groovy-lint")
    proc = subprocess.run(
        [
            lint,
            "--failon",
            "error",
            "--noserver",
            "--output",
            "txt",
            "--path",
            str(LIBRARY),
            "--files",
            "vars/*.groovy,Jenkinsfile*",  # the library; the harness is test code
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=groovy_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Error" in proc.stdout  # the summary table was printed: files were linted


# The same template on the other platforms: GitHub reusable workflows and GitLab includes.
OTHER_PLATFORMS = {
    "consumerContracts": ["consumer-contracts"],
    "providerVerification": ["provider-verification"],
    "apiTests": ["api-tests"],
    "testReport": ["test-report"],
    "canIDeploy": ["can-i-deploy"],
    "recordDeployment": ["record-deployment", "can-i-deploy"],
    "monitor": ["monitor"],
}


def _other_inputs(names: list[str]) -> set[str]:
    yaml = pytest.importorskip("yaml")
    inputs: set[str] = set()
    for name in names:
        github = LIBRARY.parent / ".github" / "workflows" / f"{name}.yml"
        if github.is_file():
            doc = yaml.safe_load(github.read_text(encoding="utf-8"))
            on = doc.get(True) or doc.get("on") or {}
            inputs |= set((on.get("workflow_call") or {}).get("inputs") or {})
        gitlab = LIBRARY.parent / "gitlab" / f"{name}.yml"
        if gitlab.is_file():
            spec = next(yaml.safe_load_all(gitlab.read_text(encoding="utf-8")))
            inputs |= set((spec.get("spec") or {}).get("inputs") or {})
    return inputs


@pytest.mark.parametrize("step", sorted(OTHER_PLATFORMS))
def test_arguments_have_the_names_of_the_github_and_gitlab_inputs(step: str) -> None:
    other = _other_inputs(OTHER_PLATFORMS[step])
    if not other:
        pytest.skip("no GitHub or GitLab template of that name in this checkout")
    ours = {a.input for a in parse_help(step) if a.input}
    assert ours - other == set(), f"{step} takes inputs the other platforms do not name"
    assert {"tools-ref", "tools-repository"} <= other


# Inputs that only move files between jobs or place a job in a pipeline: Jenkins runs every
# stage in one workspace and the Jenkinsfile places the steps itself.
PLUMBING = {
    "artifact-name",
    "artifact-pattern",
    "pact-artifact",
    "report-artifact",
    "pr-comment",
    "job-prefix",
    "stage",
    "needs",
    "ref",
    "python-version",  # Jenkins: the python argument names the agent's interpreter
    "deploy-job",
    "record-deployment",  # GitLab's can-i-deploy include adds the job; Jenkins has the step
    "history-key",  # GitHub's cache key of the history; Jenkins: historyFile in the artifacts
}
COMMON_INPUTS = {"tools-ref", "tools-repository", "pip-install", "reports-dir", "timeout-minutes"}


@pytest.mark.parametrize("step", sorted(OTHER_PLATFORMS))
def test_every_github_and_gitlab_input_has_its_jenkins_argument(step: str) -> None:
    other = _other_inputs(OTHER_PLATFORMS[step][:1])
    if not other:
        pytest.skip("no GitHub or GitLab template of that name in this checkout")
    ours = {a.kebab for a in parse_help(step)} | COMMON_INPUTS
    assert other - PLUMBING - ours == set(), f"{step} lacks arguments for these inputs"
