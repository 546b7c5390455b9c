"""``testgate testrail upload`` runs the real trcli against a local TestRail API fake.

The fake (tests/testrail_server) records every request; the test checks that the
cases, the run and each result arrive intact, that the run is named from the CI
context, and that the API key never shows in anything testgate prints.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, require_tool
from testgate import testrail as trlib
from testgate.commands import ci as ci_cmd
from testgate.commands import testrail as testrail_cmd
from testgate.errors import ToolError
from testrail_server.server import State, serve

KEY = "tr-key-5f0c1d8e9a"
USER = "ci@example.com"

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="api-tests" tests="4" failures="1" errors="0" skipped="1" time="2.75">
<testcase classname="tests.api.test_orders" name="test_create" time="0.5"/>
<testcase classname="tests.api.test_orders" name="test_refund" time="1.25">
<failure message="refund not visible after 2 s">AssertionError: refund not visible after 2 s</failure>
</testcase>
<testcase classname="tests.api.test_search" name="test_full_text[utf-8 ü]" time="0.75"/>
<testcase classname="tests.api.test_search" name="test_legacy" time="0.25"><skipped message="retired"/></testcase>
</testsuite></testsuites>
"""


def trcli_path() -> str:
    """trcli from its own venv (install-tools.sh), else on PATH (skip locally, fail on CI)."""
    local = ROOT / ".tools" / "trcli-venv" / "bin" / "trcli"
    if local.is_file():
        return str(local)
    found = shutil.which("trcli")
    if found:
        return found
    return require_tool("trcli")


@pytest.fixture
def testrail():
    state = State(users={USER: KEY})
    state.projects.append(
        {"id": 1, "name": "org/dashboard-api", "suite_mode": 3, "is_completed": False}
    )
    state.suites.append({"id": 7, "project_id": 1, "name": "CI"})
    with serve(state) as (url, st):
        yield url, st


def _env(clean_environ: dict[str, str], url: str, tmp_path: Path) -> dict[str, str]:
    junit = tmp_path / "merged.xml"
    junit.write_text(JUNIT, encoding="utf-8")
    return {
        **clean_environ,
        # the CI context the project, suite and run name come from (GitLab here)
        "GITLAB_CI": "true",
        "CI_PROJECT_PATH": "org/dashboard-api",
        "CI_PIPELINE_NAME": "CI",
        "CI_PIPELINE_IID": "42",
        "CI_COMMIT_BRANCH": "main",
        "CI_COMMIT_SHA": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "CI_PIPELINE_URL": "https://gitlab.example/org/dashboard-api/-/pipelines/9001",
        "TESTRAIL_HOST": url,
        "TESTRAIL_USER": USER,
        "TESTRAIL_KEY": KEY,
        "TESTGATE_TESTRAIL_JUNIT": str(junit),
        "TESTGATE_TRCLI": trcli_path(),
    }


@pytest.mark.slow
def test_upload_reaches_testrail_intact(testrail, tmp_path, clean_environ, capsys):
    url, st = testrail
    env = _env(clean_environ, url, tmp_path)
    code = testrail_cmd.main(["upload", "--close-run"], env)
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    printed = out.out + out.err + "".join(p.read_text() for p in tmp_path.rglob("*.md"))
    assert KEY not in printed

    # every call authenticated with the API key from the environment
    assert st.requests
    assert {(r.user, r.password) for r in st.requests} == {(USER, KEY)}
    endpoints = st.endpoints()
    assert endpoints[0] == "get_projects"
    assert endpoints[-1] == "close_run"
    assert {"add_case", "add_run", "add_results_for_cases"} <= set(endpoints)

    # the cases, titled by test name, matched by their automation id
    cases = {c["custom_automation_id"]: c for c in st.cases}
    assert set(cases) == {
        "tests.api.test_orders.test_create",
        "tests.api.test_orders.test_refund",
        "tests.api.test_search.test_full_text[utf-8 ü]",
        "tests.api.test_search.test_legacy",
    }
    assert (
        cases["tests.api.test_search.test_full_text[utf-8 ü]"]["title"] == "test_full_text[utf-8 ü]"
    )
    assert {c["suite_id"] for c in st.cases} == {7}  # the suite named after the pipeline

    # one run, named from the CI context, with every case, closed
    [run] = st.runs
    assert run["name"] == "CI #42 main@a1b2c3d4"
    assert run["suite_id"] == 7
    assert sorted(run["case_ids"]) == sorted(c["id"] for c in st.cases)
    assert "pipelines/9001" in run["description"]
    assert run["is_completed"] is True

    # each result with its status and failure message
    by_case = {c["id"]: name for name, c in cases.items()}
    results = {by_case[r["case_id"]]: r for r in st.results}
    assert len(results) == 4
    assert results["tests.api.test_orders.test_create"]["status_id"] == 1  # passed
    refund = results["tests.api.test_orders.test_refund"]
    assert refund["status_id"] == 5  # failed
    assert "refund not visible after 2 s" in refund["comment"]
    assert results["tests.api.test_search.test_legacy"]["status_id"] == 4  # skipped -> retest
    assert refund["elapsed"]

    assert f"Uploaded 4 results from `{env['TESTGATE_TESTRAIL_JUNIT']}`" in out.out
    assert "/index.php?/runs/view/" in out.out


@pytest.mark.slow
def test_wrong_key_fails_with_exit_3_and_no_key_in_output(
    testrail, tmp_path, clean_environ, capsys
):
    url, st = testrail
    env = {**_env(clean_environ, url, tmp_path), "TESTRAIL_KEY": "wrong-key-0000"}
    assert testrail_cmd.main(["upload"], env) == 3
    out = capsys.readouterr()
    assert "trcli failed" in out.err
    assert "wrong-key-0000" not in out.out + out.err
    assert st.runs == []
    assert st.results == []


def test_missing_settings_are_named_in_one_error(tmp_path, clean_environ, capsys):
    env = {**clean_environ, "TESTGATE_TESTRAIL_JUNIT": str(tmp_path / "x.xml")}
    assert testrail_cmd.main(["upload"], env) == 2
    err = capsys.readouterr().err
    assert "TESTRAIL_HOST" in err
    assert "TESTRAIL_USER" in err
    assert "TESTRAIL_KEY" in err


def test_dry_run_prints_the_command_without_credentials(tmp_path, clean_environ, capsys):
    env = {
        **clean_environ,
        "TESTRAIL_HOST": "https://example.testrail.io/",
        "TESTRAIL_USER": USER,
        "TESTRAIL_KEY": KEY,
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "org/svc",
        "GITHUB_WORKFLOW": "ci",
        "GITHUB_RUN_NUMBER": "5",
        "GITHUB_REF": "refs/heads/feature/x",
        "GITHUB_REF_NAME": "feature/x",
        "GITHUB_SHA": "deadbeefcafe",
    }
    assert testrail_cmd.main(["upload", "--dry-run", "--suite-id", "3"], env) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"::add-mask::{KEY}" in lines  # GitHub hides it from the log from here on
    out = "\n".join(line for line in lines if not line.startswith("::add-mask::"))
    assert "--project org/svc" in out
    assert "--suite-id 3" in out
    assert "--title 'ci #5 feature/x@deadbeef'" in out
    assert KEY not in out
    assert USER not in out  # the user travels in TR_CLI_USERNAME, not argv


def test_trcli_missing_is_exit_3(tmp_path, clean_environ, capsys):
    junit = tmp_path / "m.xml"
    junit.write_text(JUNIT)
    env = {
        **clean_environ,
        "TESTRAIL_HOST": "http://127.0.0.1:9/",
        "TESTRAIL_USER": USER,
        "TESTRAIL_KEY": KEY,
        "TESTGATE_TESTRAIL_PROJECT": "p",
        "TESTGATE_TESTRAIL_JUNIT": str(junit),
        "TESTGATE_TRCLI": str(tmp_path / "no-trcli"),
    }
    assert testrail_cmd.main(["upload"], env) == 3
    assert "pipx install trcli==" in capsys.readouterr().err


# -- trcli: pinned once, installed into a virtualenv of its own when none is given ----------


def test_the_trcli_version_is_pinned_in_one_place() -> None:
    """trlib.TRCLI_VERSION is the pin; the install script asks testgate to install it."""
    pins = re.compile(r"trcli\s*==\s*\d|TRCLI_VERSION\s*=\s*\S*\d")
    found = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "scripts").rglob("*")
        if path.suffix in {".py", ".sh"} and pins.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["scripts/testgate/testrail.py"]
    script = (ROOT / "scripts" / "ci" / "install-tools.sh").read_text(encoding="utf-8")
    assert "testrail install --platform local --trcli-venv .tools/trcli-venv" in script


class FakeRun:
    """subprocess.run as ensure_trcli calls it: records argv, answers with ``codes``."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.calls: list[list[str]] = []

    def __call__(self, cmd, **kwargs):
        import subprocess

        self.calls.append(list(cmd))
        code = self.codes.pop(0) if self.codes else 0
        return subprocess.CompletedProcess(cmd, code, stdout="", stderr="E: no such version\n")


def fake_venv(venv: Path, version: str) -> None:
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "trcli").write_text("#!/bin/sh\n")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "lib" / "python3.11" / "site-packages" / f"trcli-{version}.dist-info").mkdir(
        parents=True
    )


def test_ensure_trcli_installs_the_pinned_version_into_its_own_venv(tmp_path) -> None:
    venv = tmp_path / "trcli-venv"
    run = FakeRun()
    exe, installed = trlib.ensure_trcli(venv, "/usr/bin/python3", run=run)
    assert (exe, installed) == (venv / "bin" / "trcli", True)
    assert run.calls == [
        ["/usr/bin/python3", "-m", "venv", str(venv)],
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"trcli=={trlib.TRCLI_VERSION}",
        ],
    ]


def test_ensure_trcli_reuses_the_venv_with_the_pinned_version(tmp_path) -> None:
    venv = tmp_path / "trcli-venv"
    fake_venv(venv, trlib.TRCLI_VERSION)
    run = FakeRun()
    assert trlib.ensure_trcli(venv, "python3", run=run) == (venv / "bin" / "trcli", False)
    assert run.calls == []


def test_ensure_trcli_upgrades_another_version_and_refuses_a_folder_it_did_not_make(
    tmp_path,
) -> None:
    venv = tmp_path / "old"
    fake_venv(venv, "1.0.0")
    run = FakeRun()
    trlib.ensure_trcli(venv, "python3", run=run)
    assert run.calls[-1][-1] == f"trcli=={trlib.TRCLI_VERSION}"
    mine = tmp_path / "my-folder"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(ToolError, match="is not a virtualenv"):
        trlib.ensure_trcli(mine, "python3", run=FakeRun())
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_a_failed_install_is_exit_3_with_pips_words(tmp_path) -> None:
    with pytest.raises(ToolError) as info:
        trlib.ensure_trcli(tmp_path / "v", "python3", run=FakeRun(0, 1))
    assert info.value.exit_code == 3
    assert "installing trcli==" in str(info.value)
    assert "E: no such version" in str(info.value)


@pytest.mark.slow
def test_upload_without_a_trcli_installs_the_pinned_one_and_uses_it(
    testrail, tmp_path, clean_environ, capsys, monkeypatch
):
    """No TESTGATE_TRCLI, no trcli on PATH: upload installs the pin into trcli-venv."""
    url, st = testrail
    real = trcli_path()
    asked: list[tuple[Path, str]] = []

    def ensure(venv: Path, python: str, version: str = trlib.TRCLI_VERSION, run=None):
        asked.append((venv, version))
        return Path(real), True

    monkeypatch.setattr(trlib, "ensure_trcli", ensure)
    env = {k: v for k, v in _env(clean_environ, url, tmp_path).items() if k != "TESTGATE_TRCLI"}
    env["PATH"] = str(tmp_path / "no-tools")  # trcli is nowhere on PATH
    env["TESTGATE_TRCLI_VENV"] = str(tmp_path / "trcli-venv")
    code = testrail_cmd.main(["upload"], env)
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert asked == [(tmp_path / "trcli-venv", trlib.TRCLI_VERSION)]
    assert f"trcli {trlib.TRCLI_VERSION} installed into {tmp_path / 'trcli-venv'}" in out.out
    assert len(st.results) == 4


@pytest.mark.slow
def test_ci_report_sends_the_merged_junit_to_testrail(testrail, tmp_path, clean_environ, capsys):
    """testgate ci report with testrail on: the gate, then the upload of reports/merged.xml."""
    url, st = testrail
    env = _env(clean_environ, url, tmp_path)
    junit = Path(env.pop("TESTGATE_TESTRAIL_JUNIT"))
    (tmp_path / "reports").mkdir()
    junit.replace(tmp_path / "reports" / "api.xml")
    env.update(TESTGATE_TESTRAIL="true", TESTGATE_HISTORY="false")
    code = ci_cmd.main(["report"], env)
    out = capsys.readouterr()
    assert code == 1, out.out + out.err  # the gate's code: one test failed
    assert len(st.results) == 4
    assert [r["name"] for r in st.runs] == ["CI #42 main@a1b2c3d4"]
    assert f"from `{tmp_path / 'reports' / 'merged.xml'}`" in out.out
