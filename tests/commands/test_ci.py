"""``testgate ci report | comment | shards``: what the three templates decided, decided once.

The templates agreed on this (GitHub step ``if:``s, GitLab ``|| gate=$?``, Jenkins
``rc in [0,1]``): report; then, only when the gate decided (pass or fail, dry-run included) and
history is on, ``history record`` and the HTML page; then the optional TestRail upload; exit
with the gate's code. A history or TestRail error fails a green job, never hides a red gate;
could-not-decide records and sends nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testgate.commands import ci
from testgate.settings_table import SETTINGS

PASSING = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="api" tests="2">
<testcase classname="tests.test_api" name="test_ok" time="0.5"/>
<testcase classname="tests.test_api" name="test_also_ok" time="1.5"/>
</testsuite></testsuites>"""

FAILING = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="api" tests="2" failures="1">
<testcase classname="tests.test_api" name="test_ok" time="0.5"/>
<testcase classname="tests.test_api" name="test_broken" time="0.25" file="tests/test_api.py" line="12">
<failure message="assert 1 == 2">Traceback...</failure></testcase>
</testsuite>"""

MALFORMED = "<testsuites><testsuite name='x'><testcase name='a'"


@pytest.fixture
def job(tmp_path: Path, clean_environ: dict[str, str]) -> dict[str, str]:
    """A GitHub Actions report job: reports/ holds the downloaded JUnit artifacts."""
    (tmp_path / "reports" / "testgate-junit-api").mkdir(parents=True)
    return {
        **clean_environ,
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REPOSITORY": "org/svc",
        "GITHUB_RUN_ID": "77",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "TESTGATE_HISTORY_FILE": str(tmp_path / ".testgate-history" / "history.json"),
    }


def junit(tmp_path: Path, text: str, name: str = "api.xml") -> Path:
    path = tmp_path / "reports" / "testgate-junit-api" / name
    path.write_text(text, encoding="utf-8")
    return path


def outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "output.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def history_runs(env: dict[str, str]) -> list[dict]:
    path = Path(env["TESTGATE_HISTORY_FILE"])
    return json.loads(path.read_text())["runs"] if path.exists() else []


# -- ci report: the branches ----------------------------------------------------------------


def test_pass_reports_records_the_history_and_writes_the_page(tmp_path, job, capsys):
    junit(tmp_path, PASSING)
    assert ci.main(["report"], job) == 0
    reports = tmp_path / "reports"
    doc = json.loads((reports / "testgate-report.json").read_text())
    assert doc["decision"] == "pass"
    assert [t["id"] for t in doc["tests"]] == [
        "tests.test_api::test_ok",
        "tests.test_api::test_also_ok",
    ]
    assert (reports / "testgate-report.md").read_text().startswith("## ✅ Test report: PASS")
    assert "<testcase" in (reports / "merged.xml").read_text()
    [run] = history_runs(job)
    assert (run["decision"], run["commit"], run["branch"]) == ("pass", job["GITHUB_SHA"], "main")
    assert run["pipeline_url"] == "https://github.com/org/svc/actions/runs/77"
    assert (reports / "history-trend.svg").read_text().startswith("<svg")
    assert "<html" in (reports / "testgate-report.html").read_text().lower()
    out = outputs(tmp_path)
    assert out["decision"] == "pass"
    assert out["tests"] == "2"
    assert out["history-runs"] == "1"
    assert out["pass-rate"] == "100.00"
    assert out["html-report"] == str(reports / "testgate-report.html")
    summary = (tmp_path / "summary.md").read_text()
    assert "Test report: PASS" in summary
    assert "### Results over time (last 1 runs)" in summary


def test_fail_still_records_the_history_and_exits_1(tmp_path, job):
    junit(tmp_path, FAILING)
    assert ci.main(["report"], job) == 1
    [run] = history_runs(job)
    assert run["decision"] == "fail"
    assert (tmp_path / "reports" / "testgate-report.html").is_file()
    assert outputs(tmp_path)["decision"] == "fail"


def test_dry_run_fail_is_decided_exits_0_and_is_recorded(tmp_path, job):
    junit(tmp_path, FAILING)
    assert ci.main(["report", "--dry-run"], job) == 0
    [run] = history_runs(job)
    assert run["decision"] == "fail"


def test_could_not_decide_records_nothing_and_exits_3(tmp_path, job, capsys):
    junit(tmp_path, MALFORMED)
    assert ci.main(["report"], {**job, "TESTGATE_TESTRAIL": "true"}) == 3
    assert history_runs(job) == []
    reports = tmp_path / "reports"
    assert json.loads((reports / "testgate-report.json").read_text())["decision"] == "error"
    assert not (reports / "testgate-report.html").exists()
    assert not (reports / "history-trend.svg").exists()
    out = capsys.readouterr().out
    assert "could not decide: no history recorded, nothing sent to TestRail" in out
    assert "TestRail upload is missing" not in out  # not even tried


def test_a_usage_error_of_the_report_stops_everything_with_exit_2(tmp_path, job):
    junit(tmp_path, PASSING)
    assert ci.main(["report", "--policy", str(tmp_path / "nope.toml")], job) == 2
    assert history_runs(job) == []


def test_history_off_reports_only(tmp_path, job, capsys):
    junit(tmp_path, PASSING)
    assert ci.main(["report"], {**job, "TESTGATE_HISTORY": "false"}) == 0
    reports = tmp_path / "reports"
    assert (reports / "testgate-report.json").is_file()
    assert not Path(job["TESTGATE_HISTORY_FILE"]).exists()
    assert not (reports / "testgate-report.html").exists()
    assert not (reports / "history-trend.svg").exists()
    assert "history is off (TESTGATE_HISTORY=false)" in capsys.readouterr().out
    assert "history-runs" not in outputs(tmp_path)


def unwritable_history(tmp_path: Path) -> str:
    """A history file that cannot be written: its folder is a file."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    return str(blocker / "history.json")


def test_a_history_error_fails_a_green_gate(tmp_path, job, capsys):
    junit(tmp_path, PASSING)
    env = {**job, "TESTGATE_HISTORY_FILE": unwritable_history(tmp_path)}
    code = ci.main(["report"], env)
    assert code in (2, 3)  # the history's own code: never 0, and not the gate's
    out = capsys.readouterr().out
    assert "::error::history record:" in out
    assert "the gate passed, but testgate history record" in out
    assert outputs(tmp_path)["decision"] == "pass"


def test_a_history_error_never_hides_a_red_gate(tmp_path, job, capsys):
    junit(tmp_path, FAILING)
    env = {**job, "TESTGATE_HISTORY_FILE": unwritable_history(tmp_path)}
    assert ci.main(["report"], env) == 1
    assert "::error::history record:" in capsys.readouterr().out


def test_testrail_on_and_failing_fails_a_green_gate_after_the_history(tmp_path, job, capsys):
    junit(tmp_path, PASSING)
    env = {**job, "TESTGATE_TESTRAIL": "true"}  # no host, user or key: the upload fails
    assert ci.main(["report"], env) == 2
    out = capsys.readouterr().out
    assert "::error::testrail upload: TestRail upload is missing host" in out
    assert "the gate passed, but testgate testrail upload failed" in out
    assert len(history_runs(job)) == 1  # the history came first and is kept


def test_testrail_failing_never_hides_a_red_gate(tmp_path, job, capsys):
    junit(tmp_path, FAILING)
    assert ci.main(["report"], {**job, "TESTGATE_TESTRAIL": "true"}) == 1
    assert "::error::testrail upload:" in capsys.readouterr().out


def test_testrail_is_sent_the_merged_junit_when_on(tmp_path, job, capsys):
    junit(tmp_path, FAILING)
    env = {
        **job,
        "TESTGATE_TESTRAIL": "true",
        "TESTRAIL_HOST": "https://example.testrail.io/",
        "TESTRAIL_USER": "ci@example.com",
        "TESTRAIL_KEY": "tr-key-0000",
        "TESTGATE_TRCLI": str(tmp_path / "no-trcli"),
    }
    assert ci.main(["report"], env) == 1
    out = capsys.readouterr().out
    # it got as far as running trcli on reports/merged.xml: validated, then trcli missing
    assert "::error::testrail upload: trcli not found" in out
    assert "::add-mask::tr-key-0000" in out.splitlines()  # GitHub hides it from here on
    assert "tr-key-0000" not in out.replace("::add-mask::tr-key-0000", "")


def test_the_last_runs_merged_junit_is_not_counted_again(tmp_path, job):
    junit(tmp_path, PASSING)
    assert ci.main(["report"], job) == 0
    assert ci.main(["report"], job) == 0  # reports/merged.xml of the first run is there now
    doc = json.loads((tmp_path / "reports" / "testgate-report.json").read_text())
    assert doc["totals"]["tests"] == 2
    assert [r["totals"]["tests"] for r in history_runs(job)] == [2, 2]


def test_report_paths_from_the_template_input(tmp_path, job):
    junit(tmp_path, FAILING, "a.xml")
    junit(tmp_path, PASSING, "b.xml")
    pattern = str(tmp_path / "reports" / "*" / "b.xml")
    assert ci.main(["report"], {**job, "TESTGATE_REPORT_PATHS": pattern}) == 0


def test_an_unwritable_reports_folder_is_exit_2_before_any_work(tmp_path, job, capsys):
    junit(tmp_path, PASSING)
    (tmp_path / "reports" / "merged.xml").mkdir()  # a folder where the merged JUnit goes
    assert ci.main(["report"], job) == 2
    assert "merged.xml is a folder, not a file" in capsys.readouterr().out
    assert not (tmp_path / "reports" / "testgate-report.json").exists()


# -- ci comment -----------------------------------------------------------------------------


GH_TOKEN = "ghs_fake_installation_token_0123456789"
GL_TOKEN = "glpat-fake-project-token-0123456789"


@pytest.fixture
def gh():
    """GitHub's issue comments API (tests/fake_github), reached by the real REST client."""
    from fake_github import FakeGitHub

    with FakeGitHub() as server:
        server.add_repo("org/svc", pulls=(12,))
        server.add_token(GH_TOKEN, "github-actions[bot]", bot=True, installation=True)
        yield server


@pytest.fixture
def gl():
    """GitLab's merge request notes API (tests/fake_gitlab)."""
    from fake_gitlab import FakeGitLab

    with FakeGitLab() as server:
        server.add_project(42, "org/svc", merge_requests=(5,))
        server.add_token(GL_TOKEN, "project_42_bot_1")
        yield server


def pull_request(job: dict[str, str], gh) -> dict[str, str]:
    return {
        **job,
        "GITHUB_REF": "refs/pull/12/merge",
        "GITHUB_API_URL": gh.url,
        "GITHUB_TOKEN": GH_TOKEN,
    }


def many_failures(n: int) -> str:
    cases = "".join(
        f'<testcase classname="c" name="t{i}"><failure message="boom {i} {"x" * 200}"/></testcase>'
        for i in range(n)
    )
    return f'<testsuite name="s">{cases}</testsuite>'


def test_comment_on_a_pull_request_fits_githubs_limit_and_is_updated_in_place(
    tmp_path, job, gh, capsys
):
    from testgate.platforms.rest import comment_marker

    junit(tmp_path, many_failures(3000))
    assert ci.main(["report", "--max-size", str(2 * 1024 * 1024)], job) == 1
    full = (tmp_path / "reports" / "testgate-report.md").read_text()
    assert len(full) > 65_536  # the job summary is bigger than a comment may be
    env = pull_request(job, gh)
    assert ci.main(["comment"], env) == 0
    [comment] = gh.comments_on("org/svc", 12)
    body = comment["body"]
    assert len(body) <= 65_536  # GitHub's limit, the marker line included
    assert body.startswith(comment_marker("testgate-report") + "\n## ❌ Test report: FAIL")
    assert "showing" in body
    assert "The full report is in `testgate-report.json`" in body
    url = outputs(tmp_path)["comment-url"]
    assert url.endswith(f"#issuecomment-{comment['id']}")
    assert GH_TOKEN not in capsys.readouterr().out.replace(f"::add-mask::{GH_TOKEN}", "")

    junit(tmp_path, PASSING, "api.xml")  # the next push fixes the tests
    assert ci.main(["report"], job) == 0
    assert ci.main(["comment"], env) == 0
    [comment] = gh.comments_on("org/svc", 12)  # the same comment, updated
    assert comment["body"].split("\n")[1] == "## ✅ Test report: PASS"


def test_comment_keeps_the_gates_decision_on_a_merge_request(tmp_path, job, gl):
    from testgate.platforms.rest import comment_marker

    junit(tmp_path, FAILING)
    assert ci.main(["report", "--dry-run"], job) == 0
    mr = {
        "PATH": job["PATH"],
        "TESTGATE_REPORTS_DIR": job["TESTGATE_REPORTS_DIR"],
        "GITLAB_CI": "true",
        "CI_API_V4_URL": gl.url,
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "5",
        "CI_COMMIT_SHA": "abc",
        "TESTGATE_GITLAB_TOKEN": GL_TOKEN,
    }
    assert ci.main(["comment", "--comment-marker", "api-report"], mr) == 0
    [note] = gl.notes_on(42, 5)
    head = comment_marker("api-report")
    assert note["body"].startswith(f"{head}\n## ❌ Test report: FAIL (dry run: exit 0)")
    assert "tests.test_api::test_broken" in note["body"]
    assert "assert 1 == 2" in note["body"]


def test_comment_without_a_token_is_exit_2_naming_it(tmp_path, job, gh, capsys):
    junit(tmp_path, PASSING)
    assert ci.main(["report"], job) == 0
    env = {k: v for k, v in pull_request(job, gh).items() if k != "GITHUB_TOKEN"}
    assert ci.main(["comment"], env) == 2
    assert "GITHUB_TOKEN" in capsys.readouterr().out
    assert gh.comments_on("org/svc", 12) == []


def test_comment_outside_a_pull_request_does_nothing(tmp_path, job, gh, capsys):
    junit(tmp_path, PASSING)
    assert ci.main(["report"], job) == 0
    env = {**pull_request(job, gh), "GITHUB_REF": "refs/heads/main"}  # a push to main
    assert ci.main(["comment"], env) == 0
    assert gh.calls() == []
    assert "not for a pull / merge request" in capsys.readouterr().out


def test_comment_without_the_report_json_is_exit_3(tmp_path, job, gh, capsys):
    assert ci.main(["comment"], pull_request(job, gh)) == 3
    assert "testgate-report.json: it does not exist" in capsys.readouterr().out
    assert gh.calls() == []


@pytest.mark.parametrize(
    ("extra", "alternative"),
    [
        pytest.param(
            {"JENKINS_URL": "https://ci.example/", "CHANGE_ID": "4"}, "publishHTML", id="jenkins"
        ),
        pytest.param({}, "--markdown FILE", id="local"),
    ],
)
def test_comment_is_not_supported_on_jenkins_or_locally(
    tmp_path, clean_environ, capsys, extra, alternative
):
    assert ci.main(["comment"], {**clean_environ, **extra}) == 2
    err = capsys.readouterr().err
    assert "not supported on this platform" in err
    assert alternative in err


# -- ci shards ------------------------------------------------------------------------------


def test_shards_github_matrix_output_and_a_plain_list(tmp_path, job, capsys):
    assert ci.main(["shards", "--shards", "3"], job) == 0
    assert outputs(tmp_path)["matrix"] == "[1,2,3]"
    assert capsys.readouterr().out == "1\n2\n3\n"


def test_shards_from_the_variable_locally(clean_environ, capsys):
    assert ci.main(["shards"], {**clean_environ, "TESTGATE_SHARDS": "2"}) == 0
    assert capsys.readouterr().out == "1\n2\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("0", "--shards must be at least 1 (got '0')", id="zero"),
        pytest.param("257", "--shards must be at most 256 (got '257')", id="too-many"),
        pytest.param("x", "--shards must be a whole number (got 'x')", id="not-a-number"),
        pytest.param(None, "shards is required", id="missing"),
    ],
)
def test_shards_are_checked_with_the_tables_one_bound(clean_environ, capsys, value, message):
    assert SETTINGS["shards"].maximum == 256  # the bound, declared once
    argv = ["shards"] + (["--shards", value] if value is not None else [])
    assert ci.main(argv, clean_environ) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_ci_help_lists_the_commands_and_their_options(capsys):
    assert ci.main(["--help"], {}) == 0
    out = capsys.readouterr().out
    for name in ("report", "comment", "shards"):
        assert f"usage: testgate ci {name}" in out
    assert "TESTGATE_HISTORY_FILE" in out  # what a template may set is in the help
    assert ci.main(["deploy"], {}) == 2
    assert ci.main([], {}) == 2
