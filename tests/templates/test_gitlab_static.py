"""Static checks of the GitLab include files (gitlab/*.yml), the examples and gitlab/README.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from gitlab_harness import (
    EXAMPLES,
    GITLAB_DIR,
    ROOT,
    TEMPLATES,
    TOOLS_PROJECT,
    VERSION,
    Reference,
    load_gen_docs,
    load_yaml,
    split,
    template,
)
from testgate.config import env_var_for

KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# Inputs that shape the GitLab jobs themselves rather than reach testgate.
STRUCTURAL = {
    "job-prefix",
    "stage",
    "needs",
    "python-version",
    "timeout-minutes",
    "deploy-job",
    "history-key",  # a cache key
}
# Tool inputs keep the tool's own variable name (STYLE.md section 2).
TOOL_VARS = {"broker-url": "PACT_BROKER_BASE_URL", "testrail-host": "TESTRAIL_HOST"}
GITLAB_ONLY = {"job-prefix", "stage", "needs", "deploy-job", "record-deployment"}
# Keywords that, at the top level of an include, would change every job of the caller.
GLOBAL_KEYWORDS = {"default", "image", "services", "before_script", "after_script", "cache"}

params = pytest.mark.parametrize("name", TEMPLATES)


def visible_jobs(name: str) -> dict[str, dict]:
    jobs = template(name).jobs()
    return {k: v for k, v in jobs.items() if not k.startswith(".") and isinstance(v, dict)}


def test_every_template_file_is_listed() -> None:
    on_disk = {p.stem for p in GITLAB_DIR.glob("*.yml") if not p.name.startswith("example")}
    assert on_disk == set(TEMPLATES)


@params
def test_template_has_a_header_comment_and_a_spec(name: str) -> None:
    text = (GITLAB_DIR / f"{name}.yml").read_text(encoding="utf-8")
    assert text.startswith("# "), "start with a 1-3 line comment saying what the file does"
    header, body = split(GITLAB_DIR / f"{name}.yml")
    assert "spec:" in header, "a spec: inputs header, '---', then the jobs"
    assert body.strip()


@params
def test_inputs_are_kebab_case_and_described(name: str) -> None:
    inputs = template(name).inputs
    assert {"job-prefix", "stage", "tools-ref", "tools-repository"} <= set(inputs)
    for key, spec in inputs.items():
        assert KEBAB.match(key), f"{name}: input {key!r} is not kebab-case"
        assert spec.get("description"), f"{name}: input {key!r} has no description"
        assert not {"gitlab", "github", "jenkins"} & set(key.split("-")), "never name a platform"


@params
def test_jobs_document_is_yaml_before_interpolation(name: str) -> None:
    """GitLab parses the YAML first and interpolates the inputs afterwards."""
    import yaml

    jobs = load_yaml(template(name).body)
    assert isinstance(jobs, dict)
    assert f".testgate-{name}-base" in jobs
    with pytest.raises(yaml.YAMLError):  # the check can fail: $[[ in a flow sequence
        load_yaml("job:\n  paths: [$[[ inputs.x ]]/a]\n")


@params
def test_every_input_is_used_and_every_use_is_declared(name: str) -> None:
    tpl = template(name)
    assert tpl.used_inputs() == set(tpl.inputs), (
        f"{name}: declared but unused {set(tpl.inputs) - tpl.used_inputs()}, "
        f"used but undeclared {tpl.used_inputs() - set(tpl.inputs)}"
    )


@params
def test_every_input_reaches_its_variable(name: str) -> None:
    tpl = template(name)
    body = tpl.body
    for key in set(tpl.inputs) - STRUCTURAL:
        var = TOOL_VARS.get(key, env_var_for(key))
        assert re.search(
            rf"^\s+{var}: \$\[\[ inputs\.{re.escape(key)} \]\]$", body, flags=re.MULTILINE
        ), f"{name}: input {key!r} does not reach the variable {var}"


@params
def test_tools_ref_default_equals_version(name: str) -> None:
    inputs = template(name).inputs
    assert inputs["tools-ref"]["default"] == f"v{VERSION}"
    assert inputs["tools-repository"]["default"] == TOOLS_PROJECT


@params
def test_no_global_keywords(name: str) -> None:
    jobs = template(name).jobs()
    assert not (GLOBAL_KEYWORDS | {"variables", "stages", "workflow", "include"}) & set(jobs), (
        f"{name}: an include must not change the caller's other jobs"
    )


@params
def test_one_hidden_base_job_that_every_job_extends(name: str) -> None:
    jobs = template(name).jobs()
    hidden = [k for k in jobs if k.startswith(".")]
    assert hidden == [f".testgate-{name}-base"]
    visible = visible_jobs(name)
    assert visible
    for job_name, job in visible.items():
        assert job_name.startswith("pact-"), "job names are <job-prefix>-<verb>"
        assert job["extends"] == f".testgate-{name}-base"
        assert "allow_failure" not in job, "a gate job is never allow_failure"


@params
def test_base_job_installs_testgate_at_tools_ref(name: str) -> None:
    base = template(name).jobs()[f".testgate-{name}-base"]
    script = "\n".join(base["before_script"])
    assert "@$TESTGATE_TOOLS_REF" in script
    assert "$TESTGATE_TOOLS_REPOSITORY" in script
    assert not re.search(r"\b(main|master)\b", script), "never install from main"
    assert "TESTGATE_INSTALL" in script, "the skip switch for prepared images and tests"
    assert not _uses_inputs(base), "the base job must not depend on the inputs"
    for job in visible_jobs(name).values():
        assert job["variables"]["TESTGATE_TOOLS_REF"] == f"v{VERSION}"


def _uses_inputs(value: object) -> bool:
    return "$[[" in repr(value)


def test_base_jobs_are_the_same_in_every_file() -> None:
    def normal(name: str) -> dict:
        base = dict(template(name).jobs()[f".testgate-{name}-base"])
        base.pop("rules")  # when a job runs is the one thing that differs
        return base

    first = normal(TEMPLATES[0])
    for name in TEMPLATES[1:]:
        assert normal(name) == first, f"{name}: base job drifted from {TEMPLATES[0]}"


@params
def test_test_jobs_keep_junit_and_dotenv_even_when_failing(name: str) -> None:
    for job_name, job in visible_jobs(name).items():
        artifacts = job["artifacts"]
        assert artifacts["when"] == "always", job_name
        if "junit" in artifacts.get("reports", {}):
            assert artifacts["reports"]["junit"].startswith("reports/")
        if job_name != "pact-record-deployment":
            assert artifacts["reports"]["dotenv"] == "reports/testgate.env", job_name
    junit = {
        j: job["artifacts"].get("reports", {}).get("junit") for j, job in visible_jobs(name).items()
    }
    expected = {
        "consumer-contracts": {"pact-consumer-contracts": "reports/consumer.xml"},
        "provider-verification": {
            "pact-provider-verification": "reports/provider-verification.xml"
        },
        "api-tests": {"pact-api-tests": "reports/api*.xml"},  # api.xml or api-shard-<i>.xml
        "monitor": {"pact-monitor": "reports/monitor.xml"},
    }.get(name)
    if expected:
        assert {k: v for k, v in junit.items() if v} == expected


def test_deploy_jobs_declare_environment_and_resource_group() -> None:
    jobs = visible_jobs("can-i-deploy")
    record = jobs["pact-record-deployment"]
    assert record["environment"] == {"name": "alpha", "action": "verify"}
    assert record["resource_group"] == "pact-broker-alpha"
    assert record["needs"] == [{"job": "deploy", "artifacts": False}]
    assert jobs["pact-can-i-deploy"]["environment"]["action"] == "prepare"
    # record-deployment can be switched off, and otherwise follows the base job's rules
    rules = record["rules"]
    assert rules[0] == {"if": '"true" != "true"', "when": "never"}
    assert isinstance(rules[1], Reference)
    assert rules[1] == [".testgate-can-i-deploy-base", "rules"]


def test_report_job_runs_always_and_scheduled_jobs_only_on_schedules() -> None:
    report = template("test-report").jobs()[".testgate-test-report-base"]
    assert {"when": "always"} in report["rules"]
    monitor = template("monitor").jobs()[".testgate-monitor-base"]
    assert monitor["rules"][0] == {"if": '$CI_PIPELINE_SOURCE == "schedule"', "when": "on_success"}
    assert monitor["rules"][-1] == {"when": "never"}


def test_check_jsonschema_gitlab_ci(tmp_path: Path) -> None:
    """The builtin GitLab CI schema on every file, with the spec: header split off first."""
    files: list[Path] = []
    for name in TEMPLATES:
        tpl = template(name)
        head = tmp_path / f"{name}.spec.yml"
        head.write_text(tpl.header, encoding="utf-8")
        # The schema cannot type an array input, so validate what GitLab sees after
        # interpolation; a !reference [job, key] is the nested string list the schema models.
        jobs = tmp_path / f"{name}.jobs.yml"
        jobs.write_text(re.sub(r"!reference (?=\[)", "", tpl.interpolate()), encoding="utf-8")
        files += [head, jobs]
    files += [GITLAB_DIR / e for e in EXAMPLES]
    proc = subprocess.run(
        [
            str(Path(ROOT / ".venv" / "bin" / "check-jsonschema"))
            if (ROOT / ".venv" / "bin" / "check-jsonschema").exists()
            else "check-jsonschema",
            "--builtin-schema",
            "vendor.gitlab-ci",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_jsonschema_would_catch_a_broken_template(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("pact-x:\n  stage: test\n  script: [true]\n  artifacts: {when: sometimes}\n")
    exe = ROOT / ".venv" / "bin" / "check-jsonschema"
    proc = subprocess.run(
        [str(exe), "--builtin-schema", "vendor.gitlab-ci", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1


def _includes(name: str) -> list[dict]:
    return load_yaml((GITLAB_DIR / name).read_text(encoding="utf-8"))["include"]


def test_example_includes_every_template_pinned_to_the_release() -> None:
    includes = _includes("example.gitlab-ci.yml")
    files = set()
    for inc in includes:
        assert inc["project"] == TOOLS_PROJECT
        assert inc["ref"] == f"v{VERSION}", "a service pins a tag, never main"
        files.add(inc["file"])
    assert files == {f"gitlab/{t}.yml" for t in TEMPLATES}


def test_local_example_is_the_same_pipeline() -> None:
    project = load_yaml((GITLAB_DIR / "example.gitlab-ci.yml").read_text(encoding="utf-8"))
    local = load_yaml((GITLAB_DIR / "example-local.gitlab-ci.yml").read_text(encoding="utf-8"))
    project["include"] = [
        {"local": inc["file"], "inputs": inc.get("inputs", {})} for inc in project["include"]
    ]
    assert project == local


def test_example_inputs_are_declared() -> None:
    for example in EXAMPLES:
        for inc in _includes(example):
            name = Path(inc.get("file") or inc["local"]).stem
            declared = template(name).inputs
            assert set(inc.get("inputs", {})) <= set(declared), f"{example}: {name}"
            required = {k for k, v in declared.items() if "default" not in v}
            assert required <= set(inc.get("inputs", {})), f"{example}: {name} needs {required}"


@params
def test_same_input_names_as_the_github_workflows(name: str) -> None:
    """A GitLab input is a GitHub input of the same workflow, unless it shapes GitLab jobs.

    GitHub may have more (artifact names, PR comments: things GitLab does natively).
    """
    workflows = ROOT / ".github" / "workflows"
    twins = [workflows / f"{name}.yml"]
    if name == "can-i-deploy":  # GitHub has record-deployment as a workflow of its own
        twins.append(workflows / "record-deployment.yml")
    if not twins[0].exists():
        pytest.skip(f".github/workflows/{name}.yml does not exist yet")
    github: set[str] = set()
    for path in twins:
        on = load_yaml(path.read_text(encoding="utf-8")).get(True) or {}  # YAML 1.1: on -> True
        github |= set((on["workflow_call"].get("inputs") or {}).keys())
    missing = set(template(name).inputs) - GITLAB_ONLY - github
    assert not missing, f"{name}: GitLab inputs with no GitHub twin: {sorted(missing)}"


# ---------------------------------------------------------------------------------------------
# gitlab/README.md


def test_readme_inputs_tables_are_up_to_date() -> None:
    gen = load_gen_docs()
    text = (GITLAB_DIR / "README.md").read_text(encoding="utf-8")
    assert gen.update_readme(text) == text, "run: python scripts/gen_gitlab_docs.py"


@params
def test_readme_has_a_section_with_snippet_and_every_input(name: str) -> None:
    text = (GITLAB_DIR / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(name)}\.yml\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README has no '## {name}.yml' section"
    section = match[1]
    assert f"file: gitlab/{name}.yml" in section
    assert f"ref: v{VERSION}" in section
    assert f"<!-- inputs:start gitlab/{name}.yml -->" in section
    for key in template(name).inputs:
        assert f"| `{key}` |" in section, f"README section {name}: input {key} missing"
    assert "Secrets:" in section


def test_readme_snippets_use_declared_inputs() -> None:
    text = (GITLAB_DIR / "README.md").read_text(encoding="utf-8")
    snippets = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    checked = 0
    for snippet in snippets:
        doc = load_yaml(snippet)
        for inc in (doc or {}).get("include") or []:
            name = Path(inc["file"]).stem
            declared = template(name).inputs
            unknown = set(inc.get("inputs") or {}) - set(declared)
            assert not unknown, f"README snippet for {name}: undeclared inputs {unknown}"
            required = {k for k, v in declared.items() if "default" not in v}
            assert required <= set(inc.get("inputs") or {}), f"README snippet for {name}"
            checked += 1
    assert checked >= len(TEMPLATES)


def test_docs_generator_renders_types_defaults_and_required() -> None:
    gen = load_gen_docs()
    table = gen.render_inputs_md(
        {
            "to-environment": {"options": ["beta", "prod"], "description": "Where"},
            "dry-run": {"type": "boolean", "default": False, "description": "Only report"},
            "needs": {"type": "array", "default": [], "description": "a|b"},
        }
    )
    assert "| `to-environment` | string | **required** | Where (one of: `beta`, `prod`) |" in table
    assert "| `dry-run` | boolean | `false` | Only report |" in table
    assert "| `needs` | array | `[]` | a\\|b |" in table


def test_docs_generator_check_mode_fails_on_drift(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "<!-- inputs:start gitlab/api-tests.yml -->\nstale\n<!-- inputs:end -->\n",
        encoding="utf-8",
    )
    gen = load_gen_docs()
    assert gen.main(["--check", "--readme", str(readme)]) == 1
    assert gen.main(["--readme", str(readme)]) == 0
    assert gen.main(["--check", "--readme", str(readme)]) == 0
    assert "| `target-url` |" in readme.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Results over time (wave 2): history cache, report outputs, sharding, TestRail.

HISTORY_CACHE = {
    "key": "testgate-history-$CI_COMMIT_REF_SLUG",
    "fallback_keys": ["testgate-history-$CI_DEFAULT_BRANCH"],
    "paths": [".testgate-history/"],
}


def test_report_job_keeps_the_history_in_a_cache_saved_even_when_the_gate_fails() -> None:
    job = visible_jobs("test-report")["pact-test-report"]
    history, pip = job["cache"]
    assert {k: history[k] for k in HISTORY_CACHE} == HISTORY_CACHE
    assert history["policy"] == "pull-push"
    assert history["when"] == "always", "a red run belongs in the history too"
    assert pip == {"key": "testgate-pip", "paths": [".cache/pip"]}, (
        "the job cache replaces the base's"
    )
    variables = job["variables"]
    assert variables["TESTGATE_HISTORY_FILE"].startswith(history["paths"][0])
    assert variables["TESTGATE_HISTORY"] is True, "input history, default true"


def test_report_job_exposes_the_html_page_and_keeps_the_history_outputs() -> None:
    job = visible_jobs("test-report")["pact-test-report"]
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["expose_as"] == "testgate report"
    # the merge request link goes to the first path: the page itself, not the file browser
    assert artifacts["paths"][0] == "reports/testgate-report.html"
    assert {
        "reports/testgate-report.json",
        "reports/history-trend.svg",
        "reports/merged.xml",
    } <= set(artifacts["paths"])
    for path in artifacts["paths"]:  # expose_as ignores globs and variables
        assert "*" not in path, path
        assert "$" not in path, path
    assert artifacts["reports"]["dotenv"] == "reports/testgate.env"


def test_api_tests_shards_run_in_parallel_and_read_the_history() -> None:
    job = template("api-tests").jobs({"shards": 3})["pact-api-tests"]
    assert job["parallel"] == 3
    assert job["variables"]["TESTGATE_SHARDS"] == 3
    history, pip = job["cache"]
    assert {k: history[k] for k in HISTORY_CACHE} == HISTORY_CACHE
    assert history["policy"] == "pull", "shards only read the durations; the report job writes"
    assert pip["key"] == "testgate-pip"
    report = visible_jobs("test-report")["pact-test-report"]
    assert job["variables"]["TESTGATE_HISTORY_FILE"] == report["variables"]["TESTGATE_HISTORY_FILE"]
    # every shard's JUnit (api-shard-<i>.xml) reaches the test tab and the report's default glob
    assert job["artifacts"]["reports"]["junit"] == "reports/api*.xml"
    assert template("test-report").inputs["report-paths"]["default"] == "reports/*.xml"
    assert template("api-tests").inputs["shards"] == {
        "type": "number",
        "default": 1,
        "description": template("api-tests").inputs["shards"]["description"],
    }


def test_testrail_job_is_optional_pinned_and_runs_after_a_failed_gate() -> None:
    jobs = template("test-report").jobs({"testrail": True})
    job = jobs["pact-testrail-upload"]
    assert job["needs"] == ["pact-test-report"]
    assert job["rules"][0] == {"if": '"true" != "true"', "when": "never"}
    assert job["rules"][1] == [".testgate-test-report-base", "rules"]
    assert {"when": "always"} in jobs[".testgate-test-report-base"]["rules"]
    off = template("test-report").jobs()["pact-testrail-upload"]
    assert off["rules"][0] == {"if": '"false" != "true"', "when": "never"}, "off by default"
    variables = job["variables"]
    assert variables["TESTGATE_TRCLI_VERSION"] == "1.15.3"
    assert variables["TESTGATE_TESTRAIL_JUNIT"] == "reports/merged.xml"
    assert variables["TESTGATE_TRCLI"].endswith("/.trcli-venv/bin/trcli")
    assert "TESTGATE_DRY_RUN" not in variables, "the report's dry-run must not reach trcli"
    script = "\n".join(job["script"])
    assert '"trcli==$TESTGATE_TRCLI_VERSION"' in script
    assert script.rstrip().endswith("testgate testrail upload")
    for secret in ("TESTRAIL_USER", "TESTRAIL_KEY", "TESTRAIL_PASSWORD"):
        assert secret not in repr(job), f"{secret} comes from a masked CI/CD variable only"


FAKE_TESTGATE = """#!/bin/sh
case "$1" in
  report)
    echo "$1" >> "$RECORD"
    if [ "$FAKE_JSON" = 1 ]; then mkdir -p "$(dirname "$TESTGATE_REPORT_JSON")"; echo {} > "$TESTGATE_REPORT_JSON"; fi
    exit "$FAKE_REPORT_EXIT";;
  history)
    echo "$1 $2" >> "$RECORD"
    [ "$2" = "$FAKE_HISTORY_FAILS" ] && exit 3; exit 0;;
esac
"""


@pytest.mark.parametrize(
    ("report_exit", "json", "history", "history_fails", "exit_code", "calls"),
    [
        pytest.param(0, 1, "true", "", 0, ["report", "history record", "history html"], id="green"),
        pytest.param(
            1, 1, "true", "", 1, ["report", "history record", "history html"], id="red-recorded"
        ),
        pytest.param(1, 1, "true", "record", 1, ["report", "history record"], id="red-stays-red"),
        pytest.param(
            0,
            1,
            "true",
            "html",
            3,
            ["report", "history record", "history html"],
            id="history-error",
        ),
        pytest.param(0, 1, "false", "", 0, ["report"], id="history-off"),
        pytest.param(3, 0, "true", "", 3, ["report"], id="no-report-json"),
    ],
)
def test_report_script_keeps_the_gate_exit_code_and_records_history(
    tmp_path: Path,
    report_exit: int,
    json: int,
    history: str,
    history_fails: str,
    exit_code: int,
    calls: list[str],
) -> None:
    """The job's own script under bash -e (like the runner), with a recording testgate."""
    job = visible_jobs("test-report")["pact-test-report"]
    fake = tmp_path / "bin" / "testgate"
    fake.parent.mkdir()
    fake.write_text(FAKE_TESTGATE, encoding="utf-8")
    fake.chmod(0o755)
    record = tmp_path / "record"
    env = {
        "PATH": f"{fake.parent}:/usr/bin:/bin",
        "RECORD": str(record),
        "FAKE_JSON": str(json),
        "FAKE_REPORT_EXIT": str(report_exit),
        "FAKE_HISTORY_FAILS": history_fails,
        **{k: str(v) for k, v in job["variables"].items()},
        "TESTGATE_HISTORY": history,
    }
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", "\n".join(job["script"])],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == exit_code, proc.stdout + proc.stderr
    assert record.read_text(encoding="utf-8").splitlines() == calls
