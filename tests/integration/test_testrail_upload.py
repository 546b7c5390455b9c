"""``testgate testrail upload`` runs the real trcli against a local TestRail API fake.

The fake (tests/testrail_server) records every request; the test checks that the
cases, the run and each result arrive intact, that the run is named from the CI
context, and that the API key never shows in anything testgate prints.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, require_tool
from testgate.commands import testrail as testrail_cmd
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
