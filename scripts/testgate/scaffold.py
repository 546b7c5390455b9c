"""``testgate init``'s library: look at a repository, then write testgate.toml and CI callers.

:func:`detect` reads the repository (never runs anything): Pact consumer tests (pact-python
or pact-js), a provider web app (Flask, FastAPI/Starlette, Django) with its health route and
``testgate.states`` endpoint, API tests and the variable they read the service URL from, and
how the project installs (pyproject.toml, requirements files, package.json). The renderers
turn what was found into ``testgate.toml`` (validated by the strict loader before it is
written) and the callers of the templates: a GitHub workflow calling the reusable workflows,
a ``.gitlab-ci.yml`` including the GitLab templates, a ``Jenkinsfile`` using the shared
library, each pinned to the running release. Every key and input name comes from the
settings table (``settings_table.py``), so the callers keep the templates' input names.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testgate import __version__
from testgate.settings import setting, validate_project

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        ".env",
        "env",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        "site-packages",
        ".testgate",
        "reports",
        "pacts",
        ".tools",
    }
)
_MAX_FILES = 20_000
_MAX_BYTES = 512 * 1024

PLATFORMS = ("github", "gitlab", "jenkins")

# pact-python 4 (``Pact("consumer", "provider")``) and 2 (``Consumer(...).has_pact_with(...)``)
_PY_PACT_IMPORT = re.compile(r"^\s*(from\s+pact(\.v3)?\s+import|import\s+pact\b)", re.M)
_PY_PACT_NAMES = re.compile(r"\bPact\(\s*[\"']([^\"']+)[\"']\s*,\s*[\"']([^\"']+)[\"']")
_PY_PACT2_NAMES = re.compile(
    r"\bConsumer\(\s*[\"']([^\"']+)[\"']\s*\)\s*\.\s*has_pact_with\(\s*Provider\(\s*[\"']([^\"']+)"
)
_JS_PACT = re.compile(r"@pact-foundation/pact")
_JS_NAMES = re.compile(
    r"\bconsumer\s*:\s*[\"'`]([^\"'`]+)[\"'`][\s\S]{0,400}?\bprovider\s*:\s*[\"'`]([^\"'`]+)"
)
_FLASK = re.compile(r"^(\w+)\s*(?::\s*\w+\s*)?=\s*Flask\(", re.M)
_FLASK_FACTORY = re.compile(r"^def\s+(create_app|make_app)\s*\(", re.M)
_FASTAPI = re.compile(r"^(\w+)\s*(?::\s*\w+\s*)?=\s*(FastAPI|Starlette)\(", re.M)
_ROUTE = re.compile(
    r"@\w+\.(?:get|route|api_route)\(\s*[\"'](/[^\"']*)[\"']|\bpath\(\s*[\"']([^\"']*)[\"']"
)
_MOUNT = re.compile(r"\.mount_(flask|starlette)\(\s*(\w+)")
_STATES = re.compile(r"\bProviderStates\(\s*(?:path\s*=\s*)?(?:[\"']([^\"']+)[\"'])?")
_URL_VAR = re.compile(
    r"(?:os\.environ(?:\.get)?\s*[\[(]|os\.getenv\(|process\.env\.)\s*[\"']?([A-Z][A-Z0-9_]*URL[A-Z0-9_]*)"
)
_HTTP_CLIENT = re.compile(r"^\s*(import|from)\s+(requests|httpx|aiohttp|urllib3)\b", re.M)
_READY_WORDS = ("health", "ready", "live", "ping", "status")


@dataclass(frozen=True)
class ProviderApp:
    """A web app found in the repository, and how testgate would start it."""

    framework: str  # flask | fastapi | django
    module: str  # dotted module (or manage.py for Django)
    attr: str  # the app variable or factory call
    cwd: str  # folder the command runs in, relative to the root ("." for the root)
    ready_path: str
    states_path: str | None  # testgate.states mounted at this path, if found
    file: str  # where it was found, relative to the root

    @property
    def command(self) -> list[str]:
        """The command that starts it on testgate's ``{port}``."""
        if self.framework == "flask":
            return [
                "{python}",
                "-m",
                "flask",
                "--app",
                f"{self.module}:{self.attr}",
                "run",
                "--port",
                "{port}",
            ]
        if self.framework == "fastapi":
            return ["{python}", "-m", "uvicorn", f"{self.module}:{self.attr}", "--port", "{port}"]
        return ["{python}", "manage.py", "runserver", "127.0.0.1:{port}", "--noreload"]


@dataclass(frozen=True)
class Detected:
    """What :func:`detect` found in a repository (paths relative to its root, POSIX style)."""

    root: Path
    name: str
    consumer: str | None = None
    consumer_tests: str | None = None
    consumer_command: tuple[str, ...] | None = None
    consumer_cwd: str | None = None
    consumer_runner: str | None = None  # pytest | node --test | jest | vitest | mocha | npm test
    providers_called: tuple[str, ...] = ()
    provider: str | None = None
    app: ProviderApp | None = None
    api_tests: str | None = None
    url_variable: str | None = None
    pip_install: str | None = None
    default_branch: str = "main"
    envs: bool = False
    found: tuple[str, ...] = field(default_factory=tuple)
    """What was found, one line each, for the person running init."""

    @property
    def is_consumer(self) -> bool:
        return bool(self.consumer_tests or self.consumer_command)

    @property
    def is_provider(self) -> bool:
        return self.app is not None


# -- reading the repository -------------------------------------------------------------------


def _files(root: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    count = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".testgate"))
        for name in sorted(names):
            if name.endswith(suffixes):
                count += 1
                if count > _MAX_FILES:
                    return
                yield Path(folder) / name


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > _MAX_BYTES:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _rel(path: Path, root: Path) -> str:
    text = path.relative_to(root).as_posix()
    return text or "."


def _common_folder(paths: Sequence[Path], root: Path) -> str:
    folder = Path(os.path.commonpath([str(p.parent) for p in paths]))
    return _rel(folder, root)


def _project_name(root: Path) -> str:
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            name = tomllib.loads(_read(pyproject)).get("project", {}).get("name")
            if name:
                return str(name)
        except tomllib.TOMLDecodeError:
            pass
    package = root / "package.json"
    if package.is_file():
        try:
            name = json.loads(_read(package)).get("name")
            if name:
                return str(name).split("/")[-1]
        except ValueError:
            pass
    return root.resolve().name


def _is_test_file(path: Path) -> bool:
    name = path.name
    return (name.startswith("test_") and name.endswith(".py")) or name.endswith("_test.py")


def _python_pact_tests(root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    files, names = [], []
    for path in _files(root, (".py",)):
        if not _is_test_file(path) and path.name != "conftest.py":
            continue
        text = _read(path)
        if not _PY_PACT_IMPORT.search(text):
            continue
        pairs = _PY_PACT_NAMES.findall(text) + _PY_PACT2_NAMES.findall(text)
        if pairs or _is_test_file(path):
            files.append(path)
            names += pairs
    return [f for f in files if _is_test_file(f)] or files, names


def _js_pact_tests(root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    files, names = [], []
    suffixes = tuple(f".{k}.{e}" for k in ("test", "spec") for e in ("js", "mjs", "cjs", "ts"))
    for path in _files(root, suffixes):
        text = _read(path)
        if _JS_PACT.search(text):
            files.append(path)
            names += _JS_NAMES.findall(text)
    return files, names


def _package_root(path: Path, root: Path) -> Path:
    for folder in (path.parent, *path.parent.parents):
        if (folder / "package.json").is_file():
            return folder
        if folder == root:
            break
    return root


def js_command(package: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(runner, command) that runs a package's tests writing JUnit to ``{junit}``."""
    deps = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    script = str(package.get("scripts", {}).get("test", ""))
    if "vitest" in deps or "vitest" in script:
        return "vitest", (
            "npx",
            "vitest",
            "run",
            "--reporter=default",
            "--reporter=junit",
            "--outputFile.junit={junit}",
        )
    if "jest" in deps or "jest" in script:
        # jest-junit reads its output file from a variable: testgate sets TESTGATE_CONSUMER_JUNIT
        return "jest", (
            "sh",
            "-c",
            'JEST_JUNIT_OUTPUT_FILE="$TESTGATE_CONSUMER_JUNIT" '
            "npx jest --ci --reporters=default --reporters=jest-junit",
        )
    if "mocha" in deps or "mocha" in script:
        return "mocha", (
            "npx",
            "mocha",
            "--reporter",
            "mocha-junit-reporter",
            "--reporter-options",
            "mochaFile={junit}",
        )
    return "node --test", (
        "node",
        "--test",
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        "--test-reporter=junit",
        "--test-reporter-destination={junit}",
    )


def _module_of(path: Path, root: Path) -> tuple[str, str]:
    """(dotted module, folder it is imported from) for a Python file."""
    src = root / "src"
    base = src if src.is_dir() and src in path.parents else root
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts), _rel(base, root)


def _ready_path(routes: Sequence[str]) -> str:
    for word in _READY_WORDS:
        for route in routes:
            if word in route.lower() and "{" not in route and "<" not in route:
                return route if route.startswith("/") else "/" + route
    return "/"


def _provider_app(root: Path, test_files: set[Path]) -> ProviderApp | None:
    candidates: list[tuple[int, ProviderApp]] = []
    states_path: str | None = None
    routes: list[str] = []
    for path in _files(root, (".py",)):
        if path in test_files or _is_test_file(path) or "tests" in path.relative_to(root).parts:
            continue
        text = _read(path)
        match = _STATES.search(text)
        if match and "class ProviderStates" not in text:
            states_path = match.group(1) or _default_states_path()
        routes += [a or b for a, b in _ROUTE.findall(text)]
        module, cwd = _module_of(path, root)
        mount = _MOUNT.search(text)
        if mount and "def mount_" not in text:
            # the state glue: a module that mounts testgate.states into the app it imports
            # is what testgate starts, so the endpoint exists only there
            framework = "flask" if mount.group(1) == "flask" else "fastapi"
            app = ProviderApp(framework, module, mount.group(2), cwd, "/", None, _rel(path, root))
            candidates.append((-1, app))
            continue
        flask = _FLASK.search(text)
        if flask:
            factory = _FLASK_FACTORY.search(text)
            attr = f"{factory.group(1)}()" if factory else flask.group(1)
            candidates.append(
                (0, ProviderApp("flask", module, attr, cwd, "/", None, _rel(path, root)))
            )
            continue
        fastapi = _FASTAPI.search(text)
        if fastapi:
            app = ProviderApp("fastapi", module, fastapi.group(1), cwd, "/", None, _rel(path, root))
            candidates.append((0, app))
    manage = root / "manage.py"
    if manage.is_file() and "django" in _read(manage).lower():
        candidates.append((1, ProviderApp("django", "manage.py", "", ".", "/", None, "manage.py")))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1].file.count("/"), c[1].file))
    app = candidates[0][1]
    return ProviderApp(
        app.framework, app.module, app.attr, app.cwd, _ready_path(routes), states_path, app.file
    )


def _default_states_path() -> str:
    from testgate.states import DEFAULT_PATH

    return DEFAULT_PATH


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _provider_name(project: str, app: ProviderApp, called: set[str]) -> str:
    """The provider's name: the project's, unless the repository's own consumer tests call the
    app by another name that matches its package (both in one repository)."""
    package = app.module.split(".")[0]
    for name in sorted(called):
        if _norm(name) in (_norm(project), _norm(package)):
            return name
    return project


def _api_tests(root: Path, exclude: set[Path]) -> tuple[str | None, str | None]:
    files = []
    for path in _files(root, (".py",)):
        if path in exclude or not (_is_test_file(path) or path.name == "conftest.py"):
            continue
        parts = [p.lower() for p in path.relative_to(root).parts[:-1]]
        if not any(p in ("api", "api_tests", "api-tests", "e2e", "acceptance") for p in parts):
            continue
        text = _read(path)
        if _HTTP_CLIENT.search(text) or _URL_VAR.search(text):
            files.append(path)
    if not files:
        return None, None
    folder = _common_folder([f for f in files if _is_test_file(f)] or files, root)
    variable = None
    for path in files:
        match = _URL_VAR.search(_read(path))
        if match:
            variable = match.group(1)
            break
    return folder, variable


def _pip_install(root: Path) -> str | None:
    reqs = [
        name
        for name in ("requirements-test.txt", "requirements-dev.txt", "requirements.txt")
        if (root / name).is_file()
    ]
    if reqs:
        return " ".join(f"-r {name}" for name in reqs)
    if (root / "pyproject.toml").is_file() or (root / "setup.py").is_file():
        return "."
    return None


def _default_branch(root: Path) -> str:
    heads = root / ".git" / "refs" / "heads"
    head = _read(root / ".git" / "HEAD")
    if (heads / "main").exists() or head.endswith("refs/heads/main\n"):
        return "main"
    if (heads / "master").exists() or head.endswith("refs/heads/master\n"):
        return "master"
    return "main"


def detect(root: Path) -> Detected:
    """Read the repository at ``root`` and say what testgate would run there."""
    root = root.resolve()
    found: list[str] = []
    name = _project_name(root)
    py_files, py_names = _python_pact_tests(root)
    js_files, js_names = _js_pact_tests(root)
    consumer = consumer_tests = consumer_cwd = runner = None
    command: tuple[str, ...] | None = None
    names = py_names or js_names
    if py_files:
        consumer_tests = _common_folder(py_files, root)
        runner = "pytest"
        found.append(f"Pact consumer tests (pact-python, pytest) in {consumer_tests}/")
    elif js_files:
        package_root = _package_root(js_files[0], root)
        try:
            package = json.loads(_read(package_root / "package.json") or "{}")
        except ValueError:
            package = {}
        runner, command = js_command(package)
        consumer_cwd = _rel(package_root, root)
        found.append(
            f"Pact consumer tests (pact-js, {runner}) in {_common_folder(js_files, root)}/"
        )
    if names:
        consumer = names[0][0]
        found.append(
            f"consumer {consumer!r} calls " + ", ".join(sorted({repr(p) for _, p in names}))
        )
    app = _provider_app(root, set(py_files))
    provider = None
    if app is not None:
        provider = _provider_name(name, app, {p for _, p in names})
        found.append(f"a {app.framework} app in {app.file} (provider {provider!r})")
        if app.states_path:
            found.append(f"provider states served by testgate.states at {app.states_path}")
    api_tests, url_variable = _api_tests(root, set(py_files))
    if api_tests:
        found.append(
            f"API tests in {api_tests}/"
            + (f" reading the service URL from {url_variable}" if url_variable else "")
        )
    pip = _pip_install(root)
    if (root / "package.json").is_file():
        found.append("package.json")
    if pip:
        found.append(f"Python dependencies: pip install {pip}")
    return Detected(
        root=root,
        name=name,
        consumer=consumer or (name if (py_files or js_files) else None),
        consumer_tests=consumer_tests,
        consumer_command=command,
        consumer_cwd=consumer_cwd,
        consumer_runner=runner,
        providers_called=tuple(sorted({p for _, p in names})),
        provider=provider,
        app=app,
        api_tests=api_tests,
        url_variable=url_variable,
        pip_install=pip,
        default_branch=_default_branch(root),
        envs=(root / "envs").is_dir(),
        found=tuple(found),
    )


# -- testgate.toml ------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string (\uXXXX escapes are TOML too)


def _key(name: str) -> str:
    """The testgate.toml key of a setting (from the table: one place for each name)."""
    key = setting(name).toml_key
    assert key, f"setting {name!r} has no testgate.toml key"
    return key


def render_toml(d: Detected) -> str:
    """testgate.toml for what was detected, validated by the strict loader.

    Raises:
        ConfigError: never for what this module writes (a test keeps it so).
    """
    lines = [
        f"# testgate.toml, written by `testgate init` (testgate {__version__}). Every key can be",
        "# overridden by a flag or a TESTGATE_* variable; the reference is docs/settings.md.",
        "",
    ]
    if d.is_consumer:
        lines += ["[consumer]", f"{_key('consumer')} = {_toml_value(d.consumer or d.name)}"]
        if d.consumer_tests:
            lines.append(f"{_key('consumer-tests')} = {_toml_value(d.consumer_tests)}")
        if d.consumer_command:
            lines += [
                f"# {d.consumer_runner}, not pytest: the command writes its pacts into",
                "# TESTGATE_PACT_DIR and its JUnit report to {junit}.",
                f"{_key('consumer-command')} = {_toml_value(d.consumer_command)}",
                f"{_key('consumer-cwd')} = {_toml_value(d.consumer_cwd or '.')}",
            ]
        lines += [f"{_key('pact-dir')} = {_toml_value('pacts')}", ""]
    if d.app is not None:
        app = d.app
        lines += [
            "[provider]",
            f"{_key('provider')} = {_toml_value(d.provider or d.name)}",
            f"# {app.framework} app in {app.file}; {{port}} is a free port testgate picks,",
            "# {python} the interpreter running testgate.",
            f"{_key('provider-command')} = {_toml_value(app.command)}",
            f"{_key('provider-cwd')} = {_toml_value(app.cwd)}",
            f"{_key('ready-path')} = {_toml_value(app.ready_path)}",
        ]
        if app.states_path:
            lines.append(f"{_key('states-path')} = {_toml_value(app.states_path)}")
        else:
            lines += [
                "# The pacts' provider states need a state endpoint: mount testgate.states",
                "# (docs/adoption.md), then set:",
                f'# {_key("states-path")} = "{_default_states_path()}"',
            ]
        lines.append("")
    if d.api_tests:
        lines += ["[api-tests]", f"{_key('api-tests')} = {_toml_value(d.api_tests)}"]
        if d.url_variable:
            lines.append(f"{_key('url-variable')} = {_toml_value(d.url_variable)}")
        lines.append("")
    text = "\n".join(lines).rstrip() + "\n"
    validate_project(tomllib.loads(text), text, d.root / "testgate.toml")
    return text


def render_local_env(d: Detected) -> str | None:
    """``envs/local.env`` when the API tests should run against the provider testgate starts."""
    if not (d.api_tests and d.app is not None):
        return None
    start = setting("start-provider").env
    return (
        "# local: this machine and CI runners. testgate starts the provider itself and sets\n"
        f"# {d.url_variable or setting('url-variable').default} to its URL. Non-secret settings only.\n"
        f"{start}=true\n"
    )


# -- the CI callers ------------------------------------------------------------------------


def _inputs(values: Mapping[str, Any]) -> dict[str, Any]:
    """Template inputs by setting name: a name the table lacks is a bug here (KeyError)."""
    for name in values:
        s = setting(name)
        assert s.input or s.kind == "template", f"{name} is not a template input"
    return {k: v for k, v in values.items() if v not in (None, "")}


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(p.title() for p in rest)


@dataclass(frozen=True)
class Jobs:
    """Which template jobs the repository needs, with their inputs (by setting name)."""

    consumer: dict[str, Any] | None
    provider: dict[str, Any] | None
    api: dict[str, Any] | None
    report: dict[str, Any]
    broker_secret: bool


def plan_jobs(d: Detected, *, broker_url: str | None = None) -> Jobs:
    """The template jobs and inputs for ``d`` (the same on every platform)."""
    ref = release_ref()
    common = {"tools-ref": ref, "pip-install": d.pip_install}
    consumer = provider = api = None
    if d.is_consumer:
        consumer = _inputs(
            {**common, "publish": True if broker_url else None, "broker-url": broker_url}
        )
    if d.app is not None:
        extra: dict[str, Any] = {}
        if d.is_consumer:
            extra["pact-artifact"] = setting("pact-artifact").default
        else:  # a provider-only repository verifies what its consumers published
            extra.update({"broker": True, "broker-url": broker_url})
        provider = _inputs({**common, **extra})
    if d.api_tests:
        api = _inputs({**common, "env": "local"})
    report = _inputs({"tools-ref": ref})
    return Jobs(
        consumer, provider, api, report, bool(broker_url) or (provider or {}).get("broker") is True
    )


def release_ref() -> str:
    """The ref callers pin: this release's tag (the templates' ``tools-ref`` default)."""
    ref = str(setting("tools-ref").default)
    assert ref == f"v{__version__}"
    return ref


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(str(value))


def render_github(d: Detected, jobs: Jobs, repository: str) -> str:
    """``.github/workflows/testgate.yml``: the reusable workflows, pinned to this release."""
    ref = release_ref()
    base = f"{repository}/.github/workflows"
    out = [
        f"# Contract and API tests as CI gates with testgate {ref} (written by `testgate init`).",
        "# Each job calls one of testgate's reusable workflows, pinned to the release; the",
        "# workflows install the same version (tools-ref) and read testgate.toml.",
        "name: testgate",
        "",
        "on:",
        "  push:",
        f"    branches: [{d.default_branch}]",
        "  pull_request:",
        "",
        "permissions: {}",
        "",
        "jobs:",
    ]
    secrets = (
        [
            "    secrets:",
            "      PACT_BROKER_TOKEN: ${{ secrets.PACT_BROKER_TOKEN }}",
        ]
        if jobs.broker_secret
        else []
    )

    def job(
        name: str,
        workflow: str,
        inputs: Mapping[str, Any],
        needs: Sequence[str] = (),
        always: bool = False,
        pr: bool = False,
        broker: bool = False,
    ) -> None:
        out.append(f"  {name}:")
        if needs:
            out.append(f"    needs: [{', '.join(needs)}]")
        if always:
            out.append("    if: always()")
        out.append(f"    uses: {base}/{workflow}.yml@{ref}")
        out.append("    permissions:")
        out.append("      contents: read")
        if pr:
            out.append("      pull-requests: write")
        if inputs:
            out.append("    with:")
            out.extend(f"      {k}: {_yaml_scalar(v)}" for k, v in inputs.items())
        if broker:
            out.extend(secrets)
        out.append("")

    needs: list[str] = []
    if jobs.consumer is not None:
        job("consumer-contracts", "consumer-contracts", jobs.consumer, broker=True)
        needs.append("consumer-contracts")
    if jobs.provider is not None:
        job(
            "provider-verification",
            "provider-verification",
            jobs.provider,
            needs=["consumer-contracts"] if jobs.consumer is not None else (),
            broker=True,
        )
        needs.append("provider-verification")
    if jobs.api is not None:
        job("api-tests", "api-tests", jobs.api)
        needs.append("api-tests")
    report = {**jobs.report, "pr-comment": True}
    job("test-report", "test-report", report, needs=needs, always=True, pr=True)
    return "\n".join(out).rstrip() + "\n"


def render_gitlab(d: Detected, jobs: Jobs, project: str) -> str:
    """``.gitlab-ci.yml``: the GitLab templates included at this release."""
    ref = release_ref()
    out = [
        f"# Contract and API tests as CI gates with testgate {ref} (written by `testgate init`).",
        "# Each include is one of testgate's GitLab templates, pinned to the release; the jobs",
        "# install the same version (tools-ref) and read testgate.toml. Broker credentials:",
        "# masked CI/CD variables PACT_BROKER_TOKEN (and PACT_BROKER_BASE_URL).",
        "stages: [build, test, report]",
        "",
        "include:",
    ]
    prefix = setting("job-prefix").default

    def include(
        file: str, stage: str, inputs: Mapping[str, Any], needs: Sequence[str] = ()
    ) -> None:
        out.extend([f"  - project: {project}", f"    ref: {ref}", f"    file: gitlab/{file}.yml"])
        out.append("    inputs:")
        out.append(f"      stage: {stage}")
        if needs:
            out.append(f"      needs: [{', '.join(needs)}]")
        out.extend(f"      {k}: {_yaml_scalar(v)}" for k, v in inputs.items())

    if jobs.consumer is not None:
        include("consumer-contracts", "build", jobs.consumer)
    if jobs.provider is not None:
        gl = {k: v for k, v in jobs.provider.items() if k != "pact-artifact"}  # GitHub-only
        needs = [f"{prefix}-consumer-contracts"] if jobs.consumer is not None else []
        include("provider-verification", "test", gl, needs)
    if jobs.api is not None:
        include("api-tests", "test", jobs.api)
    include("test-report", "report", jobs.report)
    return "\n".join(out) + "\n"


def render_jenkins(d: Detected, jobs: Jobs, library: str = "testgate") -> str:
    """``Jenkinsfile``: the shared library's steps, the library pinned to this release."""
    ref = release_ref()

    def args(inputs: Mapping[str, Any], skip: Sequence[str] = ()) -> str:
        parts = [
            f"{_camel(k)}: {_groovy(v)}"
            for k, v in inputs.items()
            if k not in ("tools-ref", "pip-install", "pact-artifact", *skip)
        ]
        return ", ".join(parts)

    install = _inputs({"tools-ref": ref, "pip-install": d.pip_install})
    lines = [
        f"// Contract and API tests as CI gates with testgate {ref} (written by `testgate init`).",
        f"// The shared library '{library}' (Library Path jenkins/) is loaded at the release tag,",
        "// and its steps install the same version of testgate (toolsRef).",
        f"@Library('{library}@{ref}') _",
        "",
        "node {",
        "    stage('Checkout') {",
        "        checkout scm",
        "        dir('reports') { deleteDir() }",
        f"        testgateInstall({', '.join(f'{_camel(k)}: {_groovy(v)}' for k, v in install.items())})",
        "    }",
        "    try {",
    ]
    if jobs.consumer is not None:
        lines.append(
            f"        stage('Consumer contracts') {{ consumerContracts({args(jobs.consumer)}) }}"
        )
    if jobs.provider is not None:
        lines.append(
            f"        stage('Provider verification') {{ providerVerification({args(jobs.provider)}) }}"
        )
    if jobs.api is not None:
        lines.append(f"        stage('API tests') {{ apiTests({args(jobs.api)}) }}")
    lines += [
        "    } finally {",
        "        stage('Test report') { testReport() }",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _groovy(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


# -- what init writes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One file init would write: its path (relative to the root) and content."""

    path: str
    content: str
    what: str


def plan_files(
    d: Detected,
    platforms: Sequence[str],
    *,
    broker_url: str | None = None,
    repository: str | None = None,
) -> list[Planned]:
    """Every file init writes for ``d`` and the chosen platforms."""
    repository = repository or str(setting("tools-repository").default)
    files = [Planned("testgate.toml", render_toml(d), "testgate's settings for this repository")]
    env = render_local_env(d)
    if env is not None and not (d.root / "envs" / "local.env").exists():
        files.append(Planned("envs/local.env", env, "the local environment: start the provider"))
    jobs = plan_jobs(d, broker_url=broker_url)
    for platform in platforms:
        if platform == "github":
            files.append(
                Planned(
                    ".github/workflows/testgate.yml",
                    render_github(d, jobs, repository),
                    "GitHub Actions: the reusable workflows",
                )
            )
        elif platform == "gitlab":
            files.append(
                Planned(
                    ".gitlab-ci.yml",
                    render_gitlab(d, jobs, repository),
                    "GitLab CI: the include templates",
                )
            )
        elif platform == "jenkins":
            files.append(
                Planned("Jenkinsfile", render_jenkins(d, jobs), "Jenkins: the shared library")
            )
    return files


def detect_platforms(root: Path) -> list[str]:
    """The CI platforms the repository already uses (its CI files), in :data:`PLATFORMS` order."""
    found = []
    if (root / ".github").is_dir():
        found.append("github")
    if (root / ".gitlab-ci.yml").is_file():
        found.append("gitlab")
    if (root / "Jenkinsfile").is_file():
        found.append("jenkins")
    return found


def next_steps(d: Detected, platforms: Sequence[str], broker_url: str | None) -> list[str]:
    """What the person does after init, in order."""
    steps = ["testgate doctor          # checks the config, the provider, its states, the broker"]
    if d.app is not None and not d.app.states_path:
        steps.insert(
            0,
            "add the provider-state glue to your app (docs/adoption.md, 'The service's side'): "
            "ProviderStates() with one @states.state(NAME) function per state in the pacts, "
            "mounted with states.mount_flask(app) / mount_starlette(app) / mount_django(urls); "
            "then uncomment states-path in testgate.toml",
        )
    if d.is_consumer:
        steps.append(
            "the consumer tests write their pacts into the folder named by TESTGATE_PACT_DIR "
            "(or into the pact folder, pacts/, itself)"
        )
    if d.consumer_command and platforms:
        steps.append(
            f"the CI job installs Python and testgate only: make [consumer] command install "
            f"what {d.consumer_runner} needs first (e.g. npm ci), or use an agent image that has it"
        )
    steps.append("testgate pipeline        # the whole flow on this machine, as CI runs it")
    if platforms and not broker_url:
        steps.append(
            "to publish pacts and verify through a Pact Broker: run init again with "
            "--broker-url URL (or PACT_BROKER_BASE_URL), and store PACT_BROKER_TOKEN as a CI secret"
        )
    if platforms:
        steps.append("commit testgate.toml and the CI file(s), and push")
    return steps
