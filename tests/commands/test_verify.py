"""``testgate verify`` in a project of its own: paths from testgate.toml's folder, states checked
before anything starts. The real example provider, started on 127.0.0.1 port 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testgate.commands import verify

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = ROOT / "examples" / "inventory-api"


def write_project(root: Path, *, states_path: bool = False) -> Path:
    """A service with its own testgate.toml: the example provider, started from its folder."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [
        "[provider]",
        'name = "inventory-api"',
        'command = ["{python}", "-m", "inventory_api", "--port", "0", "--provider-states"]',
        f"cwd = {json.dumps(str(PROVIDER))}",
        'ready-path = "/health"',
    ]
    if states_path:
        lines.append('states-path = "/_pact/provider-states"')
    (root / "testgate.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def write_pact(folder: Path, *states: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    interaction: dict[str, object] = {
        "type": "Synchronous/HTTP",
        "description": "a health check",
        "request": {"method": "GET", "path": "/health"},
        "response": {"status": 200},
    }
    if states:
        interaction["providerStates"] = [{"name": s} for s in states]
    doc = {
        "consumer": {"name": "dashboard-api"},
        "provider": {"name": "inventory-api"},
        "interactions": [interaction],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    (folder / "dashboard-api-inventory-api.json").write_text(json.dumps(doc), encoding="utf-8")


@pytest.fixture
def env(clean_environ: dict[str, str]) -> dict[str, str]:
    """No reports folder and no project file set: both must come from where testgate.toml is."""
    environ = {k: v for k, v in clean_environ.items() if k != "TESTGATE_REPORTS_DIR"}
    environ["TESTGATE_PLATFORM"] = "local"
    return environ


def test_run_from_a_subfolder_writes_reports_into_the_project_root(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(tmp_path / "service")
    write_pact(root / "pacts")
    sub = root / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert verify.main([], env) == 0
    assert (root / "reports" / "provider-verification.xml").is_file()
    assert (root / "reports" / "inventory-api.log").is_file()  # the provider's log too
    assert not (sub / "reports").exists()


def test_states_without_a_state_endpoint_are_exit_2_listing_them(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "service")
    write_pact(root / "pacts", "products exist", 'a "quoted" state')
    env["TESTGATE_PROJECT_FILE"] = str(root / "testgate.toml")
    code = verify.main([], env)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "2 provider states but no provider-state endpoint is configured" in err
    assert '- "products exist"' in err
    assert '- "a \\"quoted\\" state"' in err  # untrusted text stays quoted text
    assert "testgate.toml [provider] states-path" in err  # the fix, with its spellings
    assert not (root / "reports" / "inventory-api.log").exists()  # nothing was started


def test_states_for_a_deployed_provider_need_its_state_url(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "service", states_path=True)
    write_pact(root / "pacts", "products exist")
    env["TESTGATE_PROJECT_FILE"] = str(root / "testgate.toml")
    # states-path is for the provider testgate starts; a deployed one needs its own URL
    code = verify.main(["--provider-url", "http://127.0.0.1:9"], env)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "1 provider state but no provider-state endpoint" in err
    assert "--provider-states-url" in err


def test_states_with_the_endpoint_configured_pass(env: dict[str, str], tmp_path: Path) -> None:
    root = write_project(tmp_path / "service", states_path=True)
    write_pact(root / "pacts", "products exist")
    env["TESTGATE_PROJECT_FILE"] = str(root / "testgate.toml")
    assert verify.main([], env) == 0


def test_the_verifiers_own_output_cannot_open_a_section_or_redraw_a_line(tmp_path: Path) -> None:
    """The Pact core prints pact descriptions straight to the process's stdout; on GitLab (no
    stop-commands there) a raw CR or ESC in a description must reach the log shown, not obeyed
    (issue 11, finding 1: child tools' output)."""
    import os
    import subprocess
    import sys

    root = write_project(tmp_path / "service")
    hostile = "a health check\r\x1b[0Ksection_start:1:owned[collapsed=true]\r\x1b[0KPASSED"
    write_pact(root / "pacts")
    pact_file = root / "pacts" / "dashboard-api-inventory-api.json"
    doc = json.loads(pact_file.read_text(encoding="utf-8"))
    doc["interactions"][0]["description"] = hostile
    doc["interactions"][0]["response"] = {"status": 418}  # a mismatch: the core prints it
    pact_file.write_text(json.dumps(doc), encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "GITLAB_CI": "true",
        "CI_JOB_NAME": "verify",
        "TESTGATE_PROJECT_FILE": str(root / "testgate.toml"),
        "PACT_DO_NOT_TRACK": "true",
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "testgate"), "verify"],
        capture_output=True,
        env=env,
        cwd=root,
        timeout=120,
        check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 1, log.decode(errors="replace")[-2000:]
    import re

    own = re.compile(rb"\x1b\[0Ksection_(start|end):\d+:[a-z0-9_]+(\[collapsed=false\])?\r\x1b\[0K")
    rest = own.sub(b"", log)
    assert b"\r" not in rest  # no line redrawn
    assert b"\x1b" not in rest  # no section opened, no escape sequence obeyed
    assert b"\\x1b[0Ksection_start:1:owned" in rest  # the description is shown, as text
