"""Provider-state glue: plain Python functions per provider state, served as Pact's state endpoint.

Python services usually keep their provider states as plain functions (pact-python's own
examples do). The Pact verifier (and ``testgate verify``) needs an HTTP endpoint instead; this
module turns the functions into one, mounted into a Flask, FastAPI/Starlette or Django app with
one line::

    from testgate.states import ProviderStates

    states = ProviderStates()

    @states.state("a product with id exists")
    def product_exists(id: str = "p-100", **_):
        product = db.add_product(id)
        yield {"id": product.id}       # setup: values for the pact's provider-state generators
        db.delete(product.id)          # teardown: runs after the interaction

    states.mount_flask(app)            # or states.mount_starlette(app), states.mount_django(urlpatterns)

The endpoint speaks the body the Pact core sends (``pact_verifier``, ``state_change_body``):
``POST {"state": NAME, "params": {...}, "action": "setup" | "teardown"}``, and

- the empty state ``""`` (sent for interactions without a state) answers 200 and does nothing,
  unless a handler is registered for ``""`` (a generic hook run around every interaction);
- a setup answers 200 with a JSON object: the handler's values (the V3 "provider state injected
  values" that ``fromProviderState`` / ``generate.provider_state`` expressions read), or ``{}``;
- an unknown state answers 400, naming it and listing the known ones (testgate's probe before
  verification turns that into exit 2);
- a handler that raises answers 500 with the exception's type and message only (no traceback in
  the answer; the traceback goes to the ``testgate.states`` logger, so to the provider's log).

Handlers get the state's params as keyword arguments (take ``**_`` to ignore unknown ones).
Teardown, per state: a generator handler's code after its ``yield``, or a callable the handler
returns, and/or a function registered with ``@states.teardown(NAME)``. Handlers are plain
(synchronous) functions; the Starlette mount runs them in a worker thread. State changes are
serialised by a lock: the verifier sends them one at a time anyway.

Nothing here imports a web framework at import time: Flask, Starlette and Django are imported
inside their ``mount_*`` method, so the module costs nothing to a service that uses another.
Mount the endpoint only where the provider runs for verification, never in a deployed
environment: it changes the service's data on request.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["DEFAULT_PATH", "ProviderStates", "StateChangeResponse"]

DEFAULT_PATH = "/_pact/provider-states"
"""Where the endpoint is mounted unless told otherwise: testgate.toml's default ``states-path``."""

ACTIONS = ("setup", "teardown")
_MESSAGE_LIMIT = 2000  # characters of an exception message quoted in a 500 answer

_log = logging.getLogger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])
Teardown = Callable[[], Any]


@dataclass(frozen=True)
class StateChangeResponse:
    """What the endpoint answers: an HTTP status and a JSON object."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)

    def json(self) -> bytes:
        """The body as UTF-8 JSON, the bytes the endpoint sends."""
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class _BadRequest(Exception):
    """A state-change request the endpoint cannot read (HTTP 400)."""


class _HandlerFailed(Exception):
    """A registered handler raised or returned something unusable (HTTP 500)."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.exc = exc


class ProviderStates:
    """A registry of provider-state functions, served as Pact's state-change endpoint.

    Args:
        path: where the ``mount_*`` methods serve the endpoint (default ``/_pact/provider-states``;
            testgate.toml ``[provider] states-path`` must name the same path).
    """

    def __init__(self, path: str = DEFAULT_PATH) -> None:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"the state endpoint's path must start with '/', not {path!r}")
        self.path = path
        self._setup: dict[str, Callable[..., Any]] = {}
        self._teardown: dict[str, Callable[..., Any]] = {}
        # Teardowns owed by setups that ran (a generator's rest, a returned callable), by state
        # and params: the verifier tears down each state of an interaction after replaying it.
        self._pending: dict[tuple[str, str], Teardown] = {}
        self._lock = threading.Lock()

    # -- registering ---------------------------------------------------------------------------

    def state(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator: ``fn`` sets up the provider state ``name``.

        ``fn`` is called with the state's params as keyword arguments. It may return (or, as a
        generator, yield once) a mapping of values for the pact's provider-state expressions;
        a returned callable, or a generator's code after its ``yield``, is the state's teardown.
        """

        def register(fn: Handler) -> Handler:
            self.add(name, fn)
            return fn

        return register

    def teardown(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator: ``fn`` tears down the provider state ``name`` (called with its params)."""

        def register(fn: Handler) -> Handler:
            self._check(name, fn, self._teardown, "teardown")
            self._teardown[name] = fn
            return fn

        return register

    def add(
        self,
        name: str,
        setup: Callable[..., Any] | None = None,
        *,
        teardown: Callable[..., Any] | None = None,
    ) -> None:
        """Register a state without decorators (``setup`` and/or ``teardown``)."""
        if setup is None and teardown is None:
            raise ValueError(f"provider state {name!r}: give a setup or a teardown function")
        if setup is not None:
            self._check(name, setup, self._setup, "setup")
        if teardown is not None:
            self._check(name, teardown, self._teardown, "teardown")
        if setup is not None:
            self._setup[name] = setup
        if teardown is not None:
            self._teardown[name] = teardown

    @staticmethod
    def _check(name: str, fn: Any, registry: Mapping[str, Any], kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"a provider state's name is a string, not {type(name).__name__}")
        if not callable(fn):
            raise TypeError(f"the {kind} of provider state {name!r} must be a function")
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"the {kind} of provider state {name!r} is async; register a plain function "
                "(the Starlette mount already runs it off the event loop)"
            )
        if name in registry:
            raise ValueError(f"provider state {name!r} has a {kind} already: {registry[name]!r}")

    @property
    def names(self) -> tuple[str, ...]:
        """The states this registry handles, sorted (the empty state only if registered)."""
        return tuple(sorted(set(self._setup) | set(self._teardown)))

    # -- serving -------------------------------------------------------------------------------

    def handle(self, payload: Any) -> StateChangeResponse:
        """Answer one state-change request whose JSON body was already parsed."""
        try:
            name, action, params = _read_request(payload)
        except _BadRequest as exc:
            return StateChangeResponse(400, {"error": str(exc)})
        with self._lock:
            try:
                if name not in self._setup and name not in self._teardown:
                    if name == "":  # Pact's generic call around interactions without a state
                        return StateChangeResponse(200, {})
                    return _unknown(name, action, self.names)
                if action == "setup":
                    return StateChangeResponse(200, self._run_setup(name, params))
                self._run_teardown(name, params)
                return StateChangeResponse(200, {})
            except _HandlerFailed as failed:
                return _failure(name, action, failed.exc)

    def handle_request(
        self, body: bytes | str | None, query: Mapping[str, str] | None = None
    ) -> StateChangeResponse:
        """Answer one state-change request from its raw body (and query string).

        The Pact core sends the change as a JSON body; configured with ``body=false`` it sends
        ``state``, ``action`` and each param in the query string instead: both are understood.
        """
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
        if not text.strip() and query and "state" in query:
            params = {k: v for k, v in query.items() if k not in ("state", "action")}
            payload: Any = {
                "state": query["state"],
                "action": query.get("action", "setup"),
                "params": params,
            }
        else:
            try:
                payload = json.loads(text) if text.strip() else None
            except ValueError as exc:
                return StateChangeResponse(
                    400, {"error": f"the state-change body is not JSON ({exc}); {_EXPECTED}"}
                )
        return self.handle(payload)

    def _run_setup(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        key = _key(name, params)
        owed = self._pending.pop(key, None)
        if owed is not None:  # set up again without a teardown in between: finish the last one
            _call(name, "teardown", owed)
        setup = self._setup.get(name)
        if setup is None:  # a state registered with a teardown only
            return {}
        result = _call(name, "setup", setup, params)
        if inspect.isgenerator(result):
            generator = result
            try:
                result = _call(name, "setup", lambda: next(generator))
            except _HandlerFailed as failed:
                if not isinstance(failed.exc, StopIteration):
                    raise
                result = None  # the generator returned without yielding: no teardown
            else:
                self._pending[key] = lambda: _finish(name, generator)
        elif callable(result):
            self._pending[key] = result
            result = None
        return _values(name, result)

    def _run_teardown(self, name: str, params: dict[str, Any]) -> None:
        owed = self._pending.pop(_key(name, params), None)
        teardown = self._teardown.get(name)
        try:
            if owed is not None:
                _call(name, "teardown", owed)
        finally:
            if teardown is not None:
                _call(name, "teardown", teardown, params)

    # -- mounting into web frameworks ----------------------------------------------------------

    def mount_flask(self, app: Any, path: str | None = None) -> None:
        """Serve the endpoint from a Flask app (``POST path``, endpoint ``testgate_provider_states``)."""
        from flask import Response, request  # imported here: a dependency of the app, not ours

        def provider_states() -> Any:
            answer = self.handle_request(request.get_data(), request.args.to_dict())
            return Response(answer.json(), status=answer.status, mimetype="application/json")

        app.add_url_rule(
            path or self.path,
            endpoint="testgate_provider_states",
            view_func=provider_states,
            methods=["POST"],
        )

    def mount_starlette(self, app: Any, path: str | None = None) -> None:
        """Serve the endpoint from a FastAPI or Starlette app (or router), left out of OpenAPI.

        The route goes first, so that a catch-all route or mount of the app cannot hide it.
        The handlers run in Starlette's thread pool: a slow database setup does not block the
        event loop.
        """
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def provider_states(request: Request) -> Response:
            body = await request.body()
            answer = await run_in_threadpool(self.handle_request, body, dict(request.query_params))
            return Response(answer.json(), status_code=answer.status, media_type="application/json")

        router = getattr(app, "router", app)
        route = Route(
            path or self.path,
            provider_states,
            methods=["POST"],
            name="testgate_provider_states",
            include_in_schema=False,
        )
        router.routes.insert(0, route)

    def mount_django(self, urlpatterns: list[Any], path: str | None = None) -> Any:
        """Append the endpoint to a Django ``urlpatterns`` list (CSRF-exempt); returns the pattern."""
        from django.http import HttpResponse, HttpResponseNotAllowed
        from django.urls import path as url_path
        from django.views.decorators.csrf import csrf_exempt

        @csrf_exempt
        def provider_states(request: Any) -> Any:
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            answer = self.handle_request(request.body, request.GET.dict())
            return HttpResponse(
                answer.json(), status=answer.status, content_type="application/json"
            )

        pattern = url_path(
            (path or self.path).lstrip("/"), provider_states, name="testgate_provider_states"
        )
        urlpatterns.append(pattern)
        return pattern


# -- helpers -----------------------------------------------------------------------------------

_EXPECTED = 'expected {"state": NAME, "params": {...}, "action": "setup" | "teardown"}'


def _read_request(payload: Any) -> tuple[str, str, dict[str, Any]]:
    if not isinstance(payload, Mapping):
        raise _BadRequest(f"the state-change body is not a JSON object; {_EXPECTED}")
    name = payload.get("state")
    if not isinstance(name, str):
        raise _BadRequest(f'the state-change body has no "state" string; {_EXPECTED}')
    action = payload.get("action") or "setup"  # older verifiers send no action: a setup
    if action not in ACTIONS:
        raise _BadRequest(f"unknown action {action!r} for provider state {name!r}; {_EXPECTED}")
    params = payload.get("params") or {}
    if not isinstance(params, Mapping):
        raise _BadRequest(f'"params" of provider state {name!r} is not a JSON object')
    return name, action, dict(params)


def _key(name: str, params: Mapping[str, Any]) -> tuple[str, str]:
    return name, json.dumps(params, sort_keys=True, default=repr)


def _call(
    name: str, action: str, fn: Callable[..., Any], params: dict[str, Any] | None = None
) -> Any:
    """Call ``fn(**params)`` (or ``fn()``); what it raises becomes a 500 answer for ``name``."""
    try:
        return fn(**params) if params is not None else fn()
    except Exception as exc:  # a handler's failure is the provider's: answered, not raised
        if not isinstance(exc, StopIteration):
            _log.error("provider state %r (%s) failed", name, action, exc_info=exc)
        raise _HandlerFailed(exc) from exc


def _finish(name: str, generator: Generator[Any, Any, Any]) -> None:
    """Run a generator handler's teardown: the code after its one ``yield``."""
    try:
        next(generator)
    except StopIteration:
        return
    generator.close()
    raise RuntimeError(f"the handler of provider state {name!r} yielded more than once")


def _values(name: str, result: Any) -> dict[str, Any]:
    """The JSON object a setup answers: the handler's values, for provider-state expressions."""
    if result is None:
        return {}
    if not isinstance(result, Mapping):
        raise _HandlerFailed(
            TypeError(
                f"the handler of provider state {name!r} gave a {type(result).__name__}; "
                "return (or yield) None, a mapping of values, or a teardown function"
            )
        )
    values = {str(k): v for k, v in result.items()}
    try:
        json.dumps(values)
    except (TypeError, ValueError) as exc:
        raise _HandlerFailed(
            TypeError(f"the values of provider state {name!r} are not JSON: {exc}")
        ) from exc
    return values


def _unknown(name: str, action: str, known: tuple[str, ...]) -> StateChangeResponse:
    listed = ", ".join(repr(k) for k in known) or "none registered"
    return StateChangeResponse(
        400,
        {
            "error": f"unknown provider state {name!r} ({action}); known states: {listed}",
            "state": name,
            "action": action,
            "known": list(known),
        },
    )


def _failure(name: str, action: str, exc: BaseException) -> StateChangeResponse:
    kind = type(exc)
    exception = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    message = str(exc)
    if len(message) > _MESSAGE_LIMIT:
        message = message[:_MESSAGE_LIMIT] + "…"
    return StateChangeResponse(
        500,
        {
            "error": f"provider state {name!r} ({action}) raised {exception}: {message}",
            "state": name,
            "action": action,
            "exception": exception,
            "message": message,
        },
    )
