"""Offline stand-ins for the remote actions our workflows use, for the act tests.

Each composite stub (``<action>/action.yml``) calls ``stub.py <action>`` with its inputs in
``INPUT_*`` variables. The test harness sets the ``ACT_STUB_*`` variables (absolute paths:
act deletes its workspace copy after each job) and reads ``ACT_STUB_LOG`` afterwards to see
what was asked for (which repository and ref was checked out, which artifacts moved).

Only the behaviour the templates rely on is imitated, and the documented semantics are kept
where they matter: upload-artifact refuses a duplicate name and roots the files at their
least common ancestor; download-artifact by ``pattern`` puts each artifact in its own folder.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote, unquote

# What never goes into a checkout copy (act's own copy honours .gitignore the same way).
IGNORED = shutil.ignore_patterns(".git", ".venv", ".tools", "build", "*.egg-info", "__pycache__")


def _env(name: str) -> str:
    return os.environ.get(name, "")


def _log(action: str, **fields: object) -> None:
    record = {"action": action, "job": _env("GITHUB_JOB"), **fields}
    with open(os.environ["ACT_STUB_LOG"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def _append(name: str, line: str) -> None:
    with open(os.environ[name], "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _fail(message: str) -> int:
    print(f"::error::stub: {message}", flush=True)
    return 1


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def checkout() -> int:
    repository, ref, path = _env("INPUT_REPOSITORY"), _env("INPUT_REF"), _env("INPUT_PATH")
    _log(
        "checkout",
        repository=repository,
        ref=ref,
        path=path,
        persist_credentials=_env("INPUT_PERSIST_CREDENTIALS"),
    )
    dest = Path(_env("GITHUB_WORKSPACE") or ".") / (path or ".")
    if not repository or repository == _env("GITHUB_REPOSITORY"):
        # act copies the service itself only for a plain `actions/checkout` (no ref); with a
        # ref (the webhook's provider version) it runs the action: copy the work tree (the
        # stub cannot honour the ref; the test reads the ref from the log).
        shutil.copytree(_env("ACT_STUB_SERVICE_SRC"), dest, ignore=IGNORED, dirs_exist_ok=True)
        print(f"stub checkout: the service at {ref or 'HEAD'} -> {dest}")
        return 0
    shutil.copytree(_env("ACT_STUB_TESTGATE_SRC"), dest, ignore=IGNORED, dirs_exist_ok=True)
    print(f"stub checkout: {repository}@{ref} -> {dest}")
    return 0


def setup_python() -> int:
    version = _env("INPUT_PYTHON_VERSION")
    base = Path(_env("ACT_STUB_PYTHON"))
    actual = subprocess.run(
        [str(base), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    update = _env("INPUT_UPDATE_ENVIRONMENT") != "false"
    _log(
        "setup-python",
        python_version=version,
        cache=_env("INPUT_CACHE"),
        actual=actual,
        update_environment=update,
    )
    if version and not (actual == version or actual.startswith(version + ".")):
        print(f"stub setup-python: asked for {version}, using the host's {actual}")
    venv = Path(_env("ACT_STUB_VENVS")) / f"{_env('GITHUB_JOB') or 'job'}-{uuid.uuid4().hex[:8]}"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    # The dev venv's packages (minus testgate itself), so `pip install ./.testgate` works offline.
    (site / "_act_stub_dev.pth").write_text(_env("ACT_STUB_SITE") + "\n", encoding="utf-8")
    # ... and their executables (the `pact` CLI of pact-python-cli), as pip would have put
    # them next to the interpreter; testgate itself is not among them.
    for tool in Path(_env("ACT_STUB_DEV_BIN")).iterdir():
        name = tool.name
        if name.startswith(("python", "pip", "activate", "Activate", "testgate")):
            continue
        if not (venv / "bin" / name).exists():
            (venv / "bin" / name).symlink_to(tool)
    if update:
        _append("GITHUB_PATH", str(venv / "bin"))
    # offline pip for the whole job (test wiring, set whatever update-environment says)
    for line in ("PIP_NO_INDEX=1", "PIP_NO_BUILD_ISOLATION=0", "PIP_DISABLE_PIP_VERSION_CHECK=1"):
        _append("GITHUB_ENV", line)
    _append("GITHUB_OUTPUT", f"python-version={actual}")
    _append("GITHUB_OUTPUT", f"python-path={venv / 'bin' / 'python'}")
    return 0


def setup_node() -> int:
    version = _env("INPUT_NODE_VERSION")
    node = shutil.which("node")
    if node is None:
        return _fail("setup-node: no node on the host's PATH (make test installs the tools)")
    actual = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    _log("setup-node", node_version=version, cache=_env("INPUT_CACHE"), actual=actual)
    if version and not actual.lstrip("v").startswith(version.lstrip("v")):
        print(f"stub setup-node: asked for {version}, using the host's {actual}")
    # npm from its cache only: no network in the tests
    for line in ("npm_config_offline=true", "npm_config_audit=false", "npm_config_fund=false"):
        _append("GITHUB_ENV", line)
    _append("GITHUB_OUTPUT", f"node-version={actual}")
    return 0


def _matches(patterns: list[str]) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        for match in sorted(glob.glob(pattern, recursive=True)):
            path = Path(match)
            if path.is_dir():
                found.extend(p for p in sorted(path.rglob("*")) if p.is_file())
            elif path.is_file():
                found.append(path)
    return found


def upload_artifact() -> int:
    name, patterns = _env("INPUT_NAME") or "artifact", _lines(_env("INPUT_PATH"))
    files = _matches(patterns)
    _log("upload-artifact", name=name, path=patterns, files=[str(f) for f in files])
    store = Path(_env("ACT_STUB_ARTIFACTS")) / name
    if store.exists():
        return _fail(f"an artifact named {name!r} was already uploaded in this run (409)")
    if not files:
        mode = _env("INPUT_IF_NO_FILES_FOUND") or "warn"
        message = f"no files were found with the provided path: {' '.join(patterns)}"
        if mode == "error":
            return _fail(message)
        if mode == "warn":
            print(f"::warning::{message}. No artifacts will be uploaded.")
        return 0
    absolute = [f.resolve() for f in files]
    root = Path(os.path.commonpath([p.parent for p in absolute]))
    for src in absolute:
        dest = store / src.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    print(f"stub upload-artifact: {name}: {len(files)} file(s)")
    return 0


def download_artifact() -> int:
    name, pattern = _env("INPUT_NAME"), _env("INPUT_PATTERN")
    dest = Path(_env("INPUT_PATH") or ".")
    merge = _env("INPUT_MERGE_MULTIPLE") == "true"
    store = Path(_env("ACT_STUB_ARTIFACTS"))
    available = sorted(p.name for p in store.iterdir()) if store.is_dir() else []
    _log("download-artifact", name=name, pattern=pattern, path=str(dest), available=available)
    # like the real action: the absolute folder the artifacts went to
    _append("GITHUB_OUTPUT", f"download-path={dest.resolve()}")
    if name:
        if name not in available:
            return _fail(f"Unable to download artifact(s): Artifact not found for name: {name}")
        shutil.copytree(store / name, dest, dirs_exist_ok=True)
        return 0
    chosen = [a for a in available if fnmatch.fnmatchcase(a, pattern or "*")]
    for artifact in chosen:
        shutil.copytree(store / artifact, dest if merge else dest / artifact, dirs_exist_ok=True)
    print(f"stub download-artifact: {len(chosen)} artifact(s): {', '.join(chosen)}")
    return 0


def cache_folder(key: str) -> str:
    """The folder name of a cache entry (keys may hold '/', e.g. a ref name '7/merge')."""
    return quote(key, safe="")


def cache_key(folder: str) -> str:
    """The key of the cache entry in ``folder``."""
    return unquote(folder)


def cache_restore() -> int:
    key, restore_keys = _env("INPUT_KEY"), _lines(_env("INPUT_RESTORE_KEYS"))
    cache = Path(_env("ACT_STUB_CACHE"))
    entries = sorted(cache.iterdir(), key=lambda p: p.stat().st_mtime) if cache.is_dir() else []
    hit = next((e for e in entries if cache_key(e.name) == key), None)
    matched = hit
    for prefix in restore_keys if hit is None else []:
        candidates = [e for e in entries if cache_key(e.name).startswith(prefix)]
        if candidates:
            matched = candidates[-1]  # the newest, like the real cache
            break
    matched_key = cache_key(matched.name) if matched else ""
    _log("cache-restore", key=key, restore_keys=restore_keys, matched=matched_key)
    if matched is not None:
        shutil.copytree(matched, Path(_env("GITHUB_WORKSPACE") or "."), dirs_exist_ok=True)
    _append("GITHUB_OUTPUT", f"cache-hit={'true' if hit else 'false'}")
    _append("GITHUB_OUTPUT", f"cache-matched-key={matched_key}")
    return 0


def cache_save() -> int:
    key, paths = _env("INPUT_KEY"), _lines(_env("INPUT_PATH"))
    files = _matches(paths)
    _log("cache-save", key=key, files=[str(f) for f in files])
    if not files:
        print("::warning::Path Validation Error: no files to cache, hence no cache is being saved.")
        return 0
    store = Path(_env("ACT_STUB_CACHE")) / cache_folder(key)
    if store.exists():
        return _fail(f"cache entry {key!r} already exists (caches are immutable)")
    for src in files:
        dest = store / src
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    return 0


ACTIONS = {
    "checkout": checkout,
    "setup-python": setup_python,
    "setup-node": setup_node,
    "upload-artifact": upload_artifact,
    "download-artifact": download_artifact,
    "cache-restore": cache_restore,
    "cache-save": cache_save,
}

if __name__ == "__main__":
    sys.exit(ACTIONS[sys.argv[1]]())
