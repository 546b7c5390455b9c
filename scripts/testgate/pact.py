"""Pact contracts: read pact files, check provider states, verify a provider, write JUnit.

Verification uses pact-python's ``Verifier`` (the Rust core), HTTP interactions
against the running provider and message interactions (events) through a
message handler (``[provider.messages] handler = "module:function"``); the broker
side of the lifecycle (publish, can-i-deploy, ...) lives in ``broker.py``.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testgate.errors import ConfigError, ReportError, ToolError
from testgate.files import read_json
from testgate.render.markdown import md_code, md_text


@dataclass(frozen=True)
class PactFile:
    """One pact file: a consumer's expectations of one provider."""

    path: Path
    consumer: str
    provider: str
    interactions: tuple[dict[str, Any], ...]
    specification: str

    def kinds(self) -> dict[str, str]:
        """Each interaction's description -> ``"http"`` or ``"message"``."""
        return {str(i.get("description", "?")): interaction_kind(i) for i in self.interactions}


def interaction_kind(interaction: Mapping[str, Any]) -> str:
    """``"message"`` for an event (V4 ``Asynchronous/Messages``, V3 ``contents``), else ``"http"``."""
    kind = str(interaction.get("type", ""))
    if "Message" in kind or ("contents" in interaction and "request" not in interaction):
        return "message"
    return "http"


@dataclass(frozen=True)
class ProviderState:
    """A provider state an interaction needs, with its parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _read_pact(path: Path) -> PactFile:
    data = read_json(
        path, "pact file", hint="regenerate it by running the consumer tests (testgate consumer)"
    )
    try:
        consumer = data["consumer"]["name"]
        provider = data["provider"]["name"]
        interactions = data.get("interactions") or data.get("messages") or []
    except (KeyError, TypeError, AttributeError) as exc:
        raise ReportError(
            f"{path} is not a pact file (no consumer/provider names)",
            hint="the pact folder should hold only pact JSON files",
        ) from exc
    spec = str(data.get("metadata", {}).get("pactSpecification", {}).get("version", "?"))
    return PactFile(path, consumer, provider, tuple(interactions), spec)


def load_pacts(pact_dir: Path, provider: str | None = None) -> list[PactFile]:
    """The pact files in ``pact_dir`` (for ``provider`` only, when given).

    Raises:
        ToolError: there are none: verification never passes on no pacts (exit 3).
    """
    if not pact_dir.is_dir():
        raise ToolError(
            f"no pacts: the pact folder {pact_dir} does not exist",
            hint="run the consumer tests first (testgate consumer) or set --pact-dir / TESTGATE_PACT_DIR",
        )
    pacts = [_read_pact(p) for p in sorted(pact_dir.glob("*.json"))]
    found = [p for p in pacts if provider is None or p.provider == provider]
    if not found:
        others = sorted({p.provider for p in pacts})
        detail = f" (it has pacts for: {', '.join(others)})" if others else ""
        raise ToolError(
            f"no pacts for provider {provider!r} in {pact_dir}{detail}",
            hint="run the consumer tests first (testgate consumer), or check the provider name",
        )
    if not any(p.interactions for p in found):
        raise ToolError(f"the pacts for {provider!r} in {pact_dir} have no interactions")
    return found


def provider_states(pacts: Iterable[PactFile]) -> list[ProviderState]:
    """Every distinct (state, params) the interactions of ``pacts`` need, in order."""
    seen: dict[str, ProviderState] = {}
    for pact in pacts:
        for interaction in pact.interactions:
            states = interaction.get("providerStates")
            if states is None and interaction.get("providerState"):  # V2 pacts
                states = [{"name": interaction["providerState"]}]
            for state in states or []:
                name = state.get("name", "")
                params = state.get("params") or {}
                key = name + json.dumps(params, sort_keys=True)
                seen.setdefault(key, ProviderState(name, params))
    return list(seen.values())


def has_stateless_interactions(pacts: Iterable[PactFile]) -> bool:
    """Whether any interaction has no provider state: the Pact core then calls the state
    endpoint with the empty state ``""``, which must answer 2xx."""
    for pact in pacts:
        for interaction in pact.interactions:
            if not interaction.get("providerStates") and not interaction.get("providerState"):
                return True
    return False


@dataclass(frozen=True)
class StateProbe:
    """What the state endpoint answered to one state change.

    ``outcome``: ``ok`` (2xx), ``missing`` (3xx/4xx: no handler, or the empty state refused),
    ``failed`` (5xx: the handler raised), ``dropped`` (the connection closed while it was
    handled), ``unreachable`` (nothing listens), ``timeout``.
    """

    state: ProviderState
    action: str
    outcome: str
    detail: str = ""


def probe_states(
    states_url: str, states: Sequence[ProviderState], timeout: float = 5
) -> list[StateProbe]:
    """Set up (then tear down) each state once; stop at the first connection failure.

    A state whose setup is not 2xx is not torn down.
    """
    import requests  # imported here: ~40 ms of every command's start-up otherwise

    probes: list[StateProbe] = []
    with requests.Session() as session:
        for state in states:
            for action in ("setup", "teardown"):
                body = {"state": state.name, "params": state.params, "action": action}
                try:
                    response = session.post(states_url, json=body, timeout=timeout)
                except requests.ConnectionError as exc:
                    refused = "refused" in str(exc).lower() and not probes
                    outcome = "unreachable" if refused else "dropped"
                    probes.append(StateProbe(state, action, outcome, _reason(exc)))
                    return probes
                except requests.RequestException as exc:
                    probes.append(StateProbe(state, action, "timeout", _reason(exc)))
                    return probes
                status = response.status_code
                if status < 300:
                    probes.append(StateProbe(state, action, "ok", f"HTTP {status}"))
                    continue
                outcome = "failed" if status >= 500 else "missing"
                detail = f"HTTP {status}: {_answer_detail(response)}"
                probes.append(StateProbe(state, action, outcome, detail))
                break
    return probes


def describe_probe(probe: StateProbe) -> str:
    """One line for a probe that did not pass, in the words of :func:`check_state_handlers`."""
    name = _state_name(probe.state)
    if probe.outcome == "failed":
        return f"the handler of {name} ({probe.action}) failed: {probe.detail}"
    if probe.outcome == "missing" and not probe.state.name:
        return (
            f'the empty state "" ({probe.detail}): the Pact core sends it for interactions '
            "without a provider state; answer it with 2xx and do nothing (testgate.states does)"
        )
    if probe.outcome == "missing":
        return f"{probe.state.name!r} ({probe.detail})"
    if probe.outcome == "dropped":
        return (
            f"the provider dropped the connection while setting up {name} ({probe.action}): "
            f"the handler crashed the provider, or the provider stopped ({probe.detail})"
        )
    if probe.outcome == "timeout":
        return f"no answer for {name} ({probe.action}): {probe.detail}"
    return f"the endpoint cannot be reached: {probe.detail}"


def check_state_handlers(
    states_url: str,
    states: Sequence[ProviderState],
    timeout: float = 5,
    *,
    empty_state: bool = False,
    log: Path | None = None,
) -> None:
    """Ask the provider-state endpoint to set up (and tear down) each state once.

    The Pact core retries a failing state change for minutes per interaction;
    a one-request probe per state fails fast instead and names every state
    without a handler, and every handler that failed.

    Args:
        states_url: the state-change endpoint.
        states: the states the pacts use (with their params).
        timeout: seconds per request.
        empty_state: also probe the empty state ``""`` (the core sends it for interactions
            without a state): it must answer 2xx.
        log: the provider's log (when testgate started it): its tail is quoted when a
            handler fails or the provider drops the connection, and its path named.

    Raises:
        ConfigError: states the provider does not handle, or the empty state refused (exit 2:
            fix the provider or the pact).
        ToolError: a handler failed (HTTP 5xx) or the provider closed the connection, or the
            endpoint cannot be reached (exit 3: verification cannot decide).
    """
    wanted = list(states) + ([ProviderState("")] if empty_state else [])
    probes = probe_states(states_url, wanted, timeout)
    last = probes[-1] if probes else None
    if last is not None and last.outcome == "unreachable":
        raise ToolError(
            f"provider-state endpoint {states_url} cannot be reached: {last.detail}"
            + _log_part(log),
            hint="check the provider is running and exposes it (states-path in testgate.toml)",
        )
    if last is not None and last.outcome == "dropped":
        raise ToolError(
            f"{describe_probe(last)} at {states_url}" + _log_part(log),
            hint="fix the state handler (its traceback is in the provider's log)",
        )
    if last is not None and last.outcome == "timeout":
        raise ToolError(
            f"provider-state endpoint {states_url}: {describe_probe(last)}" + _log_part(log),
            hint=f"check the state handler returns within {timeout:g} s (its log says where "
            "it hangs)",
        )
    failed = [describe_probe(p) for p in probes if p.outcome == "failed"]
    missing = [
        describe_probe(p)
        for p in probes
        if p.outcome == "missing" and (p.action == "setup" or not p.state.name)
    ]
    if failed:
        raise ToolError(
            "provider-state handlers raised or failed at "
            + states_url
            + ":\n  "
            + "\n  ".join(failed)
            + ("\nand the provider has no handler for: " + "; ".join(missing) if missing else "")
            + _log_part(log),
            hint="fix the handlers (their tracebacks are in the provider's log); the Pact "
            "core would otherwise retry each for minutes",
        )
    if missing:
        raise ConfigError(
            "the provider has no handler for these provider states: " + "; ".join(missing),
            hint=f"add a handler for each to the provider's state endpoint ({states_url}) "
            "before verifying; the Pact core would otherwise retry each for minutes",
        )


def _state_name(state: ProviderState) -> str:
    return repr(state.name) if state.name else 'the empty state ""'


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests error, in words (``Connection reset by peer``)."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _answer_detail(response: Any) -> str:
    """What a state endpoint said: its JSON ``error`` (testgate.states), else its text."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        text = data["error"]
    else:
        text = response.text.strip() or "(no body)"
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


def _log_part(log: Path | None) -> str:
    """The tail of the provider's log, with its path, for an error message ("" without one)."""
    if log is None:
        return ""
    import time

    from testgate.provider import log_tail

    time.sleep(0.2)  # the provider's last lines (a traceback) may still be on their way
    return f"\nthe end of the provider's log ({log}):\n{log_tail(log, 30)}"


@dataclass(frozen=True)
class InteractionResult:
    """The verification of one interaction."""

    consumer: str
    provider: str
    description: str
    states: tuple[str, ...]
    passed: bool
    pending: bool
    duration: float
    mismatches: tuple[str, ...] = ()
    kind: str = "http"
    """``"http"`` or ``"message"`` (an event the provider publishes)."""

    @property
    def id(self) -> str:
        return f"{self.consumer} -> {self.provider}::{self.description}"


@dataclass(frozen=True)
class VerificationResult:
    """The verification of a provider against all its pacts."""

    provider: str
    provider_url: str
    interactions: tuple[InteractionResult, ...]
    errors: tuple[str, ...] = ()
    stub_problems: tuple[str, ...] = ()
    """Requests a downstream's Pact stub could not answer, a stub that stopped: each fails the gate."""

    @property
    def messages(self) -> tuple[InteractionResult, ...]:
        return tuple(i for i in self.interactions if i.kind == "message")

    @property
    def failed(self) -> tuple[InteractionResult, ...]:
        """Failed interactions that count: pending ones never fail the gate."""
        return tuple(i for i in self.interactions if not i.passed and not i.pending)

    @property
    def pending_failures(self) -> tuple[InteractionResult, ...]:
        return tuple(i for i in self.interactions if not i.passed and i.pending)

    @property
    def passed(self) -> bool:
        return (
            bool(self.interactions)
            and not self.failed
            and not self.errors
            and not self.stub_problems
        )


_DURATION = re.compile(r"^\s*([\d.]+)\s*(ms|s|µs|us|ns|m)?\s*$")


def parse_duration(text: Any) -> float:
    """The core's durations ("28ms", "1.2s") in seconds; unknown -> 0."""
    match = _DURATION.match(str(text or ""))
    if not match:
        return 0.0
    value = float(match.group(1))
    scale = {"ms": 1e-3, "s": 1.0, "µs": 1e-6, "us": 1e-6, "ns": 1e-9, "m": 60.0}
    return value * scale.get(match.group(2) or "s", 1.0)


def _mismatch_lines(mismatch: dict[str, Any] | None) -> tuple[str, ...]:
    if not mismatch:
        return ()
    if mismatch.get("type") == "error":
        return (str(mismatch.get("message", "verification error")),)
    lines = []
    for item in mismatch.get("mismatches", []):
        text = item.get("mismatch") or item.get("description") or json.dumps(item)
        path = item.get("path")
        kind = item.get("type", "Mismatch")
        lines.append(f"{kind} at {path}: {text}" if path else f"{kind}: {text}")
    return tuple(sorted(set(lines)))


def parse_results(
    provider: str,
    provider_url: str,
    results: dict[str, Any],
    *,
    kinds: Mapping[str, str] | None = None,
    handler_errors: Mapping[str, str] | None = None,
) -> VerificationResult:
    """Turn ``Verifier.results`` into a :class:`VerificationResult`.

    Args:
        kinds: interaction description -> ``"http"`` / ``"message"`` (the core does not say).
        handler_errors: description -> the error the message handler raised for it, which
            replaces the core's mismatch text (a content-type mismatch on an HTML error page).
    """
    kinds = kinds or {}
    handler_errors = handler_errors or {}
    interactions = []
    for item in results.get("interactionResults", []):
        description = str(item.get("description", "?"))
        mismatches = _mismatch_lines(item.get("mismatch"))
        if description in handler_errors:
            mismatches = (handler_errors[description],)
        passed = item.get("result") == "OK"
        interactions.append(
            InteractionResult(
                consumer=str(item.get("consumer", "?")),
                provider=str(item.get("provider", provider)),
                description=description,
                states=tuple(str(s) for s in item.get("providerStates", [])),
                passed=passed,
                pending=bool(item.get("pending", False)),
                duration=parse_duration(item.get("duration")),
                mismatches=mismatches if not passed else (),
                kind=kinds.get(description, "message" if description in handler_errors else "http"),
            )
        )
    interactions.sort(key=lambda i: (i.consumer, i.description))
    described = {f"{i.description}" for i in interactions}
    # Errors that belong to no interaction (a pact that failed to load, ...).
    errors = tuple(
        str(e.get("interaction", e))
        for e in results.get("errors", [])
        if not any(d in str(e.get("interaction", "")) for d in described)
    )
    return VerificationResult(provider, provider_url, tuple(interactions), errors)


# -- message interactions (events) ------------------------------------------------------------

MessageHandler = Callable[[str, Mapping[str, Any]], Any]
"""``handler(name, metadata)``: the message the pact describes as ``name``.

``metadata`` holds what the verifier sends along, ``providerStates`` among it. The
handler returns pact-python's message, ``{"contents": ..., "metadata": {...},
"content_type": "..."}``; testgate also takes ``contents`` as text or as a JSON
value (dict, list), which it encodes (``application/json`` unless told otherwise).
"""

_HANDLER_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def require_no_messages(pacts: Iterable[PactFile]) -> None:
    """Fail fast when the pacts hold message interactions and no handler can produce them.

    Raises:
        ConfigError: the messages it found (exit 2): without a handler each would fail.
    """
    messages = sorted({d for p in pacts for d, k in p.kinds().items() if k == "message"})
    if messages:
        raise ConfigError(
            f"the pacts have {len(messages)} message interactions ({', '.join(messages[:3])}) "
            "but no message handler produces them",
            hint='set [provider.messages] handler = "module:function" in testgate.toml, '
            "--message-handler or TESTGATE_MESSAGE_HANDLER",
        )


def message_handler_spec(table: Any) -> str | None:
    """``handler`` of the ``[provider.messages]`` table (the only key it has), if set.

    Raises:
        ConfigError: not a table, an unknown key, or a handler that is not a string (exit 2).
    """
    if table in (None, {}):
        return None
    where = "[provider.messages] in testgate.toml"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table", hint='handler = "module:function"')
    unknown = sorted(set(table) - {"handler"})
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (keys: handler)",
            hint='[provider.messages] takes handler = "module:function"',
        )
    handler = table.get("handler")
    if handler is not None and not isinstance(handler, str):
        raise ConfigError(f"{where}: handler must be a string 'module:function'")
    return handler or None


def load_message_handler(spec: str, search_path: Path | None = None) -> MessageHandler:
    """Import the ``module:function`` named by ``[provider.messages] handler``.

    Args:
        spec: ``"package.module:function"``.
        search_path: a folder to import from first (the provider's ``cwd``).

    Raises:
        ConfigError: a malformed spec, a module that does not import, no such function (exit 2).
    """
    where = "[provider.messages] handler in testgate.toml"
    if not _HANDLER_SPEC.match(spec or ""):
        raise ConfigError(
            f"{where} must be 'module:function', not {spec!r}",
            hint='for example handler = "inventory_api.events:pact_message"',
        )
    import importlib

    module_name, _, attr = spec.partition(":")
    if search_path is not None and str(search_path) not in sys.path:
        sys.path.insert(0, str(search_path))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the user's module: any import-time error is a config error
        raise ConfigError(
            f"{where}: module {module_name!r} cannot be imported: {type(exc).__name__}: {exc}",
            hint=f"check the name and that it imports from {search_path or 'the current folder'} "
            "([provider] cwd); its dependencies must be installed where testgate runs",
        ) from exc
    handler = getattr(module, attr, None)
    if not callable(handler):
        raise ConfigError(
            f"{where}: {module_name} has no function {attr!r}",
            hint="name a function handler(name, metadata) that returns the message",
        )
    return handler  # type: ignore[no-any-return]


def message_from(value: Any, name: str) -> dict[str, Any]:
    """pact-python's message (``contents`` as bytes) from what a handler returned.

    Raises:
        TypeError: the handler returned something that is not a message.
    """
    if not isinstance(value, Mapping) or "contents" not in value:
        raise TypeError(
            f"the message handler returned {type(value).__name__} for {name!r}, not a message "
            '{"contents": ..., "metadata": {...}, "content_type": ...}'
        )
    contents = value["contents"]
    content_type = value.get("content_type")
    if isinstance(contents, str):
        contents = contents.encode()
    elif not isinstance(contents, (bytes, bytearray)):
        contents = json.dumps(contents).encode()
        content_type = content_type or "application/json"
    return {
        "contents": bytes(contents),
        "metadata": dict(value.get("metadata") or {}),
        "content_type": content_type,
    }


class MessageRelay:
    """Calls the user's handler for the verifier and remembers what each call did.

    A handler that raises fails only its own interaction (pact-python answers the
    core with a 500); the relay keeps the error so the report shows it instead of
    the core's content-type mismatch on an HTML error page.
    """

    def __init__(self, handler: MessageHandler, spec: str) -> None:
        self.handler = handler
        self.spec = spec
        self.produced: set[str] = set()
        self.errors: dict[str, str] = {}

    def __call__(self, name: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
        self.produced.add(name)
        try:
            return message_from(self.handler(name, dict(metadata or {})), name)
        except Exception as exc:
            self.errors[name] = f"message handler {self.spec} raised {type(exc).__name__}: {exc}"[
                :2000
            ]
            raise


class _PromptRelayExit:
    """pact-python's message relay, stopped without waiting out its 0.5 s poll.

    ``Verifier.message_handler`` serves the relay with socketserver's
    ``serve_forever()``, whose ``shutdown()`` waits for the next 0.5 s poll: half a
    second of every verification with messages (a tenth of the pipeline's time
    budget). A connection made just after the shutdown starts wakes the loop at once.
    Wraps ``Verifier._message_producer`` (pact-python 4.2, pinned); should that
    attribute change, :func:`_prompt_relay_exit` leaves the verifier as it is: only slower.
    """

    def __init__(self, producer: Any) -> None:
        self.producer = producer

    def __enter__(self) -> Any:
        return self.producer.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        import threading

        waker = threading.Timer(0.02, self._wake)
        waker.start()
        try:
            return self.producer.__exit__(*exc)
        finally:
            waker.cancel()

    def _wake(self) -> None:
        import socket

        with contextlib.suppress(OSError):
            socket.create_connection((self.producer.host, self.producer.port), timeout=0.5).close()


def _prompt_relay_exit(verifier: Any) -> None:
    producer = getattr(verifier, "_message_producer", None)
    if all(hasattr(producer, a) for a in ("__enter__", "__exit__", "host", "port")):
        verifier._message_producer = _PromptRelayExit(producer)


@contextlib.contextmanager
def _quiet_pact_logging() -> Iterator[None]:
    """pact-python logs a handler's exception with its traceback; the report says it once."""
    import logging  # only when verifying: it costs start-up time

    logger = logging.getLogger("pact")
    null = logging.NullHandler()
    logger.addHandler(null)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.propagate = propagate
        logger.removeHandler(null)


Source = Callable[[Any], Any]
"""Adds where the pacts come from to a ``pact.Verifier`` (files, a URL, a broker)."""


def directory_source(*paths: Path) -> Source:
    """Pacts from local files or folders."""

    def add(verifier: Any) -> Any:
        for path in paths:
            verifier.add_source(path)
        return verifier

    return add


def verify_provider(
    provider: str,
    provider_url: str,
    source: Source,
    *,
    states_url: str | None = None,
    request_timeout_ms: int = 10_000,
    colour: bool = False,
    configure: Callable[[Any], Any] | None = None,
    messages: MessageRelay | None = None,
    kinds: Mapping[str, str] | None = None,
) -> VerificationResult:
    """Replay the pacts from ``source`` against the provider at ``provider_url``.

    Args:
        provider: the provider's name in the pacts.
        provider_url: where it answers (``http://127.0.0.1:PORT``).
        source: where the pacts come from (:func:`directory_source`, a broker source).
        states_url: the provider-state change endpoint, if the pacts use states.
        request_timeout_ms: per-request timeout of the verifier.
        colour: coloured output from the Pact core.
        configure: a last hook on the Verifier (publishing results, custom headers).
        messages: produces the message interactions (events), through pact-python's
            ``Verifier.message_handler``; without it only HTTP interactions can pass.
        kinds: interaction description -> ``"http"`` / ``"message"``, for the report.

    Raises:
        ToolError: the verifier could not run at all (no interaction results).
    """
    from pact import Verifier  # imported late: it loads the Rust core

    host = re.sub(r"^https?://", "", provider_url).split("/")[0].rsplit(":", 1)[0]
    verifier = Verifier(provider, host=host or None).add_transport(url=provider_url)
    verifier.set_request_timeout(request_timeout_ms).set_coloured_output(enabled=colour)
    if states_url:
        verifier.state_handler(states_url, body=True, teardown=True)
    if messages is not None:
        verifier.message_handler(messages)
        _prompt_relay_exit(verifier)
    verifier = source(verifier)
    if configure:
        verifier = configure(verifier)
    # verify() raises when any interaction fails; the results say which and why.
    with contextlib.suppress(RuntimeError), _quiet_pact_logging():
        verifier.verify()
    results = verifier.results
    known = dict(kinds or {})
    if messages is not None:
        known.update(dict.fromkeys(messages.produced, "message"))
    result = parse_results(
        provider,
        provider_url,
        results,
        kinds=known,
        handler_errors=messages.errors if messages is not None else None,
    )
    if not result.interactions:
        errors = "; ".join(str(e) for e in results.get("errors", [])) or "no interactions verified"
        raise ToolError(
            f"verification of {provider} at {provider_url} could not run: {errors}",
            hint="check the pacts name this provider and the provider URL answers",
        )
    return result


def write_verification_junit(result: VerificationResult, path: Path) -> Path:
    """One JUnit testcase per interaction; mismatches in the failure text.

    Pending interactions that fail are written as skipped with a ``pending``
    message: visible, but they do not fail a gate.
    """
    from junitparser import Error as JUnitError
    from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

    xml = JUnitXml(name="provider verification")
    suites: dict[str, TestSuite] = {}
    for item in result.interactions:
        suite_name = _xml(f"pact: {item.consumer} -> {item.provider}")
        suite = suites.get(suite_name)
        if suite is None:
            suite = suites[suite_name] = TestSuite(suite_name)
        case = TestCase(
            name=_xml(item.description), classname=_xml(f"{item.consumer}.{item.provider}")
        )
        case.time = round(item.duration, 3)
        given = _xml(f" (given {', '.join(item.states)})") if item.states else ""
        if not item.passed:
            text = _xml("\n".join(item.mismatches) or "verification failed")
            if item.pending:
                case.result = [
                    Skipped(message=f"pending pact failed{given}: {text.splitlines()[0]}")
                ]
            else:
                failure = Failure(message=f"{text.splitlines()[0]}{given}")
                failure.text = text
                case.result = [failure]
        suite.add_testcase(case)
    for suite in suites.values():
        suite.update_statistics()
        xml.add_testsuite(suite)
    if result.errors:
        suite = TestSuite(_xml(f"pact: {result.provider} (errors)"))
        for error in result.errors:
            case = TestCase(name=_xml(error[:200]), classname=_xml(result.provider))
            err = JUnitError(message=_xml(error[:500]))
            case.result = [err]
            suite.add_testcase(case)
        suite.update_statistics()
        xml.add_testsuite(suite)
    if result.stub_problems:
        # Its own suite: a request no stub could answer belongs to no one interaction.
        suite = TestSuite(_xml(f"pact: {result.provider} downstream stubs"))
        for problem in result.stub_problems:
            case = TestCase(
                name=_xml(problem.splitlines()[0][:200]), classname=_xml(f"{result.provider}.stubs")
            )
            err = JUnitError(message=_xml(problem.splitlines()[0][:500]))
            err.text = _xml(problem)
            case.result = [err]
            suite.add_testcase(case)
        suite.update_statistics()
        xml.add_testsuite(suite)
    xml.update_statistics()
    from testgate import files

    with files.atomic_open(path, what="verification JUnit report", binary=True) as fh:
        xml.write(fh, pretty=True)
    return path


def verification_md(result: VerificationResult) -> str:
    """A Markdown summary of a verification: headline, then each failed interaction."""
    total = len(result.interactions)
    failed = result.failed
    pending = result.pending_failures
    status = "✅ PASS" if result.passed else "❌ FAIL"
    messages = len(result.messages)
    of_which = f" ({messages} of them messages)" if messages else ""
    lines = [
        f"### Provider verification: {md_text(result.provider)} — {status}",
        "",
        f"{total} interactions{of_which}, {total - len(failed) - len(pending)} passed, "
        f"{len(failed)} failed, {len(pending)} pending failures (do not fail the gate)",
        "",
    ]
    for title, items in (("Failed", failed), ("Pending (not failing the gate)", pending)):
        if not items:
            continue
        lines.append(f"**{title}:**")
        lines.append("")
        for item in items:
            given = f" _(given {md_text(', '.join(item.states))})_" if item.states else ""
            kind = " (message)" if item.kind == "message" else ""
            lines.append(
                f"- {md_code(item.consumer, table=False)} → {md_code(item.provider, table=False)}: "
                f"**{md_text(item.description)}**{kind}{given}"
            )
            for mismatch in item.mismatches[:10]:
                lines.append(f"  - {md_text(mismatch)}")
            if len(item.mismatches) > 10:
                lines.append(f"  - … {len(item.mismatches) - 10} more")
        lines.append("")
    for error in result.errors:
        lines.append(f"- error: {md_text(error)}")
    if result.stub_problems:
        lines += ["", "**Downstream stubs:**", ""]
        for problem in result.stub_problems:
            first, *rest = problem.splitlines()
            lines.append(f"- {md_text(first)}")
            lines += [f"  - {md_text(line.strip())}" for line in rest[:10]]
    return "\n".join(lines).rstrip() + "\n"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold written out (``\\x1b``): pact
    descriptions and mismatches are written by others and may hold any of them."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
