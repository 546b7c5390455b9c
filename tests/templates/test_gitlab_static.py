"""Static checks of the GitLab include files (gitlab/*.yml), the examples and gitlab/README.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from gitlab_harness import (
    BASE_FILE,
    EXAMPLES,
    GITLAB_DIR,
    INSTALL_JOB,
    ROOT,
    TEMPLATES,
    TOOLS_PROJECT,
    VERSION,
    Reference,
    install_job,
    load_gen_docs,
    load_yaml,
    split,
    template,
)
from input_rules import input_problems as check_inputs
from testgate.settings_table import SETTINGS

KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
GITLAB_ONLY = {"job-prefix", "stage", "needs", "deploy-job", "record-deployment"}
# Keywords that, at the top level of an include, would change every job of the caller.
GLOBAL_KEYWORDS = {"default", "image", "services", "before_script", "after_script", "cache"}

params = pytest.mark.parametrize("name", TEMPLATES)


def visible_jobs(name: str) -> dict[str, dict]:
    jobs = template(name).jobs()
    return {k: v for k, v in jobs.items() if not k.startswith(".") and isinstance(v, dict)}


def test_every_template_file_is_listed() -> None:
    on_disk = {p.stem for p in GITLAB_DIR.glob("*.yml") if not p.name.startswith("example")}
    assert on_disk == {*TEMPLATES, BASE_FILE.stem}


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


# -- every input is the setting of the same name (issue 10: templates that only wire) --------

# Template defaults that differ from "empty: testgate decides", each with GitLab's reason; the
# check fails when the template says something else.
DEFAULT_EXCEPTIONS = {
    ("monitor", "env"): (
        "prod",
        "GitLab needs it when it creates the pipeline (environment name, resource group, state "
        "cache key); the scheduled monitor checks production",
    ),
    ("api-tests", "shards"): (
        1,
        "parallel: needs the count when GitLab creates the pipeline (a number input cannot be "
        "empty); one job is what testgate does without shards",
    ),
    ("consumer-contracts", "pact-dir"): (
        "pacts",
        "GitLab uploads the artifact folder it names when it creates the pipeline, before "
        "testgate.toml is read: the folder testgate writes to and GitLab keeps must be one",
    ),
    ("provider-verification", "pact-dir"): (
        "pacts",
        "the folder consumer-contracts.yml keeps as an artifact (its pact-dir)",
    ),
}


def input_problems(name: str, inputs: dict, table=SETTINGS) -> list[str]:
    """Where a template's inputs are not the settings table's (input_rules.py)."""
    exceptions = {key: v for (n, key), v in DEFAULT_EXCEPTIONS.items() if n == name}
    return check_inputs(name, inputs, table, exceptions, "scripts/gen_gitlab_docs.py")


@params
def test_inputs_are_the_settings_tables_names_descriptions_and_defaults(name: str) -> None:
    assert input_problems(name, template(name).inputs) == []


def test_the_table_check_notices_every_kind_of_drift() -> None:
    def spec(key: str, **change: object) -> dict:
        return {"default": "", "description": SETTINGS[key].help, **change}

    good = {
        "consumer-tests": spec("consumer-tests"),
        "reports-dir": spec("reports-dir", default="reports"),
        "history": spec("history", type="boolean", default=True),
        "timeout-minutes": spec("timeout-minutes", type="number", default=7),
        "history-max-runs": spec("history-max-runs", type="number", default=200),
    }
    assert input_problems("x", good) == []
    drifts = {
        "consumer-tests": {"default": "tests/pact"},  # testgate.toml has it: must be empty
        "reports-dir": {"default": "out"},  # not the table's default
        "history": {"default": False},  # a boolean other than the table's
        "history-max-runs": {"description": "Runs kept"},  # not the table's help
    }
    for key, change in drifts.items():
        assert len(input_problems("x", {key: {**good[key], **change}})) == 1, key
    assert input_problems("x", {"bogus": spec("policy")}) == [
        "x: input bogus is not a setting in settings_table.py"
    ]
    assert input_problems("monitor", {"env": spec("env", default="local")}), "exceptions checked"
    assert input_problems("consumer-contracts", {"pact-dir": spec("pact-dir", default="")})
    # the old GitLab defaults are caught: a CI variable where testgate takes the build's
    assert input_problems("x", {"version": spec("version", default="$CI_COMMIT_SHA")})


@params
def test_variables_are_the_tables(name: str) -> None:
    """Every TESTGATE_*/PACT_BROKER_*/TESTRAIL_* variable a job sets is a setting's variable
    (or one the install reads)."""
    install = {"TESTGATE_INSTALL", "TESTGATE_VENV", "TESTGATE_TOOLS_URL"}
    known = {var for s in SETTINGS.values() for var in s.variables} | install
    bodies = [template(name).jobs(), {INSTALL_JOB: install_job()}]
    for jobs in bodies:
        for job_name, job in jobs.items():
            if not isinstance(job, dict):
                continue
            for var in job.get("variables") or {}:
                if var.startswith(("TESTGATE_", "PACT_BROKER_", "TESTRAIL_")):
                    assert var in known, f"{name}: {job_name}: {var} is no setting's variable"


@params
def test_every_input_is_used_and_every_use_is_declared(name: str) -> None:
    tpl = template(name)
    assert tpl.used_inputs() == set(tpl.inputs), (
        f"{name}: declared but unused {set(tpl.inputs) - tpl.used_inputs()}, "
        f"used but undeclared {tpl.used_inputs() - set(tpl.inputs)}"
    )


@params
def test_every_input_reaches_its_variable(name: str) -> None:
    """Each input that is a testgate setting becomes the table's variable (a template-only
    input shapes the jobs: a job name, a stage, a cache key, the image)."""
    tpl = template(name)
    body = tpl.body
    for key in tpl.inputs:
        if SETTINGS[key].kind == "template":
            continue
        var = SETTINGS[key].env
        assert re.search(
            rf"^\s+{var}: \$\[\[ inputs\.{re.escape(key)} \]\]$", body, flags=re.MULTILINE
        ), f"{name}: input {key!r} does not reach the variable {var}"
    # the check can fail: the tool spelling an older template used is not the table's
    assert SETTINGS["testrail-host"].env == "TESTGATE_TESTRAIL_HOST"
    assert not re.search(r"^\s+TESTRAIL_HOST: ", body, flags=re.MULTILINE)


@params
def test_tools_ref_default_equals_version(name: str) -> None:
    inputs = template(name).inputs
    assert inputs["tools-ref"]["default"] == f"v{VERSION}"
    assert inputs["tools-repository"]["default"] == TOOLS_PROJECT


@params
def test_no_global_keywords(name: str) -> None:
    """An include must not change the caller's other jobs. Its one ``include`` is the shared
    install (gitlab/base.yml), which holds a hidden job and nothing else."""
    jobs = template(name).jobs()
    assert jobs["include"] == [{"local": f"gitlab/{BASE_FILE.name}"}]
    assert not (GLOBAL_KEYWORDS | {"variables", "stages", "workflow"}) & set(jobs), (
        f"{name}: an include must not change the caller's other jobs"
    )
    base = load_yaml(BASE_FILE.read_text(encoding="utf-8"))
    assert list(base) == [INSTALL_JOB], "base.yml holds the one hidden install job only"


@params
def test_one_hidden_base_job_that_every_job_extends(name: str) -> None:
    jobs = template(name).jobs()
    hidden = [k for k in jobs if k.startswith(".")]
    assert hidden == [f".testgate-{name}-base"]
    assert jobs[hidden[0]]["extends"] == INSTALL_JOB, "the install lives in one shared job"
    visible = visible_jobs(name)
    assert visible
    for job_name, job in visible.items():
        assert job_name.startswith("pact-"), "job names are <job-prefix>-<verb>"
        assert job["extends"] == f".testgate-{name}-base"
        assert "allow_failure" not in job, "a gate job is never allow_failure"


@params
def test_base_job_installs_testgate_at_tools_ref(name: str) -> None:
    assert template(name).jobs()[f".testgate-{name}-base"]["extends"] == INSTALL_JOB
    base = install_job()  # what every base job extends: gitlab/base.yml
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
    assert first == {"extends": INSTALL_JOB}, "the install is written once, in gitlab/base.yml"
    for name in TEMPLATES[1:]:
        assert normal(name) == first, f"{name}: base job drifted from {TEMPLATES[0]}"
    install = "python3 -m venv"
    assert [p.name for p in GITLAB_DIR.glob("*.yml") if install in p.read_text("utf-8")] == [
        BASE_FILE.name
    ]


@params
def test_test_jobs_keep_junit_and_dotenv_even_when_failing(name: str) -> None:
    for job_name, job in visible_jobs(name).items():
        artifacts = job["artifacts"]
        assert artifacts["when"] == "always", job_name
        if "junit" in artifacts.get("reports", {}):
            for path in _listed(artifacts["reports"]["junit"]):
                assert path.startswith("reports/")
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
        # api.xml, or api-shard-<i>.xml of this shard: never a glob (a stale file would match)
        "api-tests": {
            "pact-api-tests": ["reports/api.xml", "reports/api-shard-$CI_NODE_INDEX.xml"]
        },
        "monitor": {"pact-monitor": "reports/monitor.xml"},
    }.get(name)
    if expected:
        assert {k: v for k, v in junit.items() if v} == expected


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@params
def test_jobs_keep_exactly_the_files_they_wrote(name: str) -> None:
    """Artifacts name files (issue 12, item 8): a glob or the whole reports folder would carry
    a stale report of the workspace into the report job. Logs (*.log) are never read as
    reports; the pact folder is the consumer job's output."""
    for job_name, job in visible_jobs(name).items():
        for path in job["artifacts"]["paths"]:
            folder, _, file = path.rpartition("/")
            if path.endswith("/"):
                assert path == "pacts/", path
                assert job_name == "pact-consumer-contracts", path
            elif "*" in path:
                assert file == "*.log", f"{job_name}: {path} is a glob"
            else:
                assert folder == "reports", (job_name, path)
                assert file, (job_name, path)
        # the job's own summary, by the name testgate gives it (TESTGATE_JOB_NAME)
        assert "reports/$CI_JOB_NAME_SLUG.md" in job["artifacts"]["paths"] or (
            job_name == "pact-test-report"
        )
    assert install_job()["variables"]["TESTGATE_JOB_NAME"] == "$CI_JOB_NAME_SLUG"


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
    files += [GITLAB_DIR / e for e in EXAMPLES] + [BASE_FILE]
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
    # every shard's JUnit (api-shard-<i>.xml) reaches the test tab, and the report job reads
    # whatever this pipeline wrote into the reports folder (report-paths empty: testgate's)
    assert job["artifacts"]["reports"]["junit"] == [
        "reports/api.xml",
        "reports/api-shard-$CI_NODE_INDEX.xml",
    ]
    assert template("test-report").inputs["report-paths"]["default"] == ""
    assert template("api-tests").inputs["shards"] == {
        "type": "number",
        "default": 1,
        "description": template("api-tests").inputs["shards"]["description"],
    }
    # no shard validation in YAML: GitLab needs the count for parallel:, testgate checks it
    assert "CI_NODE_TOTAL" not in "\n".join(job["script"])


def test_testrail_job_is_optional_and_runs_after_a_failed_gate() -> None:
    """The job only wires: `testgate testrail upload` installs TestRail's CLI at the version
    testgate pins (tests/unit/test_testrail*.py check the pin, which moved out of the YAML)."""
    jobs = template("test-report").jobs({"testrail": True})
    job = jobs["pact-testrail-upload"]
    assert job["needs"] == ["pact-test-report"]
    assert job["rules"][0] == {"if": '"true" != "true"', "when": "never"}
    assert job["rules"][1] == [".testgate-test-report-base", "rules"]
    assert {"when": "always"} in jobs[".testgate-test-report-base"]["rules"]
    off = template("test-report").jobs()["pact-testrail-upload"]
    assert off["rules"][0] == {"if": '"false" != "true"', "when": "never"}, "off by default"
    variables = job["variables"]
    assert variables["TESTGATE_TESTRAIL_JUNIT"] == "reports/merged.xml"
    assert "TESTGATE_DRY_RUN" not in variables, "the report's dry-run must not reach trcli"
    assert job["script"] == ["testgate testrail upload"]
    assert "trcli" not in repr(job).replace("with trcli", ""), "no venv, no pin: testgate does it"
    for secret in ("TESTRAIL_USER", "TESTRAIL_KEY", "TESTRAIL_PASSWORD"):
        assert secret not in repr(job), f"{secret} comes from a masked CI/CD variable only"
    # the report job never uploads as well
    assert jobs["pact-test-report"]["variables"]["TESTGATE_TESTRAIL"] == "false"


def test_no_trcli_pin_or_install_in_any_gitlab_file() -> None:
    for path in GITLAB_DIR.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert "trcli==" not in text, path.name
        assert "TRCLI_VERSION" not in text, path.name


def test_report_job_only_wires_testgate_ci_report() -> None:
    """The gate, the history and its page after a decided gate, and the exit code are decided by
    `testgate ci report` (tests/commands/test_ci.py holds the cases this file's bash-level test
    of the old `|| gate=$?` script checked); the job runs that one command."""
    job = visible_jobs("test-report")["pact-test-report"]
    assert job["script"] == ["testgate ci report"]
    variables = job["variables"]
    assert variables["TESTGATE_BASELINE"] == "", "baseline: off by default"
    assert (
        template("test-report").jobs({"baseline": "auto"})["pact-test-report"]["variables"][
            "TESTGATE_BASELINE"
        ]
        == "auto"
    )


@params
def test_scripts_are_testgate_commands_only(name: str) -> None:
    """Templates wire, Python decides: every job runs testgate commands, with no shell logic
    (no `|| x=$?`, no `exit`, no `if`, no cutting of text)."""
    for job_name, job in visible_jobs(name).items():
        for line in job["script"]:
            assert re.fullmatch(r"testgate [a-z -]+", line), f"{job_name}: {line!r}"
    for line in install_job()["before_script"]:
        for shell in ("$?", "exit", "head -c"):
            assert shell not in line, line


def test_merge_request_comment_job_runs_testgate_ci_comment_with_a_project_token() -> None:
    jobs = template("test-report").jobs({"pr-comment": True})
    job = jobs["pact-mr-comment"]
    assert job["script"] == ["testgate ci comment"]
    assert job["needs"] == ["pact-test-report"], "it reads the report job's JSON"
    assert job["rules"][0] == {"if": '"true" != "true"', "when": "never"}
    assert job["rules"][1]["if"].startswith("$CI_MERGE_REQUEST_IID == null")
    assert job["rules"][1]["when"] == "never", "merge request pipelines only"
    assert job["rules"][2] == [".testgate-test-report-base", "rules"], "also after a red gate"
    off = template("test-report").jobs()["pact-mr-comment"]
    assert off["rules"][0] == {"if": '"false" != "true"', "when": "never"}, "off by default"
    # the token is a masked CI/CD variable, never an input, never CI_JOB_TOKEN
    assert "TOKEN" not in repr(job["variables"])
    from testgate.platforms.gitlab import TOKEN_VARIABLE

    assert SETTINGS["gitlab-token"].env == TOKEN_VARIABLE == "TESTGATE_GITLAB_TOKEN"
