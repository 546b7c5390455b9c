"""Helpers for the GitLab template tests: load include files, interpolate inputs, run gitlab-ci-local.

gitlab-ci-local runs the example pipeline with the shell executor in a scratch copy of a
"service repository" (the example services plus a .gitlab-ci.yml), never in the repo itself.
``include: project`` is served from gitlab-ci-local's include cache, which is filled with the
templates of this checkout, so the run is offline.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
GITLAB_DIR = ROOT / "gitlab"
VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
TEMPLATES = (
    "consumer-contracts",
    "provider-verification",
    "api-tests",
    "test-report",
    "can-i-deploy",
    "monitor",
)
EXAMPLES = ("example.gitlab-ci.yml", "example-local.gitlab-ci.yml", "example-deploy.gitlab-ci.yml")
# The install every template shares (each includes it with include: local).
BASE_FILE = GITLAB_DIR / "base.yml"
INSTALL_JOB = ".testgate-install"
TOOLS_PROJECT = "testgate/testgate"
REMOTE_HOST = "gitlab.example.com"
GITLAB_CI_LOCAL = ROOT / ".tools" / "node_modules" / ".bin" / "gitlab-ci-local"

_INPUT = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


@functools.cache
def load_gen_docs():
    """The docs generator (scripts/gen_gitlab_docs.py) as a module."""
    spec = importlib.util.spec_from_file_location(
        "gen_gitlab_docs", ROOT / "scripts" / "gen_gitlab_docs.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Reference(list):
    """The value of a ``!reference [job, key]`` tag."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that understands GitLab's ``!reference`` tag."""


_Loader.add_constructor(
    "!reference", lambda loader, node: Reference(loader.construct_sequence(node))
)


def load_yaml(text: str) -> Any:
    """Parse one GitLab CI YAML document (``!reference`` allowed)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


@dataclass(frozen=True)
class Template:
    """One include file split into its ``spec: inputs`` header and its jobs."""

    name: str
    path: Path
    header: str
    body: str

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        """The declared inputs, in file order."""
        spec = (yaml.safe_load(self.header) or {}).get("spec") or {}
        return {k: (v or {}) for k, v in (spec.get("inputs") or {}).items()}

    def used_inputs(self) -> set[str]:
        """Names of the inputs the jobs document interpolates."""
        return set(_INPUT.findall(self.body))

    def jobs(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The jobs document with the inputs interpolated (defaults, then ``values``)."""
        return load_yaml(self.interpolate(values))

    def interpolate(self, values: dict[str, Any] | None = None) -> str:
        """The jobs text with ``$[[ inputs.x ]]`` replaced, the way GitLab types it."""
        merged = {k: v.get("default", _placeholder(v)) for k, v in self.inputs.items()}
        merged.update(values or {})
        return interpolate(self.body, merged)


def _placeholder(spec: dict[str, Any]) -> Any:
    if spec.get("options"):
        return spec["options"][0]
    return {"boolean": False, "number": 1, "array": []}.get(spec.get("type", "string"), "x")


def interpolate(text: str, values: dict[str, Any]) -> str:
    """Replace input placeholders; a placeholder that is a whole YAML value keeps its type."""

    def whole(match: re.Match[str]) -> str:
        value = values[match["name"]]
        return match["lead"] + json.dumps(value)  # JSON is YAML: "" stays a string

    # "key: $[[ inputs.x ]]" (whole value): arrays/booleans/numbers stay typed.
    text = re.sub(
        r"(?P<lead>:[ \t]+)\$\[\[\s*inputs\.(?P<name>[A-Za-z0-9_-]+)\s*\]\][ \t]*$",
        whole,
        text,
        flags=re.MULTILINE,
    )
    return _INPUT.sub(lambda m: str(_scalar(values[m[1]])), text)


def _scalar(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def split(path: Path) -> tuple[str, str]:
    """``(spec header, jobs)`` of an include file (header empty when there is none)."""
    return load_gen_docs().split_spec(path.read_text(encoding="utf-8"))


def install_job() -> dict[str, Any]:
    """The shared hidden install job of gitlab/base.yml, which every base job extends."""
    return load_yaml(BASE_FILE.read_text(encoding="utf-8"))[INSTALL_JOB]


@functools.cache
def template(name: str) -> Template:
    """Load ``gitlab/<name>.yml``."""
    path = GITLAB_DIR / f"{name}.yml"
    header, body = split(path)
    return Template(name=name, path=path, header=header, body=body)


# ---------------------------------------------------------------------------------------------
# gitlab-ci-local


def gitlab_ci_local() -> str | None:
    """Path of gitlab-ci-local (installed by scripts/ci/install-tools.sh), or None."""
    if GITLAB_CI_LOCAL.exists():
        return str(GITLAB_CI_LOCAL)
    return shutil.which("gitlab-ci-local")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


SERVICE_FILES = ("examples", "envs", "testgate.toml")


def make_service_repo(
    dest: Path, pipeline_file: Path, branch: str = "feature/demo", with_examples: bool = True
) -> Path:
    """A git repository like a service team's: ``pipeline_file`` as its .gitlab-ci.yml.

    With ``with_examples`` it also gets the example services (examples/, envs/, testgate.toml).
    The include cache is filled with this checkout's templates at the pinned ref, so
    ``include: project`` resolves offline; a copy of ``gitlab/`` serves ``include: local``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(
        "__pycache__", "*.pyc", ".pytest_cache", "reports", "pacts", "node_modules"
    )
    for name in SERVICE_FILES if with_examples else ():
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    shutil.copytree(GITLAB_DIR, dest / "gitlab", ignore=ignore)
    shutil.copy2(pipeline_file, dest / ".gitlab-ci.yml")
    (dest / ".gitignore").write_text(
        ".gitlab-ci-local/\n.gitlab-ci-local-home/\nreports/\npacts/\n__pycache__/\n",
        encoding="utf-8",
    )
    cache = dest / ".gitlab-ci-local" / "includes" / REMOTE_HOST / TOOLS_PROJECT / f"v{VERSION}"
    shutil.copytree(GITLAB_DIR, cache / "gitlab", ignore=ignore)
    _git(dest, "init", "-q", "-b", branch)
    _git(dest, "remote", "add", "origin", f"git@{REMOTE_HOST}:acme/inventory-api.git")
    _git(dest, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "service")
    return dest


@dataclass(frozen=True)
class PipelineRun:
    """What gitlab-ci-local said about one pipeline run."""

    returncode: int
    output: str  # stdout and stderr
    jobs: dict[str, str]  # job name -> PASS | FAIL | WARN ...
    stdout: str = ""

    def explain(self) -> str:
        """The tail of the log, for assertion messages."""
        return f"exit {self.returncode}, jobs {self.jobs}\n{self.output[-6000:]}"


_RESULT = re.compile(
    r"^\s*(PASS|FAIL|WARN|SKIP)\s+(?:\[[^\]]*\]\s+)?(\S+?)(?::\s+\[(\d+/\d+)\])?\s*$", re.MULTILINE
)


def gitlab_name(name: str) -> str:
    """GitLab's name of a job gitlab-ci-local lists: "name: [1/2]" (parallel:) is "name 1/2"."""
    return re.sub(r":\s+\[(\d+/\d+)\]$", r" \1", name)


def job_results(output: str) -> dict[str, str]:
    """Job name -> PASS | FAIL | WARN ... from gitlab-ci-local's summary.

    A ``parallel:`` job, "name: [1/2]" in gitlab-ci-local, gets GitLab's name "name 1/2".
    """
    return {
        f"{name} {part}" if part else name: status for status, name, part in _RESULT.findall(output)
    }


def run_pipeline(
    repo: Path, variables: dict[str, str] | None = None, *extra: str, timeout: int = 240
) -> PipelineRun:
    """Run the repository's pipeline with gitlab-ci-local (shell executor, offline)."""
    exe = gitlab_ci_local()
    assert exe, "gitlab-ci-local is not installed"
    argv = [
        exe,
        "--shell-isolation",  # jobs get their own copy and artifacts move like on GitLab
        "--force-shell-executor",  # the templates set image:, there is no Docker here
        "--no-color",
        "--timestamps",
        "--home",
        str(repo / ".gitlab-ci-local-home"),
    ]
    for key, value in (variables or {}).items():
        argv += ["--variable", f"{key}={value}"]
    argv += list(extra)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITLAB_", "GITHUB_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PACT_DO_NOT_TRACK"] = "true"
    proc = subprocess.run(
        argv,
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = proc.stdout + proc.stderr
    jobs = job_results(output)
    return PipelineRun(returncode=proc.returncode, output=output, jobs=jobs, stdout=proc.stdout)
