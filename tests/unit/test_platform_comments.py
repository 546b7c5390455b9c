"""One pull/merge request comment, created or updated in place, through the real REST client.

The clients in ``testgate.platforms.github_api`` / ``gitlab_api`` talk HTTP to local servers
that speak GitHub's issue comments API and GitLab's notes API (tests/fake_github,
tests/fake_gitlab): pagination headers, authentication, size limits and faults as documented.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from fake_gitlab import FakeGitLab
from testgate import platforms
from testgate.errors import ConfigError, ExitCode, ToolError
from testgate.gate import decide_gate
from testgate.junit import expand_paths, parse_reports
from testgate.platforms import github_api, gitlab_api
from testgate.platforms.rest import RestClient, comment_marker, comment_text
from testgate.policy import Policy
from testgate.render import RenderContext, render_report_md

MARKER = "testgate-report:api-tests"
HEAD = comment_marker(MARKER)
GH_TOKEN = "ghs_fake_installation_token_0123456789"
PAT = "github_pat_fake_personal_token_0123456789"
GL_TOKEN = "glpat-fake-project-token-0123456789"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def gh():
    with FakeGitHub() as server:
        server.add_repo("acme/inventory-api", pulls=(7,), issues=(8,))
        server.add_token(GH_TOKEN, "github-actions[bot]", bot=True, installation=True)
        server.add_token(PAT, "release-bot")
        server.add_token("ghp_reader", "reader", write=False)
        server.add_token("ghp_someone", "someone")
        yield server


@pytest.fixture
def gl():
    with FakeGitLab() as server:
        server.add_project(42, "acme/inventory-api", merge_requests=(3,))
        server.add_token(GL_TOKEN, "project_42_bot_1")
        server.add_token("glpat-reader", "reader", scopes=("read_api",))
        server.add_token("glpat-someone", "someone")
        yield server


def _gh_env(gh: FakeGitHub, token: str = GH_TOKEN, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": gh.url,
        "GITHUB_TOKEN": token,
        "GITHUB_REPOSITORY": "acme/inventory-api",
        "GITHUB_REF": "refs/pull/7/merge",
        **extra,
    }


def _gl_env(gl: FakeGitLab, **extra: str) -> dict[str, str]:
    return {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": gl.url,
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "3",
        "TESTGATE_GITLAB_TOKEN": GL_TOKEN,
        **extra,
    }


def _adapter(env: dict[str, str], out: io.StringIO | None = None) -> platforms.Platform:
    return platforms.detect(env) if out is None else type(platforms.detect(env))(env, stdout=out)


# -- GitHub ------------------------------------------------------------------------------------


def test_github_creates_then_updates_one_comment_in_place(gh: FakeGitHub) -> None:
    out = io.StringIO()
    github = _adapter(_gh_env(gh), out)
    url = github.upsert_comment("## ❌ FAIL\n\n1 failed\n", MARKER)
    [comment] = gh.comments_on("acme/inventory-api", 7)
    assert url == f"https://github.com/acme/inventory-api/pull/7#issuecomment-{comment['id']}"
    assert comment["body"] == f"{HEAD}\n## ❌ FAIL\n\n1 failed\n"

    assert github.upsert_comment("## ✅ PASS\n", MARKER) == url
    assert github.upsert_comment("## ✅ PASS\n", MARKER) == url  # unchanged: no write
    [comment] = gh.comments_on("acme/inventory-api", 7)
    assert comment["body"] == f"{HEAD}\n## ✅ PASS\n"
    assert [r.method for r in gh.calls() if r.method != "GET"] == ["POST", "PATCH"]
    # headers GitHub asks for; the token is masked in the log
    sent = gh.calls("POST")[0].headers
    assert sent["Accept"] == "application/vnd.github+json"
    assert sent["X-GitHub-Api-Version"] == "2022-11-28"
    assert sent["Authorization"] == f"Bearer {GH_TOKEN}"
    assert f"::add-mask::{GH_TOKEN}" in out.getvalue()
    # another marker is another comment
    github.upsert_comment("other\n", "testgate-report:monitor")
    assert len(gh.comments_on("acme/inventory-api", 7)) == 2


def test_github_follows_link_pages_to_find_its_comment(gh: FakeGitHub) -> None:
    for i in range(230):
        gh.add_comment("acme/inventory-api", 7, f"review note {i}", token="ghp_someone")
    ours = gh.add_comment("acme/inventory-api", 7, f"{HEAD}\nold", token=GH_TOKEN)
    github = _adapter(_gh_env(gh))
    assert github.upsert_comment("new\n", MARKER).endswith(f"#issuecomment-{ours['id']}")
    lists = [r for r in gh.calls("GET") if r.path.endswith("/comments")]
    # page 1 by the repository name, then GitHub's own /repositories/{id}/ links, as given
    assert [(r.path.split("/")[1], r.query.get("page")) for r in lists] == [
        ("repos", None),
        ("repositories", "2"),
        ("repositories", "3"),
    ]
    assert {r.query.get("per_page") for r in lists} == {"100"}
    assert len(gh.comments_on("acme/inventory-api", 7)) == 231


def test_github_never_takes_over_someone_elses_marker_comment(gh: FakeGitHub) -> None:
    # a reviewer pastes the marker first: testgate's report must not land in their comment
    spoof = gh.add_comment("acme/inventory-api", 7, f"{HEAD}\nall green!", token="ghp_someone")
    github = _adapter(_gh_env(gh))
    github.upsert_comment("the real report\n", MARKER)
    github.upsert_comment("the real report, again\n", MARKER)
    bodies = [c["body"] for c in gh.comments_on("acme/inventory-api", 7)]
    assert bodies == [spoof["body"], f"{HEAD}\nthe real report, again\n"]
    # a personal token writes as its user: only that user's comment is its own
    pat = _adapter(_gh_env(gh, PAT))
    pat.upsert_comment("from the PAT\n", MARKER)
    pat.upsert_comment("from the PAT, again\n", MARKER)
    assert [c["user"]["login"] for c in gh.comments_on("acme/inventory-api", 7)] == [
        "someone",
        "github-actions[bot]",
        "release-bot",
    ]


def test_github_retries_5xx_and_rate_limits(gh: FakeGitHub) -> None:
    sleeps = Sleeps()
    api = github_api.client(gh.url, GH_TOKEN, sleep=sleeps, backoff=0.5)
    gh.fail_next(2, 502, method="GET")
    gh.rate_limit_next(retry_after=3, method="POST")  # not carried out: safe to repeat
    result = github_api.upsert_issue_comment(api, "acme/inventory-api", 7, "x\n", MARKER)
    assert result.action == "created"
    assert sleeps == [0.5, 1.0, 3.0]  # backoff twice, then the rate limit's retry-after


def test_github_a_lost_post_answer_never_makes_a_second_comment(gh: FakeGitHub) -> None:
    sleeps = Sleeps()
    api = github_api.client(gh.url, GH_TOKEN, sleep=sleeps, backoff=0.01)
    gh.lose_next_answer("POST")  # created, but the answer is a 502
    result = github_api.upsert_issue_comment(api, "acme/inventory-api", 7, "x\n", MARKER)
    assert len(gh.comments_on("acme/inventory-api", 7)) == 1
    assert result.action == "unchanged"  # found again on the next look
    assert len(gh.calls("POST")) == 1


def test_github_gives_up_after_the_attempts_with_exit_3(gh: FakeGitHub) -> None:
    api = github_api.client(gh.url, GH_TOKEN, sleep=Sleeps(), attempts=3)
    gh.fail_next(3, 503, method="GET")
    with pytest.raises(ToolError) as err:
        github_api.upsert_issue_comment(api, "acme/inventory-api", 7, "x\n", MARKER)
    assert err.value.exit_code == ExitCode.UNDECIDED
    assert "503" in str(err.value)
    assert "tried 3 time(s)" in str(err.value)
    long_limit = github_api.client(gh.url, GH_TOKEN, sleep=Sleeps())
    gh.rate_limit_next(retry_after=3600)
    with pytest.raises(ToolError, match=r"(?s)rate limit.*try again in 3600 s"):
        github_api.upsert_issue_comment(long_limit, "acme/inventory-api", 7, "x\n", MARKER)


@pytest.mark.parametrize(
    ("token", "number", "expected"),
    [
        pytest.param(
            "ghp_wrong", 7, r"refused the token in GITHUB_TOKEN \(401 Bad credentials\)", id="401"
        ),
        pytest.param("ghp_reader", 7, r"token in GITHUB_TOKEN may not do this \(403", id="403"),
        pytest.param(GH_TOKEN, 99, r"not found \(404\).*/issues/99/comments", id="404"),
    ],
)
def test_github_auth_and_lookup_failures_are_exit_2(
    gh: FakeGitHub, token: str, number: int, expected: str
) -> None:
    github = _adapter(_gh_env(gh, token))
    with pytest.raises(ConfigError, match=expected) as err:
        github.upsert_comment("x\n", MARKER, number=number)
    assert err.value.exit_code == ExitCode.USAGE
    assert token not in str(err.value)
    assert "GITHUB_TOKEN" in str(err.value)


def test_github_a_renamed_repository_is_named_not_followed(gh: FakeGitHub) -> None:
    gh.moved["acme/old-name"] = "acme/inventory-api"
    github = _adapter(_gh_env(gh, GITHUB_REPOSITORY="acme/old-name"))
    with pytest.raises(
        ConfigError,
        match=r"moved .*/repos/acme/old-name/.* \(301\) to .*/repos/acme/inventory-api/",
    ):
        github.upsert_comment("x\n", MARKER)
    assert gh.comments == []


def test_github_missing_settings_are_named_together(tmp_path: Path) -> None:
    github = _adapter({"GITHUB_ACTIONS": "true"})
    with pytest.raises(ConfigError) as err:
        github.upsert_comment("x\n", MARKER)
    message = str(err.value)
    assert "GITHUB_TOKEN" in message
    assert "GITHUB_REPOSITORY" in message
    assert "pull request number" in message


def test_github_pull_request_number_from_the_event(gh: FakeGitHub, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"pull_request": {"number": 7}}', encoding="utf-8")
    github = _adapter(_gh_env(gh, GITHUB_REF="refs/heads/feature", GITHUB_EVENT_PATH=str(event)))
    assert "/pull/7#issuecomment-" in github.upsert_comment("x\n", MARKER)


# -- GitLab ------------------------------------------------------------------------------------


def test_gitlab_creates_then_updates_one_note_in_place(gl: FakeGitLab) -> None:
    gitlab = _adapter(_gl_env(gl), io.StringIO())
    url = gitlab.upsert_comment("## ❌ FAIL\n", MARKER)
    [note] = gl.notes_on(42, 3)
    assert (
        url == f"https://gitlab.example.com/acme/inventory-api/-/merge_requests/3#note_{note['id']}"
    )
    assert gitlab.upsert_comment("## ✅ PASS\n", MARKER) == url
    assert gitlab.upsert_comment("## ✅ PASS\n", MARKER) == url
    [note] = gl.notes_on(42, 3)
    assert note["body"] == f"{HEAD}\n## ✅ PASS\n"
    assert [r.method for r in gl.calls() if r.method != "GET"] == ["POST", "PUT"]
    assert gl.calls("POST")[0].headers["PRIVATE-TOKEN"] == GL_TOKEN


def test_gitlab_follows_x_next_page_and_skips_system_and_foreign_notes(gl: FakeGitLab) -> None:
    for i in range(150):
        gl.add_note(42, 3, f"review {i}", token="glpat-someone")
        gl.add_note(42, 3, f"{HEAD}\nadded {i} commits", system=True)
    gl.add_note(42, 3, f"{HEAD}\nspoofed", token="glpat-someone")
    ours = gl.add_note(42, 3, f"{HEAD}\nold", token=GL_TOKEN)
    gitlab = _adapter(_gl_env(gl))
    assert gitlab.upsert_comment("new\n", MARKER).endswith(f"#note_{ours['id']}")
    lists = [r for r in gl.calls("GET") if r.path.endswith("/notes")]
    assert [r.query.get("page") for r in lists] == [None, "2", "3", "4"]
    assert {(r.query["sort"], r.query["order_by"], r.query["per_page"]) for r in lists} == {
        ("asc", "created_at", "100")
    }
    assert ours["body"] == f"{HEAD}\nnew\n"
    assert len(gl.notes_on(42, 3)) == 302


def test_gitlab_project_path_is_url_encoded(gl: FakeGitLab) -> None:
    gitlab = _adapter(_gl_env(gl, CI_PROJECT_ID="acme/inventory-api"))
    gitlab.upsert_comment("x\n", MARKER)
    assert (
        gl.calls("POST")[0].path == "/api/v4/projects/acme%2Finventory-api/merge_requests/3/notes"
    )


def test_gitlab_does_not_use_the_job_token(gl: FakeGitLab) -> None:
    env = _gl_env(gl, CI_JOB_TOKEN="job-token-value")
    del env["TESTGATE_GITLAB_TOKEN"]
    with pytest.raises(ConfigError) as err:
        _adapter(env).upsert_comment("x\n", MARKER)
    assert err.value.exit_code == ExitCode.USAGE
    assert "TESTGATE_GITLAB_TOKEN" in str(err.value)
    assert "CI_JOB_TOKEN may not write notes" in str(err.value)
    assert gl.calls() == []
    # ... because GitLab answers 401 to a job token on the notes API (the fake does too)
    gl.job_tokens.add("job-token-value")
    api = RestClient(gl.url, {"JOB-TOKEN": "job-token-value"}, "GitLab API", "CI_JOB_TOKEN", "-")
    with pytest.raises(ConfigError, match="401"):
        api.request("GET", "/projects/42/merge_requests/3/notes")


@pytest.mark.parametrize(
    ("token", "iid", "expected"),
    [
        pytest.param("glpat-wrong", "3", r"TESTGATE_GITLAB_TOKEN \(401", id="401"),
        pytest.param(
            "glpat-reader", "3", r"TESTGATE_GITLAB_TOKEN may not do this \(403", id="403-scope"
        ),
        pytest.param(GL_TOKEN, "9", r"not found \(404\).*merge_requests/9", id="404"),
    ],
)
def test_gitlab_auth_and_lookup_failures_are_exit_2(gl, token, iid, expected) -> None:
    gitlab = _adapter(_gl_env(gl, TESTGATE_GITLAB_TOKEN=token, CI_MERGE_REQUEST_IID=iid))
    with pytest.raises(ConfigError, match=expected) as err:
        gitlab.upsert_comment("x\n", MARKER)
    assert err.value.exit_code == ExitCode.USAGE
    assert token not in str(err.value)


def test_gitlab_retries_and_never_posts_twice(gl: FakeGitLab) -> None:
    sleeps = Sleeps()
    api = gitlab_api.client(gl.url, GL_TOKEN, sleep=sleeps, backoff=0.25)
    gl.fail_next(2, 502, method="GET")
    gl.lose_next_answer("POST")
    result = gitlab_api.upsert_merge_request_note(api, "42", 3, "x\n", MARKER)
    assert len(gl.notes_on(42, 3)) == 1
    assert result.action == "unchanged"
    assert sleeps[:2] == [0.25, 0.5]


# -- size limits, with the size-aware renderer ---------------------------------------------------


def _big_report_md(tmp_path: Path, max_size: int) -> str:
    cases = "".join(
        f'<testcase classname="tests.api.test_{i % 50}" name="test_{i}" time="0.01">'
        f'<failure message="expected 200, got 500 ({i})">{"trace line " * 40}</failure></testcase>'
        for i in range(3000)
    )
    junit = tmp_path / "big.xml"
    junit.write_text(f'<testsuite name="api" tests="3000" failures="3000">{cases}</testsuite>')
    report = parse_reports(expand_paths([str(junit)]))
    decision = decide_gate(report, Policy(), today=dt.date(2026, 1, 1))
    ctx = RenderContext(version="test", generated_at="2026-01-01T00:00:00Z")
    return render_report_md(report, decision, ctx, max_size=max_size)


@pytest.mark.parametrize("which", ["github", "gitlab"])
def test_a_huge_report_fits_the_comment_limit(which, gh, gl, tmp_path: Path) -> None:
    env = _gh_env(gh) if which == "github" else _gl_env(gl)
    platform = _adapter(env)
    limit = {"github": 65_536, "gitlab": 1_000_000}[which]
    assert platform.comment_limit == limit
    body = _big_report_md(tmp_path, platform.comment_max_size(MARKER))
    platform.upsert_comment(body, MARKER)
    posted = (gh.comments_on("acme/inventory-api", 7) if which == "github" else gl.notes_on(42, 3))[
        0
    ]
    assert len(posted["body"]) <= limit
    assert posted["body"] == f"{HEAD}\n{body}"  # the renderer's cut, not the fallback's
    if which == "github":
        assert len(body.encode()) > 60_000  # close to the limit, not far below it


def test_an_oversized_body_is_cut_not_refused(gh: FakeGitHub) -> None:
    github = _adapter(_gh_env(gh))
    github.upsert_comment("é" * 70_000, MARKER)
    [comment] = gh.comments_on("acme/inventory-api", 7)
    assert len(comment["body"]) == 65_536
    assert comment["body"].endswith("see the job's report._\n")
    assert comment_text("short", MARKER, 100) == f"{HEAD}\nshort"


@pytest.mark.parametrize("marker", ["", "a b", "x-->y", "é", "a" * 201])
def test_a_marker_that_could_break_out_of_the_html_comment_is_refused(marker: str) -> None:
    with pytest.raises(ConfigError):
        comment_marker(marker)


@pytest.mark.parametrize("name", ["jenkins", "local"])
def test_platforms_without_comments_say_so(name: str) -> None:
    with pytest.raises(ConfigError, match="need GitHub or GitLab") as err:
        platforms.PLATFORMS[name]({}).upsert_comment("x", MARKER)
    assert err.value.exit_code == ExitCode.USAGE


def test_the_client_never_sends_the_token_to_another_host() -> None:
    api = github_api.client("https://api.github.com", GH_TOKEN)
    with pytest.raises(ToolError, match="another host"):
        api.request("GET", "https://evil.example/repos/x/y/issues/1/comments")
