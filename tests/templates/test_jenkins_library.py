"""Static checks of the Jenkins shared library: arguments against the settings table, help texts,
docs, version pins, lint."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import require_tool
from jenkins_harness import (
    COMMON_ARGS,
    JENKINS_ONLY,
    LIBRARY,
    README,
    SECRET_VARS,
    STEPS,
    VARS,
    VERSION,
    argument_problems,
    groovy_env,
    kebab,
    parse_groovy_defaults,
    parse_help,
    render_help,
    render_readme,
    table_setting,
)
from testgate.commands import ci
from testgate.settings_table import SETTINGS


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
def test_every_argument_is_a_table_setting_with_its_default(step: str) -> None:
    """Rule 2: the camelCase of a settings_table.py row (or a documented Jenkins-only one)."""
    defaults = {**COMMON_ARGS, **parse_groovy_defaults(step)}
    assert argument_problems(step, defaults) == []


def test_the_argument_check_fails_on_what_the_table_does_not_say() -> None:
    problems = argument_problems(
        "apiTests",
        {
            "envName": "''",  # no such setting
            "shards": "1",  # the table has no default: testgate's must win
            "pactDir": "'pacts'",  # hides testgate.toml [consumer] pact-dir
            "history": "false",  # the table's is true
            "env": "''",
            "publish": "false",
            "credentialsId": "'pact-broker-token'",
        },
    )
    assert [p.split(":")[0] for p in problems] == [
        "apiTests.envName",
        "apiTests.shards",
        "apiTests.pactDir",
        "apiTests.history",
    ]


def test_jenkins_only_arguments_are_no_settings_of_the_table() -> None:
    for name in JENKINS_ONLY:
        assert kebab(name) not in SETTINGS, f"{name} is a setting: take it from the table"


@pytest.mark.parametrize("step", STEPS)
def test_help_texts_are_generated_from_the_table(step: str) -> None:
    """Each argument's variable, type and description come from the table (its help)."""
    text = (VARS / f"{step}.txt").read_text(encoding="utf-8")
    assert render_help(step) == text, (
        f"vars/{step}.txt is stale: python tests/templates/jenkins_harness.py --update-docs"
    )
    for arg in parse_help(step):
        setting = table_setting(arg.name)
        if setting is None:
            assert arg.description, f"{step}.{arg.name}: a Jenkins-only argument needs its help"
            continue
        assert arg.description.startswith(setting.help), f"{step}.{arg.name}"
        if arg.name not in SECRET_VARS:
            assert arg.env == setting.env, f"{step}.{arg.name}"


@pytest.mark.parametrize("step", STEPS)
def test_arguments_reach_the_variable_of_their_setting(step: str) -> None:
    source = (VARS / f"{step}.groovy").read_text(encoding="utf-8")
    for arg in parse_help(step):
        if arg.env is None or arg.name in SECRET_VARS:
            continue
        if step == "testgateInstall":
            assert f'"{arg.env}=' in source, f"{step} never sets {arg.env}"
        else:
            assert re.search(rf"\b{arg.env}\s*:\s*[^,\n]*\b{arg.name}\b", source), (
                f"{step}.{arg.name} is not wired to {arg.env}"
            )


def test_templates_only_wire() -> None:
    """Rule 1: testgate decides; no exit-code arithmetic, shard bounds or trcli pin in Groovy."""
    for path in VARS.glob("*.groovy"):
        code = re.sub(r"//[^\n]*|/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        assert not re.search(r"rc in \[|decided|shards < |trcli==|install[^\n]*trcli", code), path
    report = (VARS / "testReport.groovy").read_text(encoding="utf-8")
    assert "testgate ci report" in report
    assert not re.search(r"run: 'testgate (report|history|testrail)\b", report)
    assert "testgate ci shards" in (VARS / "apiTests.groovy").read_text(encoding="utf-8")


def test_report_step_archives_what_ci_report_writes() -> None:
    report = (VARS / "testReport.groovy").read_text(encoding="utf-8")
    names = re.search(r"List outputs = \[(.*?)\]", report, re.S)
    assert names
    assert re.findall(r"'([^']+)'", names[1]) == [
        ci.REPORT_JSON,
        ci.REPORT_MD,
        ci.MERGED_JUNIT,
        ci.HTML_PAGE,
        ci.TREND_SVG,
    ]


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
        "jenkins/README.md is stale: python tests/templates/jenkins_harness.py --update-docs"
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


# Settings the Jenkins steps take that the GitHub and GitLab templates set themselves: the
# history's path (their cache folder) and the trcli executable (testgate installs it there).
WIRED_ELSEWHERE = {"history-file", "trcli"}


@pytest.mark.parametrize("step", sorted(OTHER_PLATFORMS))
def test_arguments_have_the_names_of_the_github_and_gitlab_inputs(step: str) -> None:
    other = _other_inputs(OTHER_PLATFORMS[step])
    assert other, f"no GitHub or GitLab template for {step}: {OTHER_PLATFORMS[step]}"
    ours = {a.input for a in parse_help(step) if a.input}
    assert ours - other - WIRED_ELSEWHERE == set(), (
        f"{step} takes inputs the other platforms do not name"
    )
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
    assert other, f"no GitHub or GitLab template for {step}: {OTHER_PLATFORMS[step]}"
    ours = {a.kebab for a in parse_help(step)} | COMMON_INPUTS
    assert other - PLUMBING - ours == set(), f"{step} lacks arguments for these inputs"
