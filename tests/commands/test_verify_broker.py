"""``testgate verify --broker`` / ``--pact-url``: how the source and its defaults are chosen."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from testgate import settings
from testgate.commands import verify
from testgate.platforms import LocalPlatform


class RecordingVerifier:
    """Stands in for pact's Verifier/BrokerSelectorBuilder: records the fluent calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> RecordingVerifier:
            self.calls.append((name, args, kwargs))
            return self

        return record

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


def source_for(argv: list[str], environ: dict[str, str]) -> verify.RemoteSource | None:
    args = verify.build_parser().parse_args(argv)
    platform = LocalPlatform(environ)
    cfg = settings.load(verify.SPEC, args, environ, platform)
    return verify.broker_source(cfg, platform, "inventory-api")


@pytest.fixture
def env(clean_environ) -> dict[str, str]:
    return dict(
        clean_environ,
        PACT_BROKER_BASE_URL="https://broker.example.com",
        PACT_BROKER_TOKEN="tok-1",
        TESTGATE_PROVIDER_VERSION="p1",
        TESTGATE_PROVIDER_BRANCH="feat-x",
    )


def test_local_files_when_no_broker_option(env) -> None:
    assert source_for([], env) is None


def test_broker_defaults(env) -> None:
    remote = source_for(["--broker"], env)
    assert remote is not None
    assert remote.publish is False  # not on CI
    verifier = RecordingVerifier()
    remote.source(verifier)
    assert verifier.calls[0] == (
        "broker_source",
        ("https://broker.example.com",),
        {"selector": True, "use_env": False, "token": "tok-1"},
    )
    selectors = [c[2] for c in verifier.calls if c[0] == "consumer_version"]
    assert selectors == [
        {"main_branch": True},
        {"deployed_or_released": True},
        {"matching_branch": True},
    ]
    assert "include_pending" in verifier.names()
    assert ("provider_branch", ("feat-x",), {}) in verifier.calls
    assert "include_wip_since" not in verifier.names()
    assert "set_publish_options" not in verifier.names()
    assert "pending on" in remote.description


def test_selectors_wip_and_basic_auth(clean_environ) -> None:
    env = dict(
        clean_environ,
        PACT_BROKER_BASE_URL="https://broker.example.com",
        PACT_BROKER_USERNAME="u",
        PACT_BROKER_PASSWORD="pw",
        TESTGATE_CONSUMER_VERSION_SELECTORS="branch=feat-x+consumer=web,deployed",
        TESTGATE_INCLUDE_PENDING="false",
    )
    remote = source_for(
        ["--broker", "--include-wip-pacts-since", "2026-02-01", "--no-publish-results"], env
    )
    assert remote is not None
    verifier = RecordingVerifier()
    remote.source(verifier)
    assert verifier.calls[0][2]["username"] == "u"
    assert [c[2] for c in verifier.calls if c[0] == "consumer_version"] == [
        {"branch": "feat-x", "consumer": "web"},
        {"deployed": True},
    ]
    assert ("include_wip_since", (date(2026, 2, 1),), {}) in verifier.calls
    assert "include_pending" not in verifier.names()


@pytest.mark.parametrize(
    ("ci", "branch", "expected"),
    [
        pytest.param({"CI": "true"}, "main", True, id="ci-main"),
        pytest.param({"CI": "true"}, "feat-x", False, id="ci-feature"),
        pytest.param({}, "main", False, id="local-main"),
        pytest.param(
            {"CI": "true", "TESTGATE_MAIN_BRANCH": "trunk"}, "trunk", True, id="ci-custom-main"
        ),
    ],
)
def test_publish_results_default(env, ci, branch, expected) -> None:
    env = dict(env, TESTGATE_PROVIDER_BRANCH=branch, **ci)
    remote = source_for(["--broker"], env)
    assert remote is not None
    assert remote.publish is expected
    verifier = RecordingVerifier()
    remote.source(verifier)
    published = [c for c in verifier.calls if c[0] == "set_publish_options"]
    if expected:
        assert published == [
            ("set_publish_options", (), {"version": "p1", "url": None, "branch": branch})
        ]
    else:
        assert published == []


def test_pact_url_source(env) -> None:
    env["TESTGATE_PACT_URL"] = (
        "https://broker.example.com/pacts/provider/x/consumer/y/pact-version/abc"
    )
    remote = source_for(["--publish-results"], env)
    assert remote is not None
    verifier = RecordingVerifier()
    remote.source(verifier)
    assert verifier.calls == [("add_source", (env["TESTGATE_PACT_URL"],), {"token": "tok-1"})]
    assert remote.configure is not None
    remote.configure(verifier)
    assert verifier.calls[-1][0] == "set_publish_options"


@pytest.mark.parametrize(
    ("argv", "extra", "message"),
    [
        pytest.param(["--broker", "--pact-url", "http://x"], {}, "choose one", id="both"),
        pytest.param(
            ["--broker", "--include-wip-pacts-since", "soon"], {}, "must be a date", id="bad-date"
        ),
        pytest.param(
            ["--broker", "--consumer-version-selectors", "bogus"],
            {},
            "unknown consumer version selector",
            id="bad-selector",
        ),
        pytest.param(
            ["--broker"], {"PACT_BROKER_BASE_URL": ""}, "PACT_BROKER_BASE_URL", id="no-broker"
        ),
        pytest.param(
            ["--pact-url", "http://x", "--publish-results"],
            {"PACT_BROKER_BASE_URL": ""},
            "without a broker",
            id="publish-no-broker",
        ),
    ],
)
def test_config_errors(env, argv, extra, message) -> None:
    from testgate.errors import ConfigError

    env.update(extra)
    with pytest.raises(ConfigError, match=message):
        source_for(argv, env)


def test_version_and_branch_as_the_gitlab_and_jenkins_templates_set_them(clean_environ) -> None:
    env = dict(
        clean_environ,
        PACT_BROKER_BASE_URL="https://broker.example.com",
        TESTGATE_VERSION="v7",
        TESTGATE_BRANCH="release",
        TESTGATE_PUBLISH_RESULTS="true",
    )
    remote = source_for(["--broker"], env)
    assert remote is not None
    assert (remote.provider_version, remote.provider_branch, remote.publish) == (
        "v7",
        "release",
        True,
    )
