"""Static checks of the GitHub workflows and composite actions: linters, schema, conventions,
the settings table, docs and versions.

Fast (a few seconds): nothing is run here; test_github_act.py and test_github_actions.py run
the workflows and the actions with act.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, require_tool
from input_rules import input_problems as check_inputs
from input_rules import same_default

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / ".github" / "actions"
README = WORKFLOWS / "README.md"
ACTIONS_README = ACTIONS / "README.md"
VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
TAG = f"v{VERSION}"
TOOLS_REPOSITORY = "testgate/testgate"

sys.path.insert(0, str(ROOT / "scripts"))
import gen_github_docs  # noqa: E402

ALL_FILES = sorted(WORKFLOWS.glob("*.yml"))
TEMPLATES = sorted(WORKFLOWS / name for name in gen_github_docs.reusable_workflows())
EXAMPLES = sorted(WORKFLOWS.glob("example-*.yml"))
ACTION_FILES = sorted(ACTIONS.glob("*/action.yml"))
EXPECTED_ACTIONS = {"setup", "report", "can-i-deploy", "publish"}
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
    "testrail",  # whether TestRail is sent the results
    "pip-install",  # the install step's pip arguments
}
# Env vars the install steps read themselves (not testgate commands).
INSTALL_ENV = {
    "TESTGATE_TOOLS_REF",
    "TESTGATE_TOOLS_REPOSITORY",
    "TESTGATE_PIP_INSTALL",
    "TESTGATE_SETUP_PYTHON",
}
KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", re.MULTILINE)
TESTGATE_RUN = re.compile(r"^\s*testgate\s+([a-z][a-z-]*)", re.MULTILINE)


def env_var_for(name: str) -> str:
    """The variable an input becomes: its setting's, from the table (PACT_BROKER_BASE_URL for
    broker-url; TESTGATE_<INPUT> for the rest)."""
    from testgate.settings_table import SETTINGS

    return SETTINGS[name].env


@functools.cache
def load(path: Path) -> dict:
    """A workflow as data (parsed once; callers must not modify it)."""
    return gen_github_docs.load_workflow(path)


def steps(workflow: dict):
    """(job id, job, step) of a workflow's jobs, or ("runs", {}, step) of a composite action."""
    for job_id, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_id, job, step
    for step in (workflow.get("runs") or {}).get("steps") or []:
        yield "runs", {}, step


def ids(paths):
    return [p.name for p in paths]


# -- linters ------------------------------------------------------------------------------


def _tool_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run_tool(argv: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """A linter or checker on the templates, with this venv's tools first on PATH."""
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, env=_tool_env(), check=False
    )


def test_actionlint_is_clean():
    actionlint = require_tool("actionlint")
    require_tool("shellcheck")
    files = [str(p.relative_to(ROOT)) for p in ALL_FILES]
    proc = _run_tool([actionlint, "-no-color", *files])
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
    proc = _run_tool([actionlint, "-no-color", ".github/workflows/bad.yml"], cwd=tmp_path)
    assert proc.returncode == 1
    assert "SC2086" in proc.stdout


def test_zizmor_offline_has_no_findings():
    zizmor = require_tool("zizmor")
    proc = _run_tool(
        [
            zizmor,
            "--offline",
            "--no-progress",
            "--config",
            ".github/zizmor.yml",
            ".github/workflows",
            ".github/actions",
        ]
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout + proc.stderr
    for action in ACTION_FILES:  # the composite actions were audited too
        assert f"completed {action.relative_to(ROOT)}" in proc.stdout + proc.stderr


def test_zizmor_config_disables_only_self_repository():
    config = yaml.safe_load((ROOT / ".github" / "zizmor.yml").read_text(encoding="utf-8"))
    disabled = {name for name, rule in config["rules"].items() if (rule or {}).get("disable")}
    assert disabled == {"self-repository"}
    policies = config["rules"]["unpinned-uses"]["config"]["policies"]
    assert policies == {"testgate/*": "ref-pin", "*": "hash-pin"}


def test_workflows_match_the_github_workflow_schema():
    checker = require_tool("check-jsonschema")
    proc = _run_tool([checker, "--builtin-schema", "vendor.github-workflows", *map(str, ALL_FILES)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actions_match_the_github_action_schema():
    checker = require_tool("check-jsonschema")
    assert {p.parent.name for p in ACTION_FILES} == EXPECTED_ACTIONS
    proc = _run_tool(
        [checker, "--builtin-schema", "vendor.github-actions", *map(str, ACTION_FILES)]
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_install_script_of_the_actions_is_shellcheck_clean(tmp_path):
    shellcheck = require_tool("shellcheck")
    script = ACTIONS / "setup" / "install.sh"
    proc = subprocess.run([shellcheck, str(script)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # ... and shellcheck does look: the same script with an unquoted expansion is refused
    bad = tmp_path / "install.sh"
    bad.write_text(
        script.read_text(encoding="utf-8").replace('"$root"', "$root", 1), encoding="utf-8"
    )
    proc = subprocess.run([shellcheck, str(bad)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "SC2086" in proc.stdout


def _readme_example() -> str:
    """The complete workflow of the actions README (its first ```yaml block)."""
    text = ACTIONS_README.read_text(encoding="utf-8")
    return text.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]


def test_actionlint_and_zizmor_accept_the_actions_readme_example(tmp_path):
    actionlint = require_tool("actionlint")
    zizmor = require_tool("zizmor")
    require_tool("shellcheck")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "service-ci.yml").write_text(_readme_example(), encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    lint = _run_tool([actionlint, "-no-color", ".github/workflows/service-ci.yml"], cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    config = str(ROOT / ".github" / "zizmor.yml")
    audit = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--config", config, str(workflows)],
        capture_output=True,
        text=True,
        env=_tool_env(),
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr


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


@pytest.mark.parametrize("path", ALL_FILES + ACTION_FILES, ids=ids(ALL_FILES + ACTION_FILES))
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


@pytest.mark.parametrize("path", ALL_FILES + ACTION_FILES, ids=ids(ALL_FILES + ACTION_FILES))
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
    for path in ALL_FILES + ACTION_FILES:
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


@pytest.mark.parametrize("path", ALL_FILES + ACTION_FILES, ids=ids(ALL_FILES + ACTION_FILES))
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

INPUT_FILES = TEMPLATES + ACTION_FILES


def _name(path: Path) -> str:
    """``test-report.yml`` for a workflow, ``report/action.yml`` for an action."""
    return f"{path.parent.name}/{path.name}" if path.name == "action.yml" else path.name


def _inputs(path: Path) -> dict:
    data = load(path)
    if path.name == "action.yml":
        return data.get("inputs") or {}
    return data["on"]["workflow_call"].get("inputs") or {}


@pytest.mark.parametrize("path", TEMPLATES, ids=ids(TEMPLATES))
def test_inputs_are_kebab_case_typed_and_described(path):
    for name, spec in _inputs(path).items():
        assert KEBAB.match(name), f"{name}: kebab-case"
        assert spec.get("type") in {"string", "boolean", "number"}, name
        assert spec.get("description"), name
        assert not any(ci in name for ci in ("github", "gitlab", "jenkins")), name


@pytest.mark.parametrize("path", INPUT_FILES, ids=[_name(p) for p in INPUT_FILES])
def test_every_input_reaches_an_env_var(path):
    workflow = load(path)
    where = gen_github_docs.input_env_vars(workflow)
    env_blocks: dict[str, str] = {}
    for _, job, step in steps(workflow):
        env_blocks.update({k: str(v) for k, v in (job.get("env") or {}).items()})
        env_blocks.update({k: str(v) for k, v in (step.get("env") or {}).items()})
    for name in _inputs(path):
        if name in WIRING_INPUTS or _table()[name].kind == "template":
            assert where.get(name), f"{name}: a wiring input nobody uses"
            continue
        var = env_var_for(name)
        assert var in env_blocks, f"{name}: pass it as {var} in an env: block"
        assert re.search(rf"\binputs\.{re.escape(name)}\b", env_blocks[var]), (name, var)


# -- every input is the setting of the same name (issue 10: templates that only wire) ------

# Template defaults that differ from the table's on purpose, with the reason; the check fails
# when the template says something else.
DEFAULT_EXCEPTIONS = {
    ("monitor.yml", "env"): (
        "prod",
        "the scheduled monitor checks production; the table's `local` is the CLI's default "
        "(env has no testgate.toml key, so nothing of the project's is overridden)",
    ),
    ("provider-verification.yml", "pact-artifact"): (
        "",
        "empty: no pact artifact to download (strategy 2, the broker, a webhook's pact URL)",
    ),
    ("api-tests.yml", "pact-artifact"): (
        "",
        "empty: no pact artifact to download (the stubs' pacts are in pact-dir, or none)",
    ),
    ("api-tests.yml", "shards"): (
        1,
        "the job matrix needs a count (a number input cannot be empty): one job, which is "
        "what testgate does without shards",
    ),
}


def _table():
    from testgate.settings_table import SETTINGS

    return SETTINGS


def input_problems(file: str, inputs: dict, settings) -> list[str]:
    """Where a workflow's or action's inputs are not the settings table's (input_rules.py)."""
    exceptions = {name: v for (f, name), v in DEFAULT_EXCEPTIONS.items() if f == file}
    return check_inputs(file, inputs, settings, exceptions, "scripts/gen_github_docs.py")


@pytest.mark.parametrize("path", INPUT_FILES, ids=[_name(p) for p in INPUT_FILES])
def test_inputs_are_the_settings_tables_names_descriptions_and_defaults(path):
    assert input_problems(_name(path), _inputs(path), _table()) == []


def test_the_table_check_notices_every_kind_of_drift():
    settings = _table()
    pact_dir = {"type": "string", "default": "", "description": settings["pact-dir"].help}
    good = {
        "pact-dir": pact_dir,
        "reports-dir": {**pact_dir, "default": "reports"},
        "history": {**pact_dir, "type": "boolean", "default": True},
        "timeout-minutes": {**pact_dir, "type": "number", "default": 7},
        "history-max-runs": {**pact_dir, "type": "number", "default": 200},
    }
    for name, spec in good.items():
        spec["description"] = settings[name].help
    assert input_problems("x.yml", good, settings) == []
    drifts = {
        "pact-dir": {"default": "pacts"},  # testgate.toml has consumer.pact-dir: must be empty
        "reports-dir": {"default": "out"},  # not the table's default
        "history": {"default": False},  # a boolean other than the table's
        "history-max-runs": {"description": "Runs kept"},  # not the table's help
    }
    for name, change in drifts.items():
        changed = {name: {**good[name], **change}}
        assert len(input_problems("x.yml", changed, settings)) == 1, name
    unknown = {"bogus-input": {"type": "string", "default": "", "description": "?"}}
    assert input_problems("x.yml", unknown, settings) == [
        "x.yml: input bogus-input is not a setting in settings_table.py"
    ]
    monitor_env = {"env": {**pact_dir, "description": settings["env"].help, "default": "local"}}
    assert input_problems("monitor.yml", monitor_env, settings), "the exception is checked"


@pytest.mark.parametrize("path", INPUT_FILES, ids=[_name(p) for p in INPUT_FILES])
def test_variables_and_secrets_are_the_tables(path):
    """Every TESTGATE_* variable a template sets, and every secret it passes, is a setting's
    variable (or one of its accepted spellings) in the table."""
    settings = _table()
    known = {var for s in settings.values() for var in s.variables} | INSTALL_ENV
    for _, job, step in steps(load(path)):
        for var in {**(job.get("env") or {}), **(step.get("env") or {})}:
            if var.startswith(("TESTGATE_", "PACT_BROKER_", "TESTRAIL_")):
                assert var in known, f"{_name(path)}: {var} is no setting's variable"
    if path in TEMPLATES:
        for secret in load(path)["on"]["workflow_call"].get("secrets") or {}:
            assert secret in known, f"{path.name}: secret {secret} is no setting's variable"


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
            continue  # a job that never runs testgate
        tools = [
            s
            for s in job["steps"]
            if (s.get("with") or {}).get("repository") == "${{ inputs.tools-repository }}"
        ]
        assert len(tools) == 1, f"{job_id}: one checkout of testgate"
        assert tools[0]["with"]["ref"] == "${{ inputs.tools-ref }}"
        assert tools[0]["with"]["path"] == ".testgate"
        assert "python -m pip install ./.testgate" in runs


def _command(run: str) -> str | None:
    """``"ci report"``, ``"can-i-deploy"``: the testgate command a `run:` calls, if any."""
    match = re.search(r"^\s*testgate\s+([a-z][a-z-]*)(?:\s+(report|comment|shards)\b)?", run, re.M)
    if match is None:
        return None
    return " ".join(part for part in match.groups() if part)


# The modules whose code runs for a command (ci report runs report, history and testrail).
COMMAND_MODULES = {
    "ci report": ("ci", "report", "history", "testrail"),
    "ci comment": ("ci",),
    "ci shards": ("ci",),
}


def _emitted_outputs(command: str) -> set[str]:
    from testgate import cli

    names = COMMAND_MODULES.get(command) or (cli.COMMANDS[command],)
    found: set[str] = set()
    for name in names:
        module = ROOT / "scripts" / "testgate" / "commands" / f"{name}.py"
        found |= set(
            re.findall(r"\.output\(\s*\"([a-z0-9-]+)\"", module.read_text(encoding="utf-8"))
        )
    return found


OUTPUT_FILES = [WORKFLOWS / "test-report.yml", WORKFLOWS / "monitor.yml"]
OUTPUT_FILES += [WORKFLOWS / "can-i-deploy.yml", WORKFLOWS / "api-tests.yml"]
OUTPUT_FILES += [p for p in ACTION_FILES if p.parent.name != "setup"]


@pytest.mark.parametrize("path", OUTPUT_FILES, ids=[_name(p) for p in OUTPUT_FILES])
def test_outputs_are_step_outputs_the_command_writes(path):
    """Each output is a step output (through a job output for a workflow), and the `testgate`
    command that step runs really writes it (read from the command's source)."""
    data = load(path)
    if path.name == "action.yml":
        declared = {
            n: (spec["value"], data["runs"]["steps"]) for n, spec in data["outputs"].items()
        }
    else:
        declared = {}
        call = data["on"]["workflow_call"]
        for name, spec in (call.get("outputs") or {}).items():
            job_id, key = re.search(r"jobs\.([\w-]+)\.outputs\.([\w-]+)", spec["value"]).groups()
            job = data["jobs"][job_id]
            declared[name] = (job["outputs"][key], job["steps"])
        for job in data["jobs"].values():  # job outputs a matrix reads (api-tests' shards)
            for name, value in (job.get("outputs") or {}).items():
                declared.setdefault(name, (value, job["steps"]))
    assert declared, "outputs"
    for name, (value, step_list) in declared.items():
        step_id, step_output = re.search(r"steps\.([\w-]+)\.outputs\.([\w-]+)", value).groups()
        (step,) = [s for s in step_list if s.get("id") == step_id]
        command = _command(step["run"])
        assert command, f"{_name(path)}: {name}: step {step_id} runs no testgate command"
        assert step_output in _emitted_outputs(command), (
            f"{_name(path)}: {name}: testgate {command} never writes {step_output}"
        )


def _commands_in(path: Path) -> list[tuple[str, dict]]:
    """(command, env it runs with) for every `testgate <command>` in a template."""
    found = []
    for _, job, step in steps(load(path)):
        command = _command(step.get("run", ""))
        if command and command != "--version":
            found.append((command, {**(job.get("env") or {}), **(step.get("env") or {})}))
    return found


@pytest.mark.parametrize("path", INPUT_FILES, ids=[_name(p) for p in INPUT_FILES])
def test_commands_exist_and_read_the_env_vars_they_are_given(path):
    """Templates and commands agree: each `testgate X` is registered, and each TESTGATE_/
    PACT_BROKER_ variable the step sets appears in that command's --help or in the package."""
    from testgate import cli

    commands_dir = ROOT / "scripts" / "testgate" / "commands"
    shared = "\n".join(p.read_text(encoding="utf-8") for p in commands_dir.glob("_*.py"))
    for command, env in _commands_in(path):
        words = command.split()
        assert words[0] in cli.COMMANDS, f"testgate {command} is not registered in cli.COMMANDS"
        module = commands_dir / f"{cli.COMMANDS[words[0]]}.py"
        assert module.is_file(), f"testgate {command}: {module} is missing"
        # Commands read the environment (the library never does): the command's own module,
        # the shared command helpers, or its --help must name the variable.
        source = module.read_text(encoding="utf-8") + shared
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main([*words, "--help"], {}) == 0
        help_text = out.getvalue()
        for var in env:
            if var in INSTALL_ENV or not var.startswith(("TESTGATE_", "PACT_BROKER_")):
                continue
            assert var in help_text or f'"{var}"' in source, (
                f"{_name(path)}: testgate {command} is given {var} but never reads it"
            )


# -- the composite actions: the same names and commands as the reusable workflows -----------

ACTION_TWINS = {
    "report": ("test-report.yml", {"ci report", "ci comment"}),
    "can-i-deploy": ("can-i-deploy.yml", {"can-i-deploy"}),
    "publish": ("consumer-contracts.yml", {"publish"}),
}


@pytest.mark.parametrize("action", sorted(ACTION_TWINS))
def test_actions_share_input_names_variables_and_commands_with_the_workflows(action):
    path = ACTIONS / action / "action.yml"
    workflow_file, commands = ACTION_TWINS[action]
    workflow = WORKFLOWS / workflow_file
    ran = {c for c, _ in _commands_in(path)}
    assert ran == commands
    assert commands <= {c for c, _ in _commands_in(workflow)}
    mine, theirs = _inputs(path), _inputs(workflow)
    assert set(mine) <= set(theirs), f"inputs the workflow does not have: {set(mine) - set(theirs)}"
    where_mine = gen_github_docs.input_env_vars(load(path))
    where_theirs = gen_github_docs.input_env_vars(load(workflow))
    for name in mine:
        own = f"`{env_var_for(name)}`"  # the input's own variable: set by both or by neither
        assert (own in where_mine.get(name, [])) == (own in where_theirs.get(name, [])), name
        if not (mine[name].get("required") or theirs[name].get("required")):
            assert same_default(mine[name].get("default", ""), theirs[name].get("default", "")), (
                name
            )


@pytest.mark.parametrize("path", ACTION_FILES, ids=[_name(p) for p in ACTION_FILES])
def test_actions_install_testgate_from_their_own_checkout(path):
    """Each action sets up its own Python without touching the job's (update-environment:
    false) and installs testgate from github.action_path with the one install script."""
    action = load(path)
    assert action["runs"]["using"] == "composite"
    run_steps = action["runs"]["steps"]
    (python,) = [s for s in run_steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert python["with"]["update-environment"] is False
    assert python["with"]["python-version"] == "${{ inputs.python-version }}"
    installs = [s for s in run_steps if "install.sh" in s.get("run", "")]
    assert len(installs) == 1
    script = (
        "$GITHUB_ACTION_PATH/install.sh"
        if path.parent.name == "setup"
        else ("$GITHUB_ACTION_PATH/../setup/install.sh")
    )
    assert installs[0]["run"] == f'"{script}"'
    assert installs[0]["env"]["TESTGATE_SETUP_PYTHON"] == "${{ steps.python.outputs.python-path }}"
    assert run_steps.index(python) < run_steps.index(installs[0])
    for step in run_steps:
        if "run" in step:
            assert step.get("shell") == "bash", step.get("name")
        assert "continue-on-error" not in step


# -- docs ---------------------------------------------------------------------------------


def test_readme_tables_are_generated_from_the_yaml():
    assert gen_github_docs.main(["--check"]) == 0, "run: python scripts/gen_github_docs.py"


def test_readme_check_notices_a_stale_table(tmp_path):
    stale = tmp_path / "README.md"
    text = README.read_text(encoding="utf-8")
    stale.write_text(text.replace("| `tools-ref` |", "| `tools-ref-old` |", 1), encoding="utf-8")
    assert gen_github_docs.main(["--check", "--readme", str(stale)]) == 1
    actions = tmp_path / "actions.md"
    text = ACTIONS_README.read_text(encoding="utf-8")
    actions.write_text(text.replace("| `baseline` |", "| `baseline-old` |", 1), encoding="utf-8")
    assert gen_github_docs.main(["--check", "--actions-readme", str(actions)]) == 1


def test_descriptions_are_written_from_the_table(tmp_path):
    """The generator sets every input's description from the settings table, and --check
    notices a description edited by hand."""
    workflows = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, workflows)
    path = workflows / "can-i-deploy.yml"
    text = path.read_text(encoding="utf-8")
    help_text = _table()["pacticipant"].help
    edited = text.replace(f"description: {json.dumps(help_text)}", 'description: "by hand"', 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    assert gen_github_docs.main(["--check", "--workflows", str(workflows)]) == 1
    assert gen_github_docs.sync_descriptions(edited, _table()) == text


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


def _action_sections() -> dict[str, str]:
    text = ACTIONS_README.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {p.split("\n", 1)[0].strip("` "): p for p in parts[1:]}


@pytest.mark.parametrize("path", ACTION_FILES, ids=[_name(p) for p in ACTION_FILES])
def test_actions_readme_documents_every_input_with_a_pinned_snippet(path):
    section = _action_sections()[path.parent.name]
    for name in _inputs(path):
        assert f"| `{name}` |" in section, f"{name} missing from the actions README"
    for name in load(path).get("outputs") or {}:
        assert f"| `{name}` |" in section
    assert f"{TOOLS_REPOSITORY}/.github/actions/{path.parent.name}@{TAG}" in section
    assert "```yaml" in section
    example = _readme_example()
    assert f"{TOOLS_REPOSITORY}/.github/actions/{path.parent.name}@{TAG}" in example


def test_actions_readme_pins_this_release():
    text = ACTIONS_README.read_text(encoding="utf-8")
    refs = set(re.findall(rf"{TOOLS_REPOSITORY}/\.github/actions/[\w-]+@([^\s`]+)", text))
    assert refs == {TAG}


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


# What ran after the gate (history only when it decided; TestRail) is decided by `testgate ci
# report` now: tests/commands/test_ci.py holds those assertions (a failed gate is recorded, an
# undecided one is not, history off reports only, TestRail after the history).

REPORT_FILES = ("testgate-report.html", "testgate-report.json", "testgate-report.md")
REPORT_FILES += ("history-trend.svg", "merged.xml")


@pytest.mark.parametrize(
    "path", [WORKFLOWS / "test-report.yml", ACTIONS / "report" / "action.yml"], ids=_name
)
def test_one_report_step_decides_and_uploads_exactly_what_it_wrote(path):
    data = load(path)
    step_list = data["jobs"]["test-report"]["steps"] if "jobs" in data else data["runs"]["steps"]
    job = {"steps": step_list}
    report = _step(job, "report")
    assert "if" not in report, "nothing may skip the gate"
    assert report["run"].strip() == "testgate ci report"
    runs = [_command(s.get("run", "")) for s in step_list]
    assert [c for c in runs if c and c != "--version"].count("ci report") == 1
    assert "testgate report" not in str(step_list), "one step: no separate report/history steps"
    # the gate's settings and the history's reach that one step
    for var in ("TESTGATE_BASELINE", "TESTGATE_HISTORY", "TESTGATE_HISTORY_FILE"):
        assert var in report["env"], var
    upload = _uses(job, "upload-artifact")[0]
    assert upload["if"] in ("always()", "${{ !cancelled() }}")
    from testgate.commands import ci

    names = (ci.HTML_PAGE, ci.REPORT_JSON, ci.REPORT_MD, ci.TREND_SVG, ci.MERGED_JUNIT)
    assert names == REPORT_FILES
    uploaded = [line.strip() for line in upload["with"]["path"].splitlines() if line.strip()]
    assert uploaded == [f"${{{{ inputs.reports-dir }}}}/{name}" for name in names]
    assert not any("*" in line for line in uploaded), "no globs: the files ci report wrote"


def test_the_report_reads_only_the_artifacts_of_this_run():
    """report-paths empty: the folder the artifacts were downloaded into, never every report
    of the workspace (a stale reports/old.xml, last run's merged.xml would count)."""
    job = load(WORKFLOWS / "test-report.yml")["jobs"]["test-report"]
    (download,) = _uses(job, "download-artifact")
    assert download["with"]["path"] == "${{ inputs.reports-dir }}/artifacts"
    assert download["with"]["pattern"] == "${{ inputs.artifact-pattern }}"
    assert _step(job, "report")["env"]["TESTGATE_REPORT_PATHS"] == (
        "${{ inputs.report-paths || format('{0}/artifacts', inputs.reports-dir) }}"
    )


@pytest.mark.parametrize(
    ("path", "job_id", "step_id"),
    [
        ("consumer-contracts.yml", "consumer-contracts", "consumer"),
        ("provider-verification.yml", "provider-verification", "verify"),
        ("api-tests.yml", "api-tests", "tests"),
    ],
)
def test_test_jobs_upload_the_junit_file_testgate_wrote(path, job_id, step_id):
    job = load(WORKFLOWS / path)["jobs"][job_id]
    command = _command(_step(job, step_id)["run"])
    assert "junit" in _emitted_outputs(command)
    uploads = [u for u in _uses(job, "upload-artifact") if "junit" in u["with"]["path"]]
    assert len(uploads) == 1
    assert uploads[0]["with"]["path"] == f"${{{{ steps.{step_id}.outputs.junit }}}}"
    assert uploads[0]["if"] == f"always() && steps.{step_id}.outputs.junit != ''"
    for upload in _uses(job, "upload-artifact"):
        assert "*.xml" not in upload["with"]["path"]


def test_history_cache_is_saved_per_run_and_read_by_the_api_test_shards():
    report_job = load(WORKFLOWS / "test-report.yml")["jobs"]["test-report"]
    api_job = load(WORKFLOWS / "api-tests.yml")["jobs"]["api-tests"]
    action = {"steps": load(ACTIONS / "report" / "action.yml")["runs"]["steps"]}
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
    history_file = _step(report_job, "report")["env"]["TESTGATE_HISTORY_FILE"]
    assert history_file.startswith(path + "/")
    run_step = next(s for s in api_job["steps"] if s.get("run") == "testgate api-tests")
    assert run_step["env"]["TESTGATE_HISTORY_FILE"] == history_file
    # saved when testgate recorded the run (it writes history-runs then), also after a red gate
    assert save["if"] == "${{ !cancelled() && steps.report.outputs.history-runs != '' }}"
    assert restore["if"] == "inputs.history"
    assert shard_restore["if"] == "inputs.shards > 1"
    # the report action keeps the same history (so both can share it)
    (a_restore,) = [s for s in action["steps"] if "cache/restore@" in str(s.get("uses"))]
    (a_save,) = [s for s in action["steps"] if "cache/save@" in str(s.get("uses"))]
    assert a_restore["with"] == restore["with"]
    assert a_save["with"] == save["with"]
    assert a_save["if"] == save["if"]
    assert _step(action, "report")["env"]["TESTGATE_HISTORY_FILE"] == history_file


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
    """The shard plan step as the job runs it: its command, its env, GitHub's output file."""
    step = _step(load(WORKFLOWS / "api-tests.yml")["jobs"]["shards"], "plan")
    assert step["run"] == "testgate ci shards"
    assert step["env"] == {"TESTGATE_SHARDS": "${{ inputs.shards }}"}
    out = tmp_path / "github_output"
    out.write_text("", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "testgate", "ci", "shards"],
        env={
            "PATH": "/usr/bin:/bin",
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(out),
            "TESTGATE_SHARDS": shards,
        },
        cwd=tmp_path,
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
    assert f"matrix={matrix}\n" in output
    assert json.loads(matrix) == list(range(1, int(shards) + 1))


@pytest.mark.parametrize("shards", ["0", "257", "", "2.5", "-1", "two"])
def test_shard_plan_refuses_what_a_matrix_cannot_hold(shards, tmp_path):
    code, output, stdout = _plan(shards, tmp_path)
    assert code == 2
    assert "matrix=" not in output
    assert stdout.startswith("::error")
    assert "shards" in stdout


def test_testrail_is_sent_by_the_report_step_with_the_credentials_only_there():
    """No testrail job, no trcli pin or install in YAML: `testgate ci report` sends the merged
    JUnit when testrail is on (and installs the trcli testgate pins itself)."""
    workflow = load(WORKFLOWS / "test-report.yml")
    call = workflow["on"]["workflow_call"]
    assert call["inputs"]["testrail"]["default"] is False
    assert set(call["secrets"]) == {"TESTRAIL_USER", "TESTRAIL_KEY"}
    assert all(spec["required"] is False for spec in call["secrets"].values())
    assert set(workflow["jobs"]) == {"test-report", "pr-comment"}
    job = workflow["jobs"]["test-report"]
    report = _step(job, "report")
    assert report["env"]["TESTGATE_TESTRAIL"] == "${{ inputs.testrail }}"
    assert report["env"]["TESTRAIL_USER"] == "${{ secrets.TESTRAIL_USER }}"
    assert report["env"]["TESTRAIL_KEY"] == "${{ secrets.TESTRAIL_KEY }}"
    for _, other_job, step in steps(workflow):
        if step is not report:
            assert "secrets.TESTRAIL" not in str(step.get("env")), step.get("name")
            assert "secrets.TESTRAIL" not in str(other_job.get("env"))
    text = (WORKFLOWS / "test-report.yml").read_text(encoding="utf-8")
    for pin_or_install in ("trcli==", "TRCLI_VERSION", "pip install trcli", "TESTGATE_TRCLI"):
        assert pin_or_install not in text
    outputs = call["outputs"]["testrail-run-url"]["value"]
    assert outputs == "${{ jobs.test-report.outputs.testrail-run-url }}"
    assert job["outputs"]["testrail-run-url"] == "${{ steps.report.outputs.testrail-run-url }}"


def test_pr_comment_job_runs_testgate_ci_comment_with_the_jobs_token():
    job = load(WORKFLOWS / "test-report.yml")["jobs"]["pr-comment"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    (comment,) = [s for s in job["steps"] if _command(s.get("run", "")) == "ci comment"]
    assert comment["run"] == "testgate ci comment"
    assert comment["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert comment["env"]["TESTGATE_COMMENT_MARKER"] == "${{ inputs.report-artifact }}"
    text = (WORKFLOWS / "test-report.yml").read_text(encoding="utf-8")
    for gone in ("gh api", "head -c", "iconv"):
        assert gone not in text, f"{gone}: testgate's REST client and renderer do that"


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
