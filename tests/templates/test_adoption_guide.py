"""Every snippet of docs/adoption.md is executed (tests/adoption_snippets.py reads them).

- ``toml``: loaded by the strict loader (and ``every-key`` holds every testgate.toml key of the
  settings table);
- ``sh``: run with bash in a scratch copy: of the typical Flask service (``fixture=flask-service``,
  with the guide's state glue added when marked ``glue``), of testgate's examples
  (``fixture=testgate-examples``), or, for ``install``, in a fresh virtualenv that installs
  testgate from ``git+https://github.com/testgate/testgate@vX`` (git's ``insteadOf`` points that
  URL at a local clone tagged with the release: no network);
- ``python``: written where the marker says in the scratch Flask service, imported, and its
  state endpoint called through the app;
- ``github-workflow``: actionlint against the reusable workflows themselves, and the schema;
- ``gitlab-ci``: the includes' inputs against each template's ``spec:inputs``, and the schema;
- ``jenkinsfile``: each step's arguments against the step's defaults map.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from adoption_snippets import GUIDE, Snippet, glue, snippets
from conftest import require_tool
from gitlab_harness import load_yaml, template
from jenkins_harness import parse_groovy_defaults
from testgate import __version__
from testgate.settings import validate_project
from testgate.settings_table import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
FLASK_SERVICE = ROOT / "tests" / "fixtures" / "flask-service"
KINDS = {"toml", "sh", "python", "github-workflow", "gitlab-ci", "jenkinsfile"}
ALL = snippets()


def of(kind: str) -> list[Snippet]:
    found = [s for s in ALL if s.kind == kind]
    assert found, f"the guide has no {kind} snippet"
    return found


def ids(items: list[Snippet]) -> list[str]:
    return [s.id for s in items]


def test_every_fenced_block_has_a_marker_saying_how_it_runs() -> None:
    unmarked = [s.line for s in ALL if s.kind is None]
    assert not unmarked, f"docs/adoption.md: blocks without <!-- run: ... --> at lines {unmarked}"
    assert {s.kind for s in ALL} <= KINDS


def test_the_readme_links_the_guide_first() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+\.md)[^)]*\)", readme)
    assert links[0] == "docs/adoption.md"


# -- toml -------------------------------------------------------------------------------------


@pytest.mark.parametrize("snippet", of("toml"), ids=ids(of("toml")))
def test_toml_snippets_pass_the_strict_loader(snippet: Snippet) -> None:
    validate_project(tomllib.loads(snippet.text), snippet.text, GUIDE)


def test_the_every_key_snippet_holds_every_key_of_the_table() -> None:
    (snippet,) = [s for s in of("toml") if "every-key" in s.words]
    sections = re.split(r"^\[([\w-]+)\]\s*$", snippet.text, flags=re.M)
    keys = {
        (sections[i], m)
        for i in range(1, len(sections), 2)
        for m in re.findall(r"^#?\s*([\w-]+) =", sections[i + 1], re.M)
    }
    wanted = {(s.toml_section, s.toml_key) for s in SETTINGS.values() if s.toml}
    assert wanted <= keys, f"missing from the guide: {sorted(wanted - keys)}"


# -- shell ------------------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env["TESTGATE_PLATFORM"] = "local"
    env["PACT_DO_NOT_TRACK"] = "true"
    return env


def scratch(tmp_path: Path, snippet: Snippet) -> Path:
    fixture = snippet.options.get("fixture")
    if fixture == "flask-service":
        work = tmp_path / "bookshop"
        shutil.copytree(FLASK_SERVICE, work)
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=work, check=True)
        if "glue" in snippet.words:
            (work / glue().options["file"]).write_text(glue().text)
        return work
    if fixture == "testgate-examples":
        node_modules = ROOT / "examples" / "js-consumer" / "node_modules"
        if not (node_modules / "@pact-foundation" / "pact").is_dir():
            require_tool("no-node-modules-for-js-consumer")  # fails on CI, skips here
        work = tmp_path / "repo"
        ignore = shutil.ignore_patterns("node_modules", "pacts", "reports", "__pycache__")
        shutil.copytree(ROOT / "examples", work / "examples", ignore=ignore)
        (work / "examples" / "js-consumer" / "node_modules").symlink_to(node_modules)
        return work
    raise AssertionError(f"line {snippet.line}: unknown fixture {fixture!r}")


def run_sh(text: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", text],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


SH = [s for s in of("sh") if "install" not in s.words]


@pytest.mark.parametrize("snippet", SH, ids=ids(SH))
def test_shell_snippets_run_in_a_scratch_copy(tmp_path: Path, snippet: Snippet) -> None:
    require_tool("node")
    work = scratch(tmp_path, snippet)
    proc = run_sh(snippet.text, work, base_env())
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "report     pass" in proc.stdout  # every shell snippet ends with a green pipeline


def local_release(tmp_path: Path) -> Path:
    """A clone of this repository with the release tag, standing in for GitHub."""
    mirror = tmp_path / "mirror"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(mirror)], check=True)
    # the work tree as it is (a test run may precede the commit), committed on top
    subprocess.run(
        ["rsync", "-a", "--exclude", ".git", "--exclude", ".venv", "--exclude", ".tools",
         "--exclude", "node_modules", "--exclude", "reports", f"{ROOT}/scripts/", f"{mirror}/scripts/"],
        check=True,
    )  # fmt: skip
    git = ["git", "-C", str(mirror), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "work tree"], check=True)
    subprocess.run([*git, "tag", "-f", f"v{__version__}"], check=True, capture_output=True)
    return mirror


def test_the_install_snippet_installs_the_pinned_release(tmp_path: Path) -> None:
    (snippet,) = [s for s in of("sh") if "install" in s.words]
    assert f"@v{__version__}" in snippet.text  # pinned to this release
    require_tool("rsync")
    mirror = local_release(tmp_path)
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(
        f'[url "file://{mirror}"]\n\tinsteadOf = https://github.com/testgate/testgate\n'
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # the dependencies are there already (links to the dev venv's, testgate left out): no index
    site = next(venv.glob("lib/python3*/site-packages"))
    deps = tmp_path / "deps"
    deps.mkdir()
    dev_site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    for entry in dev_site.iterdir():
        if not entry.name.startswith(("testgate", "__editable__", "_virtualenv", "pip")) and not (
            entry.name.endswith(".pth")
        ):
            (deps / entry.name).symlink_to(entry)
    (site / "deps.pth").write_text(f"{deps}\n")
    env = base_env()
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        GIT_CONFIG_GLOBAL=str(gitconfig),
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",  # pip reads "0" as --no-build-isolation
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    proc = run_sh(snippet.text, tmp_path, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"testgate {__version__}" in proc.stdout
    assert (venv / "bin" / "testgate").is_file()


# -- python -----------------------------------------------------------------------------------

CALL_THE_ENDPOINT = textwrap.dedent(
    """
    import importlib, json, sys
    module = importlib.import_module(sys.argv[1])
    client = module.app.test_client()
    def post(state, action="setup", **params):
        body = {"state": state, "params": params, "action": action}
        return client.post("/_pact/provider-states", json=body)
    assert post("").status_code == 200, "the empty state"
    answer = post("a book exists", id="b-7")
    assert answer.status_code == 200 and answer.get_json() == {"id": "b-7"}, answer.data
    assert client.get("/books/b-7").status_code == 200
    assert post("a book exists", "teardown", id="b-7").status_code == 200
    assert client.get("/books/b-7").status_code == 404
    assert post("no book with id exists", id="b-100").status_code == 200
    assert client.get("/books/b-100").status_code == 404
    assert post("a user exists").status_code == 400
    print("ok")
    """
)


@pytest.mark.parametrize("snippet", of("python"), ids=ids(of("python")))
def test_python_snippets_import_and_serve_their_states(tmp_path: Path, snippet: Snippet) -> None:
    work = scratch(tmp_path, snippet)
    target = work / snippet.options["file"]
    target.write_text(snippet.text)
    module = snippet.options["file"].removesuffix(".py").replace("/", ".")
    proc = subprocess.run(
        [sys.executable, "-c", CALL_THE_ENDPOINT, module],
        cwd=work,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "ok"


# -- CI files ---------------------------------------------------------------------------------


def _checker(schema: str, path: Path) -> None:
    proc = subprocess.run(
        [require_tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        env=base_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("snippet", of("github-workflow"), ids=ids(of("github-workflow")))
def test_github_snippets_pass_actionlint_against_the_reusable_workflows(
    tmp_path: Path, snippet: Snippet
) -> None:
    assert f"@v{__version__}" in snippet.text
    repo = tmp_path / "gh"
    shutil.copytree(ROOT / ".github" / "workflows", repo / ".github" / "workflows")
    local = re.sub(
        r"uses: [\w.-]+/[\w.-]+/\.github/workflows/([\w-]+\.yml)@v[\d.]+",
        r"uses: ./.github/workflows/\1",
        snippet.text,
    )
    caller = repo / ".github" / "workflows" / "guide-caller.yml"
    caller.write_text(local)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    proc = subprocess.run(
        [require_tool("actionlint"), "-no-color", ".github/workflows/guide-caller.yml"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=base_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    original = tmp_path / "caller.yml"
    original.write_text(snippet.text)
    _checker("vendor.github-workflows", original)


@pytest.mark.parametrize("snippet", of("gitlab-ci"), ids=ids(of("gitlab-ci")))
def test_gitlab_snippets_use_only_inputs_the_templates_declare(
    tmp_path: Path, snippet: Snippet
) -> None:
    for inc in load_yaml(snippet.text)["include"]:
        assert inc["ref"] == f"v{__version__}"
        declared = template(Path(inc["file"]).stem).inputs
        assert set(inc.get("inputs", {})) <= set(declared)
    path = tmp_path / "gitlab-ci.yml"
    path.write_text(snippet.text)
    _checker("vendor.gitlab-ci", path)


_CALL = re.compile(r"\b(\w+)\(((?:\w+: [^,()]+(?:, )?)*)\)")
STEPS = {"consumerContracts", "providerVerification", "apiTests", "testReport", "testgateInstall"}


@pytest.mark.parametrize("snippet", of("jenkinsfile"), ids=ids(of("jenkinsfile")))
def test_jenkins_snippets_pass_only_arguments_the_steps_take(snippet: Snippet) -> None:
    assert f"@Library('testgate@v{__version__}') _" in snippet.text
    common = set(parse_groovy_defaults("testgateInstall")) | {"reportsDir", "timeoutMinutes"}
    seen = 0
    for step, args in _CALL.findall(snippet.text):
        if step in STEPS:
            seen += 1
            names = {a.split(":")[0].strip() for a in args.split(", ") if a}
            assert names <= set(parse_groovy_defaults(step)) | common, step
    assert seen
