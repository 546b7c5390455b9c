"""Helpers for the Jenkins shared library tests: run the Groovy harness, read the help texts.

The harness (``jenkins/test/harness.groovy``) runs a batch of scenarios in one JVM, because
Groovy's start-up costs about a second and a half. Each scenario is pipeline code (or a
Jenkinsfile) plus a workspace, env and credentials; the result lists every step call it made.

``python tests/templates/jenkins_harness.py --update-readme`` regenerates the argument
tables in ``jenkins/README.md`` from ``jenkins/vars/*.txt``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
# Arguments with no GitHub/GitLab input of the same name: Jenkins credentials IDs (the other
# platforms take the secret itself), how the agent gets its Python and trcli, Jenkins plugins
# (junit, publishHTML, copyArtifacts) a build may lack, and where the history lives in the
# workspace (the other platforms cache a fixed path).
JENKINS_ONLY = {
    "credentialsId",
    "usernamePasswordCredentialsId",
    "alertWebhookCredentialsId",
    "testrailCredentialsId",
    "publishJunit",
    "publishHtml",
    "restoreState",
    "python",
    "venv",
    "trcli",
    "historyFile",
}

_ARG_LINE = re.compile(
    r"^  (?P<name>\w+) \((?P<type>\w+), default (?P<default>.*?)\)(?: -> (?P<env>[A-Z_, ]+))?$"
)


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
        return re.sub(r"(?<!^)([A-Z])", r"-\1", self.name).lower()

    @property
    def input(self) -> str | None:
        """The GitHub/GitLab input of the same name, or None for a Jenkins-only argument."""
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


def parse_groovy_env(step: str) -> dict[str, str]:
    """``argument -> env var`` from the inputs map the step hands to ``testgateStep.execute``."""
    text = (VARS / f"{step}.groovy").read_text(encoding="utf-8")
    return {m[2]: m[1] for m in re.finditer(r"^\s+([A-Z_]+)\s*:\s*cfg\.(\w+)", text, re.M)}


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


if __name__ == "__main__":
    if sys.argv[1:] != ["--update-readme"]:
        sys.exit("usage: python tests/templates/jenkins_harness.py --update-readme")
    README.write_text(render_readme(README.read_text(encoding="utf-8")), encoding="utf-8")
