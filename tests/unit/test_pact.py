from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import JUnitXml
from testgate import pact
from testgate.errors import ConfigError, ReportError, ToolError

RESULTS = {
    "errors": [],
    "interactionResults": [
        {
            "consumer": "web",
            "provider": "api",
            "description": "get user",
            "duration": "28ms",
            "pending": False,
            "providerStates": ["user exists"],
            "result": "OK",
        },
        {
            "consumer": "web",
            "provider": "api",
            "description": "list users",
            "duration": "1.5s",
            "pending": False,
            "providerStates": [],
            "result": "Failed",
            "mismatch": {
                "type": "mismatches",
                "mismatches": [
                    {"type": "BodyMismatch", "path": "$[1]", "mismatch": "missing key: name"},
                    {"type": "BodyMismatch", "path": "$[0]", "mismatch": "missing key: name"},
                    {"type": "StatusMismatch", "mismatch": "expected 200 but was 500"},
                ],
            },
        },
        {
            "consumer": "mobile",
            "provider": "api",
            "description": "new endpoint",
            "duration": "3ms",
            "pending": True,
            "result": "Failed",
            "mismatch": {"type": "error", "message": "connection refused"},
        },
    ],
}


def test_parse_results() -> None:
    result = pact.parse_results("api", "http://x", RESULTS)
    assert [i.description for i in result.interactions] == [
        "new endpoint",
        "get user",
        "list users",
    ]
    assert [i.description for i in result.failed] == ["list users"]
    assert [i.description for i in result.pending_failures] == ["new endpoint"]
    assert not result.passed
    listing = result.failed[0].mismatches
    assert listing == (
        "BodyMismatch at $[0]: missing key: name",
        "BodyMismatch at $[1]: missing key: name",
        "StatusMismatch: expected 200 but was 500",
    )
    assert result.failed[0].duration == pytest.approx(1.5)


def test_pending_failures_alone_do_not_fail() -> None:
    only_pending = {
        "interactionResults": [RESULTS["interactionResults"][2], RESULTS["interactionResults"][0]]
    }
    assert pact.parse_results("api", "http://x", only_pending).passed


def test_no_interactions_never_passes() -> None:
    assert not pact.parse_results("api", "http://x", {"interactionResults": []}).passed


@pytest.mark.parametrize(
    ("text", "seconds"), [("28ms", 0.028), ("2s", 2.0), ("7µs", 7e-6), ("", 0.0), ("fast", 0.0)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert pact.parse_duration(text) == pytest.approx(seconds)


def test_junit_has_one_case_per_interaction_and_pending_is_skipped(tmp_path: Path) -> None:
    result = pact.parse_results("api", "http://x", RESULTS)
    path = pact.write_verification_junit(result, tmp_path / "v.xml")
    xml = JUnitXml.fromfile(str(path))
    cases = {case.name: case for suite in xml for case in suite}
    assert set(cases) == {"get user", "list users", "new endpoint"}
    assert cases["get user"].is_passed
    failure = cases["list users"].result[0]
    assert failure._tag == "failure"
    assert "StatusMismatch: expected 200 but was 500" in failure.text
    assert cases["new endpoint"].is_skipped
    assert "pending" in cases["new endpoint"].result[0].message


def test_markdown_names_failed_interaction_and_mismatch() -> None:
    md = pact.verification_md(pact.parse_results("api", "http://x", RESULTS))
    assert "FAIL" in md
    assert "**list users**" in md
    assert "missing key: name" in md
    assert "Pending (not failing the gate)" in md


def _pact(folder: Path, name: str, provider: str, states: list[dict]) -> None:
    doc = {
        "consumer": {"name": "web"},
        "provider": {"name": provider},
        "interactions": [{"description": "x", "providerStates": states}],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    (folder / name).write_text(json.dumps(doc))


def test_load_pacts_filters_by_provider_and_collects_states(tmp_path: Path) -> None:
    _pact(
        tmp_path,
        "a.json",
        "api",
        [{"name": "s1", "params": {"id": 1}}, {"name": "s1", "params": {"id": 1}}],
    )
    _pact(tmp_path, "b.json", "other", [{"name": "s2"}])
    pacts = pact.load_pacts(tmp_path, "api")
    assert [p.path.name for p in pacts] == ["a.json"]
    assert [(s.name, s.params) for s in pact.provider_states(pacts)] == [("s1", {"id": 1})]


def test_no_pacts_for_provider_names_the_ones_there(tmp_path: Path) -> None:
    _pact(tmp_path, "b.json", "other", [])
    with pytest.raises(ToolError, match="it has pacts for: other"):
        pact.load_pacts(tmp_path, "api")


def test_missing_pact_dir(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="does not exist"):
        pact.load_pacts(tmp_path / "nope", "api")


def test_malformed_pact_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{\n"consumer": ')
    with pytest.raises(ReportError, match=r"bad.json is not valid JSON \(line 2\)"):
        pact.load_pacts(tmp_path, "api")


# -- message interactions ---------------------------------------------------------------------

MESSAGE_RESULTS = {
    "interactionResults": [
        {
            "consumer": "web",
            "provider": "api",
            "description": "a user-created event",
            "duration": "7ms",
            "result": "Error",
            "mismatch": {
                "type": "mismatches",
                "mismatches": [
                    {
                        "type": "BodyTypeMismatch",
                        "mismatch": "Expected message with content type application/json "
                        "but was text/html;charset=utf-8",
                    }
                ],
            },
        },
        {"consumer": "web", "provider": "api", "description": "get user", "result": "OK"},
        {
            "consumer": "web",
            "provider": "api",
            "description": "a user-deleted event",
            "result": "OK",
        },
    ]
}


def test_interaction_kinds_from_the_pact() -> None:
    assert pact.interaction_kind({"type": "Asynchronous/Messages"}) == "message"
    assert pact.interaction_kind({"type": "Synchronous/HTTP", "request": {}}) == "http"
    assert pact.interaction_kind({"description": "v3 message", "contents": {}}) == "message"
    assert pact.interaction_kind({"description": "v2", "request": {}}) == "http"


def test_a_handler_error_replaces_the_cores_content_type_mismatch() -> None:
    error = "message handler m:f raised LookupError: no such event"
    result = pact.parse_results(
        "api",
        "http://x",
        MESSAGE_RESULTS,
        kinds={"get user": "http", "a user-deleted event": "message"},
        handler_errors={"a user-created event": error},
    )
    by_name = {i.description: i for i in result.interactions}
    assert by_name["a user-created event"].mismatches == (error,)
    assert by_name["a user-created event"].kind == "message"
    assert by_name["a user-deleted event"].kind == "message"
    assert by_name["get user"].kind == "http"
    assert [i.description for i in result.failed] == ["a user-created event"]
    md = pact.verification_md(result)
    assert "3 interactions (2 of them messages), 2 passed, 1 failed" in md
    assert "**a user-created event** (message)" in md
    assert "raised LookupError: no such event" in md


def test_stub_problems_fail_the_gate_and_have_their_own_junit_suite(tmp_path: Path) -> None:
    ok = {"interactionResults": [RESULTS["interactionResults"][0]]}
    base = pact.parse_results("api", "http://x", ok)
    assert base.passed
    problem = "the pricing-api stub could not answer 1 request from api: ...\nGET /prices/p-1?x=1"
    result = pact.VerificationResult(
        base.provider, base.provider_url, base.interactions, stub_problems=(problem,)
    )
    assert not result.passed
    xml = JUnitXml.fromfile(str(pact.write_verification_junit(result, tmp_path / "v.xml")))
    suites = {suite.name: [case for case in suite] for suite in xml}
    stub_cases = suites["pact: api downstream stubs"]
    assert len(stub_cases) == 1
    assert "GET /prices/p-1?x=1" in stub_cases[0].result[0].text
    assert "GET /prices/p-1?x=1" in pact.verification_md(result)


@pytest.mark.parametrize(
    ("returned", "contents", "content_type"),
    [
        pytest.param({"contents": b"raw"}, b"raw", None, id="bytes"),
        pytest.param(
            {"contents": "text", "content_type": "text/plain"}, b"text", "text/plain", id="text"
        ),
        pytest.param({"contents": {"a": 1}}, b'{"a": 1}', "application/json", id="json"),
    ],
)
def test_handler_results_become_pact_messages(returned, contents, content_type) -> None:
    message = pact.message_from(returned, "e")
    assert (message["contents"], message["content_type"]) == (contents, content_type)


def test_a_relay_keeps_the_handlers_error_and_still_fails_the_call() -> None:
    def handler(name: str, metadata: dict) -> dict:
        if name == "bad":
            raise LookupError("no such event")
        return {"contents": {"name": name, "states": metadata.get("providerStates")}}

    relay = pact.MessageRelay(handler, "mod:fn")
    good = relay("good", {"providerStates": [{"name": "s"}]})
    assert json.loads(good["contents"]) == {"name": "good", "states": [{"name": "s"}]}
    with pytest.raises(LookupError):
        relay("bad", None)
    with pytest.raises(TypeError):
        pact.MessageRelay(lambda n, m: "not a message", "mod:fn")("odd", None)
    assert relay.errors == {"bad": "message handler mod:fn raised LookupError: no such event"}
    assert relay.produced == {"good", "bad"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("no_colon", "must be 'module:function'", id="format"),
        pytest.param(
            "testgate_no_such_module:f", "cannot be imported: ModuleNotFoundError", id="import"
        ),
        pytest.param("json:no_such_function", "json has no function 'no_such_function'", id="attr"),
    ],
)
def test_a_bad_message_handler_is_exit_2_naming_the_setting(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        pact.load_message_handler(spec)
    assert error.value.exit_code == 2
    assert "[provider.messages] handler" in str(error.value)
    assert message in str(error.value)


def test_message_interactions_without_a_handler_are_exit_2(tmp_path: Path) -> None:
    doc = {
        "consumer": {"name": "web"},
        "provider": {"name": "api"},
        "interactions": [
            {"type": "Asynchronous/Messages", "description": "an event", "contents": {}}
        ],
    }
    (tmp_path / "p.json").write_text(json.dumps(doc))
    pacts = pact.load_pacts(tmp_path, "api")
    assert pacts[0].kinds() == {"an event": "message"}
    with pytest.raises(ConfigError, match=r"1 message interactions \(an event\)"):
        pact.require_no_messages(pacts)


def test_the_message_relay_stops_without_waiting_out_its_poll() -> None:
    """pact-python's relay waits 0.5 s for its poll when stopped; testgate wakes it (pinned 4.2)."""
    import time

    from pact import Verifier

    verifier = Verifier("api").message_handler(lambda name, metadata: {"contents": b"{}"})
    pact._prompt_relay_exit(verifier)
    producer = verifier._message_producer
    assert isinstance(producer, pact._PromptRelayExit), "pact-python's internals changed"
    started = time.monotonic()
    with producer:
        time.sleep(0.01)
    assert time.monotonic() - started < 0.4
