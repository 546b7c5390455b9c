"""Issue 11, finding 5: bad paths and values are usage errors (exit 2) naming the flag or
variable and the value, checked before any work: never "internal error".

Each case is one of the inputs the probe tried; ``report`` must not have read a single report
(the run stops before the readers), and nothing is written where the value points.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from testgate.commands import can_i_deploy, history, report

JUNIT = '<testsuite name="s" tests="1"><testcase classname="c" name="t"/></testsuite>'


@pytest.fixture
def env(tmp_path: Path, clean_environ: dict[str, str]) -> dict[str, str]:
    (tmp_path / "r.xml").write_text(JUNIT, encoding="utf-8")
    return {**clean_environ, "TESTGATE_PLATFORM": "local"}


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        pytest.param(["--json", "/proc/nope/x.json"], "--json", id="json-under-proc"),
        pytest.param(["--html", "/"], "--html", id="html-root"),
        pytest.param(["--markdown", "/etc"], "--markdown", id="markdown-folder"),
        pytest.param(["--junit-out", "/sys/x.xml"], "--junit-out", id="junit-out-sysfs"),
        pytest.param(["--pushgateway-url", "http://[::1"], "--pushgateway-url", id="bad-ipv6-url"),
        pytest.param(["--ctrf", "/dev/null"], "--ctrf", id="ctrf-device"),
    ],
)
def test_report_refuses_before_any_work(
    tmp_path: Path, env: dict[str, str], capsys, argv: list[str], named: str
) -> None:
    code = report.main([str(tmp_path / "r.xml"), *argv], env)
    err = capsys.readouterr()
    text = err.out + err.err
    assert code == 2, text
    assert named in text
    assert argv[1] in text
    assert "internal error" not in text
    assert "tests, " not in text  # no report was read: the check came first


@pytest.mark.parametrize("value", ["nan", "1e308", "-1", "soon"])
def test_broker_retry_backoff_is_checked(env: dict[str, str], capsys, value: str) -> None:
    code = can_i_deploy.main(
        ["--pacticipant", "a", "--version", "1", "--to-environment", "prod"],
        {
            **env,
            "PACT_BROKER_BASE_URL": "http://127.0.0.1:9",
            "TESTGATE_BROKER_RETRY_BACKOFF": value,
        },
    )
    text = capsys.readouterr().err
    assert code == 2, text
    assert "TESTGATE_BROKER_RETRY_BACKOFF" in text
    assert repr(value) in text
    assert "internal error" not in text


def test_history_record_into_a_folder_is_a_usage_error(
    tmp_path: Path, env: dict[str, str], capsys
) -> None:
    report_json = tmp_path / "report.json"
    assert (
        report.main([str(tmp_path / "r.xml"), "--json", str(report_json), "--json-tests"], env) == 0
    )
    capsys.readouterr()
    before = sorted(p.name for p in tmp_path.iterdir())
    code = history.main(["record", "--history", str(tmp_path), "--report", str(report_json)], env)
    text = capsys.readouterr().err
    assert code == 2, text
    assert str(tmp_path) in text
    assert "internal error" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing moved, nothing written


def test_merged_junit_never_follows_a_planted_link(tmp_path: Path, env: dict[str, str]) -> None:
    """Issue 11, finding 2, for the writers outside files.write_text's first round."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "merged.xml").symlink_to(victim)
    code = report.main([str(tmp_path / "r.xml"), "--junit-out", str(out / "merged.xml")], env)
    assert code == 2
    assert victim.read_text(encoding="utf-8") == "keep"


def test_a_provider_log_never_follows_a_planted_link(tmp_path: Path) -> None:
    from testgate.errors import ConfigError
    from testgate.provider import open_log

    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    (tmp_path / "provider.log").symlink_to(victim)
    with pytest.raises(ConfigError, match="cannot write the log"):
        open_log(tmp_path / "provider.log")
    assert victim.read_text(encoding="utf-8") == "keep"
