"""Static checks of the GitHub workflows: linters, schema, conventions, docs and versions.

Fast (a few seconds): no workflow is run here; test_github_act.py runs them with act.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, require_tool

WORKFLOWS = ROOT / ".github" / "workflows"
README = WORKFLOWS / "README.md"
VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
TAG = f"v{VERSION}"
TOOLS_REPOSITORY = "testgate/testgate"

sys.path.insert(0, str(ROOT / "scripts"))
import gen_github_docs  # noqa: E402

ALL_FILES = sorted(WORKFLOWS.glob("*.yml"))
TEMPLATES = sorted(WORKFLOWS / name for name in gen_github_docs.reusable_workflows())
EXAMPLES = sorted(WORKFLOWS.glob("example-*.yml"))
EXPECTED_TEMPLATES = {
    "consumer-contracts.yml",
    "provider-verification.yml",
    "api-tests.yml",
    "test-report.yml",
    "can-i-deploy.yml",
    "record-deployment.yml",
    "monitor.yml",
}
# Inputs that wire the job itself (action inputs, job keys, conditions) rather than testgate;
# each must still be used, in a `with:`, a job key or an `if:`.
WIRING_INPUTS = {
    "ref",  # actions/checkout ref of the service
    "pact-artifact",  # download-artifact name
    "artifact-name",  # upload-artifact name
    "artifact-pattern",  # download-artifact pattern
    "report-artifact",  # upload/download-artifact name
    "pr-comment",  # whether the comment job runs
    "publish",  # whether the publish step runs
    "python-version",  # setup-python
    "timeout-minutes",  # job timeout
    "history",  # whether the history steps run
    "history-key",  # actions/cache key prefix
    "testrail",  # whether the testrail job runs
}
# Inputs that become another tool's own variable rather than TESTGATE_<INPUT>.
TOOL_ENV = {"broker-url": "PACT_BROKER_BASE_URL", "testrail-host": "TESTRAIL_HOST"}
# Env vars the install step reads itself (not testgate commands).
INSTALL_ENV = {"TESTGATE_TOOLS_REF", "TESTGATE_TOOLS_REPOSITORY", "TESTGATE_PIP_INSTALL"}
KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", re.MULTILINE)
TESTGATE_RUN = re.compile(r"^\s*testgate\s+([a-z][a-z-]*)", re.MULTILINE)


def env_var_for(name: str) -> str:
    return TOOL_ENV.get(name) or "TESTGATE_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


@functools.cache
def load(path: Path) -> dict:
    """A workflow as data (parsed once; callers must not modify it)."""
    return gen_github_docs.load_workflow(path)


def steps(workflow: dict):
    for job_id, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_id, job, step


def ids(paths):
    return [p.name for p in paths]


# -- linters ------------------------------------------------------------------------------


def _tool_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_actionlint_is_clean():
    actionlint = require_tool("actionlint")
    require_tool("shellcheck")
    files = [str(p.relative_to(ROOT)) for p in ALL_FILES]
    proc = subprocess.run(
        [actionlint, "-no-color", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_tool_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_runs_shellcheck_on_run_scripts(tmp_path):
    """The clean result above means something only if shellcheck really looks at `run:`."""
    actionlint = require_tool("actionlint")
    require_tool("shellcheck")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $FOO\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run(
        [actionlint, "-no-color", ".github/workflows/bad.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_tool_env(),
        check=False,
    )
    assert proc.returncode == 1
    assert "SC2086" in proc.stdout


def test_zizmor_offline_has_no_findings():
    zizmor = require_tool("zizmor")
    proc = subprocess.run(
        [
            zizmor,
            "--offline",
            "--no-progress",
            "--config",
            ".github/zizmor.yml",
            ".github/workflows",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_tool_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout + proc.stderr


def test_zizmor_config_disables_only_self_repository():
    config = yaml.safe_load((ROOT / ".github" / "zizmor.yml").read_text(encoding="utf-8"))
    disabled = {name for name, rule in config["rules"].items() if (rule or {}).get("disable")}
    assert disabled == {"self-repository"}
    policies = config["rules"]["unpinned-uses"]["config"]["policies"]
    assert policies == {"testgate/*": "ref-pin", "*": "hash-pin"}


def test_workflows_match_the_github_workflow_schema():
    checker = require_tool("check-jsonschema")
    proc = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", *map(str, ALL_FILES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_tool_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- the set of files ---------------------------------------------------------------------


def test_every_template_and_example_exists():
    assert {p.name for p in TEMPLATES} == EXPECTED_TEMPLATES
    triggers = {p.name: load(p)["on"] for p in EXAMPLES}
    assert any("repository_dispatch" in on for on in triggers.values()), "webhook caller"
    assert any(
        "schedule" in on and "monitor.yml@" in p.read_text()
        for p, on in zip(EXAMPLES, triggers.values(), strict=True)
    ), "scheduled monitor caller"
    assert (WORKFLOWS / "ci.yml").is_file()
    assert (WORKFLOWS / "release.yml").is_file()


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_header_comment_says_what_it_does(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ")
    assert len(first) > 20


# -- security conventions -----------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_permissions_are_empty_at_the_top_and_set_per_job(path):
    workflow = load(path)
    assert workflow.get("permissions") == {}, "top-level permissions: {}"
    for job_id, job in workflow["jobs"].items():
        assert "permissions" in job, f"{job_id}: set the job's permissions explicitly"
        for scope, level in (job["permissions"] or {}).items():
            assert level in {"read", "write"}, (job_id, scope)
            if level == "write":
                allowed = {"pull-requests", "contents"}
                assert scope in allowed, f"{job_id}: {scope}: write"


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_actions_are_pinned_by_full_sha_with_a_version_comment(path):
    for uses, rest in USES_LINE.findall(path.read_text(encoding="utf-8")):
        if uses.startswith("./"):
            continue
        if uses.startswith(f"{TOOLS_REPOSITORY}/"):
            assert uses.endswith(f"@{TAG}"), f"{uses}: pin our workflows to {TAG} (VERSION)"
            continue
        assert PINNED.match(uses), f"{uses}: pin to a full 40-hex commit SHA"
        assert re.search(r"#\s*v\d+\.\d+\.\d+", rest), f"{uses}: add '# vX.Y.Z'"


def test_one_action_is_pinned_to_one_sha_everywhere():
    seen: dict[str, set[str]] = {}
    for path in ALL_FILES:
        for uses, rest in USES_LINE.findall(path.read_text(encoding="utf-8")):
            if "@" in uses and not uses.startswith(("./", TOOLS_REPOSITORY)):
                action, ref = uses.rsplit("@", 1)
                repo = "/".join(action.split("/")[:2])
                seen.setdefault(repo, set()).add(ref + rest.strip())
    assert seen
    assert {repo: refs for repo, refs in seen.items() if len(refs) > 1} == {}


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_checkouts_do_not_persist_credentials(path):
    for job_id, _, step in steps(load(path)):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            value = (step.get("with") or {}).get("persist-credentials")
            assert value in (False, "false"), f"{job_id}: persist-credentials: false"


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_no_expressions_inside_run_scripts(path):
    """`${{ inputs.* }}` (or any expression) in `run:` is a script-injection hole: use `env:`."""
    for job_id, _, step in steps(load(path)):
        run = step.get("run", "")
        assert "${{" not in run, f"{job_id}: {step.get('name')}: pass it through env:"
    raw = path.read_text(encoding="utf-8")
    assert not re.search(r"run:[^\n]*\$\{\{\s*inputs", raw)


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_no_continue_on_error(path):
    workflow = load(path)
    for job_id, job in workflow["jobs"].items():
        assert "continue-on-error" not in job, job_id
        for step in job.get("steps") or []:
            assert "continue-on-error" not in step, (job_id, step.get("name"))


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_jobs_have_timeouts_and_templates_have_concurrency(path):
    workflow = load(path)
    for job_id, job in workflow["jobs"].items():
        if "uses" in job:
            continue  # a call: the called workflow's jobs carry timeout and concurrency
        assert "timeout-minutes" in job, f"{job_id}: timeout-minutes"
        if path in TEMPLATES:
            group = (job.get("concurrency") or {}).get("group", "")
            assert group.startswith("testgate-"), f"{job_id}: concurrency group testgate-..."
            assert (job.get("concurrency") or {}).get("cancel-in-progress") is False
    if path not in TEMPLATES:
        assert "concurrency" in workflow, "a workflow-level concurrency group"


def test_pip_is_cached_wherever_python_is_set_up():
    for path in ALL_FILES:
        for job_id, _, step in steps(load(path)):
            if str(step.get("uses", "")).startswith("actions/setup-python@"):
                assert step["with"].get("cache") == "pip", f"{path.name}: {job_id}"
                assert step["with"].get("cache-dependency-path"), f"{path.name}: {job_id}"


# -- inputs, secrets, outputs -------------------------------------------------------------


def _inputs(path: Path) -> dict:
    return load(path)["on"]["workflow_call"].get("inputs") or {}


@pytest.mark.parametrize("path", TEMPLATES, ids=ids(TEMPLATES))
def test_inputs_are_kebab_case_typed_and_described(path):
    for name, spec in _inputs(path).items():
        assert KEBAB.match(name), f"{name}: kebab-case"
        assert spec.get("type") in {"string", "boolean", "number"}, name
        assert spec.get("description"), name
        assert not any(ci in name for ci in ("github", "gitlab", "jenkins")), name


@pytest.mark.parametrize("path", TEMPLATES, ids=ids(TEMPLATES))
def test_every_input_reaches_an_env_var(path):
    workflow = load(path)
    where = gen_github_docs.input_env_vars(workflow)
    env_blocks: dict[str, str] = {}
    for job in workflow["jobs"].values():
        env_blocks.update({k: str(v) for k, v in (job.get("env") or {}).items()})
        for step in job.get("steps") or []:
            env_blocks.update({k: str(v) for k, v in (step.get("env") or {}).items()})
    for name in _inputs(path):
        if name in WIRING_INPUTS:
            assert where.get(name), f"{name}: a wiring input nobody uses"
            continue
        var = env_var_for(name)
        assert var in env_blocks, f"{name}: pass it as {var} in an env: block"
        assert re.search(rf"\binputs\.{re.escape(name)}\b", env_blocks[var]), (name, var)


@pytest.mark.parametrize("path", TEMPLATES, ids=ids(TEMPLATES))
def test_secrets_are_named_after_the_env_var_they_become(path):
    workflow = load(path)
    secrets = workflow["on"]["workflow_call"].get("secrets") or {}
    used = set()
    for _, job, step in steps(workflow):
        for var, value in {**(job.get("env") or {}), **(step.get("env") or {})}.items():
            for secret in re.findall(r"secrets\.([A-Za-z0-9_]+)", str(value)):
                assert secret == var, f"secret {secret} must become env {secret}, not {var}"
                used.add(secret)
    assert used == set(secrets), "every declared secret is passed on, and only those"
    for secret, spec in secrets.items():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", secret)
        assert spec.get("required") in (True, False)


@pytest.mark.parametrize("path", TEMPLATES, ids=ids(TEMPLATES))
def test_tools_inputs_install_testgate_at_this_release(path):
    inputs = _inputs(path)
    assert inputs["tools-ref"]["default"] == TAG, "tools-ref default must equal VERSION"
    assert inputs["tools-repository"]["default"] == TOOLS_REPOSITORY
    workflow = load(path)
    for job_id, job in workflow["jobs"].items():
        runs = "\n".join(s.get("run", "") for s in job.get("steps") or [])
        if not TESTGATE_RUN.search(runs):
            continue  # a job that never runs testgate (the PR comment, the shard plan)
        tools = [
            s
            for s in job["steps"]
            if (s.get("with") or {}).get("repository") == "${{ inputs.tools-repository }}"
        ]
        assert len(tools) == 1, f"{job_id}: one checkout of testgate"
        assert tools[0]["with"]["ref"] == "${{ inputs.tools-ref }}"
        assert tools[0]["with"]["path"] == ".testgate"
        assert "python -m pip install ./.testgate" in runs


def _emitted_outputs(command: str) -> set[str]:
    from testgate import cli

    module = ROOT / "scripts" / "testgate" / "commands" / f"{cli.COMMANDS[command]}.py"
    return set(re.findall(r"\.output\(\s*\"([a-z0-9-]+)\"", module.read_text(encoding="utf-8")))


OUTPUT_TEMPLATES = ["test-report.yml", "monitor.yml", "can-i-deploy.yml"]


@pytest.mark.parametrize("template", OUTPUT_TEMPLATES)
def test_outputs_are_step_outputs_the_command_writes(template):
    """Each workflow output is a job output that is a step output, and the `testgate` command
    that step runs really writes it (read from the command's source)."""
    workflow = load(WORKFLOWS / template)
    declared = workflow["on"]["workflow_call"].get("outputs") or {}
    assert declared, "outputs: decision and counts"
    for name, spec in declared.items():
        job_id, job_key = re.search(r"jobs\.([\w-]+)\.outputs\.([\w-]+)", spec["value"]).groups()
        job = workflow["jobs"][job_id]
        step_id, step_output = re.search(
            r"steps\.([\w-]+)\.outputs\.([\w-]+)", job["outputs"][job_key]
        ).groups()
        (step,) = [s for s in job["steps"] if s.get("id") == step_id]
        (command,) = TESTGATE_RUN.findall(step["run"])
        assert step_output in _emitted_outputs(command), (
            f"{template}: {name}: testgate {command} never writes {step_output}"
        )


def _commands_in(path: Path) -> list[tuple[str, dict]]:
    """(command, env it runs with) for every `testgate <command>` in a template."""
    found = []
    for _, job, step in steps(load(path)):
        for command in TESTGATE_RUN.findall(step.get("run", "")):
            found.append((command, {**(job.get("env") or {}), **(step.get("env") or {})}))
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=ids(TEMPLATES))
def test_commands_exist_and_read_the_env_vars_they_are_given(path):
    """Templates and commands agree: each `testgate X` is registered, and each TESTGATE_/
    PACT_BROKER_ variable the step sets appears in that command's --help or in the package."""
    from testgate import cli

    commands_dir = ROOT / "scripts" / "testgate" / "commands"
    shared = "\n".join(p.read_text(encoding="utf-8") for p in commands_dir.glob("_*.py"))
    for command, env in _commands_in(path):
        if command == "--version":
            continue
        assert command in cli.COMMANDS, f"testgate {command} is not registered in cli.COMMANDS"
        module = commands_dir / f"{cli.COMMANDS[command]}.py"
        assert module.is_file(), f"testgate {command}: {module} is missing"
        # Commands read the environment (the library never does): the command's own module,
        # the shared command helpers, or its --help must name the variable.
        source = module.read_text(encoding="utf-8") + shared
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cli.main([command, "--help"], {})
        help_text = out.getvalue()
        for var in env:
            if var in INSTALL_ENV or not var.startswith(("TESTGATE_", "PACT_BROKER_")):
                continue
            assert var in help_text or f'"{var}"' in source, (
                f"{path.name}: testgate {command} is given {var} but never reads it"
            )


# -- docs ---------------------------------------------------------------------------------


def test_readme_tables_are_generated_from_the_yaml():
    assert gen_github_docs.main(["--check"]) == 0, "run: python scripts/gen_github_docs.py"


def test_readme_check_notices_a_stale_table(tmp_path):
    stale = tmp_path / "README.md"
    text = README.read_text(encoding="utf-8")
    stale.write_text(text.replace("| `tools-ref` |", "| `tools-ref-old` |", 1), encoding="utf-8")
    assert gen_github_docs.main(["--check", "--readme", str(stale)]) == 1


def _sections() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {p.split("\n", 1)[0].strip("` "): p for p in parts[1:]}


@pytest.mark.parametrize("path", TEMPLATES, ids=ids(TEMPLATES))
def test_readme_documents_every_input_with_a_pinned_usage_snippet(path):
    section = _sections()[path.name]
    for name in _inputs(path):
        assert f"| `{name}` |" in section, f"{name} missing from the README"
    for secret in load(path)["on"]["workflow_call"].get("secrets") or {}:
        assert f"`{secret}`" in section
    assert f"{TOOLS_REPOSITORY}/.github/workflows/{path.name}@{TAG}" in section
    assert "```yaml" in section
    assert "Permissions" in section


def test_readme_and_examples_pin_this_release():
    text = README.read_text(encoding="utf-8")
    refs = set(re.findall(rf"{TOOLS_REPOSITORY}/\.github/workflows/[\w-]+\.yml@(\S+)", text))
    for path in EXAMPLES:
        refs |= set(
            re.findall(
                rf"{TOOLS_REPOSITORY}/\.github/workflows/[\w-]+\.yml@(\S+)",
                path.read_text(encoding="utf-8"),
            )
        )
    assert refs == {TAG}


def test_version_is_semver_and_the_tag_pattern_matches_it():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    release = load(WORKFLOWS / "release.yml")
    (pattern,) = release["on"]["push"]["tags"]
    assert re.fullmatch(pattern.replace(".", r"\."), TAG)


# -- results over time, shards, TestRail, monitor and deploy wiring (wave 2) -----------------


def _step(job: dict, step_id: str) -> dict:
    (step,) = [s for s in job["steps"] if s.get("id") == step_id]
    return step


def _uses(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"actions/{action}@")]


def test_report_step_decides_and_the_history_steps_run_after_a_failed_gate():
    job = load(WORKFLOWS / "test-report.yml")["jobs"]["test-report"]
    report = _step(job, "report")
    assert "if" not in report, "nothing may skip the gate"
    assert report["run"].strip() == "testgate report"
    assert report["env"]["TESTGATE_JSON_TESTS"] == "true", "history needs every test's outcome"
    json_file = report["env"]["TESTGATE_JSON"]
    for step_id, command in (
        ("history", "testgate history record"),
        ("html", "testgate history html"),
    ):
        step = _step(job, step_id)
        assert step["run"].strip() == command
        assert step["if"].startswith("!cancelled()"), f"{step_id}: also after a failed gate"
        assert "steps.report.outputs.decision == 'fail'" in step["if"]
        assert step["env"]["TESTGATE_REPORT_JSON"] == json_file
    assert "inputs.history" in _step(job, "history")["if"]
    assert "inputs.history" not in _step(job, "html")["if"], "the page is written either way"
    names = [s.get("id") or s.get("name") for s in job["steps"]]
    assert names.index("report") < names.index("history") < names.index("html")
    upload = _uses(job, "upload-artifact")[0]
    assert upload["if"] == "always()"
    for name in ("testgate-report.html", "history-trend.svg", "merged.xml"):
        assert name in upload["with"]["path"], name


def test_history_cache_is_saved_per_run_and_read_by_the_api_test_shards():
    report_job = load(WORKFLOWS / "test-report.yml")["jobs"]["test-report"]
    api_job = load(WORKFLOWS / "api-tests.yml")["jobs"]["api-tests"]
    (restore,) = [s for s in report_job["steps"] if "cache/restore@" in str(s.get("uses"))]
    (save,) = [s for s in report_job["steps"] if "cache/save@" in str(s.get("uses"))]
    (shard_restore,) = [s for s in api_job["steps"] if "cache/restore@" in str(s.get("uses"))]
    assert not [s for s in api_job["steps"] if "cache/save@" in str(s.get("uses"))], "read-only"
    key = save["with"]["key"]
    # immutable caches: a new key every run (and attempt), found again by its prefix
    assert "${{ github.run_id }}" in key
    assert "${{ github.run_attempt }}" in key
    assert key.startswith("${{ inputs.history-key }}-${{ github.ref_name }}-")
    assert restore["with"]["key"] == key == shard_restore["with"]["key"]
    prefixes = restore["with"]["restore-keys"].splitlines()
    assert prefixes == shard_restore["with"]["restore-keys"].splitlines()
    assert prefixes[0] == "${{ inputs.history-key }}-${{ github.ref_name }}-"
    assert key.startswith(prefixes[0])
    assert "default_branch" in prefixes[1], "a new branch starts from the default branch's"
    path = save["with"]["path"]
    assert restore["with"]["path"] == path == shard_restore["with"]["path"]
    history_file = _step(report_job, "history")["env"]["TESTGATE_HISTORY_FILE"]
    assert history_file.startswith(path + "/")
    assert _step(report_job, "html")["env"]["TESTGATE_HISTORY_FILE"] == history_file
    run_step = next(s for s in api_job["steps"] if s.get("run") == "testgate api-tests")
    assert run_step["env"]["TESTGATE_HISTORY_FILE"] == history_file
    assert save["if"].startswith("${{ !cancelled()")
    assert "steps.history.outcome" in save["if"]
    assert restore["if"] == "inputs.history"
    assert shard_restore["if"] == "inputs.shards > 1"


def test_api_tests_shards_are_a_matrix_with_one_artifact_per_shard():
    workflow = load(WORKFLOWS / "api-tests.yml")
    plan, job = workflow["jobs"]["shards"], workflow["jobs"]["api-tests"]
    assert job["needs"] == "shards"
    assert job["strategy"]["fail-fast"] is False, "every shard's result reaches the report"
    assert job["strategy"]["matrix"] == {"shard": "${{ fromJSON(needs.shards.outputs.matrix) }}"}
    assert plan["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert "${{ matrix.shard }}" in job["concurrency"]["group"], "shards must not queue"
    run_step = next(s for s in job["steps"] if s.get("run") == "testgate api-tests")
    assert run_step["env"]["TESTGATE_SHARDS"] == "${{ inputs.shards }}"
    assert run_step["env"]["TESTGATE_SHARD_INDEX"] == "${{ matrix.shard }}"
    name = _uses(job, "upload-artifact")[0]["with"]["name"]
    # one shard keeps the plain name; N shards get <name>-<i>, still matching testgate-junit-*
    assert name == (
        "${{ inputs.shards > 1 && format('{0}-{1}', inputs.artifact-name, matrix.shard)"
        " || inputs.artifact-name }}"
    )


def _plan(shards: str, tmp_path: Path) -> tuple[int, str, str]:
    script = _step(load(WORKFLOWS / "api-tests.yml")["jobs"]["shards"], "plan")["run"]
    out = tmp_path / "github_output"
    out.write_text("", encoding="utf-8")
    proc = subprocess.run(
        ["bash", "-e", "-c", script],
        env={"PATH": "/usr/bin:/bin", "TESTGATE_SHARDS": shards, "GITHUB_OUTPUT": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, out.read_text(encoding="utf-8"), proc.stdout


@pytest.mark.parametrize(
    ("shards", "matrix"), [("1", "[1]"), ("3", "[1,2,3]"), ("08", "[1,2,3,4,5,6,7,8]")]
)
def test_shard_plan_lists_1_to_n(shards, matrix, tmp_path):
    code, output, _ = _plan(shards, tmp_path)
    assert code == 0
    assert output == f"matrix={matrix}\n"
    import json

    assert json.loads(matrix) == list(range(1, int(shards) + 1))


@pytest.mark.parametrize("shards", ["0", "257", "", "2.5", "-1", "two"])
def test_shard_plan_refuses_what_a_matrix_cannot_hold(shards, tmp_path):
    code, output, stdout = _plan(shards, tmp_path)
    assert code == 2
    assert output == ""
    assert stdout.startswith("::error title=testgate::shards must be a whole number")


def test_testrail_job_is_optional_and_gets_the_credentials_only_in_its_upload_step():
    workflow = load(WORKFLOWS / "test-report.yml")
    call = workflow["on"]["workflow_call"]
    assert call["inputs"]["testrail"]["default"] is False
    assert set(call["secrets"]) == {"TESTRAIL_USER", "TESTRAIL_KEY"}
    assert all(spec["required"] is False for spec in call["secrets"].values())
    job = workflow["jobs"]["testrail"]
    assert job["needs"] == "test-report"
    assert job["if"].startswith("!cancelled() && inputs.testrail"), "after a failed gate too"
    upload = _step(job, "upload")
    assert upload["run"].strip() == "testgate testrail upload"
    assert upload["env"]["TESTRAIL_USER"] == "${{ secrets.TESTRAIL_USER }}"
    assert upload["env"]["TESTGATE_TESTRAIL_JUNIT"].endswith("/merged.xml")
    for _, other_job, step in steps(workflow):
        if step is not upload:
            assert "secrets.TESTRAIL" not in str(step.get("env")), step.get("name")
            assert "secrets.TESTRAIL" not in str(other_job.get("env"))
    install = next(s for s in job["steps"] if "trcli==" in s.get("run", ""))
    # the same trcli as the TestRail tests use, in a virtualenv of its own
    from testgate.testrail import TRCLI_VERSION as pinned  # the one pin (install-tools uses it)

    assert install["env"]["TRCLI_VERSION"] == pinned
    assert 'python -m venv "$RUNNER_TEMP/trcli"' in install["run"]
    assert 'TESTGATE_TRCLI=$RUNNER_TEMP/trcli/bin/trcli" >> "$GITHUB_ENV"' in install["run"]
    outputs = call["outputs"]["testrail-run-url"]["value"]
    assert outputs == "${{ jobs.testrail.outputs.testrail-run-url }}"


def test_monitor_state_file_pushgateway_secret_and_no_run_url():
    workflow = load(WORKFLOWS / "monitor.yml")
    call = workflow["on"]["workflow_call"]
    assert call["outputs"]["state"]["description"].startswith("pass | fail")
    job = workflow["jobs"]["monitor"]
    state = job["env"]["TESTGATE_STATE_FILE"]
    assert (
        state == "${{ inputs.state-file || format('{0}/monitor-state.json', inputs.reports-dir) }}"
    )
    caches = [s for s in job["steps"] if "actions/cache/" in str(s.get("uses"))]
    assert [s["with"]["path"] for s in caches] == [state, state]
    run_step = _step(job, "monitor")
    assert "TESTGATE_RUN_URL" not in run_step["env"], "testgate derives the run URL itself"
    assert run_step["env"]["TESTGATE_PUSHGATEWAY_URL"] == (
        "${{ secrets.TESTGATE_PUSHGATEWAY_URL || inputs.pushgateway-url }}"
    )
    assert run_step["env"]["TESTGATE_ALERT_ATTEMPTS"] == "${{ inputs.alert-attempts }}"
    example = load(WORKFLOWS / "example-monitor.yml")["jobs"]["monitor"]
    assert "pip-install" not in example.get("with", {})


def test_deploy_example_switches_over_only_after_every_gate():
    jobs = load(WORKFLOWS / "example-deploy.yml")["jobs"]
    assert sorted(jobs["switch-over"]["needs"]) == [
        "api-tests-candidate",
        "can-i-deploy",
        "verify-candidate",
    ]
    assert "if" not in jobs["switch-over"], "no always(): a failed gate skips the switch"
    assert jobs["record-deployment"]["needs"] == "switch-over"
    assert jobs["deploy-candidate"]["needs"] == "can-i-deploy"
