"""testgate.testrail: trcli's argv and environment, the checks before it runs, its venv.

No trcli is installed and nothing reaches the network: ``upload`` runs a stand-in trcli
script that records its argv and environment, and ``ensure_trcli`` gets a fake runner.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from testgate import testrail as trlib
from testgate.errors import ConfigError, ReportError, ToolError
from testgate.testrail import (
    UploadSettings,
    _redact,
    build_command,
    ensure_trcli,
    installed_version,
    trcli_environment,
    trcli_in,
    validate,
)

KEY = "k3y-Secr3t-value"
PASSWORD = "pa55-w0rd-value"
USER = "ci-bot@example.com"


def settings(tmp_path: Path, **changes: Any) -> UploadSettings:
    junit = tmp_path / "merged.xml"
    if not junit.exists():
        junit.write_text("<testsuites/>")
    base: dict[str, Any] = {
        "junit": junit,
        "host": "https://example.testrail.io/",
        "project": "Dashboard",
        "username": USER,
        "key": KEY,
    }
    return UploadSettings(**{**base, **changes})


# -- build_command -------------------------------------------------------------------------
def test_the_smallest_command(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert build_command(s) == [
        "trcli",
        "-y",
        "-h",
        "https://example.testrail.io/",
        "--project",
        "Dashboard",
        "parse_junit",
        "-f",
        str(s.junit),
    ]


def test_every_option_goes_where_trcli_expects_it(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        trcli="/opt/trcli/bin/trcli",
        project_id=7,
        title="Nightly #42",
        suite_id=3,
        run_description="commit abc123",
        close_run=True,
    )
    # global options before the parse_junit subcommand, its own options after it
    assert build_command(s) == [
        "/opt/trcli/bin/trcli",
        "-y",
        "-h",
        "https://example.testrail.io/",
        "--project",
        "Dashboard",
        "--project-id",
        "7",
        "parse_junit",
        "-f",
        str(s.junit),
        "--title",
        "Nightly #42",
        "--suite-id",
        "3",
        "--run-description",
        "commit abc123",
        "--close-run",
    ]


def test_a_suite_id_wins_over_a_suite_name(tmp_path: Path) -> None:
    both = build_command(settings(tmp_path, suite_id=3, suite_name="Regression"))
    assert both[-2:] == ["--suite-id", "3"]
    assert "--suite-name" not in both
    name_only = build_command(settings(tmp_path, suite_name="Regression"))
    assert name_only[-2:] == ["--suite-name", "Regression"]
    assert "--suite-id" not in name_only


def test_credentials_never_reach_the_command_line(tmp_path: Path) -> None:
    s = settings(tmp_path, password=PASSWORD, title="t", suite_name="s", close_run=True)
    argv = " ".join(build_command(s))
    for secret in (KEY, PASSWORD, USER):
        assert secret not in argv
    for flag in ("-u", "--username", "-k", "--key", "-p", "--password"):
        assert flag not in build_command(s)


# -- trcli_environment ---------------------------------------------------------------------
def test_credentials_travel_in_trclis_own_variables(tmp_path: Path) -> None:
    env = trcli_environment(settings(tmp_path, password=PASSWORD), {"PATH": "/usr/bin"})
    assert env == {
        "PATH": "/usr/bin",
        "TR_CLI_USERNAME": USER,
        "TR_CLI_KEY": KEY,
        "TR_CLI_PASSWORD": PASSWORD,
        "PYTHONIOENCODING": "utf-8",
    }


def test_an_unset_key_or_password_is_not_sent_empty(tmp_path: Path) -> None:
    key_only = trcli_environment(settings(tmp_path), {})
    assert "TR_CLI_PASSWORD" not in key_only
    password_only = trcli_environment(settings(tmp_path, key="", password=PASSWORD), {})
    assert "TR_CLI_KEY" not in password_only
    assert password_only["TR_CLI_PASSWORD"] == PASSWORD


def test_inherited_tr_cli_variables_are_dropped_and_the_base_is_untouched(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin",
        "TR_CLI_PROJECT": "Someone else's project",
        "TR_CLI_KEY": "stale-key",
        "TR_CLI_PASSWORD": "stale-password",
        "TR_CLIENT": "not trcli's",  # only the TR_CLI_ prefix is trcli's
        "PYTHONIOENCODING": "latin-1",
    }
    snapshot = dict(base)
    env = trcli_environment(settings(tmp_path), base)
    assert base == snapshot
    assert env == {
        "PATH": "/usr/bin",
        "TR_CLIENT": "not trcli's",
        "PYTHONIOENCODING": "latin-1",  # a setting of the runner is kept
        "TR_CLI_USERNAME": USER,
        "TR_CLI_KEY": KEY,
    }


# -- validate ------------------------------------------------------------------------------
def test_one_error_names_every_missing_setting(tmp_path: Path) -> None:
    s = settings(tmp_path, host="", project="", username="", key="", password="")
    with pytest.raises(ConfigError) as info:
        validate(s)
    assert info.value.exit_code == 2
    assert info.value.message == (
        "TestRail upload is missing host (--host or env TESTRAIL_HOST); "
        "project (--project or env TESTGATE_TESTRAIL_PROJECT); user (env TESTRAIL_USER); "
        "API key (env TESTRAIL_KEY, or TESTRAIL_PASSWORD)"
    )
    assert info.value.hint is not None
    assert "secret environment variables" in info.value.hint


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"host": ""}, "host (--host"),
        ({"project": ""}, "project (--project"),
        ({"username": ""}, "user (env TESTRAIL_USER)"),
        ({"key": ""}, "API key"),
    ],
)
def test_each_missing_setting_alone_is_named_alone(
    tmp_path: Path, change: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as info:
        validate(settings(tmp_path, **change))
    assert info.value.message.startswith(f"TestRail upload is missing {named}")
    assert ";" not in info.value.message


def test_a_password_instead_of_a_key_is_enough(tmp_path: Path) -> None:
    validate(settings(tmp_path, key="", password=PASSWORD))


@pytest.mark.parametrize("host", ["example.testrail.io", "ftp://example.testrail.io", "HTTPS"])
def test_a_host_that_is_not_a_url_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate(settings(tmp_path, host=host))
    assert info.value.message == f"TestRail host {host!r} is not a URL"
    assert "https://" in (info.value.hint or "")


@pytest.mark.parametrize("host", ["http://testrail.local", "https://example.testrail.io/"])
def test_http_and_https_hosts_are_accepted(tmp_path: Path, host: str) -> None:
    validate(settings(tmp_path, host=host))


def test_a_missing_junit_is_a_report_error_after_the_settings(tmp_path: Path) -> None:
    s = settings(tmp_path, junit=tmp_path / "nope.xml")
    with pytest.raises(ReportError) as info:
        validate(s)
    assert info.value.exit_code == 3
    assert info.value.message == f"JUnit file {tmp_path / 'nope.xml'} does not exist"
    # a folder is not a JUnit file either
    with pytest.raises(ReportError):
        validate(settings(tmp_path, junit=tmp_path))
    # missing settings are reported first: they are what the user must fix in CI
    with pytest.raises(ConfigError):
        validate(settings(tmp_path, junit=tmp_path / "nope.xml", host=""))


# -- _redact -------------------------------------------------------------------------------
def test_redact_blanks_every_occurrence_of_every_secret() -> None:
    text = f"auth {KEY} failed; retry with {KEY}; password {PASSWORD}\n"
    assert _redact(text, [KEY, PASSWORD]) == "auth *** failed; retry with ***; password ***\n"


def test_redact_ignores_empty_secrets_and_keeps_other_text() -> None:
    assert _redact("nothing secret here", ["", "absent"]) == "nothing secret here"
    assert _redact("", [KEY]) == ""
    assert _redact("abc", []) == "abc"


# -- trcli_in and installed_version --------------------------------------------------------
def fake_venv(venv: Path, *versions: str, exe: bool = True) -> None:
    (venv / "bin").mkdir(parents=True)
    if exe:
        (venv / "bin" / "trcli").write_text("#!/bin/sh\n")
    for version in versions:
        (venv / "lib" / "python3.12" / "site-packages" / f"trcli-{version}.dist-info").mkdir(
            parents=True
        )


def test_trcli_in_is_the_venvs_bin_trcli(tmp_path: Path) -> None:
    assert trcli_in(tmp_path / "v") == tmp_path / "v" / "bin" / "trcli"


def test_installed_version_comes_from_the_dist_info_folder(tmp_path: Path) -> None:
    venv = tmp_path / "v"
    fake_venv(venv, "1.15.3")
    # other packages' dist-info folders are not trcli's
    (venv / "lib" / "python3.12" / "site-packages" / "trcli_helpers-9.9.dist-info").mkdir()
    (venv / "lib" / "python3.12" / "site-packages" / "click-8.1.7.dist-info").mkdir()
    assert installed_version(venv) == "1.15.3"


def test_installed_version_needs_the_executable_and_the_dist_info(tmp_path: Path) -> None:
    assert installed_version(tmp_path / "absent") is None
    no_exe = tmp_path / "no-exe"
    fake_venv(no_exe, "1.15.3", exe=False)
    assert installed_version(no_exe) is None
    no_info = tmp_path / "no-info"
    fake_venv(no_info)
    assert installed_version(no_info) is None


# -- ensure_trcli (the cases tests/integration/test_testrail_upload.py leaves out) -------
class Runner:
    """subprocess.run as ensure_trcli calls it: records argv and options, answers or raises."""

    def __init__(self, *answers: int | BaseException) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def __call__(self, cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(cmd), kwargs))
        answer = self.answers.pop(0) if self.answers else 0
        if isinstance(answer, BaseException):
            raise answer
        out = "".join(f"pip line {i}\n" for i in range(15))
        return subprocess.CompletedProcess(cmd, answer, stdout=out, stderr="")


def test_ensure_trcli_installs_the_version_asked_for_with_a_bounded_timeout(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "v"
    run = Runner()
    assert ensure_trcli(venv, "python3", version="1.9.0", run=run) == (venv / "bin" / "trcli", True)
    assert [cmd[-1] for cmd, _ in run.calls] == [str(venv), "trcli==1.9.0"]
    for _, options in run.calls:
        assert options["timeout"] == trlib.INSTALL_TIMEOUT
        assert options["check"] is False
        assert options["capture_output"] is True


def test_a_failed_venv_stops_before_pip_and_quotes_the_last_ten_lines(tmp_path: Path) -> None:
    venv = tmp_path / "v"
    run = Runner(2)
    with pytest.raises(ToolError) as info:
        ensure_trcli(venv, "python3", run=run)
    assert len(run.calls) == 1
    message = info.value.message
    assert message.startswith(
        f"installing trcli=={trlib.TRCLI_VERSION} into {venv} failed (exit 2):\n"
    )
    assert message.split(":\n", 1)[1].splitlines() == [f"pip line {i}" for i in range(5, 15)]


def test_an_interpreter_that_cannot_run_is_a_tool_error(tmp_path: Path) -> None:
    run = Runner(FileNotFoundError(2, "No such file or directory"))
    with pytest.raises(ToolError) as info:
        ensure_trcli(tmp_path / "v", "/no/python", run=run)
    assert info.value.exit_code == 3
    assert info.value.message.startswith("cannot run /no/python: ")


def test_an_install_that_times_out_is_a_tool_error(tmp_path: Path) -> None:
    run = Runner(0, subprocess.TimeoutExpired(["pip"], trlib.INSTALL_TIMEOUT))
    with pytest.raises(ToolError) as info:
        ensure_trcli(tmp_path / "v", "python3", version="1.2.3", run=run)
    assert info.value.message == f"installing trcli==1.2.3 took over {trlib.INSTALL_TIMEOUT:.0f} s"
    assert len(run.calls) == 2


# -- upload, with a stand-in trcli -----------------------------------------------------------
FAKE_TRCLI = """\
import json, os, sys
from pathlib import Path
Path(os.environ["FAKE_TRCLI_RECORD"]).write_text(json.dumps({"argv": sys.argv[1:], "env": dict(os.environ)}))
print("Checking project. Done.")
print("echoing my key: " + os.environ.get("TR_CLI_KEY", ""))
print("Submitted 12 test results in 0.4 secs.")
print("Test run: https://example.testrail.io/index.php?/runs/view/77")
sys.exit(int(os.environ.get("FAKE_TRCLI_EXIT", "0")))
"""


def fake_trcli(tmp_path: Path) -> Path:
    exe = tmp_path / "bin" / "trcli"
    exe.parent.mkdir()
    exe.write_text(f"#!{sys.executable}\n{FAKE_TRCLI}")
    exe.chmod(0o755)
    return exe


def test_upload_sends_credentials_only_in_the_environment_and_reads_the_run(
    tmp_path: Path,
) -> None:
    exe = fake_trcli(tmp_path)
    record = tmp_path / "record.json"
    s = settings(tmp_path, trcli=str(exe), title="Nightly")
    environ = {"PATH": "/usr/bin:/bin", "FAKE_TRCLI_RECORD": str(record), "TR_CLI_PROJECT": "x"}
    result = trlib.upload(s, environ, secrets=[KEY])
    seen = json.loads(record.read_text())
    assert seen["argv"] == build_command(s)[1:]
    assert KEY not in json.dumps(seen["argv"])
    assert seen["env"]["TR_CLI_KEY"] == KEY
    assert seen["env"]["TR_CLI_USERNAME"] == USER
    assert "TR_CLI_PROJECT" not in seen["env"]
    assert result.command == (str(exe), *build_command(s)[1:])
    assert result.run_url == "https://example.testrail.io/index.php?/runs/view/77"
    assert result.submitted == 12
    assert KEY not in result.output
    assert "echoing my key: ***" in result.output


def test_a_failing_trcli_is_a_tool_error_with_its_redacted_output(tmp_path: Path) -> None:
    exe = fake_trcli(tmp_path)
    environ = {
        "PATH": "/usr/bin:/bin",
        "FAKE_TRCLI_RECORD": str(tmp_path / "record.json"),
        "FAKE_TRCLI_EXIT": "4",
    }
    with pytest.raises(ToolError) as info:
        trlib.upload(settings(tmp_path, trcli=str(exe)), environ, secrets=[KEY])
    message = info.value.message
    assert message.startswith(f"trcli failed (exit 4) uploading {tmp_path / 'merged.xml'} to ")
    assert "echoing my key: ***" in message
    assert KEY not in str(info.value)


def test_upload_checks_the_settings_before_looking_for_trcli(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing user"):
        trlib.upload(settings(tmp_path, username="", trcli="no-such-trcli"), {"PATH": ""})
    with pytest.raises(ToolError) as info:
        trlib.upload(settings(tmp_path, trcli="no-such-trcli"), {"PATH": str(tmp_path)})
    assert info.value.message == "trcli not found ('no-such-trcli' is not on PATH)"
    assert f"trcli=={trlib.TRCLI_VERSION}" in (info.value.hint or "")
