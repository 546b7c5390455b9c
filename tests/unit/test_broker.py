"""testgate.broker without a broker: settings, retries, parsing, rendering, webhooks, selectors."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from typing import Any

import pytest
from testgate import broker
from testgate.broker import verification
from testgate.commands._broker import from_environ
from testgate.errors import ConfigError, ToolError

URL = "https://broker.example.com"


def settings(**kw: Any) -> broker.BrokerSettings:
    return broker.BrokerSettings(url=URL, **kw)


# -- settings ---------------------------------------------------------------------------------


def test_settings_from_environment() -> None:
    s = from_environ(
        {
            "PACT_BROKER_BASE_URL": URL + "/",
            "PACT_BROKER_TOKEN": "t",
            "TESTGATE_BROKER_RETRIES": "5",
        }
    )
    assert s is not None
    assert (s.url, s.token, s.retries, s.credential_variable) == (URL, "t", 5, "PACT_BROKER_TOKEN")
    assert "token=" not in repr(s)


def test_flag_wins_and_no_broker_is_optional() -> None:
    s = from_environ({"PACT_BROKER_BASE_URL": "http://a"}, "http://b")
    assert s is not None
    assert s.url == "http://b"
    assert from_environ({}, required=False) is None
    with pytest.raises(ConfigError, match="PACT_BROKER_BASE_URL"):
        from_environ({})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"PACT_BROKER_BASE_URL": "broker.example.com"},
            "PACT_BROKER_BASE_URL must be an http:// or https:// URL",
            id="no-scheme",
        ),
        pytest.param(
            {"PACT_BROKER_BASE_URL": "https://u:p@b"},
            "must not contain credentials",
            id="creds-in-url",
        ),
        pytest.param(
            {"PACT_BROKER_BASE_URL": URL, "PACT_BROKER_TOKEN": "t", "PACT_BROKER_USERNAME": "u"},
            "both PACT_BROKER_TOKEN",
            id="token-and-basic",
        ),
        pytest.param(
            {"PACT_BROKER_BASE_URL": URL, "PACT_BROKER_USERNAME": "u"},
            "PACT_BROKER_PASSWORD",
            id="no-password",
        ),
        pytest.param(
            {"PACT_BROKER_BASE_URL": URL, "TESTGATE_BROKER_RETRIES": "-1"},
            "TESTGATE_BROKER_RETRIES must be at least 0",
            id="negative-retries",
        ),
        pytest.param(
            {"PACT_BROKER_BASE_URL": URL, "TESTGATE_BROKER_RETRY_BACKOFF": "x"},
            "TESTGATE_BROKER_RETRY_BACKOFF must be a number",
            id="bad-backoff",
        ),
        pytest.param(
            {"PACT_BROKER_BASE_URL": URL, "TESTGATE_BROKER_RETRY_BACKOFF": "nan"},
            "TESTGATE_BROKER_RETRY_BACKOFF must be a finite number",
            id="nan-backoff",
        ),
        pytest.param(
            {"PACT_BROKER_BASE_URL": URL, "TESTGATE_BROKER_RETRY_BACKOFF": "1e308"},
            "TESTGATE_BROKER_RETRY_BACKOFF must be at most 300",
            id="huge-backoff",
        ),
        pytest.param(
            {"PACT_BROKER_BASE_URL": URL, "TESTGATE_BROKER_TIMEOUT": "0"},
            "TESTGATE_BROKER_TIMEOUT must be at least 1",
            id="zero-timeout",
        ),
    ],
)
def test_settings_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_environ(env)


# -- running the CLI --------------------------------------------------------------------------


class FakeRunner:
    def __init__(self, *answers: tuple[int, str]) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append({"argv": argv, **kw})
        rc, out = self.answers[min(len(self.calls) - 1, len(self.answers) - 1)]
        return subprocess.CompletedProcess(argv, rc, out, "")


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    exe = tmp_path / "pact"
    exe.write_text("")
    return {
        "TESTGATE_PACT_CLI": str(exe),
        "PACT_BROKER_TOKEN": "inherited",
        "SSL_SKIP_VERIFICATION": "1",
    }


def test_child_environment_carries_only_our_settings(cli_env) -> None:
    runner = FakeRunner((0, "ok"))
    broker.run_pact_broker(settings(token="tok"), ["list-environments"], cli_env, runner=runner)
    env = runner.calls[0]["env"]
    assert env["PACT_BROKER_TOKEN"] == "tok"
    assert env["PACT_BROKER_BASE_URL"] == URL
    assert env["PACT_BROKER_HTTP_RETRIES"] == "0"
    assert "SSL_SKIP_VERIFICATION" not in env
    assert runner.calls[0]["argv"][1:] == ["broker", "list-environments"]


def test_backoff_doubles_then_gives_up_naming_the_url(cli_env) -> None:
    runner = FakeRunner((1, "❌ failed: 502 Bad Gateway"))
    sleeps: list[float] = []
    with pytest.raises(ToolError, match=f"{URL} is unreachable or failing after 4 attempts"):
        broker.run_pact_broker(
            settings(retries=3, backoff=0.5),
            ["list-environments"],
            cli_env,
            runner=runner,
            sleep=sleeps.append,
        )
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(runner.calls) == 4


def test_a_broker_answer_is_returned_not_retried(cli_env) -> None:
    runner = FakeRunner((1, "❌ Environment x does not exist"))
    run = broker.run_pact_broker(
        settings(), ["record-deployment"], cli_env, runner=runner, sleep=lambda s: None
    )
    assert (run.returncode, len(runner.calls)) == (1, 1)


def test_secrets_are_redacted_everywhere(cli_env) -> None:
    runner = FakeRunner((1, "bad header Bearer s3cr3t and tok"))
    run = broker.run_pact_broker(
        settings(token="tok"),
        ["x", "--header", "Authorization: Bearer s3cr3t"],
        cli_env,
        extra_secrets=["s3cr3t"],
        runner=runner,
    )
    assert "s3cr3t" not in run.output + " ".join(run.argv)
    assert "tok" not in run.output


def test_timeout_and_missing_cli(cli_env, tmp_path) -> None:
    def slow(argv: list[str], **kw: Any) -> Any:
        raise subprocess.TimeoutExpired(argv, 1)

    with pytest.raises(ToolError, match="did not finish"):
        broker.run_pact_broker(settings(), ["publish"], cli_env, runner=slow, sleep=lambda s: None)
    with pytest.raises(ToolError, match="TESTGATE_PACT_CLI"):
        broker.find_pact_cli(tmp_path / "nope")


def test_find_pact_cli_prefers_the_one_beside_python() -> None:
    found = broker.find_pact_cli(path="")
    assert found.endswith("/pact")


# -- can-i-deploy -------------------------------------------------------------------------------

MATRIX = {
    "summary": {
        "deployable": False,
        "reason": "A failed\nB missing",
        "success": 1,
        "failed": 1,
        "unknown": 1,
    },
    "matrix": [
        {
            "consumer": {"name": "web", "version": {"number": "c1"}},
            "provider": {"name": "api", "version": {"number": "p1"}},
            "verificationResult": {"success": True, "_links": {"self": {"href": "https://b/v/1"}}},
        },
        {
            "consumer": {"name": "web", "version": {"number": "c1"}},
            "provider": {"name": "pay|ments", "version": {"number": "p2"}},
            "verificationResult": {"success": False, "_links": {"self": {"href": "https://b/v/2"}}},
        },
        {
            "consumer": {"name": "web", "version": {"number": "c1"}},
            "provider": {"name": "mail", "version": None},
            "verificationResult": None,
        },
    ],
}


def test_parse_and_render_the_matrix() -> None:
    decision = broker.parse_matrix(MATRIX, "web", "c1", "prod")
    assert decision.passed is False
    assert decision.reasons == ("A failed", "B missing")
    assert [r.status for r in decision.rows] == ["verified", "failed", "unverified"]
    md = broker.render_can_i_deploy_md(decision)
    assert md.startswith("## can-i-deploy: web c1 to prod: ❌ no\n")
    assert "| web | c1 | api | p1 | ✅ yes | api p1 verified the pact |" in md
    assert (
        "| web | c1 | pay\\|ments | p2 | ❌ failed | pay\\|ments p2 failed to verify the pact |"
        in md
    )
    assert "| web | c1 | mail | — | ❔ unknown | no version of mail is recorded in prod |" in md
    assert "- A failed\n- B missing" in md
    assert "1 verified, 1 failed, 1 unknown" in md
    doc = decision.to_json()
    assert doc["matrix"][1]["verification_url"] == "https://b/v/2"
    assert json.loads(json.dumps(doc)) == doc


def test_unknown_fails_closed_and_reasons_fall_back_to_notices() -> None:
    doc = {
        "summary": {"deployable": None},
        "notices": [
            {"type": "error", "text": "Computer says no"},
            {"type": "error", "text": "why"},
        ],
        "matrix": [],
    }
    decision = broker.parse_matrix(doc, "web", "c1", "prod")
    assert decision.passed is False
    assert decision.reasons == ("why",)
    assert "results unknown" in broker.render_can_i_deploy_md(decision)
    assert "Dry run" in broker.render_can_i_deploy_md(decision, dry_run=True)


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param({}, id="no-summary"),
        pytest.param({"summary": {"deployable": "yes"}}, id="bad-deployable"),
    ],
)
def test_malformed_matrix(doc: dict[str, Any]) -> None:
    with pytest.raises(ToolError):
        broker.parse_matrix(doc, "web", "c1", "prod")


# -- selectors ----------------------------------------------------------------------------------


def test_default_and_short_selectors() -> None:
    assert broker.parse_selectors("") == broker.DEFAULT_SELECTORS
    assert broker.parse_selectors("mainBranch, environment=prod, branch=feat+consumer=web") == (
        {"mainBranch": True},
        {"environment": "prod"},
        {"branch": "feat", "consumer": "web"},
    )
    assert broker.parse_selectors('[{"deployed": true, "environment": "beta"}]') == (
        {"deployed": True, "environment": "beta"},
    )


@pytest.mark.parametrize("text", ["nope", "branch=", "[1]", "[{]", "tag"])
def test_bad_selectors(text: str) -> None:
    with pytest.raises(ConfigError):
        broker.parse_selectors(text)


# -- webhooks -----------------------------------------------------------------------------------


def test_webhook_uuid_is_stable_per_provider_and_target() -> None:
    a = broker.webhook_uuid("api", "github")
    assert a == broker.webhook_uuid("api", "github")
    assert a != broker.webhook_uuid("api", "gitlab")
    assert a != broker.webhook_uuid("other", "github")


def test_webhook_specs_keep_the_token_secret() -> None:
    spec = broker.build_webhook("github", provider="api", token="ghp_x", repository="acme/api")
    assert "ghp_x" not in repr(spec)
    assert "glptt" not in repr(
        broker.build_webhook("gitlab", provider="api", token="glptt", project="1")
    )
    assert spec.secrets == ("ghp_x",)
    gitlab = broker.build_webhook("gitlab", provider="api", token="glptt", project="group/api")
    assert gitlab.url == "https://gitlab.com/api/v4/projects/group%2Fapi/trigger/pipeline"
    with pytest.raises(ConfigError, match="unknown webhook target"):
        broker.build_webhook("bitbucket", provider="api", token="t")
    with pytest.raises(ConfigError, match="repository"):
        broker.build_webhook("github", provider="api", token="t", repository="no-slash")


# -- timeouts -----------------------------------------------------------------------------------


def test_worst_case_is_timeout_times_attempts_plus_backoff() -> None:
    assert settings(timeout=60, retries=3, backoff=2).worst_case() == 60 * 4 + 2 + 4 + 8
    assert settings(timeout=1, retries=0, backoff=5).worst_case() == 1
    assert broker.BrokerSettings(url=URL).worst_case() == 254  # the table's defaults


def test_a_call_that_times_out_is_retried_with_the_timeout(cli_env) -> None:
    calls: list[float] = []

    def slow_then_ok(argv: list[str], **kw: Any) -> Any:
        calls.append(kw["timeout"])
        if len(calls) == 1:
            raise subprocess.TimeoutExpired(argv, kw["timeout"])
        return subprocess.CompletedProcess(argv, 0, "ok", "")

    run = broker.run_pact_broker(
        settings(timeout=7, retries=1), ["x"], cli_env, runner=slow_then_ok, sleep=lambda s: None
    )
    assert (run.returncode, run.attempts, calls) == (0, 2, [7, 7])


def test_can_i_deploy_polling_widens_the_timeout(cli_env) -> None:
    runner = FakeRunner((0, json.dumps(MATRIX)))
    broker.can_i_deploy(
        settings(timeout=5),
        pacticipant="web",
        version="c1",
        to_environment="prod",
        retry_while_unknown=3,
        retry_interval=10,
        environ=cli_env,
        runner=runner,
    )
    assert runner.calls[0]["timeout"] == 5 + 3 * 10


class BlockingVerifier:
    """Stands in for pact's Verifier: verify() blocks until released, or raises."""

    _request_timeout = 100  # ms

    def __init__(self, error: BaseException | None = None) -> None:
        self.release = threading.Event()
        self.error = error
        self.results = {"interactionResults": []}

    def verify(self) -> None:
        if self.error:
            raise self.error
        self.release.wait(30)


def test_a_verifier_that_outlives_its_deadline_cannot_decide() -> None:
    inner = BlockingVerifier()
    bounded = verification.BoundedVerifier(
        inner, settings(timeout=0.2, retries=0), lambda: verification.Probe(1, 2), slack=0
    )
    started = time.monotonic()
    with pytest.raises(ToolError, match=rf"did not finish in 1 s: the Pact Broker at {URL}"):
        bounded.verify()
    assert 1.0 <= time.monotonic() - started < 3  # 2 x 0.2 s + 3 x 0.1 s x 2 interactions
    inner.release.set()
    assert bounded.results == {"interactionResults": []}  # everything else goes to the verifier


def test_a_bounded_verifier_passes_the_verifiers_errors_and_the_probes() -> None:
    bounded = verification.BoundedVerifier(
        BlockingVerifier(RuntimeError("2 failures")), settings(), lambda: verification.Probe()
    )
    with pytest.raises(RuntimeError, match="2 failures"):
        bounded.verify()

    def failing() -> verification.Probe:
        raise ToolError(f"the Pact Broker at {URL} is unreachable or failing after 4 attempts")

    bounded = verification.BoundedVerifier(BlockingVerifier(), settings(), failing)
    with pytest.raises(ToolError, match="the verification could not run: the Pact Broker at"):
        bounded.verify()


def test_the_probe_makes_the_verifiers_calls_and_counts_the_interactions(pact_broker) -> None:
    from broker.support import pact_doc, publish

    publish(
        pact_broker.url,
        "c1",
        "main",
        pact_doc("web", "api", "/a", "/b"),
        consumer="web",
        provider="api",
    )
    options = verification.BrokerVerificationOptions(
        settings=broker.BrokerSettings(url=pact_broker.url), provider="api"
    )
    assert verification.probe_broker(options) == verification.Probe(1, 2)
    assert [(r["method"], r["path"]) for r in pact_broker.requests[1:]] == [
        ("GET", "/"),
        ("POST", "/pacts/provider/api/for-verification"),
        ("GET", pact_broker.requests[-1]["path"]),
    ]
    assert pact_broker.requests[-1]["path"].startswith("/pacts/provider/api/consumer/web/")


def test_the_probe_leaves_refused_credentials_to_the_verifier(pact_broker_factory) -> None:
    server = pact_broker_factory(token="right")
    options = verification.BrokerVerificationOptions(
        settings=broker.BrokerSettings(url=server.url, token="wrong"), provider="api"
    )
    assert verification.probe_broker(options) == verification.Probe()
    assert len(server.requests) == 1  # not retried
