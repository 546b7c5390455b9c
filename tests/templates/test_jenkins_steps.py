"""The Jenkins library's steps, run by the Groovy harness with a fake ``testgate``.

The fake records the arguments and the TESTGATE_*/PACT_* environment it was started with
and writes the JUnit file its command would, so these tests check the wiring (the commands
built, the env vars set, the credentials bound, junit and archiveArtifacts in every case)
in seconds. test_jenkins_example.py runs the real testgate. All scenarios share one JVM.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool
from jenkins_harness import LIBRARY, STEPS, calls, parse_help, run_harness

pytestmark = pytest.mark.slow

TOKEN = "tok-3f9c2a7e-never-print-me"
HOOK = "https://hooks.example.test/T000/B000/hook-secret-7d1"
PASSWORD = "pw-81b0c4-never-print-me"
TESTRAIL_KEY = "trkey-5e7a90-never-print-me"
CREDENTIALS = {
    "tr-cred": {"username": "ci@example.test", "password": TESTRAIL_KEY},
    "testrail": {"username": "ci@example.test", "password": TESTRAIL_KEY},
    "pact-broker-token": TOKEN,
    "broker-cred": TOKEN,
    "broker-basic": {"username": "broker-user", "password": PASSWORD},
    "hook-cred": HOOK,
    "alert-webhook": HOOK,
}

FAKE_TESTGATE = """#!{python}
# A stand-in for testgate: records what it was given, writes what the command would.
# FAKE_TESTGATE_FAIL: commands that fail, e.g. "verify,report" or "report=3" for another exit
# code ("report", "history" and "testrail" are the parts of `ci report`).
import json, os, pathlib, sys

args = sys.argv[1:]
if args == ["--version"]:
    print("testgate {version}")
    sys.exit(0)
cmd = args[1] if args[0] == "ci" else args[0]
env = {{k: v for k, v in os.environ.items() if k.startswith(("TESTGATE_", "PACT_", "TESTRAIL_"))}}
with open(os.environ["FAKE_TESTGATE_LOG"], "a", encoding="utf-8") as fh:
    fh.write(json.dumps({{"argv": args, "env": env, "cwd": os.getcwd()}}) + "\\n")
codes = dict((f.split("=") + ["1"])[:2] for f in os.environ.get("FAKE_TESTGATE_FAIL", "").split(",") if f)
code = int(codes.get(cmd, 0))
fail = code == 1
reports = pathlib.Path(os.environ.get("TESTGATE_REPORTS_DIR", "reports"))
reports.mkdir(parents=True, exist_ok=True)
props = reports / "testgate-outputs.properties"
if cmd == "shards":  # ci shards: the count checked, one index a line
    count = int(os.environ.get("TESTGATE_SHARDS") or 0)
    if not 1 <= count <= 256:
        print("error: TESTGATE_SHARDS must be at least 1", file=sys.stderr)
        sys.exit(2)
    print("\\n".join(str(i) for i in range(1, count + 1)))
    sys.exit(0)
junit = {{"consumer": "consumer.xml", "verify": "provider-verification.xml",
          "api-tests": "api.xml", "monitor": "monitor.xml"}}.get(cmd)
if junit:  # the file the step names, else the command's default in the reports folder
    junit = (cmd == "api-tests" and os.environ.get("TESTGATE_API_TESTS_JUNIT")) or reports / junit
if junit:
    failure = "<failure message='boom'/>" if fail else ""
    pathlib.Path(junit).write_text(
        f"<testsuite name='{{cmd}}' tests='2'><testcase name='a'/><testcase name='b'>{{failure}}</testcase></testsuite>"
    )
if cmd == "report":  # ci report: the report, then history and TestRail when it decided
    if code not in (0, 1):
        print(f"fake testgate ci report: could not decide ({{code}})")
        sys.exit(code)
    with props.open("a") as fh:
        fh.write(f"decision={{'fail' if fail else 'pass'}}\\ntests=6\\nfailed={{1 if fail else 0}}\\n")
    for name in ("testgate-report.json", "testgate-report.md", "merged.xml"):
        (reports / name).write_text("{{}}")
    later = 0
    if os.environ.get("TESTGATE_HISTORY", "true") == "true":
        history = pathlib.Path(os.environ.get("TESTGATE_HISTORY_FILE") or "testgate-history.json")
        history.parent.mkdir(parents=True, exist_ok=True)
        later = int(codes.get("history", 0))
        if not later:
            with history.open("a") as fh:
                fh.write(os.environ.get("TESTGATE_BASELINE", "-") + "\\n")
            with props.open("a") as fh:
                fh.write(f"flaky-count={{os.environ.get('FAKE_FLAKY', '0')}}\\n")
            (reports / "testgate-report.html").write_text("<html></html>")
            (reports / "history-trend.svg").write_text("<svg/>")
    if os.environ.get("TESTGATE_TESTRAIL") == "true":
        later = later or int(codes.get("testrail", 0))
    sys.exit(code or later)
if cmd == "monitor":
    state = pathlib.Path(os.environ.get("TESTGATE_STATE_FILE") or reports / "monitor-state.json")
    runs = int(state.read_text()) if state.exists() else 0
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(str(runs + 1))
    (reports / "metrics.prom").write_text("# EOF\\n")
    with props.open("a") as fh:
        fh.write("alert=none\\nstate=passing\\nchecks=2\\nfailed=0\\n")
print(f"fake testgate {{' '.join(args)}}")
sys.exit(code)
"""

# A python3 that makes a "virtualenv" holding the fake testgate and records pip's arguments.
FAKE_PYTHON = """#!/bin/sh
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && cp "{fake_testgate}" "$3/bin/testgate"
elif [ "$1 $2" = "-m pip" ]; then
  shift 2; printf '%s\\n' "$@" >> "{pip_log}"
fi
"""


# Stands for a team's deploy tooling in Jenkinsfile.deploy: records what it was asked to do.
DEPLOY_SH = """#!/bin/sh
echo "$1 $2" >> deploy.log
if [ "$1" = candidate ]; then echo "deploying the candidate to $2" >&2; echo http://green.example.test; fi
"""


# The harness's own declarative support: when, environment with credentials(), stage post.
DECLARATIVE_WHEN = """
pipeline {
    agent any
    environment {
        PACT_BROKER_TOKEN = credentials('pact-broker-token')
        GREETING = 'hello'
    }
    stages {
        stage('Main only') {
            when { branch 'main' }
            steps { error 'ran on a feature branch' }
        }
        stage('Uses the environment') {
            steps { sh 'test "$GREETING" = hello && test -n "${PACT_BROKER_TOKEN:+set}"' }
            post { success { echo 'stage post ran' } }
        }
    }
}
"""


def _write_exe(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def _value(step: str, name: str) -> Any:
    """A distinct value per argument, so the test can find it in the env it reached."""
    special = {
        "credentialsId": "broker-cred",
        "usernamePasswordCredentialsId": "broker-basic",
        "alertWebhookCredentialsId": "hook-cred",
        "testrailCredentialsId": "tr-cred",
        "publish": True,
        "broker": True,
        "publishJunit": True,
        "publishHtml": True,
        "history": True,
        "testrail": True,
        "restoreState": True,
        "shards": 2,
        "reportsDir": "out",
    }
    return special.get(name, f"{step}-{name}-value")


ALL_ARGS_STEPS = [s for s in STEPS if s != "testgateInstall"]
COMMON_DEFAULTED = {"toolsRef", "toolsRepository", "pipInstall", "python", "venv"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    groovy = require_tool("groovy")
    tmp = tmp_path_factory.mktemp("jenkins-steps")
    fake_venv = tmp / "fake-venv"
    fake = _write_exe(
        fake_venv / "bin" / "testgate",
        FAKE_TESTGATE.format(
            python=sys.executable, version=(LIBRARY.parent / "VERSION").read_text().strip()
        ),
    )
    fake_python = _write_exe(
        tmp / "fake-python",
        FAKE_PYTHON.format(fake_testgate=fake, pip_log=tmp / "pip.log"),
    )
    scenarios: list[dict[str, Any]] = []

    def add(
        name: str,
        script: str | None = None,
        args: dict | None = None,
        env: dict | None = None,
        credentials: dict | None = None,
        jenkinsfile: Path | None = None,
        params: dict | None = None,
        previous: str | dict[str, str] | None = None,
        copy_error: str | None = None,
        files: dict[str, str] | None = None,
    ) -> None:
        ws = tmp / name / "workspace"
        _write_exe(ws / "deploy.sh", DEPLOY_SH)
        for rel, text in (files or {}).items():  # left in the workspace by an earlier build
            (ws / rel).parent.mkdir(parents=True, exist_ok=True)
            (ws / rel).write_text(text, encoding="utf-8")
        if isinstance(previous, dict):  # the last builds of other jobs, by project name
            previous_artifacts: Any = {k: str(tmp / v / "artifacts") for k, v in previous.items()}
        else:
            previous_artifacts = str(tmp / previous / "artifacts") if previous else None
        base_env = {
            "TESTGATE_VENV": str(fake_venv),
            "FAKE_TESTGATE_LOG": str(tmp / name / "testgate.jsonl"),
        }
        scenario = {
            "name": name,
            "workspace": str(ws),
            "args": args or {},
            "env": {**base_env, **(env or {})},
            "credentials": credentials or {},
            "params": params or {},
            # the build's archived artifacts; `previous` names the scenario that was the last build
            "artifacts": str(tmp / name / "artifacts"),
            "previousArtifacts": previous_artifacts,
            "copyArtifactsError": copy_error,
        }
        if jenkinsfile:
            scenario["jenkinsfile"] = str(jenkinsfile)
        else:
            scenario["script"] = script
        scenarios.append(scenario)

    for step in ALL_ARGS_STEPS:
        args = {a.name: _value(step, a.name) for a in parse_help(step)}
        args["venv"] = str(fake_venv)
        args["reportsDir"] = "out"
        add(
            f"all-args-{step}",
            f"node {{ {step}(ARGS) }}",
            args,
            env={"TESTGATE_VENV": ""},
            credentials=CREDENTIALS,
        )
    add(
        "consumer-fails",
        "node { stage('Consumer contracts') { consumerContracts(publish: true) } }",
        env={"FAKE_TESTGATE_FAIL": "consumer"},
        credentials=CREDENTIALS,
    )
    add("unknown-argument", "node { stage('API tests') { apiTests(envName: 'beta') } }")
    add(
        "missing-credential",
        "node { canIDeploy(pacticipant: 'dashboard-api', toEnvironment: 'prod') }",
    )
    add("no-broker", "node { providerVerification() }", credentials=CREDENTIALS)
    add(
        "report-fails",
        "node { stage('Test report') { testReport() } }",
        env={"FAKE_TESTGATE_FAIL": "report"},
    )
    add("install-main", "node { testgateInstall(toolsRef: 'main') }")
    add(
        "install-fresh",
        f"node {{ testgateInstall(venv: '{tmp}/new-venv', python: '{fake_python}'); "
        f"testgateInstall(venv: '{tmp}/new-venv', python: '{fake_python}', "
        "pipInstall: '-r requirements-test.txt') }",
    )
    add("jenkinsfile-pass", jenkinsfile=LIBRARY / "Jenkinsfile", env={"BRANCH_NAME": "feature-x"})
    add(
        "jenkinsfile-fail",
        jenkinsfile=LIBRARY / "Jenkinsfile",
        env={"FAKE_TESTGATE_FAIL": "verify,report"},
    )
    add("jenkinsfile-monitor", jenkinsfile=LIBRARY / "Jenkinsfile.monitor", credentials=CREDENTIALS)
    declarative = LIBRARY / "Jenkinsfile.declarative"
    add("declarative-pass", jenkinsfile=declarative, env={"BRANCH_NAME": "feature-x"})
    add("declarative-fail", jenkinsfile=declarative, env={"FAKE_TESTGATE_FAIL": "verify,report"})
    add(
        "declarative-when",
        DECLARATIVE_WHEN,
        env={"BRANCH_NAME": "feature-x"},
        credentials=CREDENTIALS,
    )
    broker = {"PACT_BROKER_BASE_URL": "http://broker.example.test"}
    for name, fail in [("green", ""), ("red", "api-tests"), ("blocked", "can-i-deploy")]:
        add(
            f"deploy-{name}",
            jenkinsfile=LIBRARY / "Jenkinsfile.deploy",
            env={**broker, "FAKE_TESTGATE_FAIL": fail},
            credentials=CREDENTIALS,
            params={"ENVIRONMENT": "gamma"},
        )

    # Results over time: two builds of one job, the second restoring what the first archived.
    add("history-1", "node { testReport() }")
    add(
        "history-2",
        "node { testReport() }",
        env={"FAKE_TESTGATE_FAIL": "report", "FAKE_FLAKY": "1"},
        previous="history-1",
    )
    add("history-off", "node { testReport(history: false) }")
    add(
        "history-denied",
        "node { testReport() }",
        copy_error="Unable to find project for artifact copy: /service",
    )
    add("history-fails", "node { testReport() }", env={"FAKE_TESTGATE_FAIL": "history"})
    add("report-undecided", "node { testReport() }", env={"FAKE_TESTGATE_FAIL": "report=3"})
    add(
        "testrail-install",
        f"node {{ testReport(testrail: true, history: false, python: '{fake_python}') }}",
        credentials=CREDENTIALS,
    )
    add("shards", "node { apiTests(env: 'beta', shards: 3); testReport() }", previous="history-2")
    add("shards-invalid", "node { stage('API tests') { apiTests(shards: 0) } }")
    add(
        "stale-report",
        "node { apiTests(env: 'beta'); testReport() }",
        files={"reports/old.xml": "<testsuite name='stale' tests='9'/>"},
    )
    # A multibranch pull request build: the history (the baseline) comes from the target branch.
    pull_request = {
        "JOB_NAME": "team/inventory-api/PR-7",
        "BRANCH_NAME": "PR-7",
        "CHANGE_ID": "7",
        "CHANGE_BRANCH": "feature/x",
        "CHANGE_TARGET": "main",
    }
    add(
        "pull-request",
        "node { testReport(baseline: 'auto') }",
        env={**pull_request, "FAKE_TESTGATE_FAIL": "report"},
        previous={"/team/inventory-api/main": "history-1", "/team/inventory-api/PR-7": "history-2"},
    )
    add(
        "pull-request-release-branch",
        "node { testReport(baseline: 'auto') }",
        env={**pull_request, "CHANGE_TARGET": "release/2.x"},
    )
    add("monitor-1", "node { monitor() }")
    add("monitor-2", "node { monitor() }", previous="monitor-1")

    results = run_harness(groovy, scenarios, tmp)
    for name, result in results.items():
        log = tmp / name / "testgate.jsonl"
        result["testgate"] = (
            [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        )
    results["_pip_log"] = {
        "lines": (tmp / "pip.log").read_text().splitlines() if (tmp / "pip.log").exists() else []
    }
    return results


def _argv(result: dict) -> list[str]:
    return [" ".join(r["argv"]) for r in result["testgate"]]


def _secrets_never_printed(result: dict[str, Any]) -> None:
    for secret in (TOKEN, HOOK, PASSWORD, TESTRAIL_KEY):
        assert secret not in result["log"]
        for call in result["calls"]:
            assert secret not in json.dumps(call), call


@pytest.mark.parametrize("step", ALL_ARGS_STEPS)
def test_every_argument_reaches_its_env_var(runs: dict, step: str) -> None:
    result = runs[f"all-args-{step}"]
    assert result["result"] == "SUCCESS", result["error"] + result["log"][-2000:]
    recorded = result["testgate"]
    assert recorded, "testgate never ran"
    seen: dict[str, str] = {}
    for rec in recorded:
        seen.update(rec["env"])
    secrets = {"broker-cred": TOKEN, "hook-cred": HOOK}
    for arg in parse_help(step):
        if arg.env is None or arg.name in COMMON_DEFAULTED:
            continue
        if arg.name == "usernamePasswordCredentialsId":
            assert seen["PACT_BROKER_USERNAME"] == "broker-user"
            assert seen["PACT_BROKER_PASSWORD"] == PASSWORD
            continue
        if arg.name == "testrailCredentialsId":
            assert seen["TESTRAIL_USER"] == "ci@example.test"
            assert seen["TESTRAIL_KEY"] == TESTRAIL_KEY
            continue
        value = _value(step, arg.name)
        expected = secrets.get(value, str(value).lower() if isinstance(value, bool) else str(value))
        assert seen.get(arg.env) == expected, f"{step}.{arg.name} -> {arg.env}"
    assert seen["TESTGATE_PLATFORM"] == "jenkins"
    assert seen["TESTGATE_REPORTS_DIR"] == "out"
    archive = calls(result, "archiveArtifacts")
    assert archive
    assert archive[-1]["artifacts"].split(",")[0].startswith("out/")
    _secrets_never_printed(result)


def test_commands_built_per_step(runs: dict) -> None:
    argv = {s: [r["argv"] for r in runs[f"all-args-{s}"]["testgate"]] for s in ALL_ARGS_STEPS}
    assert argv == {
        "consumerContracts": [["consumer"], ["publish"]],
        "providerVerification": [["verify"]],
        "apiTests": [["ci", "shards"], ["api-tests"], ["api-tests"]],  # shards: 2
        # the report, the history, its page and the TestRail upload: testgate's sequence
        "testReport": [["ci", "report"]],
        "canIDeploy": [["can-i-deploy"]],
        "recordDeployment": [["record-deployment"]],
        "monitor": [["monitor"]],
    }


def test_broker_token_is_bound_only_around_the_commands_that_need_it(runs: dict) -> None:
    consumer = runs["all-args-consumerContracts"]
    sh = [c for c in calls(consumer, "sh") if c["script"].startswith("testgate")]
    assert [(c["script"], "PACT_BROKER_TOKEN" in c["env"]) for c in sh] == [
        ("testgate consumer", False),
        ("testgate publish", True),
    ]
    assert sh[1]["env"]["PACT_BROKER_TOKEN"] == "****"  # the harness masks it like Jenkins
    assert calls(consumer, "withCredentials")[0]["bindings"] == [
        {"type": "string", "credentialsId": "broker-cred", "variable": "PACT_BROKER_TOKEN"},
        {
            "type": "usernamePassword",
            "credentialsId": "broker-basic",
            "usernameVariable": "PACT_BROKER_USERNAME",
            "passwordVariable": "PACT_BROKER_PASSWORD",
        },
    ]
    no_broker = runs["no-broker"]
    assert no_broker["result"] == "SUCCESS"
    assert not calls(no_broker, "withCredentials")
    assert [r["argv"] for r in no_broker["testgate"]] == [["verify"]]
    monitor = runs["all-args-monitor"]
    assert (
        calls(monitor, "withCredentials")[0]["bindings"][0]["variable"]
        == "TESTGATE_ALERT_WEBHOOK_URL"
    )


def test_failing_command_still_publishes_junit_and_archives(runs: dict) -> None:
    result = runs["consumer-fails"]
    assert result["result"] == "FAILURE"
    assert result["error"] == "script returned exit code 1"
    assert result["stages"] == [
        {"name": "Consumer contracts", "status": "FAILURE", "error": "script returned exit code 1"}
    ]
    assert [r["argv"] for r in result["testgate"]] == [["consumer"]]  # never published
    assert not calls(result, "withCredentials")
    (junit,) = calls(result, "junit")
    assert junit["testResults"] == "reports/consumer.xml"
    assert junit["files"] == ["reports/consumer.xml"]
    assert junit["allowEmptyResults"] is True
    assert calls(result, "archiveArtifacts")[0]["files"] == ["reports/consumer.xml"]


def test_unknown_argument_fails_and_names_the_right_ones(runs: dict) -> None:
    result = runs["unknown-argument"]
    assert result["result"] == "FAILURE"
    assert result["error"].startswith("apiTests: unknown argument(s) envName;")
    assert "env, " in result["error"]
    assert "vars/apiTests.txt" in result["error"]
    assert not calls(result, "sh")


def test_missing_credential_fails_the_step_and_still_archives(runs: dict) -> None:
    result = runs["missing-credential"]
    assert result["result"] == "FAILURE"
    assert result["error"] == "Could not find credentials entry with ID 'pact-broker-token'"
    assert result["testgate"] == []
    assert calls(result, "archiveArtifacts")


def test_report_sets_description_and_fails_on_a_failed_gate(runs: dict) -> None:
    result = runs["report-fails"]
    assert result["result"] == "FAILURE"
    # what the exit code means is said by testgate ci report itself (tests/commands/test_ci.py)
    assert result["error"] == "testReport: testgate ci report exited 1 (its log above says why)"
    assert result["description"] == "testgate fail: 6 tests, 1 failed"
    rec = result["testgate"][0]
    assert rec["argv"] == ["ci", "report"]
    # no testgate step wrote a JUnit file in this build: testgate's default (the reports folder)
    assert "TESTGATE_REPORT_PATHS" not in rec["env"]
    assert not calls(result, "junit")  # the test steps publish their own files
    archived = calls(result, "archiveArtifacts")[-1]["files"]
    assert {"reports/testgate-report.json", "reports/testgate-report.md"} <= set(archived)


def test_install_refuses_main(runs: dict) -> None:
    result = runs["install-main"]
    assert result["result"] == "FAILURE"
    assert "toolsRef 'main' is not a release" in result["error"]
    assert not calls(result, "sh")


def test_install_pip_installs_the_pinned_tag_once(runs: dict) -> None:
    result = runs["install-fresh"]
    assert result["result"] == "SUCCESS", result["error"] + result["log"]
    pip = runs["_pip_log"]["lines"]
    assert pip.count("testgate @ git+https://github.com/testgate/testgate.git@v0.1.0") == 1
    i = pip.index("-r")
    assert pip[i + 1] == "requirements-test.txt"  # the service's test dependencies
    assert "testgate v0.1.0 is installed in" in result["log"]  # the second call reused it
    timeout = calls(runs["all-args-apiTests"], "timeout")[0]
    assert (timeout["time"], timeout["unit"]) == (15, "MINUTES")


def test_example_jenkinsfile_runs_every_stage_in_order(runs: dict) -> None:
    result = runs["jenkinsfile-pass"]
    assert result["result"] == "SUCCESS", result["error"]
    assert result["library"] == "testgate@v0.1.0"
    assert [(s["name"], s["status"]) for s in result["stages"]] == [
        ("Checkout", "SUCCESS"),
        ("Consumer contracts", "SUCCESS"),
        ("Provider verification", "SUCCESS"),
        ("API tests", "SUCCESS"),
        ("Test report", "SUCCESS"),
    ]
    assert _argv(result) == [
        "consumer",
        "verify",
        "ci shards",
        "api-tests",
        "api-tests",  # shards: 2
        "ci report",
    ]
    shards = [
        r["env"]["TESTGATE_SHARD_INDEX"] for r in result["testgate"] if r["argv"] == ["api-tests"]
    ]
    assert shards == ["1", "2"]
    assert result["description"] == "testgate pass: 6 tests, 0 failed"


def test_example_jenkinsfile_fails_at_provider_verification_and_still_reports(runs: dict) -> None:
    result = runs["jenkinsfile-fail"]
    assert result["result"] == "FAILURE"
    stages = [(s["name"], s["status"]) for s in result["stages"]]
    assert stages == [
        ("Checkout", "SUCCESS"),
        ("Consumer contracts", "SUCCESS"),
        ("Provider verification", "FAILURE"),
        ("API tests", "SUCCESS"),  # the parallel branch runs to its end
        ("Test report", "FAILURE"),
    ]
    assert [c["branches"] for c in calls(result, "parallel")] == [
        ["Provider verification", "API tests"],
        ["API tests 1/2", "API tests 2/2"],
    ]
    junit = {c["testResults"]: c["files"] for c in calls(result, "junit")}
    assert junit["reports/provider-verification.xml"] == ["reports/provider-verification.xml"]
    assert _argv(result) == [
        "consumer",
        "verify",
        "ci shards",
        "api-tests",
        "api-tests",
        "ci report",
    ]
    assert result["description"] == "testgate fail: 6 tests, 1 failed"


def test_monitor_jenkinsfile_has_a_cron_trigger_and_binds_the_webhook(runs: dict) -> None:
    result = runs["jenkinsfile-monitor"]
    assert result["result"] == "SUCCESS", result["error"]
    assert calls(result, "cron")[0]["spec"] == "H/15 * * * *"
    (rec,) = result["testgate"]
    assert rec["argv"] == ["monitor"]
    assert rec["env"]["TESTGATE_ENV"] == "prod"
    assert "TESTGATE_STATE_FILE" not in rec["env"]  # default: reports/monitor-state.json
    assert rec["env"]["TESTGATE_ALERT_WEBHOOK_URL"] == HOOK
    assert "TESTGATE_RUN_URL" not in rec["env"]  # testgate derives it from BUILD_URL
    assert result["description"] == "testgate monitor passing: 2 checks, 0 failed"
    _secrets_never_printed(result)


def _deploy_log(result: dict) -> list[str]:
    log = Path(result["workspace"]) / "deploy.log"
    return log.read_text().splitlines() if log.exists() else []


def test_deploy_jenkinsfile_promotes_a_candidate_that_passes(runs: dict) -> None:
    result = runs["deploy-green"]
    assert result["result"] == "SUCCESS", result["error"] + result["log"][-3000:]
    assert [s["name"] for s in result["stages"]] == [
        "Checkout",
        "Can I deploy",
        "Deploy candidate",
        "Test candidate",
        "Test report",
        "Switch traffic",
    ]
    assert _deploy_log(result) == ["candidate gamma", "switch gamma"]
    by_cmd = {" ".join(r["argv"]): r["env"] for r in result["testgate"]}
    assert list(by_cmd) == [
        "can-i-deploy",
        "api-tests",
        "verify",
        "ci report",
        "record-deployment",
    ]
    assert by_cmd["can-i-deploy"]["TESTGATE_TO_ENVIRONMENT"] == "gamma"
    assert by_cmd["can-i-deploy"]["PACT_BROKER_TOKEN"] == TOKEN
    assert by_cmd["api-tests"]["TESTGATE_TARGET_URL"] == "http://green.example.test"
    assert by_cmd["api-tests"]["TESTGATE_ENV"] == "gamma"
    assert by_cmd["verify"]["TESTGATE_PROVIDER_URL"] == "http://green.example.test"
    assert by_cmd["verify"]["PACT_BROKER_TOKEN"] == TOKEN  # pacts from the broker
    assert by_cmd["record-deployment"]["TESTGATE_ENVIRONMENT"] == "gamma"
    _secrets_never_printed(result)


def test_deploy_jenkinsfile_refuses_a_candidate_that_fails_its_api_tests(runs: dict) -> None:
    result = runs["deploy-red"]
    assert result["result"] == "FAILURE"
    stages = {s["name"]: s["status"] for s in result["stages"]}
    assert stages["Test candidate"] == "FAILURE"
    assert "Test report" in stages
    assert "Switch traffic" not in stages
    assert _deploy_log(result) == ["candidate gamma"]  # traffic never switched
    assert "record-deployment" not in [r["argv"][0] for r in result["testgate"]]
    assert [c["files"] for c in calls(result, "junit")] == [["reports/api.xml"]]


def test_deploy_jenkinsfile_deploys_nothing_without_a_green_matrix(runs: dict) -> None:
    result = runs["deploy-blocked"]
    assert result["result"] == "FAILURE"
    assert [s["name"] for s in result["stages"]][-1] == "Can I deploy"
    assert _deploy_log(result) == []
    assert [r["argv"][0] for r in result["testgate"]] == ["can-i-deploy"]


def test_declarative_jenkinsfile_runs_every_stage_then_reports(runs: dict) -> None:
    result = runs["declarative-pass"]
    assert result["result"] == "SUCCESS", result["error"] + result["log"][-3000:]
    assert result["library"] == "testgate@v0.1.0"
    assert [(s["name"], s["status"]) for s in result["stages"]] == [
        ("Checkout", "SUCCESS"),
        ("Consumer contracts", "SUCCESS"),
        ("Tests", "SUCCESS"),
        ("Provider verification", "SUCCESS"),
        ("API tests", "SUCCESS"),
    ]
    assert _argv(result) == ["consumer", "verify", "api-tests", "ci report"]
    assert [c["condition"] for c in calls(result, "post")] == ["always"]
    assert {c["name"] for c in calls(result, "options")} == {
        "timeout",
        "disableConcurrentBuilds",
        "skipDefaultCheckout",
    }
    assert result["description"] == "testgate pass: 6 tests, 0 failed"


def test_declarative_jenkinsfile_fails_in_the_parallel_stage_and_still_reports(runs: dict) -> None:
    result = runs["declarative-fail"]
    assert result["result"] == "FAILURE"
    assert [(s["name"], s["status"]) for s in result["stages"]] == [
        ("Checkout", "SUCCESS"),
        ("Consumer contracts", "SUCCESS"),
        ("Tests", "FAILURE"),
        ("Provider verification", "FAILURE"),
        ("API tests", "SUCCESS"),  # the parallel stage runs to its end
    ]
    junit = {c["testResults"]: c["files"] for c in calls(result, "junit")}
    assert junit["reports/provider-verification.xml"] == ["reports/provider-verification.xml"]
    assert _argv(result) == ["consumer", "verify", "api-tests", "ci report"]
    assert result["description"] == "testgate fail: 6 tests, 1 failed"


def test_harness_declarative_when_environment_and_stage_post(runs: dict) -> None:
    result = runs["declarative-when"]
    assert result["result"] == "SUCCESS", result["error"]
    assert [(s["name"], s["status"]) for s in result["stages"]] == [
        ("Main only", "SKIPPED"),
        ("Uses the environment", "SUCCESS"),
    ]
    assert calls(result, "sh")[0]["env"]["PACT_BROKER_TOKEN"] == "****"
    assert [c["message"] for c in calls(result, "echo")] == ["stage post ran"]
    _secrets_never_printed(result)


HISTORY = ".testgate-history/history.json"


def test_history_is_restored_recorded_archived_and_published(runs: dict) -> None:
    first, second = runs["history-1"], runs["history-2"]
    assert first["result"] == "SUCCESS", first["error"] + first["log"][-2000:]
    assert _argv(first) == ["ci report"]  # the report, then the history and its page
    (copy,) = calls(first, "copyArtifacts")
    assert copy == {
        "step": "copyArtifacts",
        "stage": None,
        "projectName": "/service",  # this job (JOB_NAME), by its full name
        "selector": "lastCompleted",
        "filter": HISTORY,
        "target": ".",
        "optional": True,  # the first build has nothing to copy
        "fingerprintArtifacts": False,
        "files": [],
    }
    archived = calls(first, "archiveArtifacts")[-1]
    assert HISTORY in archived["artifacts"].split(",")
    assert HISTORY in archived["files"]
    assert "reports/testgate-report.html" in archived["files"]
    (html,) = calls(first, "publishHTML")
    assert html["target"]["reportDir"] == "reports"
    assert html["target"]["reportFiles"] == "testgate-report.html"
    assert html["target"]["keepAll"] == "true"
    assert html["exists"] is True
    env = first["testgate"][0]["env"]
    assert env["TESTGATE_HISTORY_FILE"] == HISTORY
    assert "TESTGATE_BASELINE" not in env  # off unless asked for
    # the next build: the gate fails, the history still grows and is archived and published
    assert second["result"] == "FAILURE"
    assert second["error"] == "testReport: testgate ci report exited 1 (its log above says why)"
    assert calls(second, "copyArtifacts")[0]["files"] == [HISTORY]
    assert _argv(second) == ["ci report"]
    runs_kept = (Path(second["workspace"]) / HISTORY).read_text().splitlines()
    assert len(runs_kept) == 2  # the first build's run came back from its artifacts
    assert HISTORY in calls(second, "archiveArtifacts")[-1]["files"]
    assert calls(second, "publishHTML")
    assert second["description"] == "testgate fail: 6 tests, 1 failed, 1 flaky"
    assert first["description"] == "testgate pass: 6 tests, 0 failed"  # flaky-count=0


def test_history_off_runs_only_the_report(runs: dict) -> None:
    result = runs["history-off"]
    assert result["result"] == "SUCCESS", result["error"]
    assert _argv(result) == ["ci report"]
    assert result["testgate"][0]["env"]["TESTGATE_HISTORY"] == "false"  # testgate skips it
    assert "TESTGATE_HISTORY_FILE" not in result["testgate"][0]["env"]
    assert not calls(result, "copyArtifacts")
    assert not calls(result, "publishHTML")
    assert HISTORY not in calls(result, "archiveArtifacts")[-1]["artifacts"].split(",")


def test_history_not_restored_when_the_job_may_not_copy_from_itself(runs: dict) -> None:
    result = runs["history-denied"]
    assert result["result"] == "SUCCESS", result["error"]
    (message,) = [c["message"] for c in calls(result, "echo")]
    assert "Unable to find project for artifact copy" in message
    assert "copyArtifactPermission(env.JOB_NAME)" in message
    assert _argv(result) == ["ci report"]


def test_history_failure_fails_a_passing_gate_and_undecided_skips_history(runs: dict) -> None:
    # which of them failed, and that the history is skipped when the gate could not decide,
    # is testgate ci report's (tests/commands/test_ci.py); the step passes its exit code on
    result = runs["history-fails"]
    assert result["result"] == "FAILURE"
    assert result["error"] == "testReport: testgate ci report exited 1 (its log above says why)"
    assert result["description"] == "testgate pass: 6 tests, 0 failed"  # the gate passed
    undecided = runs["report-undecided"]
    assert undecided["result"] == "FAILURE"
    assert undecided["error"] == "testReport: testgate ci report exited 3 (its log above says why)"
    assert _argv(undecided) == ["ci report"]
    # no HTML page was written, so none is published
    assert [c["exists"] for c in calls(undecided, "publishHTML")] == [False]
    assert calls(undecided, "archiveArtifacts")


def test_testrail_upload_binds_user_and_key_and_testgate_installs_trcli(runs: dict) -> None:
    result = runs["all-args-testReport"]
    (rec,) = result["testgate"]
    assert rec["argv"] == ["ci", "report"]  # which uploads reports/merged.xml (ci.py)
    assert rec["env"]["TESTGATE_TESTRAIL"] == "true"
    assert rec["env"]["TESTRAIL_KEY"] == TESTRAIL_KEY
    sh = [c for c in calls(result, "sh") if c["label"] == "testgate ci report"]
    assert sh[0]["env"]["TESTRAIL_KEY"] == "****"
    assert calls(result, "withCredentials")[-1]["bindings"] == [
        {
            "type": "usernamePassword",
            "credentialsId": "tr-cred",
            "usernameVariable": "TESTRAIL_USER",
            "passwordVariable": "TESTRAIL_KEY",
        }
    ]
    report = [c for c in calls(runs["history-1"], "sh") if c["label"] == "testgate ci report"]
    assert "TESTRAIL_KEY" not in report[0]["env"]  # bound only when there is an upload
    installed = runs["testrail-install"]
    assert installed["result"] == "SUCCESS", installed["error"] + installed["log"][-2000:]
    # trcli's pin and install are testgate's (testgate testrail install), never the step's
    assert not any("trcli" in line for line in runs["_pip_log"]["lines"])
    (rec,) = installed["testgate"]
    assert "TESTGATE_TRCLI" not in rec["env"]
    assert rec["env"]["TESTRAIL_USER"] == "ci@example.test"  # the default credential, 'testrail'
    _secrets_never_printed(result)
    _secrets_never_printed(installed)


def test_shards_run_in_parallel_branches_with_their_index(runs: dict) -> None:
    result = runs["shards"]
    assert result["result"] == "SUCCESS", result["error"] + result["log"][-2000:]
    (par,) = calls(result, "parallel")
    assert par["branches"] == ["API tests 1/3", "API tests 2/3", "API tests 3/3"]
    api = [r["env"] for r in result["testgate"] if r["argv"] == ["api-tests"]]
    assert [(e["TESTGATE_SHARDS"], e["TESTGATE_SHARD_INDEX"]) for e in api] == [
        ("3", "1"),
        ("3", "2"),
        ("3", "3"),
    ]
    assert {e["TESTGATE_HISTORY_FILE"] for e in api} == {HISTORY}
    assert {e["TESTGATE_ENV"] for e in api} == {"beta"}
    junit = [(c["testResults"], c["files"]) for c in calls(result, "junit")]
    assert junit == [
        (f"reports/api-shard-{i}.xml", [f"reports/api-shard-{i}.xml"]) for i in (1, 2, 3)
    ]
    # the durations come from the last build's history, before the branches start
    copies = calls(result, "copyArtifacts")
    assert copies[0]["files"] == [HISTORY]
    report = next(r for r in result["testgate"] if r["argv"] == ["ci", "report"])
    # every shard's file, the ones this build wrote
    assert report["env"]["TESTGATE_REPORT_PATHS"] == " ".join(
        f"reports/api-shard-{i}.xml" for i in (1, 2, 3)
    )


def test_monitor_state_comes_back_from_the_last_build(runs: dict) -> None:
    first, second = runs["monitor-1"], runs["monitor-2"]
    state = "reports/monitor-state.json"
    for result in (first, second):
        assert result["result"] == "SUCCESS", result["error"]
        (copy,) = calls(result, "copyArtifacts")
        assert (copy["filter"], copy["selector"], copy["optional"]) == (
            state,
            "lastCompleted",
            True,
        )
        assert state in calls(result, "archiveArtifacts")[-1]["files"]
    assert calls(second, "copyArtifacts")[0]["files"] == [state]
    assert (Path(second["workspace"]) / state).read_text() == "2"  # carried over, then updated
    monitor = runs["all-args-monitor"]
    (rec,) = monitor["testgate"]
    assert rec["env"]["TESTGATE_ALERT_ATTEMPTS"] == "monitor-alertAttempts-value"
    # a state file outside reportsDir is archived too
    archived = calls(monitor, "archiveArtifacts")[-1]["artifacts"].split(",")
    assert archived[:3] == ["out/monitor.xml", "out/metrics.prom", "monitor-stateFile-value"]


def test_shard_count_is_checked_by_testgate_not_the_step(runs: dict) -> None:
    result = runs["shards-invalid"]
    assert result["result"] == "FAILURE"
    assert result["error"] == "script returned exit code 2"  # testgate ci shards: a usage error
    assert _argv(result) == ["ci shards"]
    assert result["testgate"][0]["env"]["TESTGATE_SHARDS"] == "0"
    assert not calls(result, "parallel")


def test_a_stale_report_in_the_workspace_is_neither_read_nor_archived(runs: dict) -> None:
    result = runs["stale-report"]
    assert result["result"] == "SUCCESS", result["error"] + result["log"][-2000:]
    report = next(r for r in result["testgate"] if r["argv"] == ["ci", "report"])
    assert report["env"]["TESTGATE_REPORT_PATHS"] == "reports/api.xml"
    for call in calls(result, "archiveArtifacts"):
        assert "reports/old.xml" not in call["files"]
    assert [c["files"] for c in calls(result, "junit")] == [["reports/api.xml"]]


def test_pull_request_build_restores_the_history_of_the_branch_it_merges_into(
    runs: dict,
) -> None:
    result = runs["pull-request"]
    assert result["result"] == "FAILURE"  # the fake gate failed; which failures count is testgate's
    (copy,) = calls(result, "copyArtifacts")
    assert copy["projectName"] == "/team/inventory-api/main"
    assert copy["files"] == [HISTORY]
    (rec,) = result["testgate"]
    assert rec["env"]["TESTGATE_BASELINE"] == "auto"
    assert rec["env"]["TESTGATE_HISTORY_FILE"] == HISTORY
    kept = (Path(result["workspace"]) / HISTORY).read_text().splitlines()
    assert kept == ["-", "auto"]  # main's run came back, this run was added
    assert HISTORY in calls(result, "archiveArtifacts")[-1]["files"]
    # a target branch with a slash: the multibranch job's name encodes it
    other = runs["pull-request-release-branch"]
    assert calls(other, "copyArtifacts")[0]["projectName"] == "/team/inventory-api/release%2F2.x"
    assert other["result"] == "SUCCESS", other["error"]
