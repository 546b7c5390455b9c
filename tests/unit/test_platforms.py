from __future__ import annotations

import io
import re
from pathlib import Path

import ci_logs
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


# -- untrusted text in the log: no workflow command, no section, no redrawn line ---------------
#
# Everything here is text testgate did not write (test names, failure messages, child tools'
# output, pact descriptions, broker answers). ci_logs models how each CI system reads a log.


PAYLOADS = [
    pytest.param("name\n::add-mask::x", id="add-mask"),
    pytest.param("name\n::stop-commands::t", id="stop-commands"),
    pytest.param("name\n::set-output name=a::b", id="set-output"),
    pytest.param("name\n::error title=x::y", id="error-title"),
    pytest.param("name\r::add-mask::cr-split", id="cr-split"),
    pytest.param("FAILED\rPASSED", id="cr-redraw"),
    pytest.param("x\n  \u2029::add-mask::unicode-space", id="unicode-space"),
    pytest.param("x\n\x85::add-mask::nel", id="nel"),
    pytest.param("x ##[add-mask]ado-word", id="v1-anywhere"),
    pytest.param("x\n::stop-commands::t\n::t::\n::add-mask::after", id="stop-then-resume"),
    pytest.param(
        "\x1b[0Ksection_start:1700000000:evil[collapsed=true]\r\x1b[0Khidden\n"
        "\x1b[0Ksection_end:1700000000:evil\r\x1b[0K",
        id="gitlab-section",
    ),
    pytest.param("a\x1b[2K\x1b[1Ab \x1b]8;;https://evil.example\x07link\x1b]8;;\x07", id="ansi"),
    pytest.param("backspace FAIL\x08\x08\x08\x08PASS", id="backspace"),
]
PLATFORM_NAMES = ["github", "gitlab", "jenkins", "local"]


def _adapter(name: str, tmp_path: Path, out: io.StringIO) -> platforms.Platform:
    env = {
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        "TESTGATE_REPORTS_DIR": str(tmp_path / "reports"),
    }
    return platforms.PLATFORMS[name](env, stdout=out, stderr=out)


def _channels(p: platforms.Platform, text: str) -> None:
    """Every way a command hands untrusted text to the adapter."""
    p.info(text)
    p.info(f"line one\n{text}\nline three")
    p.warning(text)
    p.warning("a warning", file=text, line=3)
    p.error(text)
    p.error("an error", file=text, line=7)
    p.summary(f"## Summary\n\n```\n{text}\n```\n")
    with p.group(text):
        p.info(text)


def _assert_only_own_commands(log: str) -> None:
    run = ci_logs.github_runner(log)
    assert not run.stopped_at_end, "a stop-commands fence was left open"
    for command in run.executed:
        assert command.name in {"stop-commands", "resume", "group", "endgroup", "warning", "error"}
        assert "title" not in command.properties, command
        assert command.data not in {"t", "x", "b", "y", "after"}, command
    # testgate's own annotations still work: two warnings and two errors
    ours = [c.name for c in run.executed if c.name in ("warning", "error")]
    assert ours == ["warning", "warning", "error", "error"]
    # act splits "::error::a::b" at the last "::" (its regex is greedy), so testgate's own
    # lines can show up as "error::..." there: unknown to act, harmless. Nothing else runs.
    acted = [c.name for c in ci_logs.act_runner(log)]
    assert all(ci_logs.act_own_command(name) for name in acted), acted
    assert [n.split("::")[0] for n in acted if n.startswith(("warning", "error"))] == ours


@pytest.mark.parametrize("text", PAYLOADS)
@pytest.mark.parametrize("name", PLATFORM_NAMES)
def test_untrusted_text_cannot_command_the_log(name: str, text: str, tmp_path: Path) -> None:
    out = io.StringIO()
    p = _adapter(name, tmp_path, out)
    _channels(p, text)
    log = out.getvalue()
    if name == "github":  # the runner (and act) execute nothing but testgate's own commands
        _assert_only_own_commands(log)
    # GitLab opens no section but testgate's own; nothing redraws or erases a line
    own = tuple(s for _, s in ci_logs.gitlab_sections(log) if name == "gitlab")
    assert {s for _, s in ci_logs.gitlab_sections(log)} <= ({own[0]} if own else set())
    assert "evil" not in {s for _, s in ci_logs.gitlab_sections(log)}
    assert ci_logs.raw_controls(log, own_sections=own) == []
    # the text is still there for a person to read, its control characters shown, not obeyed
    if "PASSED" in text:
        assert "FAILED\\rPASSED" in log


@pytest.mark.parametrize("name", PLATFORM_NAMES)
def test_untrusted_output_values_stay_one_value(name: str, tmp_path: Path) -> None:
    p = _adapter(name, tmp_path, io.StringIO())
    evil = "v\r\nEVIL=1\rOTHER=2\n::set-output name=a::b"
    p.output("reasons", evil)
    p.output("decision", "fail")
    reports = tmp_path / "reports"
    if name == "github":
        assert _github_outputs(tmp_path / "github-output") == {
            "reasons": evil,
            "decision": "fail",
        }
    elif name == "gitlab":
        lines = (reports / "testgate.env").read_text().split("\n")
        assert [line.split("=", 1)[0] for line in lines if line] == [
            "TESTGATE_OUT_REASONS",
            "TESTGATE_OUT_DECISION",
        ]
        assert "\r" not in (reports / "testgate.env").read_text()
    elif name == "jenkins":
        props = _java_properties((reports / "testgate-outputs.properties").read_text())
        assert sorted(props) == ["decision", "reasons"]
        assert props["reasons"] == evil


def _github_outputs(path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it (lines on LF; ``name<<DELIMITER`` blocks)."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    found: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            found[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            name, value = line.split("=", 1)
            found[name] = value
            i += 1
    return found


def _java_properties(text: str) -> dict[str, str]:
    """java.util.Properties.load: logical lines end at CR, LF or CRLF; backslash escapes."""
    props: dict[str, str] = {}
    for line in re.split(r"\r\n|\r|\n", text):
        if not line or line.startswith(("#", "!")):
            continue
        key, _, value = line.partition("=")
        props[key] = re.sub(
            r"\\(.)", lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(1), m.group(1)), value
        )
    return props


def test_github_fences_untrusted_text_only_when_needed(tmp_path: Path) -> None:
    out = io.StringIO()
    gh = _adapter("github", tmp_path, out)
    gh.info("tests/test_api.py::test_ok PASSED")  # pytest ids carry '::' mid-line
    assert out.getvalue() == "tests/test_api.py::test_ok PASSED\n"
    gh.info("x\n::add-mask::y")
    first = out.getvalue().splitlines()[1:]
    assert first[0].startswith("::stop-commands::")
    assert first[-1] == f"::{first[0][17:]}::"
    gh.info("x\n::add-mask::y")
    second = out.getvalue().splitlines()[5:]
    assert len(first[0]) >= 17 + 32  # an unguessable token ...
    assert first[0] != second[0]  # ... fresh each time


def test_github_own_commands_work_inside_a_fenced_group(tmp_path: Path) -> None:
    out = io.StringIO()
    gh = _adapter("github", tmp_path, out)
    with gh.group("Verify provider\n::add-mask::title"):
        # a child tool writing straight to the job's stdout is inside the fence too
        out.write("pact verifier: interaction\n::add-mask::from-the-child\n")
        gh.mask("s3cr3t-value")
        gh.error("one failure", file="tests/a.py", line=2)
        gh.info("after ::add-mask:: mid-line")
    gh.warning("after the group")
    run = ci_logs.github_runner(out.getvalue())
    own = [(c.name, c.data) for c in run.executed if c.name not in ("stop-commands", "resume")]
    assert own == [
        ("group", "Verify provider ::add-mask::title"),
        ("add-mask", "s3cr3t-value"),
        ("error", "one failure"),
        ("endgroup", ""),
        ("warning", "after the group"),
    ]
    assert not run.stopped_at_end


# -- webhook requests: built by each adapter, for any target ------------------------------------


def test_webhook_requests_are_built_by_each_adapter_without_an_instance() -> None:
    gh = platforms.GitHubPlatform.webhook_request(
        repository="acme/api",
        token="ghp_x",
        event_type="evt",
        client_payload={"pact_url": "${pactbroker.pactUrl}"},
        api_url="https://ghe.example/api/v3/",
    )
    assert gh.url == "https://ghe.example/api/v3/repos/acme/api/dispatches"
    assert ("Authorization", "Bearer ghp_x") in gh.headers
    assert gh.body == '{"event_type":"evt","client_payload":{"pact_url":"${pactbroker.pactUrl}"}}'
    assert gh.secrets == ("ghp_x",)
    assert "ghp_x" not in repr(gh)
    gl = platforms.GitLabPlatform.webhook_request(
        project="group/api", token="glptt", ref="main", variables={"V": "1"}
    )
    assert gl.url == "https://gitlab.com/api/v4/projects/group%2Fapi/trigger/pipeline"
    assert gl.body == '{"token":"glptt","ref":"main","variables":{"V":"1"}}'
    jk = platforms.JenkinsPlatform.webhook_request(
        jenkins_url="https://ci.example/",
        job="team/a b",
        user="ci",
        token="t0k",
        parameters={"TESTGATE_PACT_URL": "${pactbroker.pactUrl}"},
    )
    assert jk.url == (
        "https://ci.example/job/team/job/a%20b/buildWithParameters"
        "?TESTGATE_PACT_URL=${pactbroker.pactUrl}"
    )
    assert jk.user == "ci:t0k"
    with pytest.raises(ConfigError, match=r"webhook target jenkins needs: .*jenkins-url.*job"):
        platforms.JenkinsPlatform.webhook_request(
            jenkins_url=None, job=None, user=None, token=None, parameters={}
        )
