"""Measure (issue 12), the local half: a new user's path on a typical Flask service.

The service is made in the test from tests/fixtures/flask-service, a template of a typical
Flask service that knows nothing about testgate (not testgate's example). The user then:

1. adds the provider-state glue docs/adoption.md shows (its ``glue`` snippet, written to
   ``bookshop/pact_states.py``: the only code added; the service's own files stay byte for
   byte as they were);
2. ``testgate init --ci github,gitlab,jenkins``;
3. ``testgate doctor``;
4. ``testgate pipeline`` (consumer pacts -> verify -> API tests -> report), green;
5. ``testgate doctor`` again, now that the pacts exist: every state checked.

Each step is timed; the figures go into docs/adoption.md ("Measured"). The CI half (the
GitHub caller under act, the GitLab include under gitlab-ci-local) is
tests/templates/test_adoption_measure_ci.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from adoption_snippets import glue

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "tests" / "fixtures" / "flask-service"
STEPS = (
    ("add the state glue (bookshop/pact_states.py)", None),
    ("testgate init --ci github,gitlab,jenkins", ["init", "--ci", "github,gitlab,jenkins"]),
    ("testgate doctor", ["doctor"]),
    ("testgate pipeline", ["pipeline"]),
    ("testgate doctor (pacts now there)", ["doctor"]),
)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def new_service(tmp_path: Path) -> Path:
    """The scratch service: the template, as a git repository of its own."""
    service = tmp_path / "bookshop"
    shutil.copytree(TEMPLATE, service)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=service, check=True)
    return service


def run_testgate(service: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["TESTGATE_PLATFORM"] = "local"
    return subprocess.run(
        [sys.executable, "-m", "testgate", *args],
        cwd=service,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("adopt")
    service = new_service(tmp)
    before = digest(service)
    times: list[tuple[str, float]] = []
    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    for title, args in STEPS:
        started = time.monotonic()
        if args is None:
            snippet = glue()
            (service / snippet.options["file"]).write_text(snippet.text)
        else:
            outputs[title] = proc = run_testgate(service, args)
            assert proc.returncode == 0, f"{title}:\n{proc.stdout}\n{proc.stderr}"
        times.append((title, time.monotonic() - started))
    total = sum(seconds for _, seconds in times)
    figures = {"steps": times, "total": total}
    print("\n".join(f"{seconds:6.1f} s  {title}" for title, seconds in times))
    print(f"{total:6.1f} s  total")
    return {"service": service, "before": before, "outputs": outputs, **figures}


def test_the_pipeline_is_green_with_only_the_state_glue_added(measured: dict) -> None:
    service: Path = measured["service"]
    after = digest(service)
    changed = {p for p in measured["before"] if after.get(p) != measured["before"][p]}
    added = set(after) - set(measured["before"])
    assert not changed, f"init or the pipeline changed the service's files: {changed}"
    code_added = {p for p in added if p.endswith(".py")}
    assert code_added == {"bookshop/pact_states.py"}  # the only code added: the state glue
    out = measured["outputs"]["testgate pipeline"].stdout
    assert "consumer   pass" in out
    assert "verify     pass" in out
    assert "api-tests  pass" in out
    assert "decision: PASS" in out or "report     pass" in out


def test_init_wrote_the_config_and_the_three_callers(measured: dict) -> None:
    service: Path = measured["service"]
    for name in (
        "testgate.toml",
        "envs/local.env",
        ".github/workflows/testgate.yml",
        ".gitlab-ci.yml",
        "Jenkinsfile",
    ):
        assert (service / name).is_file(), name
    toml = (service / "testgate.toml").read_text()
    assert 'states-path = "/_pact/provider-states"' in toml  # the glue was found
    assert "bookshop.pact_states:app" in toml


def test_doctor_checks_every_state_once_the_pacts_exist(measured: dict) -> None:
    out = measured["outputs"]["testgate doctor (pacts now there)"].stdout
    assert "✓ state 'a book exists'" in out
    assert "✓ state 'no book with id exists'" in out
    assert '✓ state "" (no state)' in out
    assert "✗" not in out


def test_the_whole_path_takes_well_under_fifteen_minutes(measured: dict) -> None:
    assert measured["total"] < 120, measured["steps"]  # the machine's part: seconds
