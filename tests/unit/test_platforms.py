from __future__ import annotations

import io
from pathlib import Path

import pytest
from testgate import platforms
from testgate.errors import ConfigError


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"GITHUB_ACTIONS": "true"}, "github"),
        ({"GITLAB_CI": "true"}, "gitlab"),
        ({"JENKINS_URL": "http://jenkins"}, "jenkins"),
        ({}, "local"),
        ({"GITHUB_ACTIONS": "true", "TESTGATE_PLATFORM": "local"}, "local"),
    ],
)
def test_detect(environ: dict[str, str], name: str) -> None:
    assert platforms.detect(environ).name == name


def test_unknown_platform_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="github, gitlab, jenkins, local"):
        platforms.detect({}, "circleci")


def test_github_summary_output_and_annotations(tmp_path: Path) -> None:
    out = io.StringIO()
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"), "GITHUB_OUTPUT": str(tmp_path / "o")}
    gh = platforms.GitHubPlatform(env, stdout=out, stderr=out)
    gh.summary("# hi")
    gh.output("decision", "fail")
    gh.output("reasons", "a\nb")
    gh.error("boom\nsecond line", file="tests/a b.py", line=3)
    assert (tmp_path / "s.md").read_text() == "# hi\n"
    outputs = (tmp_path / "o").read_text()
    assert "decision=fail\n" in outputs
    assert "reasons<<ghadelimiter_" in outputs
    assert "\na\nb\n" in outputs
    assert "::error file=tests/a b.py,line=3::boom%0Asecond line" in out.getvalue()


def test_masked_secret_never_printed(tmp_path: Path) -> None:
    out = io.StringIO()
    gh = platforms.GitHubPlatform(
        {"GITHUB_STEP_SUMMARY": str(tmp_path / "s")}, stdout=out, stderr=out
    )
    gh.mask("s3cr3t-token")
    gh.info("calling with s3cr3t-token")
    gh.summary("token s3cr3t-token")
    gh.error("bad s3cr3t-token")
    text = out.getvalue()
    assert "::add-mask::s3cr3t-token" in text
    assert text.count("s3cr3t-token") == 1  # only in the add-mask command itself
    assert "s3cr3t-token" not in (tmp_path / "s").read_text()


def test_gitlab_writes_report_and_dotenv(tmp_path: Path) -> None:
    out = io.StringIO()
    env = {"CI_JOB_NAME": "pact verify", "TESTGATE_REPORTS_DIR": str(tmp_path)}
    gl = platforms.GitLabPlatform(env, stdout=out, stderr=out)
    gl.summary("## ok")
    gl.output("failed-count", "3")
    with gl.group("Verify provider"):
        gl.info("inside")
    assert (tmp_path / "pact-verify.md").read_text() == "## ok\n"
    assert (tmp_path / "testgate.env").read_text() == "TESTGATE_OUT_FAILED_COUNT=3\n"
    assert "section_start:" in out.getvalue()
    assert "section_end:" in out.getvalue()


def test_jenkins_writes_properties(tmp_path: Path) -> None:
    out = io.StringIO()
    jk = platforms.JenkinsPlatform({"TESTGATE_REPORTS_DIR": str(tmp_path)}, stdout=out, stderr=out)
    jk.output("decision", "pass")
    jk.output("reasons", "a\nb")
    assert (
        tmp_path / "testgate-outputs.properties"
    ).read_text() == "decision=pass\nreasons=a\\nb\n"


def test_gitlab_dotenv_values_stay_small(tmp_path: Path) -> None:
    gl = platforms.GitLabPlatform({"TESTGATE_REPORTS_DIR": str(tmp_path)}, stdout=io.StringIO())
    gl.output("flaky-tests", "x" * 10_000)
    line = (tmp_path / "testgate.env").read_text()
    assert line.startswith("TESTGATE_OUT_FLAKY_TESTS=xxx")
    assert len(line.encode()) < 600  # GitLab rejects a dotenv file over 5 KB
