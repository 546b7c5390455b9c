"""Where ``testgate verify`` takes pacts from the broker: selectors, pending, WIP, one pact URL.

The Pact Verifier (pact-python's ``Verifier``, the Rust core in-process) talks to the broker
itself, with no timeout and retries of its own: against a broker that accepts and never answers
it waits forever, against one answering 500 it took 127 s (measured). Its only timeout option
(``set_request_timeout``) bounds the requests to the provider, not to the broker (measured; the
core's broker client is a plain ``reqwest`` client with 3 retries). So testgate bounds it:

1. a *probe* makes the broker calls the Verifier is about to make (index, pacts for
   verification, each pact; or the one pact URL) with testgate's own timeout, retries and
   backoff: a broker that is down, silent or failing ends here, exit 3, after at most
   ``timeout x attempts + backoff`` (:meth:`BrokerSettings.worst_case`);
2. the Verifier then runs with a deadline, as pact-js does around its native verifier: two
   bounded broker phases (fetch, publish) plus 3 request timeouts per interaction the probe
   counted. A broker that stops answering in the middle of a run ends there, exit 3.

An answer the probe does not judge (401/403, 404, a TLS error) is left to the Verifier, which
reports it as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from testgate.broker.client import BrokerSettings, Transient, retrying
from testgate.broker.selectors import DEFAULT_SELECTORS, selector_kwargs
from testgate.errors import ToolError

# Seconds allowed on top of the computed deadline (start-up of the Rust core, publishing).
DEADLINE_SLACK = 30.0
# Interactions assumed when the probe could not count them.
UNCOUNTED_INTERACTIONS = 100


@dataclass(frozen=True)
class BrokerVerificationOptions:
    """How ``testgate verify --broker`` asks the broker for pacts and reports back."""

    settings: BrokerSettings
    selectors: tuple[dict[str, Any], ...] = DEFAULT_SELECTORS
    include_pending: bool = True
    include_wip_since: date | None = None
    provider_version: str | None = None
    provider_branch: str | None = None
    publish_results: bool = False
    build_url: str | None = None
    provider: str | None = None
    """The provider's name: the probe asks for its pacts (without it, only the index)."""


def add_broker_source(verifier: Any, options: BrokerVerificationOptions) -> Any:
    """Point a pact-python ``Verifier`` at the broker with selectors, pending and WIP.

    Credentials go to the verifier directly (``use_env=False``), never through
    the process environment. Returns the verifier, bounded (:class:`BoundedVerifier`).
    """
    s = options.settings
    auth: dict[str, Any] = {"token": s.token} if s.token else {}
    if s.username:
        auth = {"username": s.username, "password": s.password}
    builder = verifier.broker_source(s.url, selector=True, use_env=False, **auth)
    if options.include_pending:
        builder = builder.include_pending()
    if options.include_wip_since is not None:
        builder = builder.include_wip_since(options.include_wip_since)
    if options.provider_branch:
        builder = builder.provider_branch(options.provider_branch)
    for selector in options.selectors:
        builder = builder.consumer_version(**selector_kwargs(selector))
    verifier = builder.build()
    if options.publish_results:
        verifier.set_publish_options(
            version=str(options.provider_version),
            url=options.build_url,
            branch=options.provider_branch,
        )
    if s.skip_ssl_verification:
        verifier.disable_ssl_verification()
    return BoundedVerifier(verifier, s, lambda: probe_broker(options))


def add_pact_url_source(verifier: Any, url: str, settings: BrokerSettings | None) -> Any:
    """Verify one pact fetched from ``url`` (the run a broker webhook starts), bounded.

    Without broker settings the pact is fetched without credentials, and the default timeout
    and retries bound it.
    """
    if settings is None or not (settings.token or settings.username):
        verifier = verifier.add_source(url)
    elif settings.token:
        verifier = verifier.add_source(url, token=settings.token)
    else:
        verifier = verifier.add_source(url, username=settings.username, password=settings.password)
    bounds = settings or BrokerSettings(url=_origin(url))
    return BoundedVerifier(verifier, bounds, lambda: probe_pact_url(bounds, url))


# --------------------------------------------------------------------------- the probe


@dataclass(frozen=True)
class Probe:
    """What the broker answered before the Verifier ran."""

    pacts: int | None = None
    interactions: int | None = None
    """``None``: the probe stopped at an answer it leaves to the Verifier (auth, 404, TLS)."""


class _Stop(Exception):
    """An answer the probe does not judge; the Verifier reports it as before."""


def probe_broker(
    options: BrokerVerificationOptions, *, sleep: Callable[[float], None] = time.sleep
) -> Probe:
    """The Verifier's broker calls, bounded: index, pacts for verification, each pact.

    Raises:
        ToolError: the broker did not answer, or failed, after the retries (exit 3).
    """
    s = options.settings
    with _Http(s, sleep) as http:
        return _probe_broker(http, options)


def _probe_broker(http: _Http, options: BrokerVerificationOptions) -> Probe:
    s = options.settings
    try:
        index = http.get_json(s.url, "the index")
        link = ((index.get("_links") or {}).get("pb:provider-pacts-for-verification") or {}).get(
            "href"
        )
        if not link or not options.provider:
            return Probe()
        url = _on_broker(s.url, str(link).replace("{provider}", quote(options.provider, safe="")))
        body: dict[str, Any] = {
            "consumerVersionSelectors": list(options.selectors),
            "includePendingStatus": options.include_pending,
        }
        if options.provider_branch:
            body["providerVersionBranch"] = options.provider_branch
        if options.include_wip_since is not None:
            body["includeWipPactsSince"] = options.include_wip_since.isoformat()
        found = http.post_json(url, body, "pacts for verification")
        pacts = ((found.get("_embedded") or {}).get("pacts")) or []
        interactions = 0
        for item in pacts:
            href = ((item.get("_links") or {}).get("self") or {}).get("href")
            if href:
                interactions += _count(http.get_json(_on_broker(s.url, str(href)), "a pact"))
        return Probe(len(pacts), interactions)
    except _Stop:
        return Probe()


def probe_pact_url(
    settings: BrokerSettings, url: str, *, sleep: Callable[[float], None] = time.sleep
) -> Probe:
    """Fetch the one pact the Verifier will fetch, bounded.

    Raises:
        ToolError: no answer, or a failing server, after the retries (exit 3).
    """
    with _Http(settings, sleep) as http:
        try:
            return Probe(1, _count(http.get_json(url, "the pact")))
        except _Stop:
            return Probe()


class _Http:
    """``requests`` with the broker's credentials, timeout and retries."""

    def __init__(self, settings: BrokerSettings, sleep: Callable[[float], None]) -> None:
        import requests  # imported late: only verify --broker / --pact-url needs it

        self.settings = settings
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/hal+json, application/json"
        if settings.token:
            self.session.headers["Authorization"] = f"Bearer {settings.token}"
        elif settings.username and settings.password:
            self.session.auth = (settings.username, settings.password)
        self.session.verify = not settings.skip_ssl_verification

    def __enter__(self) -> _Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def get_json(self, url: str, what: str) -> Any:
        return self._call("GET", url, what, None)

    def post_json(self, url: str, body: Any, what: str) -> Any:
        return self._call("POST", url, what, body)

    def _call(self, method: str, url: str, what: str, body: Any) -> Any:
        import requests

        timeout = self.settings.timeout

        def attempt(_n: int) -> Any:
            try:
                answer = self.session.request(method, url, json=body, timeout=timeout)
            except requests.exceptions.SSLError:
                raise _Stop() from None
            except requests.Timeout:
                raise Transient(f"no answer in {timeout:g} s") from None
            except requests.ConnectionError as exc:
                raise Transient(f"cannot connect: {_short(exc)}") from None
            if answer.status_code >= 500 or answer.status_code in (408, 429):
                raise Transient(f"{answer.status_code} {answer.reason}")
            if not 200 <= answer.status_code < 300:
                raise _Stop()
            try:
                return answer.json()
            except ValueError:
                raise _Stop() from None

        return retrying(self.settings, f"verify: {what}", attempt, sleep=self.sleep)


def _short(exc: Exception) -> str:
    text = str(exc)
    if "Caused by" in text:
        text = text.split("Caused by", 1)[1].strip(" ()")
    return text[-200:]


def _on_broker(base: str, href: str) -> str:
    """``href`` on the configured broker: the Verifier follows a link's path only."""
    b, h = urlsplit(base), urlsplit(href)
    return urlunsplit((b.scheme, b.netloc, h.path, h.query, ""))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _count(pact: Any) -> int:
    if not isinstance(pact, dict):
        return 0
    return len(pact.get("interactions") or []) + len(pact.get("messages") or [])


# --------------------------------------------------------------------------- the deadline


def verification_deadline(
    settings: BrokerSettings,
    probe: Probe,
    request_timeout: float = 10.0,
    slack: float = DEADLINE_SLACK,
) -> float:
    """Seconds the Verifier may run: two bounded broker phases (fetch, publish), three request
    timeouts per interaction (state set-up, the request, state teardown), and some slack."""
    interactions = UNCOUNTED_INTERACTIONS if probe.interactions is None else probe.interactions
    return 2 * settings.worst_case() + 3 * request_timeout * interactions + slack


class BoundedVerifier:
    """A pact ``Verifier`` whose broker is probed first and whose run has a deadline.

    Everything but :meth:`verify` goes to the wrapped verifier.
    """

    def __init__(
        self,
        verifier: Any,
        settings: BrokerSettings,
        probe: Callable[[], Probe],
        *,
        slack: float = DEADLINE_SLACK,
    ) -> None:
        self._verifier = verifier
        self._settings = settings
        self._probe = probe
        self._slack = slack

    def __getattr__(self, name: str) -> Any:
        return getattr(self._verifier, name)

    def verify(self) -> Any:
        """Probe the broker, then verify within the deadline.

        Raises:
            ToolError: the broker did not answer or failed (probe), or the run outlived its
                deadline (exit 3).
            RuntimeError: what the Verifier raises when interactions fail.
        """
        try:
            probe = self._probe()
        except ToolError as exc:
            raise ToolError(
                f"the verification could not run: {exc.message}", hint=exc.hint
            ) from None
        timeout_ms = getattr(self._verifier, "_request_timeout", 10_000)
        limit = verification_deadline(self._settings, probe, float(timeout_ms) / 1000, self._slack)
        outcome: dict[str, BaseException] = {}

        def run() -> None:
            try:
                self._verifier.verify()
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc

        worker = threading.Thread(target=run, name="pact-verifier", daemon=True)
        worker.start()
        worker.join(limit)
        if worker.is_alive():
            s = self._settings
            raise ToolError(
                f"the verification did not finish in {limit:.0f} s: the Pact Broker at {s.url} "
                "stopped answering during it",
                hint=f"check the broker's health; each broker call may take {s.timeout:g} s x "
                f"{s.attempts} attempts (broker-timeout, broker-retries)",
            )
        if "error" in outcome:
            raise outcome["error"]
        return self
