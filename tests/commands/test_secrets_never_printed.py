"""No command ever prints a secret: every command, run with every secret of the settings table
set (and with secrets inside values it must refuse), in a plain run and a failing one.

The secrets come from the table (every ``secret`` row), so a secret added later is covered too.
Everything a run writes is searched: stdout, stderr, and every file under the reports folder
(summaries, outputs, logs, JSON).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from testgate import cli
from testgate.settings_table import SETTINGS

SECRET_VALUES = {
    name: f"s3cr3t-{name}-4f9a1c" for name, s in SETTINGS.items() if s.secret and s.kind == "secret"
}

JUNIT = '<testsuite name="s" tests="1"><testcase classname="c" name="t"/></testsuite>'

# argv per command: each ends in a decision or a usage/config error, with no network needed
# (the broker URL points at a closed port: the broker commands end as "could not decide").
ARGV: dict[str, list[str]] = {
    "consumer": ["--consumer-tests", "missing"],
    "verify": ["--provider", "p", "--pact-dir", "missing"],
    "api-tests": ["--api-tests", "missing", "--target-url", "http://127.0.0.1:9"],
    "report": ["{junit}"],
    "pipeline": [],
    "publish": ["--pact-dir", "missing"],
    "can-i-deploy": ["--pacticipant", "a", "--version", "1", "--to-environment", "prod"],
    "record-deployment": ["--pacticipant", "a", "--version", "1", "--environment", "prod"],
    "record-release": ["--pacticipant", "a", "--version", "1", "--environment", "prod"],
    "environments": ["list"],
    "webhook": ["ensure", "--provider", "p", "--target", "github", "--repository", "o/r"],
    "monitor": ["--api-tests", "missing", "--target-url", "http://127.0.0.1:9"],
    "history": ["record", "--report", "missing.json"],
    "shard": ["--shards", "2", "--shard-index", "1"],
    "quarantine": ["suggest"],
    "testrail": [
        "upload",
        "--dry-run",
        "--junit",
        "{junit}",
        "--testrail-host",
        "https://t.example",
    ],
    "envs": [],
    "ci": ["report", "{junit}"],
    "init": ["--dry-run"],
    "doctor": [],
}


def test_every_command_is_covered() -> None:
    assert set(ARGV) == set(cli.COMMANDS)


def _environ(tmp_path: Path, clean_environ: dict[str, str]) -> dict[str, str]:
    env = {**clean_environ, "TESTGATE_PLATFORM": "gitlab", "CI_JOB_NAME": "job"}
    for name, value in SECRET_VALUES.items():
        for var in SETTINGS[name].variables:
            env[var] = value
    env["PACT_BROKER_BASE_URL"] = "http://127.0.0.1:9"
    env["TESTGATE_BROKER_RETRIES"] = "0"
    env["TESTGATE_BROKER_TIMEOUT"] = "2"
    env["TESTGATE_ALERT_WEBHOOK_URL"] = "https://hooks.example/services/s3cr3t-alert-4f9a1c"
    env["TESTGATE_REPORTS_DIR"] = str(tmp_path / "reports")
    env["TESTGATE_PROJECT_FILE"] = str(tmp_path / "testgate.toml")
    return env


def _found(tmp_path: Path, text: str) -> list[str]:
    secrets = [*SECRET_VALUES.values(), "s3cr3t-alert-4f9a1c"]
    hits = [s for s in secrets if s in text]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".toml":
            data = path.read_text(encoding="utf-8", errors="replace")
            hits += [f"{s} in {path.name}" for s in secrets if s in data]
    return hits


@pytest.mark.parametrize("command", sorted(ARGV))
def test_no_secret_in_anything_a_command_prints_or_writes(
    command: str, tmp_path: Path, clean_environ: dict[str, str], capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "testgate.toml").write_text('[provider]\nname = "p"\n', encoding="utf-8")
    junit = tmp_path / "r.xml"
    junit.write_text(JUNIT, encoding="utf-8")
    argv = [a.replace("{junit}", str(junit)) for a in ARGV[command]]
    code = cli.main([command, *argv], _environ(tmp_path, clean_environ))
    out = capsys.readouterr()
    assert code in (0, 1, 2, 3)
    assert not _found(tmp_path, out.out + out.err), out.out + out.err


@pytest.mark.parametrize(
    ("var", "value"),
    [
        pytest.param("PACT_BROKER_BASE_URL", "http://user:s3cr3t-url-4f9a1c@[::1", id="broker-url"),
        pytest.param("TESTGATE_ALERT_WEBHOOK_URL", "ftp://h/s3cr3t-url-4f9a1c", id="alert-url"),
        pytest.param(
            "TESTGATE_PUSHGATEWAY_URL", "http://u:s3cr3t-url-4f9a1c@host:notaport", id="pushgateway"
        ),
    ],
)
def test_a_refused_value_holding_a_secret_is_not_echoed(
    var: str, value: str, tmp_path: Path, clean_environ: dict[str, str], capsys
) -> None:
    junit = tmp_path / "r.xml"
    junit.write_text(JUNIT, encoding="utf-8")
    env = {**clean_environ, "TESTGATE_PLATFORM": "local", var: value}
    command = {
        "PACT_BROKER_BASE_URL": [
            "can-i-deploy",
            "--pacticipant",
            "a",
            "--version",
            "1",
            "--to-environment",
            "prod",
        ],
        "TESTGATE_ALERT_WEBHOOK_URL": ["monitor", "--target-url", "http://127.0.0.1:9"],
        "TESTGATE_PUSHGATEWAY_URL": ["report", str(junit)],
    }[var]
    code = cli.main(command, env)
    out = capsys.readouterr()
    assert code == 2, out.err
    assert var in out.err
    assert "s3cr3t-url-4f9a1c" not in out.out + out.err
