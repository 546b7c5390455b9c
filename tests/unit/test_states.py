"""testgate.states: plain functions per provider state, answered as Pact's state-change contract."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from testgate.states import DEFAULT_PATH, ProviderStates


def setup(name: str, /, **params: Any) -> dict[str, Any]:
    return {"state": name, "params": params, "action": "setup"}


def teardown(name: str, /, **params: Any) -> dict[str, Any]:
    return {"state": name, "params": params, "action": "teardown"}


@pytest.fixture
def events() -> list[tuple[str, ...]]:
    return []


@pytest.fixture
def states(events: list[tuple[str, ...]]) -> ProviderStates:
    states = ProviderStates()

    @states.state("a product exists")
    def product_exists(id: str = "p-1", name: str = "Widget", **_: Any):
        events.append(("setup", id, name))
        yield {"id": id}
        events.append(("teardown", id))

    @states.state("products exist")
    def products_exist(**_: Any):
        events.append(("setup", "all"))
        return lambda: events.append(("teardown", "all"))

    @states.state("stock is reserved")
    def reserve(sku: str) -> None:
        events.append(("reserve", sku))

    @states.teardown("stock is reserved")
    def release(sku: str) -> None:
        events.append(("release", sku))

    @states.state("the database is down")
    def broken(**_: Any) -> None:
        raise ConnectionError("db.internal:5432 refused the connection")

    return states


def test_the_import_loads_no_web_framework() -> None:
    code = (
        "import sys, testgate.states\n"
        "loaded = [m for m in ('flask', 'starlette', 'fastapi', 'django', 'werkzeug') if m in sys.modules]\n"
        "print(loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_default_path_is_testgates_default_states_path() -> None:
    assert ProviderStates().path == DEFAULT_PATH == "/_pact/provider-states"


@pytest.mark.parametrize("action", ["setup", "teardown"])
def test_the_empty_state_answers_200_and_does_nothing(
    states: ProviderStates, events: list[tuple[str, ...]], action: str
) -> None:
    answer = states.handle({"state": "", "params": {}, "action": action})
    assert (answer.status, answer.body) == (200, {})
    assert events == []


def test_the_empty_state_runs_a_handler_registered_for_it() -> None:
    calls: list[str] = []
    states = ProviderStates()
    states.add("", lambda **_: calls.append("reset"))
    assert states.handle(setup("")).status == 200
    assert calls == ["reset"]


def test_setup_gets_params_as_keywords_and_answers_its_values(
    states: ProviderStates, events: list[tuple[str, ...]]
) -> None:
    answer = states.handle(setup("a product exists", id="p-7", name="Gadget"))
    assert (answer.status, answer.body) == (200, {"id": "p-7"})
    assert json.loads(answer.json()) == {"id": "p-7"}
    assert events == [("setup", "p-7", "Gadget")]


def test_a_generator_tears_down_after_its_yield(
    states: ProviderStates, events: list[tuple[str, ...]]
) -> None:
    states.handle(setup("a product exists", id="p-7"))
    answer = states.handle(teardown("a product exists", id="p-7"))
    assert (answer.status, answer.body) == (200, {})
    assert events == [("setup", "p-7", "Widget"), ("teardown", "p-7")]
    # A second teardown has nothing left to do.
    assert states.handle(teardown("a product exists", id="p-7")).status == 200
    assert len(events) == 2


def test_teardowns_are_kept_per_params(
    states: ProviderStates, events: list[tuple[str, ...]]
) -> None:
    states.handle(setup("a product exists", id="a"))
    states.handle(setup("a product exists", id="b"))
    states.handle(teardown("a product exists", id="a"))
    states.handle(teardown("a product exists", id="b"))
    assert events[2:] == [("teardown", "a"), ("teardown", "b")]


def test_setting_up_again_first_finishes_the_owed_teardown(
    states: ProviderStates, events: list[tuple[str, ...]]
) -> None:
    states.handle(setup("a product exists", id="a"))
    states.handle(setup("a product exists", id="a"))
    assert events == [("setup", "a", "Widget"), ("teardown", "a"), ("setup", "a", "Widget")]


def test_a_returned_callable_is_the_teardown(
    states: ProviderStates, events: list[tuple[str, ...]]
) -> None:
    assert states.handle(setup("products exist")).body == {}
    states.handle(teardown("products exist"))
    assert events == [("setup", "all"), ("teardown", "all")]


def test_a_registered_teardown_gets_the_params(
    states: ProviderStates, events: list[tuple[str, ...]]
) -> None:
    states.handle(setup("stock is reserved", sku="s-1"))
    states.handle(teardown("stock is reserved", sku="s-1"))
    assert events == [("reserve", "s-1"), ("release", "s-1")]


def test_an_unknown_state_is_400_naming_it_and_the_known_ones(states: ProviderStates) -> None:
    answer = states.handle(setup("a user exists"))
    assert answer.status == 400
    assert "'a user exists'" in answer.body["error"]
    for known in ("a product exists", "products exist", "stock is reserved"):
        assert repr(known) in answer.body["error"]
    assert answer.body["known"] == list(states.names)
    assert answer.body["state"] == "a user exists"


def test_an_empty_registry_says_so() -> None:
    answer = ProviderStates().handle(setup("x"))
    assert answer.status == 400
    assert "none registered" in answer.body["error"]


def test_a_raising_handler_is_500_with_type_and_message_only(
    states: ProviderStates, caplog: pytest.LogCaptureFixture
) -> None:
    answer = states.handle(setup("the database is down"))
    assert answer.status == 500
    assert answer.body["exception"] == "ConnectionError"
    assert answer.body["message"] == "db.internal:5432 refused the connection"
    assert answer.body["error"] == (
        "provider state 'the database is down' (setup) raised ConnectionError: "
        "db.internal:5432 refused the connection"
    )
    text = answer.json().decode()
    assert "Traceback" not in text
    assert __file__ not in text
    # The traceback goes to the provider's log instead.
    assert "the database is down" in caplog.text
    assert "Traceback" in caplog.text


def test_an_exception_outside_builtins_is_named_with_its_module() -> None:
    class IntegrityError(Exception):
        pass

    states = ProviderStates()

    @states.state("dup")
    def dup() -> None:
        raise IntegrityError("duplicate key")

    answer = states.handle(setup("dup"))
    assert answer.body["exception"] == f"{__name__}.{IntegrityError.__qualname__}"


def test_a_long_message_is_cut() -> None:
    states = ProviderStates()
    states.add("long", lambda: (_ for _ in ()).throw(ValueError("x" * 10_000)))
    answer = states.handle(setup("long"))
    assert answer.status == 500
    assert len(answer.body["message"]) < 2100


def test_a_param_the_handler_does_not_take_is_500_naming_it(states: ProviderStates) -> None:
    answer = states.handle(setup("stock is reserved", sku="s-1", colour="red"))
    assert answer.status == 500
    assert answer.body["exception"] == "TypeError"
    assert "colour" in answer.body["message"]


def test_a_failing_teardown_is_500(events: list[tuple[str, ...]]) -> None:
    states = ProviderStates()

    @states.state("s")
    def s():
        yield
        raise RuntimeError("cleanup failed")

    assert states.handle(setup("s")).status == 200
    answer = states.handle(teardown("s"))
    assert answer.status == 500
    assert answer.body["action"] == "teardown"
    assert "cleanup failed" in answer.body["error"]


def test_a_generator_that_yields_twice_fails_at_teardown() -> None:
    states = ProviderStates()

    @states.state("s")
    def s():
        yield
        yield

    states.handle(setup("s"))
    answer = states.handle(teardown("s"))
    assert answer.status == 500
    assert "yielded more than once" in answer.body["message"]


def test_a_generator_that_never_yields_sets_up_without_teardown() -> None:
    states = ProviderStates()

    @states.state("s")
    def s():
        return
        yield  # makes it a generator

    assert states.handle(setup("s")).status == 200
    assert states.handle(teardown("s")).status == 200


@pytest.mark.parametrize(
    ("result", "words"),
    [
        pytest.param(["a"], "gave a list", id="not-a-mapping"),
        pytest.param({"when": object()}, "not JSON", id="not-json"),
    ],
)
def test_unusable_values_are_500(result: Any, words: str) -> None:
    states = ProviderStates()
    states.add("s", lambda: result)
    answer = states.handle(setup("s"))
    assert answer.status == 500
    assert words in answer.body["message"]


def test_a_teardown_only_state_is_known() -> None:
    calls: list[str] = []
    states = ProviderStates()
    states.add("cleanup", teardown=lambda: calls.append("done"))
    assert states.handle(setup("cleanup")).status == 200
    assert states.handle(teardown("cleanup")).status == 200
    assert calls == ["done"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(b"{not json", "not JSON", id="not-json"),
        pytest.param(b"[1, 2]", "not a JSON object", id="array"),
        pytest.param(b"", "not a JSON object", id="empty"),
        pytest.param(b'{"params": {}}', 'no "state"', id="no-state"),
        pytest.param(b'{"state": 3}', 'no "state"', id="state-not-string"),
        pytest.param(b'{"state": "s", "action": "reset"}', "unknown action 'reset'", id="action"),
        pytest.param(b'{"state": "s", "params": [1]}', '"params"', id="params-not-object"),
    ],
)
def test_an_unreadable_request_is_400_saying_what_is_expected(
    states: ProviderStates, body: bytes, words: str
) -> None:
    answer = states.handle_request(body)
    assert answer.status == 400
    assert words in answer.body["error"]


def test_a_request_without_action_is_a_setup(
    states: ProviderStates, events: list[tuple[str, ...]]
) -> None:
    answer = states.handle_request(b'{"state": "products exist"}')
    assert answer.status == 200
    assert events == [("setup", "all")]


def test_the_query_string_form_is_understood(
    states: ProviderStates, events: list[tuple[str, ...]]
) -> None:
    query = {"state": "a product exists", "action": "setup", "id": "p-9"}
    answer = states.handle_request(b"", query)
    assert (answer.status, answer.body) == (200, {"id": "p-9"})
    states.handle_request(None, {**query, "action": "teardown"})
    assert events == [("setup", "p-9", "Widget"), ("teardown", "p-9")]


def test_registration_mistakes_are_refused_at_once() -> None:
    states = ProviderStates()
    states.add("s", lambda: None)
    with pytest.raises(ValueError, match="'s' has a setup already"):
        states.add("s", lambda: None)

    async def async_handler() -> None:
        return None

    with pytest.raises(TypeError, match="async"):
        states.add("t", async_handler)
    with pytest.raises(TypeError, match="must be a function"):
        states.add("u", "not callable")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="setup or a teardown"):
        states.add("v")
    with pytest.raises(ValueError, match="must start with '/'"):
        ProviderStates("_pact/provider-states")


def test_names_lists_setups_and_teardowns(states: ProviderStates) -> None:
    assert states.names == (
        "a product exists",
        "products exist",
        "stock is reserved",
        "the database is down",
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@given(payload=json_values)
def test_any_json_body_gets_an_answer_never_an_exception(payload: Any) -> None:
    states = ProviderStates()
    states.add("s", lambda **_: None)
    answer = states.handle_request(json.dumps(payload).encode())
    assert answer.status in (200, 400, 500)
    json.loads(answer.json())


def test_the_readme_snippet_runs(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Provider states from plain Python functions.**", 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "readme_snippet.py"
    script.write_text(snippet, encoding="utf-8")
    namespace = runpy.run_path(str(script))  # the documented code, as written
    client = namespace["app"].test_client()
    path = namespace["states"].path
    body = {"state": "a product with id exists", "params": {"id": "p-7"}, "action": "setup"}
    answer = client.post(path, json=body)
    assert (answer.status_code, answer.get_json()) == (200, {"id": "p-7"})
    assert namespace["products"] == {"p-7": "Widget"}
    client.post(path, json={**body, "action": "teardown"})
    assert namespace["products"] == {}
    assert client.post(path, json={"state": "", "action": "setup"}).status_code == 200
    assert client.post(path, json={"state": "nope"}).status_code == 400
