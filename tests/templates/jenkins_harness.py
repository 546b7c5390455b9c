"""Helpers for the Jenkins shared library tests: run the Groovy harness, read the help texts.

The harness (``jenkins/test/harness.groovy``) runs a batch of scenarios in one JVM, because
Groovy's start-up costs about a second and a half. Each scenario is pipeline code (or a
Jenkinsfile) plus a workspace, env and credentials; the result lists every step call it made.

``python tests/templates/jenkins_harness.py --update-docs`` regenerates the Arguments blocks
of ``jenkins/vars/*.txt`` from the settings table (the descriptions of the table's settings are
its help; the Jenkins-only arguments keep theirs) and the argument tables in
``jenkins/README.md`` from those.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testgate.settings import Setting
from testgate.settings_table import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "jenkins"
VARS = LIBRARY / "vars"
README = LIBRARY / "README.md"
HARNESS = LIBRARY / "test" / "harness.groovy"
VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()

# Steps a Jenkinsfile calls (testgateStep is the library's internal helper).
STEPS = [
    "consumerContracts",
    "providerVerification",
    "apiTests",
    "testReport",
    "canIDeploy",
    "recordDeployment",
    "monitor",
    "testgateInstall",
]
# What each step runs: the commands whose settings its arguments are (testgateInstall runs none).
STEP_COMMANDS: dict[str, tuple[str, ...]] = {
    "consumerContracts": ("consumer", "publish"),
    "providerVerification": ("verify",),
    "apiTests": ("api-tests", "ci shards"),
    "testReport": ("ci report",),
    "canIDeploy": ("can-i-deploy",),
    "recordDeployment": ("record-deployment",),
    "monitor": ("monitor",),
    "testgateInstall": (),
}
# The arguments every step takes besides its own (testgateStep.settings adds them).
COMMON_ARGS = {"reportsDir": "'reports'", "timeoutMinutes": "15"}
# Arguments that are no setting of the table, and why: Jenkins credential IDs (the other
# platforms take the secret itself), how the agent gets its Python, and Jenkins plugins
# (junit, publishHTML, copyArtifacts) a build may lack. Each is documented in its step's .txt.
JENKINS_ONLY = {
    "credentialsId": "Jenkins credential bound as PACT_BROKER_TOKEN",
    "usernamePasswordCredentialsId": "Jenkins credential bound as the broker's user and password",
    "alertWebhookCredentialsId": "Jenkins credential bound as TESTGATE_ALERT_WEBHOOK_URL",
    "testrailCredentialsId": "Jenkins credential bound as TESTRAIL_USER and TESTRAIL_KEY",
    "publishJunit": "the junit step (JUnit plugin)",
    "publishHtml": "the publishHTML step (HTML Publisher plugin)",
    "restoreState": "the copyArtifacts step (Copy Artifact plugin)",
    "python": "the agent's interpreter that creates the virtualenv (GitHub: python-version)",
    "venv": "the virtualenv on the agent",
}
# What a credentials argument binds (the variables shown in the help).
SECRET_VARS = {
    "credentialsId": "PACT_BROKER_TOKEN",
    "usernamePasswordCredentialsId": "PACT_BROKER_USERNAME, PACT_BROKER_PASSWORD",
    "alertWebhookCredentialsId": "TESTGATE_ALERT_WEBHOOK_URL",
    "testrailCredentialsId": "TESTRAIL_USER, TESTRAIL_KEY",
}
# Variables the install step sets for its own shell script (no setting of testgate reads them).
INSTALL_VARS = {"python": "TESTGATE_PYTHON", "venv": "TESTGATE_VENV"}
# Defaults that differ from the table's on purpose, the same on every platform: the monitor
# watches production (GitHub's and GitLab's monitor templates default to prod too).
TEMPLATE_DEFAULTS = {("monitor", "env"): "'prod'"}

_ARG_LINE = re.compile(
    r"^  (?P<name>\w+) \((?P<type>\w+), default (?P<default>.*?)\)(?: -> (?P<env>[A-Z_, ]+))?$"
)
_WIDTH = 80


def kebab(name: str) -> str:
    """An argument in kebab-case (``toEnvironment`` -> ``to-environment``): its setting's name."""
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


def table_setting(name: str) -> Setting | None:
    """The settings-table row of a step argument, or None for a Jenkins-only argument."""
    return None if name in JENKINS_ONLY else SETTINGS.get(kebab(name))


@dataclass(frozen=True)
class HelpArg:
    """One argument as a step's ``.txt`` help documents it."""

    name: str
    type: str
    default: str
    env: str | None
    description: str

    @property
    def kebab(self) -> str:
        """The argument in kebab-case (``toEnvironment`` -> ``to-environment``)."""
        return kebab(self.name)

    @property
    def input(self) -> str | None:
        """The setting (and GitHub/GitLab input) of the same name, or None when Jenkins-only."""
        return None if self.name in JENKINS_ONLY else self.kebab


def parse_help(step: str) -> list[HelpArg]:
    """The arguments documented in ``vars/<step>.txt``, in order."""
    args: list[HelpArg] = []
    lines = (VARS / f"{step}.txt").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        match = _ARG_LINE.match(line)
        if not match:
            continue
        desc = []
        for follow in lines[i + 1 :]:
            if not follow.startswith("      "):
                break
            desc.append(follow.strip())
        args.append(
            HelpArg(match["name"], match["type"], match["default"], match["env"], " ".join(desc))
        )
    return args


def parse_groovy_defaults(step: str) -> dict[str, str]:
    """The step's own argument defaults, as written in its ``settings(...)`` (or ``defaults()``) map."""
    text = (VARS / f"{step}.groovy").read_text(encoding="utf-8")
    block = re.search(r"settings\('\w+', \[(.*?)\], args\)", text, re.S) or re.search(
        r"Map defaults\(\) \{\s*return \[(.*?)\]", text, re.S
    )
    assert block, f"no defaults map in vars/{step}.groovy"
    return {m[1]: m[2].strip() for m in re.finditer(r"^\s+(\w+)\s*:\s*(.*?),?\s*$", block[1], re.M)}


def command_specs(step: str) -> list[Any]:
    """The CommandSpecs of the commands a step runs."""
    from testgate.cli import _load

    specs = []
    for command in STEP_COMMANDS[step]:
        name, _, sub = command.partition(" ")
        module = _load(name)
        specs.append(module.SUBCOMMANDS[sub] if sub else module.SPEC)
    return specs


def testgate_default(step: str, setting: Setting) -> str | None:
    """What testgate takes when the argument is empty: the step's command's default, or the table's."""
    from testgate.settings import _UNSET

    for spec in command_specs(step):
        use = spec.use_of(setting.name)
        if use is not None and use.default is not _UNSET:
            return setting.describe_default(use.default)
    return setting.describe_default()


def _groovy_type(setting: Setting | None, default: str) -> str:
    kinds = {"bool": "Boolean", "int": "Integer", "float": "Number"}
    if setting is not None and setting.kind in kinds:
        return kinds[setting.kind]
    if default in ("true", "false"):
        return "Boolean"
    return "Integer" if default.isdigit() else "String"


# What an empty argument means where the step wires something of its own, not testgate's default.
EMPTY_MEANS = {
    ("testReport", "reportPaths"): "the JUnit files this build's testgate steps wrote",
    ("testReport", "historyFile"): ".testgate-history/history.json",
    ("apiTests", "historyFile"): ".testgate-history/history.json",
    ("apiTests", "shards"): "one run of every test, no parallel branches",
}


def _groovy_literal(value: Any) -> str:
    """A table default as the step's defaults map writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return f"'{value}'"


def argument_problems(step: str, defaults: dict[str, str]) -> list[str]:
    """What is wrong with a step's arguments (``name -> Groovy default``) against the table.

    Every argument is a setting of the table (its camelCase) or a documented Jenkins-only
    argument; a setting's default is empty, or the table's own where nothing else could win
    (a boolean, or a setting with no testgate.toml key), or a documented template default.
    """
    problems = []
    for name, default in defaults.items():
        setting = table_setting(name)
        if setting is None:
            if name not in JENKINS_ONLY:
                problems.append(
                    f"{step}.{name}: no setting {kebab(name)!r} in settings_table.py and not a "
                    "documented Jenkins-only argument (JENKINS_ONLY)"
                )
            continue
        if default == "''" or TEMPLATE_DEFAULTS.get((step, name)) == default:
            continue
        if setting.kind == "template" and setting.default is None:
            continue  # the template's own choice (a job timeout)
        table = _groovy_literal(setting.default) if setting.default is not None else "''"
        if default != table:
            problems.append(f"{step}.{name}: default {default}, the table's is {table} (or '')")
        elif setting.kind != "bool" and (setting.toml or setting.env_file):
            problems.append(
                f"{step}.{name}: default {default} would hide testgate.toml/envs: make it ''"
            )
    return problems


def table_description(step: str, name: str, setting: Setting, default: str) -> str:
    """A table argument's description: the table's help, then (when the argument's default is
    empty) what empty means: the step's own wiring, else testgate's default."""
    empty = EMPTY_MEANS.get((step, name))
    if default == "''" and not empty and "default" not in setting.help:
        empty = testgate_default(step, setting)
        if setting.toml:
            where = f"testgate.toml [{setting.toml_section}] {setting.toml_key}"
            empty = f"{where}, else {empty}" if empty else where
    return setting.help + (f" (empty: {empty})" if default == "''" and empty else "")


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(
        text, _WIDTH, initial_indent="      ", subsequent_indent="      ", break_on_hyphens=False
    )


def render_args(step: str) -> str:
    """The ``Arguments`` block of ``vars/<step>.txt``: table arguments from the table, the
    Jenkins-only ones with the description their .txt gives."""
    documented = {a.name: a for a in parse_help(step)}
    lines = []
    for name, default in parse_groovy_defaults(step).items():
        setting = table_setting(name)
        if name in SECRET_VARS:
            env: str | None = SECRET_VARS[name]
        elif setting is not None:
            env = setting.env
        else:
            env = INSTALL_VARS.get(name)
        head = f"  {name} ({_groovy_type(setting, default)}, default {default})"
        lines.append(head + (f" -> {env}" if env else ""))
        if setting is not None:
            lines += _wrap(table_description(step, name, setting, default))
        else:
            known = documented.get(name)
            lines += _wrap(known.description if known else "(undocumented: write what it does)")
    return "\n".join(lines)


_ARGS_BLOCK = re.compile(r"(Arguments \([^\n]*\):\n)(.*?)(\n\n|\Z)", re.S)


def render_help(step: str) -> str:
    """``vars/<step>.txt`` with its Arguments block regenerated (the prose is hand-written)."""
    text = (VARS / f"{step}.txt").read_text(encoding="utf-8")
    assert _ARGS_BLOCK.search(text), f"vars/{step}.txt has no 'Arguments (...):' block"
    return _ARGS_BLOCK.sub(lambda m: m[1] + render_args(step) + m[3], text, count=1)


def args_table(step: str) -> str:
    """The Markdown table of a step's arguments, generated from its ``.txt``."""
    rows = [
        "| argument | input | env var | default | description |",
        "|---|---|---|---|---|",
    ]
    for arg in parse_help(step):
        env = f"`{arg.env}`" if arg.env else "–"
        name = f"`{arg.input}`" if arg.input else "– (Jenkins only)"
        rows.append(f"| `{arg.name}` | {name} | {env} | `{arg.default}` | {arg.description} |")
    return "\n".join(rows)


def render_readme(text: str) -> str:
    """``text`` with every ``<!-- args:start STEP -->`` ... ``<!-- args:end -->`` block regenerated."""

    def repl(match: re.Match[str]) -> str:
        return f"{match[1]}\n{args_table(match[2])}\n<!-- args:end -->"

    return re.sub(r"(<!-- args:start (\w+) -->)\n.*?<!-- args:end -->", repl, text, flags=re.S)


def update_docs() -> None:
    """Regenerate the Arguments blocks of ``vars/*.txt``, then the README's tables from them."""
    for step in STEPS:
        (VARS / f"{step}.txt").write_text(render_help(step), encoding="utf-8")
    README.write_text(render_readme(README.read_text(encoding="utf-8")), encoding="utf-8")


def groovy_env() -> dict[str, str]:
    """The environment for ``groovy``: JAVA_HOME found from ``java`` when it is not set.

    Debian's groovy looks for /usr/lib/jvm/default-java, which only the default-jre
    package provides; a machine with just openjdk-17 needs JAVA_HOME.
    """
    env = dict(os.environ)
    home = env.get("JAVA_HOME", "")
    if not (home and Path(home, "bin", "java").exists()):
        java = shutil.which("java")
        if java:
            env["JAVA_HOME"] = str(Path(java).resolve().parent.parent)
    return env


def run_harness(
    groovy: str, scenarios: list[dict[str, Any]], tmp: Path, timeout: float = 600
) -> dict[str, dict[str, Any]]:
    """Run ``scenarios`` in one Groovy process; results by scenario name."""
    tmp.mkdir(parents=True, exist_ok=True)
    spec = tmp / "scenarios.json"
    out = tmp / "results.json"
    spec.write_text(json.dumps(scenarios), encoding="utf-8")
    proc = subprocess.run(
        [groovy, str(HARNESS), str(LIBRARY), str(spec), str(out)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=groovy_env(),
        check=False,
    )
    assert proc.returncode == 0, (
        f"harness failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )
    return {r["name"]: r for r in json.loads(out.read_text(encoding="utf-8"))}


def calls(result: dict[str, Any], step: str) -> list[dict[str, Any]]:
    """The calls of one step (``sh``, ``junit``, ...) a scenario made, in order."""
    return [c for c in result["calls"] if c["step"] == step]


# -- the example Jenkinsfile on the example services, with the real testgate ----------------

# Builds of the example Jenkinsfile (one JVM): the contract intact; EXAMPLE_BREAK=provider;
# the baseline example (a default-branch build with an old failure, then a multibranch pull
# request build adding a new one); and a stale report left in a workspace.
EXAMPLE_JOB = "inventory-api"
PULL_REQUEST = {
    "JOB_NAME": f"{EXAMPLE_JOB}/PR-7",
    "BRANCH_NAME": "PR-7",
    "CHANGE_ID": "7",
    "CHANGE_BRANCH": "feature/new-check",
    "CHANGE_TARGET": "main",
}
STALE_REPORT = """<testsuite name="stale" tests="3" failures="1">
  <testcase classname="old.build" name="a"/><testcase classname="old.build" name="b"/>
  <testcase classname="old.build" name="c"><failure message="from an earlier build"/></testcase>
</testsuite>
"""


def make_workspace(dest: Path, branch: str = "feature/demo") -> Path:
    """A checkout of a service repository, as `checkout scm` would leave it."""
    from template_results import copy_service_files

    copy_service_files(dest)
    git = ["git", "-C", str(dest), "-c", "user.name=ci", "-c", "user.email=ci@example.test"]
    subprocess.run([*git, "init", "-q", "-b", branch], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "service"], check=True)
    return dest


def run_examples(groovy: str, tmp: Path) -> dict[str, dict[str, Any]]:
    """Run the example builds; each result has ``report`` (its testgate-report.json, or None).

    testgate is not pip-installed: ``TESTGATE_VENV`` points the install step at the
    virtualenv running these tests, which it uses as its ``testgate --version`` is toolsRef's.
    """
    from template_results import NEW_FAILURE, OLD_FAILURE, VENV, add_failing_tests

    # Nothing from the outer CI may leak into the build: a Jenkins agent has none of it.
    outer = {
        k: None
        for k in os.environ
        if k.startswith(("TESTGATE_", "PACT_BROKER_", "GITHUB_", "GITLAB_", "CI_", "CHANGE_"))
    }
    base = {**outer, "TESTGATE_VENV": str(VENV), "PACT_DO_NOT_TRACK": "true"}
    builds: list[tuple[str, dict[str, Any], tuple[str, ...], Any]] = [
        ("pass", {"BRANCH_NAME": "feature/demo"}, (), None),
        # the next build of the same job: restores the history the passing one archived
        ("fail", {"BRANCH_NAME": "feature/demo", "EXAMPLE_BREAK": "provider"}, (), "pass"),
        ("main", {"JOB_NAME": f"{EXAMPLE_JOB}/main", "BRANCH_NAME": "main"}, (OLD_FAILURE,), None),
        (
            "pull-request",
            PULL_REQUEST,
            (OLD_FAILURE, NEW_FAILURE),
            {f"/{EXAMPLE_JOB}/main": "main"},
        ),
    ]
    scenarios = []
    for name, env, failing, previous in builds:
        ws = make_workspace(tmp / name / "workspace", branch=env["BRANCH_NAME"])
        if failing:
            add_failing_tests(ws, *failing)
        if isinstance(previous, dict):
            previous = {job: str(tmp / build / "artifacts") for job, build in previous.items()}
        elif previous:
            previous = str(tmp / previous / "artifacts")
        scenarios.append(
            {
                "name": name,
                "workspace": str(ws),
                "jenkinsfile": str(LIBRARY / "Jenkinsfile"),
                "env": {**base, **env},
                "artifacts": str(tmp / name / "artifacts"),
                "previousArtifacts": previous,
            }
        )
    # The library without the Jenkinsfile's `deleteDir()`: a report left by an earlier build.
    stale = make_workspace(tmp / "stale" / "workspace")
    (stale / "reports").mkdir()
    (stale / "reports" / "old.xml").write_text(STALE_REPORT, encoding="utf-8")
    scenarios.append(
        {
            "name": "stale",
            "workspace": str(stale),
            "script": "node { consumerContracts(); testReport() }",
            "env": {**base, "BRANCH_NAME": "feature/demo"},
            "artifacts": str(tmp / "stale" / "artifacts"),
        }
    )
    results = run_harness(groovy, scenarios, tmp, timeout=1500)
    for result in results.values():
        path = Path(result["workspace"]) / "reports" / "testgate-report.json"
        result["report"] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    return results


def example_builds(factory: Any, groovy: str) -> dict[str, dict[str, Any]]:
    """:func:`run_examples`, once per pytest session (its own tests and the parity test)."""
    from template_results import session_run

    return session_run(
        factory, "jenkins", "examples", lambda: run_examples(groovy, factory.mktemp("jenkins"))
    )


if __name__ == "__main__":
    if sys.argv[1:] not in (["--update-docs"], ["--update-readme"]):
        sys.exit("usage: python tests/templates/jenkins_harness.py --update-docs")
    update_docs()
