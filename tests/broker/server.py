"""A stateful test Pact Broker speaking the documented Pact Broker HAL+JSON API.

It implements what testgate's commands, the official ``pact`` CLI
(pact-python-cli, the Rust ``pact-broker-cli``) and the pact-python ``Verifier``
(the Rust ``pact_verifier``) use, following the routes, relation names and
payloads of pact-foundation/pact_broker:

- ``GET /`` index with the ``pb:`` relations (``pb:publish-contracts``,
  ``pb:provider-pacts-for-verification``, ``pb:environments``, ``pb:webhooks``, ...)
- ``POST /contracts/publish`` (the CLI's ``pact broker publish``)
- ``GET|POST /pacts/provider/{provider}/for-verification``: consumer version
  selectors ``mainBranch``, ``branch``, ``matchingBranch``, ``deployedOrReleased``,
  ``deployed``, ``released``, ``environment``, ``tag``, ``latest``,
  ``fallbackBranch``, ``consumer``; ``includePendingStatus``; ``includeWipPactsSince``
- ``GET /pacts/provider/{p}/consumer/{c}/pact-version/{sha}[/metadata/{m}]`` and
  ``POST .../verification-results``; ``/version/{v}``, ``/latest`` pact URLs
- ``GET /matrix`` and ``GET /can-i-deploy`` with deployable, reason, counts, notices
- ``/environments``, ``/pacticipants/{p}/versions/{v}`` with ``pb:record-deployment``
  and ``pb:record-release`` links, deployed and released versions
- ``/webhooks`` (create, create-or-update by UUID, list), fired on
  ``contract_requiring_verification_published`` and ``contract_content_changed``
- basic auth and bearer tokens (401 without, 403 for a read-only token on writes)

Test hooks (Python, not HTTP): :meth:`PactBrokerServer.inject_faults` makes the
next requests answer 5xx, drop the connection or stall; ``requests`` records every
request (credentials removed); ``state`` exposes the data for assertions.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import re
import threading
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

HAL = "application/hal+json;charset=utf-8"
MAIN_BRANCH_CANDIDATES = ("develop", "main", "master")  # the broker's auto_detect_main_branch list


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _q(value: str) -> str:
    return quote(value, safe="")


# --------------------------------------------------------------------------- data


@dataclass
class Version:
    """A pacticipant version (an application build)."""

    number: str
    order: int
    branches: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    build_url: str | None = None
    created_at: str = field(default_factory=_now)


@dataclass
class Pacticipant:
    """An application: consumer, provider or both."""

    name: str
    main_branch: str | None = None
    versions: dict[str, Version] = field(default_factory=dict)
    created_at: str = field(default_factory=_now)


@dataclass
class Publication:
    """One pact published for a consumer version."""

    consumer: str
    provider: str
    consumer_version: str
    sha: str
    order: int
    created_at: str = field(default_factory=_now)


@dataclass
class Verification:
    """One verification result published by a provider version."""

    id: int
    consumer: str
    provider: str
    sha: str
    provider_version: str
    success: bool
    body: dict[str, Any]
    verified_at: str = field(default_factory=_now)


@dataclass
class Environment:
    """A deployment or release target."""

    uuid: str
    name: str
    display_name: str | None
    production: bool
    contacts: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = field(default_factory=_now)


@dataclass
class Deployment:
    """A deployed version (``record-deployment``) or a released one (``record-release``)."""

    uuid: str
    kind: str  # "deployed" | "released"
    pacticipant: str
    version: str
    environment: str  # uuid
    application_instance: str | None = None
    current: bool = True
    created_at: str = field(default_factory=_now)


@dataclass
class BrokerState:
    """Everything the broker knows; guarded by ``lock``."""

    pacticipants: dict[str, Pacticipant] = field(default_factory=dict)
    pact_contents: dict[str, dict[str, Any]] = field(default_factory=dict)
    publications: list[Publication] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    environments: dict[str, Environment] = field(default_factory=dict)
    deployments: list[Deployment] = field(default_factory=list)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    triggered_webhooks: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- helpers -------------------------------------------------------------
    def next_order(self) -> int:
        self.counter += 1
        return self.counter

    def pacticipant(self, name: str, create: bool = False) -> Pacticipant | None:
        found = self.pacticipants.get(name)
        if found is None and create:
            found = self.pacticipants[name] = Pacticipant(name=name)
        return found

    def version(self, pacticipant: str, number: str, create: bool = False) -> Version | None:
        p = self.pacticipant(pacticipant, create=create)
        if p is None:
            return None
        found = p.versions.get(number)
        if found is None and create:
            found = p.versions[number] = Version(number=number, order=self.next_order())
        return found

    def add_branch(self, pacticipant: str, number: str, branch: str) -> Version:
        p = self.pacticipant(pacticipant, create=True)
        assert p is not None
        v = self.version(pacticipant, number, create=True)
        assert v is not None
        if branch and branch not in v.branches:
            v.branches.append(branch)
        if p.main_branch is None and branch in MAIN_BRANCH_CANDIDATES:
            p.main_branch = branch
        return v

    def environment_named(self, name: str) -> Environment | None:
        return next((e for e in self.environments.values() if e.name == name), None)

    def publication(self, consumer: str, provider: str, version: str) -> Publication | None:
        found = [
            p
            for p in self.publications
            if (p.consumer, p.provider, p.consumer_version) == (consumer, provider, version)
        ]
        return found[-1] if found else None

    def latest_publications(self, provider: str) -> list[Publication]:
        """The latest publication per (consumer, consumer version) for ``provider``."""
        latest: dict[tuple[str, str], Publication] = {}
        for pub in self.publications:
            if pub.provider == provider:
                latest[(pub.consumer, pub.consumer_version)] = pub
        return list(latest.values())

    def current_deployments(
        self,
        pacticipant: str | None = None,
        environment: str | None = None,
        kind: str | None = None,
    ) -> list[Deployment]:
        return [
            d
            for d in self.deployments
            if d.current
            and (pacticipant is None or d.pacticipant == pacticipant)
            and (environment is None or d.environment == environment)
            and (kind is None or d.kind == kind)
        ]

    def verifications_of(self, sha: str, provider: str) -> list[Verification]:
        return [v for v in self.verifications if v.sha == sha and v.provider == provider]

    def latest_verification(
        self, sha: str, provider: str, provider_version: str
    ) -> Verification | None:
        found = [
            v
            for v in self.verifications_of(sha, provider)
            if v.provider_version == provider_version
        ]
        return found[-1] if found else None


# --------------------------------------------------------------------------- faults


STALL = "stall"
"""A fault that accepts the request and never answers (until the server stops)."""


@dataclass
class _Fault:
    status: int | str | None  # None: drop the connection without answering; STALL: never answer
    remaining: int
    path_prefix: str | None
    method: str | None
    skip: int = 0  # let this many matching requests through first


class _HttpError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _not_found(what: str) -> _HttpError:
    return _HttpError(
        404, {"error": f"The requested document was not found on this server: {what}"}
    )


# --------------------------------------------------------------------------- server


class PactBrokerServer:
    """The broker, served by a ``ThreadingHTTPServer`` on 127.0.0.1 in a daemon thread.

    Args:
        token: bearer token every request must carry (or ``None``).
        username: basic-auth user (with ``password``), accepted as well as the token.
        password: basic-auth password.
        read_only_token: a token that may read but gets 403 on writes.
        allow_contract_modification: let a consumer version republish different
            content (the broker's ``allow_dangerous_contract_modification``).
        deliver_webhooks: actually send fired webhook requests (to 127.0.0.1 only).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        read_only_token: str | None = None,
        allow_contract_modification: bool = False,
        deliver_webhooks: bool = False,
    ) -> None:
        self.token = token
        self.username = username
        self.password = password
        self.read_only_token = read_only_token
        self.allow_contract_modification = allow_contract_modification
        self.deliver_webhooks = deliver_webhooks
        self.state = BrokerState()
        self.requests: list[dict[str, Any]] = []
        self._faults: list[_Fault] = []
        self._released = threading.Event()  # set on stop: stalled requests end
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> PactBrokerServer:
        handler = type("Handler", (_Handler,), {"broker": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> PactBrokerServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- test hooks ----------------------------------------------------------
    def inject_faults(
        self,
        status: int | str | None = 503,
        count: int = 1,
        *,
        path_prefix: str | None = None,
        method: str | None = None,
        skip: int = 0,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (``None``: drop the
        connection; :data:`STALL`: accept and never answer), after ``skip`` of them passed."""
        with self.state.lock:
            self._faults.append(_Fault(status, count, path_prefix, method, skip))

    def clear_faults(self) -> None:
        with self.state.lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self.state.lock:
            for fault in self._faults:
                if fault.remaining <= 0:
                    continue
                if fault.method and fault.method != method:
                    continue
                if fault.path_prefix and not path.startswith(fault.path_prefix):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.remaining -= 1
                return fault
        return None

    def requests_to(self, method: str, path_prefix: str) -> list[dict[str, Any]]:
        """Recorded requests with this method whose path starts with ``path_prefix``."""
        return [
            r for r in self.requests if r["method"] == method and r["path"].startswith(path_prefix)
        ]

    # -- convenience for tests (same effect as the API calls) ----------------
    def create_environment(self, name: str, production: bool = False) -> str:
        with self.state.lock:
            env = Environment(str(uuid.uuid4()), name, name.title(), production)
            self.state.environments[env.uuid] = env
            return env.uuid

    def set_main_branch(self, pacticipant: str, branch: str) -> None:
        with self.state.lock:
            p = self.state.pacticipant(pacticipant, create=True)
            assert p is not None
            p.main_branch = branch

    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> dict[str, Any]:
        """The ``/can-i-deploy`` answer, computed in-process (for assertions)."""
        return self._matrix(
            [{"pacticipant": pacticipant, "version": version}],
            environment=environment,
            latest=False,
            base=self.url,
        )

    # -- request handling ----------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        query = parse_qsl(split.query, keep_blank_values=True)
        base = f"http://{headers.get('host') or f'127.0.0.1:{self.port}'}"
        self._check_auth(method, headers)
        payload: Any = None
        if body:
            try:
                payload = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                raise _HttpError(400, {"error": "The request body is not valid JSON"}) from None
        with self.state.lock:
            return self._route(method, path, query, payload, base)

    def _check_auth(self, method: str, headers: dict[str, str]) -> None:
        if not (self.token or self.username or self.read_only_token):
            return
        auth = headers.get("authorization", "")
        ok = False
        read_only = False
        if auth.startswith("Bearer "):
            presented = auth[len("Bearer ") :]
            if self.token and presented == self.token:
                ok = True
            elif self.read_only_token and presented == self.read_only_token:
                ok = read_only = True
        elif auth.startswith("Basic ") and self.username:
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = pw = ""
            ok = user == self.username and pw == self.password
        if not ok:
            raise _HttpError(401, {"error": "Unauthorized"})
        if read_only and method not in ("GET", "HEAD", "OPTIONS"):
            raise _HttpError(403, {"error": "You do not have permission to perform this action"})

    # Route table: (method, regex) -> handler name. Path segments are URL-encoded.
    _ROUTES: tuple[tuple[str, str, str], ...] = (
        ("GET", r"/", "_index"),
        ("POST", r"/contracts/publish", "_publish_contracts"),
        ("GET", r"/pacticipants", "_list_pacticipants"),
        ("GET", r"/pacticipants/(?P<p>[^/]+)", "_get_pacticipant"),
        ("PUT", r"/pacticipants/(?P<p>[^/]+)", "_put_pacticipant"),
        ("PATCH", r"/pacticipants/(?P<p>[^/]+)", "_put_pacticipant"),
        ("POST", r"/pacticipants", "_post_pacticipant"),
        ("GET", r"/pacticipants/(?P<p>[^/]+)/versions/(?P<v>[^/]+)", "_get_version"),
        ("PUT", r"/pacticipants/(?P<p>[^/]+)/versions/(?P<v>[^/]+)", "_put_version"),
        (
            "PUT",
            r"/pacticipants/(?P<p>[^/]+)/branches/(?P<b>[^/]+)/versions/(?P<v>[^/]+)",
            "_put_branch_version",
        ),
        ("PUT", r"/pacticipants/(?P<p>[^/]+)/versions/(?P<v>[^/]+)/tags/(?P<t>[^/]+)", "_put_tag"),
        (
            "POST",
            r"/pacticipants/(?P<p>[^/]+)/versions/(?P<v>[^/]+)/(?P<kind>deployed|released)-versions/environment/(?P<e>[^/]+)",
            "_record",
        ),
        (
            "GET",
            r"/pacticipants/(?P<p>[^/]+)/versions/(?P<v>[^/]+)/(?P<kind>deployed|released)-versions",
            "_list_version_deployments",
        ),
        ("GET", r"/pacts/provider/(?P<p>[^/]+)/for-verification", "_for_verification"),
        ("POST", r"/pacts/provider/(?P<p>[^/]+)/for-verification", "_for_verification"),
        ("GET", r"/pacts/provider/(?P<p>[^/]+)/latest", "_latest_provider_pacts"),
        (
            "GET",
            r"/pacts/provider/(?P<p>[^/]+)/consumer/(?P<c>[^/]+)/pact-version/(?P<sha>[^/]+)(?:/metadata/(?P<m>[^/]+))?",
            "_get_pact_version",
        ),
        (
            "POST",
            r"/pacts/provider/(?P<p>[^/]+)/consumer/(?P<c>[^/]+)/pact-version/(?P<sha>[^/]+)(?:/metadata/(?P<m>[^/]+))?/verification-results",
            "_post_verification",
        ),
        (
            "GET",
            r"/pacts/provider/(?P<p>[^/]+)/consumer/(?P<c>[^/]+)/pact-version/(?P<sha>[^/]+)/verification-results/(?P<id>\d+)",
            "_get_verification",
        ),
        (
            "GET",
            r"/pacts/provider/(?P<p>[^/]+)/consumer/(?P<c>[^/]+)/version/(?P<v>[^/]+)",
            "_get_pact_for_version",
        ),
        (
            "PUT",
            r"/pacts/provider/(?P<p>[^/]+)/consumer/(?P<c>[^/]+)/version/(?P<v>[^/]+)",
            "_put_pact_for_version",
        ),
        (
            "GET",
            r"/pacts/provider/(?P<p>[^/]+)/consumer/(?P<c>[^/]+)/latest(?:/(?P<t>[^/]+))?",
            "_get_latest_pact",
        ),
        ("GET", r"/matrix", "_get_matrix"),
        ("GET", r"/can-i-deploy", "_get_can_i_deploy"),
        ("GET", r"/environments", "_list_environments"),
        ("POST", r"/environments", "_create_environment"),
        ("GET", r"/environments/(?P<e>[^/]+)", "_get_environment"),
        ("PUT", r"/environments/(?P<e>[^/]+)", "_update_environment"),
        ("DELETE", r"/environments/(?P<e>[^/]+)", "_delete_environment"),
        (
            "GET",
            r"/environments/(?P<e>[^/]+)/deployed-versions/currently-deployed",
            "_env_currently_deployed",
        ),
        (
            "GET",
            r"/environments/(?P<e>[^/]+)/released-versions/currently-supported",
            "_env_currently_supported",
        ),
        ("PATCH", r"/deployed-versions/(?P<d>[^/]+)", "_patch_deployed"),
        ("GET", r"/webhooks", "_list_webhooks"),
        ("POST", r"/webhooks", "_create_webhook"),
        ("GET", r"/webhooks/(?P<w>[^/]+)", "_get_webhook"),
        ("PUT", r"/webhooks/(?P<w>[^/]+)", "_put_webhook"),
        ("DELETE", r"/webhooks/(?P<w>[^/]+)", "_delete_webhook"),
    )
    _COMPILED = tuple((m, re.compile(f"^{rx}$"), name) for m, rx, name in _ROUTES)

    def _route(
        self, method: str, path: str, query: list[tuple[str, str]], payload: Any, base: str
    ) -> tuple[int, Any]:
        path_matched = False
        for route_method, rx, name in self._COMPILED:
            match = rx.match(path)
            if not match:
                continue
            path_matched = True
            if route_method != method:
                continue
            params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
            return getattr(self, name)(params=params, query=query, payload=payload, base=base)
        if path_matched:
            raise _HttpError(405, {"error": f"{method} is not allowed on {path}"})
        raise _not_found(path)

    # -- links ---------------------------------------------------------------
    @staticmethod
    def _link(base: str, path: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
        link: dict[str, Any] = {"href": base + path}
        if title:
            link["title"] = title
        link.update(extra)
        return link

    def _pact_path(
        self, provider: str, consumer: str, sha: str, metadata: str | None = None
    ) -> str:
        path = f"/pacts/provider/{_q(provider)}/consumer/{_q(consumer)}/pact-version/{sha}"
        return f"{path}/metadata/{metadata}" if metadata else path

    # -- index ---------------------------------------------------------------
    def _index(self, *, base: str, **_: Any) -> tuple[int, Any]:
        link = self._link
        return 200, {
            "_links": {
                "self": link(base, "", "Index"),
                "pb:publish-pact": link(
                    base,
                    "/pacts/provider/{provider}/consumer/{consumer}/version/{consumerApplicationVersion}",
                    "Publish a pact",
                    templated=True,
                ),
                "pb:publish-contracts": link(base, "/contracts/publish", "Publish contracts"),
                "pb:latest-pact-versions": link(base, "/pacts/latest", "Latest pact versions"),
                "pb:pacticipants": link(base, "/pacticipants", "Pacticipants"),
                "pb:pacticipant": link(
                    base, "/pacticipants/{pacticipant}", "Fetch pacticipant by name", templated=True
                ),
                "pb:pacticipant-version": link(
                    base,
                    "/pacticipants/{pacticipant}/versions/{version}",
                    "Get, create or delete a pacticipant version",
                    templated=True,
                ),
                "pb:latest-provider-pacts": link(
                    base,
                    "/pacts/provider/{provider}/latest",
                    "Latest pacts by provider",
                    templated=True,
                ),
                "pb:provider-pacts-for-verification": link(
                    base,
                    "/pacts/provider/{provider}/for-verification",
                    "Pact versions to be verified for the specified provider",
                    templated=True,
                ),
                "pb:environments": link(base, "/environments", "Environments"),
                "pb:environment": link(base, "/environments/{uuid}", "Environment", templated=True),
                "pb:webhooks": link(base, "/webhooks", "Webhooks"),
                "pb:webhook": link(base, "/webhooks/{uuid}", "Webhook", templated=True),
                "pb:matrix": link(base, "/matrix", "Matrix"),
                "pb:can-i-deploy-pacticipant-version-to-environment": link(
                    base,
                    "/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}",
                    "Determine if an application version can be safely deployed to an environment",
                    templated=True,
                ),
                "curies": [
                    {"name": "pb", "href": base + "/doc/{rel}?context=index", "templated": True}
                ],
            }
        }

    # -- pacticipants & versions ---------------------------------------------
    def _pacticipant_json(self, p: Pacticipant, base: str) -> dict[str, Any]:
        pp = f"/pacticipants/{_q(p.name)}"
        return {
            "name": p.name,
            "displayName": p.name,
            "mainBranch": p.main_branch,
            "createdAt": p.created_at,
            "_links": {
                "self": self._link(base, pp),
                "pb:versions": self._link(base, pp + "/versions"),
                "pb:version": self._link(base, pp + "/versions/{version}", templated=True),
                "pb:version-tag": self._link(
                    base, pp + "/versions/{version}/tags/{tag}", templated=True
                ),
                "pb:branch-version": self._link(
                    base, pp + "/branches/{branch}/versions/{version}", templated=True
                ),
            },
        }

    def _version_json(self, pacticipant: str, v: Version, base: str) -> dict[str, Any]:
        vp = f"/pacticipants/{_q(pacticipant)}/versions/{_q(v.number)}"
        record_deployment = []
        record_release = []
        for env in self.state.environments.values():
            record_deployment.append(
                self._link(
                    base,
                    f"{vp}/deployed-versions/environment/{env.uuid}",
                    f"Record deployment to {env.display_name or env.name}",
                    name=env.name,
                )
            )
            record_release.append(
                self._link(
                    base,
                    f"{vp}/released-versions/environment/{env.uuid}",
                    f"Record release to {env.display_name or env.name}",
                    name=env.name,
                )
            )
        return {
            "number": v.number,
            "branch": v.branches[-1] if v.branches else None,
            "buildUrl": v.build_url,
            "createdAt": v.created_at,
            "_embedded": {
                "branchVersions": [{"name": b, "latest": True} for b in v.branches],
                "tags": [{"name": t} for t in v.tags],
            },
            "_links": {
                "self": self._link(base, vp, f"Version {v.number}"),
                "pb:pacticipant": self._link(base, f"/pacticipants/{_q(pacticipant)}", pacticipant),
                "pb:tag": self._link(base, vp + "/tags/{tag}", templated=True),
                "pb:record-deployment": record_deployment,
                "pb:record-release": record_release,
                "pb:deployed-environments": self._link(base, vp + "/deployed-versions"),
                "pb:released-environments": self._link(base, vp + "/released-versions"),
            },
        }

    def _list_pacticipants(self, *, base: str, **_: Any) -> tuple[int, Any]:
        items = [self._pacticipant_json(p, base) for p in self.state.pacticipants.values()]
        return 200, {
            "_embedded": {"pacticipants": items},
            "_links": {"self": self._link(base, "/pacticipants")},
        }

    def _get_pacticipant(self, *, params: dict[str, str], base: str, **_: Any) -> tuple[int, Any]:
        p = self.state.pacticipant(params["p"])
        if p is None:
            raise _not_found(f"pacticipant {params['p']}")
        return 200, self._pacticipant_json(p, base)

    def _put_pacticipant(
        self, *, params: dict[str, str], payload: Any, base: str, **_: Any
    ) -> tuple[int, Any]:
        existed = params["p"] in self.state.pacticipants
        p = self.state.pacticipant(params["p"], create=True)
        assert p is not None
        if isinstance(payload, dict) and payload.get("mainBranch"):
            p.main_branch = str(payload["mainBranch"])
        return (200 if existed else 201), self._pacticipant_json(p, base)

    def _post_pacticipant(self, *, payload: Any, base: str, **kw: Any) -> tuple[int, Any]:
        if not isinstance(payload, dict) or not payload.get("name"):
            raise _HttpError(400, {"errors": {"name": ["can't be blank"]}})
        return self._put_pacticipant(params={"p": payload["name"]}, payload=payload, base=base)

    def _get_version(self, *, params: dict[str, str], base: str, **_: Any) -> tuple[int, Any]:
        v = self.state.version(params["p"], params["v"])
        if v is None:
            raise _not_found(f"version {params['v']} of {params['p']}")
        return 200, self._version_json(params["p"], v, base)

    def _put_version(
        self, *, params: dict[str, str], payload: Any, base: str, **_: Any
    ) -> tuple[int, Any]:
        existed = self.state.version(params["p"], params["v"]) is not None
        v = self.state.version(params["p"], params["v"], create=True)
        assert v is not None
        if isinstance(payload, dict):
            if payload.get("branch"):
                self.state.add_branch(params["p"], v.number, str(payload["branch"]))
            if payload.get("buildUrl"):
                v.build_url = str(payload["buildUrl"])
            for tag in payload.get("tags") or []:
                name = tag.get("name") if isinstance(tag, dict) else tag
                if name and name not in v.tags:
                    v.tags.append(str(name))
        return (200 if existed else 201), self._version_json(params["p"], v, base)

    def _put_branch_version(
        self, *, params: dict[str, str], base: str, **_: Any
    ) -> tuple[int, Any]:
        v = self.state.add_branch(params["p"], params["v"], params["b"])
        return 200, {
            "_links": {
                "self": self._link(
                    base,
                    f"/pacticipants/{_q(params['p'])}/branches/{_q(params['b'])}/versions/{_q(v.number)}",
                ),
                "pb:version": self._link(
                    base, f"/pacticipants/{_q(params['p'])}/versions/{_q(v.number)}"
                ),
            }
        }

    def _put_tag(self, *, params: dict[str, str], base: str, **_: Any) -> tuple[int, Any]:
        v = self.state.version(params["p"], params["v"], create=True)
        assert v is not None
        created = params["t"] not in v.tags
        if created:
            v.tags.append(params["t"])
        return (201 if created else 200), {
            "name": params["t"],
            "_links": {
                "self": self._link(
                    base,
                    f"/pacticipants/{_q(params['p'])}/versions/{_q(v.number)}/tags/{_q(params['t'])}",
                )
            },
        }

    # -- publish -------------------------------------------------------------
    def _publish_contracts(self, *, payload: Any, base: str, **_: Any) -> tuple[int, Any]:
        errors: dict[str, list[str]] = {}
        if not isinstance(payload, dict):
            raise _HttpError(400, {"errors": {"body": ["must be a JSON object"]}})
        for key in ("pacticipantName", "pacticipantVersionNumber"):
            if not payload.get(key):
                errors.setdefault(key, []).append("is missing")
        contracts = payload.get("contracts")
        if not isinstance(contracts, list) or not contracts:
            errors.setdefault("contracts", []).append("is missing")
        decoded: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for i, contract in enumerate(contracts or []):
            try:
                content = json.loads(base64.b64decode(contract["content"]))
            except (KeyError, TypeError, ValueError, binascii.Error):
                errors.setdefault(f"contracts/{i}/content", []).append("is not valid Base64 JSON")
                continue
            if contract.get("consumerName") != payload.get("pacticipantName"):
                errors.setdefault(f"contracts/{i}/consumerName", []).append(
                    "must match pacticipantName"
                )
            if content.get("consumer", {}).get("name") != contract.get("consumerName"):
                errors.setdefault(f"contracts/{i}/consumerName", []).append(
                    "does not match the consumer name in the pact"
                )
            decoded.append((contract, content))
        if errors:
            raise _HttpError(400, {"errors": errors})

        consumer = str(payload["pacticipantName"])
        number = str(payload["pacticipantVersionNumber"])
        branch = payload.get("branch")
        notices: list[dict[str, str]] = []
        version_existed = self.state.version(consumer, number) is not None
        # Refuse changed content for an existing version before changing anything.
        for contract, content in decoded:
            previous = self.state.publication(consumer, str(contract["providerName"]), number)
            sha = _sha(content)
            if (
                previous
                and previous.sha != sha
                and contract.get("onConflict") != "merge"
                and not self.allow_contract_modification
            ):
                raise _HttpError(
                    409,
                    {
                        "errors": {
                            "contracts": [
                                f"Cannot change the content of the pact for {consumer} version {number} "
                                f"and provider {contract['providerName']}, as race conditions will cause "
                                "unreliable results for can-i-deploy. Each pact must be published with "
                                "a unique consumer version number."
                            ]
                        }
                    },
                )
        version = self.state.version(consumer, number, create=True)
        assert version is not None
        if branch:
            self.state.add_branch(consumer, number, str(branch))
        if payload.get("buildUrl"):
            version.build_url = str(payload["buildUrl"])
        for tag in payload.get("tags") or []:
            if tag not in version.tags:
                version.tags.append(str(tag))
        notices.append(
            {
                "type": "info" if version_existed else "success",
                "text": f"{'Updated' if version_existed else 'Created'} {consumer} version {number}"
                + (f" with branch {branch}" if branch else "")
                + (
                    f" and tags {', '.join(payload.get('tags') or [])}"
                    if payload.get("tags")
                    else ""
                ),
            }
        )
        contract_links = []
        for contract, content in decoded:
            provider = str(contract["providerName"])
            self.state.pacticipant(provider, create=True)
            previous = self.state.publication(consumer, provider, number)
            if previous and contract.get("onConflict") == "merge":
                content = _merge_pacts(self.state.pact_contents[previous.sha], content)
            sha = _sha(content)
            changed = not any(
                p.sha == sha
                for p in self.state.publications
                if (p.consumer, p.provider) == (consumer, provider)
            )
            self.state.pact_contents[sha] = content
            pub = Publication(consumer, provider, number, sha, self.state.next_order())
            self.state.publications.append(pub)
            url = base + self._pact_path(provider, consumer, sha)
            contract_links.append(
                {
                    "href": url,
                    "name": f"Pact between {consumer} ({number}) and {provider}",
                    "title": "Pact",
                }
            )
            notices.append(
                {
                    "type": "success",
                    "text": f"Pact successfully published for {consumer} version {number} and provider {provider}.",
                }
            )
            notices.append({"type": "info", "text": f"View the published pact at {url}"})
            self._fire_webhooks(pub, changed, base)
        vp = f"/pacticipants/{_q(consumer)}/versions/{_q(number)}"
        return 200, {
            "notices": notices,
            "logs": [
                {"level": n["type"], "message": n["text"], "deprecationWarning": ""}
                for n in notices
            ],
            "_embedded": {
                "pacticipant": {
                    "name": consumer,
                    "_links": {"self": self._link(base, f"/pacticipants/{_q(consumer)}")},
                },
                "version": {
                    "number": number,
                    "_links": {"self": self._link(base, vp, f"Version {number}", name=number)},
                },
            },
            "_links": {
                "pb:pacticipant": self._link(
                    base, f"/pacticipants/{_q(consumer)}", "Pacticipant", name=consumer
                ),
                "pb:pacticipant-version": self._link(base, vp, "Pacticipant version", name=number),
                "pb:pacticipant-version-tags": [
                    self._link(base, f"{vp}/tags/{_q(t)}", "Tag", name=t) for t in version.tags
                ],
                "pb:contracts": contract_links,
            },
        }

    def _put_pact_for_version(
        self, *, params: dict[str, str], payload: Any, base: str, **_: Any
    ) -> tuple[int, Any]:
        """The older single-pact publish (``pb:publish-pact``)."""
        encoded = base64.b64encode(json.dumps(payload).encode()).decode()
        self._publish_contracts(
            payload={
                "pacticipantName": params["c"],
                "pacticipantVersionNumber": params["v"],
                "contracts": [
                    {
                        "consumerName": params["c"],
                        "providerName": params["p"],
                        "specification": "pact",
                        "contentType": "application/json",
                        "content": encoded,
                    }
                ],
            },
            base=base,
        )
        pub = self.state.publication(params["c"], params["p"], params["v"])
        assert pub is not None
        return 201, self._pact_json(pub.provider, pub.consumer, pub.sha, None, base)

    # -- pacts ---------------------------------------------------------------
    def _pact_json(
        self, provider: str, consumer: str, sha: str, metadata: str | None, base: str
    ) -> dict[str, Any]:
        content = self.state.pact_contents.get(sha)
        if content is None or not any(
            p.sha == sha and p.provider == provider and p.consumer == consumer
            for p in self.state.publications
        ):
            raise _not_found(f"pact version {sha}")
        versions = [
            p.consumer_version
            for p in self.state.publications
            if p.sha == sha and p.consumer == consumer
        ]
        latest_cv = versions[-1]
        doc = dict(content)
        pact_path = self._pact_path(provider, consumer, sha, metadata)
        doc["_links"] = {
            "self": self._link(
                base, pact_path, f"Pact between {consumer} ({latest_cv}) and {provider}"
            ),
            "pb:consumer": self._link(
                base, f"/pacticipants/{_q(consumer)}", "Consumer", name=consumer
            ),
            "pb:consumer-version": self._link(
                base,
                f"/pacticipants/{_q(consumer)}/versions/{_q(latest_cv)}",
                "Consumer version",
                name=latest_cv,
            ),
            "pb:provider": self._link(
                base, f"/pacticipants/{_q(provider)}", "Provider", name=provider
            ),
            "pb:pact-version": self._link(
                base, self._pact_path(provider, consumer, sha), "Pact content version"
            ),
            "pb:publish-verification-results": self._link(
                base, pact_path + "/verification-results", "Publish verification results"
            ),
        }
        return doc

    def _get_pact_version(self, *, params: dict[str, str], base: str, **_: Any) -> tuple[int, Any]:
        return 200, self._pact_json(params["p"], params["c"], params["sha"], params.get("m"), base)

    def _get_pact_for_version(
        self, *, params: dict[str, str], base: str, **_: Any
    ) -> tuple[int, Any]:
        pub = self.state.publication(params["c"], params["p"], params["v"])
        if pub is None:
            raise _not_found(f"pact for {params['c']} version {params['v']}")
        return 200, self._pact_json(params["p"], params["c"], pub.sha, None, base)

    def _get_latest_pact(self, *, params: dict[str, str], base: str, **_: Any) -> tuple[int, Any]:
        pubs = [
            p
            for p in self.state.publications
            if p.provider == params["p"]
            and p.consumer == params["c"]
            and (not params.get("t") or params["t"] in self._version_of(p).tags)
        ]
        if not pubs:
            raise _not_found(f"latest pact between {params['c']} and {params['p']}")
        pub = max(pubs, key=lambda p: self._version_of(p).order)
        return 200, self._pact_json(params["p"], params["c"], pub.sha, None, base)

    def _latest_provider_pacts(
        self, *, params: dict[str, str], base: str, **_: Any
    ) -> tuple[int, Any]:
        latest: dict[str, Publication] = {}
        for pub in self.state.publications:
            if pub.provider == params["p"]:
                current = latest.get(pub.consumer)
                if (
                    current is None
                    or self._version_of(pub).order >= self._version_of(current).order
                ):
                    latest[pub.consumer] = pub
        links = [
            {
                "href": base + self._pact_path(pub.provider, pub.consumer, pub.sha),
                "title": "Pact",
                "name": f"Pact between {pub.consumer} ({pub.consumer_version}) and {pub.provider}",
            }
            for pub in latest.values()
        ]
        return 200, {
            "_links": {
                "self": self._link(base, f"/pacts/provider/{_q(params['p'])}/latest"),
                "pb:pacts": links,
                "pacts": links,
            }
        }

    def _version_of(self, pub: Publication) -> Version:
        v = self.state.version(pub.consumer, pub.consumer_version)
        assert v is not None
        return v

    # -- pacts for verification ----------------------------------------------
    def _for_verification(
        self,
        *,
        params: dict[str, str],
        query: list[tuple[str, str]],
        payload: Any,
        base: str,
        **_: Any,
    ) -> tuple[int, Any]:
        provider = params["p"]
        self_link = self._link(
            base,
            f"/pacts/provider/{_q(provider)}/for-verification",
            f"Pacts to be verified by provider {provider}",
        )
        if payload is None:  # GET: the resource the clients navigate to before POSTing
            return 200, {"_embedded": {"pacts": []}, "_links": {"self": self_link}}
        if not isinstance(payload, dict):
            raise _HttpError(400, {"errors": {"body": ["must be a JSON object"]}})
        selectors = payload.get("consumerVersionSelectors") or [
            {"mainBranch": True},
            {"deployedOrReleased": True},
        ]
        problems = _validate_selectors(selectors)
        if problems:
            raise _HttpError(400, {"errors": {"consumerVersionSelectors": problems}})
        provider_branch = payload.get("providerVersionBranch")
        include_pending = bool(payload.get("includePendingStatus"))
        wip_since = payload.get("includeWipPactsSince")

        chosen: dict[str, dict[str, Any]] = {}  # sha -> {"pubs": [...], "selectors": [...]}
        for selector in selectors:
            for pub in self._select(provider, selector, provider_branch):
                entry = chosen.setdefault(pub.sha, {"pubs": [], "selectors": []})
                if pub not in entry["pubs"]:
                    entry["pubs"].append(pub)
                if selector not in entry["selectors"]:
                    entry["selectors"].append(selector)
        pacts = []
        for sha, entry in chosen.items():
            pending = include_pending and self._is_pending(sha, provider, provider_branch)
            pacts.append(
                self._pfv_entry(
                    provider, sha, entry["pubs"], entry["selectors"], pending, False, base
                )
            )
        if wip_since and include_pending:
            since = _parse_date(str(wip_since))
            for pub in self._wip_candidates(provider, provider_branch, since):
                if pub.sha in chosen:
                    continue
                chosen[pub.sha] = {"pubs": [pub], "selectors": []}
                pacts.append(self._pfv_entry(provider, pub.sha, [pub], [], True, True, base))
        return 200, {"_embedded": {"pacts": pacts}, "_links": {"self": self_link}}

    def _pfv_entry(
        self,
        provider: str,
        sha: str,
        pubs: list[Publication],
        selectors: list[dict[str, Any]],
        pending: bool,
        wip: bool,
        base: str,
    ) -> dict[str, Any]:
        consumer = pubs[0].consumer
        versions = [p.consumer_version for p in pubs]
        metadata = (
            base64.urlsafe_b64encode(
                json.dumps({"cv": versions, "w": wip, "p": pending}, separators=(",", ":")).encode()
            )
            .decode()
            .rstrip("=")
        )
        url = base + self._pact_path(provider, consumer, sha, metadata)
        description = "WIP" if wip else ", ".join(_describe_selector(s) for s in selectors)
        notices = [
            {
                "when": "before_verification",
                "text": f"The pact at {url} is being verified because it matches the following configured selection criterion: {description}"
                if not wip
                else f"The pact at {url} is being verified because it is a 'work in progress' pact (ie. it is the pact for the latest version of {consumer} from branch {self._version_of(pubs[0]).branches[-1] if self._version_of(pubs[0]).branches else '(none)'} and it has not yet been successfully verified by a version of {provider})",
            }
        ]
        if pending:
            notices.append(
                {
                    "when": "before_verification",
                    "text": f"This pact is in pending state for this version of {provider} because a successful verification result for it has not yet been published. If this verification fails, it will not cause the overall build to fail.",
                }
            )
            notices.append(
                {
                    "when": "after_verification:success_false_published_false",
                    "text": "This pact is still in pending state for this version of the provider, and the failure will not cause the build to fail.",
                }
            )
        props: dict[str, Any] = {"pending": pending, "notices": notices}
        if wip:
            props["wip"] = True
        return {
            "shortDescription": description,
            "verificationProperties": props,
            "_links": {
                "self": {
                    "href": url,
                    "name": f"Pact between {consumer} ({', '.join(versions)}) and {provider}",
                }
            },
        }

    def _select(
        self, provider: str, selector: dict[str, Any], provider_branch: str | None
    ) -> list[Publication]:
        """The publications a consumer version selector picks (the broker's semantics)."""
        pubs = [
            p
            for p in self.state.latest_publications(provider)
            if not selector.get("consumer") or p.consumer == selector["consumer"]
        ]
        by_consumer: dict[str, list[Publication]] = {}
        for p in sorted(pubs, key=lambda p: self._version_of(p).order):
            by_consumer.setdefault(p.consumer, []).append(p)

        def latest_only(found: list[Publication]) -> list[Publication]:
            return found[-1:] if found else []

        chosen: list[Publication] = []
        for consumer, cpubs in by_consumer.items():
            versions = {p.consumer_version: self._version_of(p) for p in cpubs}
            latest = selector.get("latest")
            if selector.get("mainBranch"):
                main = self.state.pacticipants[consumer].main_branch
                found = [p for p in cpubs if main and main in versions[p.consumer_version].branches]
                chosen += latest_only(found)
            elif selector.get("matchingBranch"):
                found = [
                    p
                    for p in cpubs
                    if provider_branch and provider_branch in versions[p.consumer_version].branches
                ]
                chosen += latest_only(found)
            elif selector.get("branch"):
                found = [
                    p for p in cpubs if selector["branch"] in versions[p.consumer_version].branches
                ]
                if not found and selector.get("fallbackBranch"):
                    found = [
                        p
                        for p in cpubs
                        if selector["fallbackBranch"] in versions[p.consumer_version].branches
                    ]
                chosen += found if latest is False else latest_only(found)
            elif (
                selector.get("deployedOrReleased")
                or selector.get("deployed")
                or selector.get("released")
            ):
                kind = None
                if selector.get("deployed") and not selector.get("released"):
                    kind = "deployed"
                elif selector.get("released") and not selector.get("deployed"):
                    kind = "released"
                env = None
                if selector.get("environment"):
                    e = self.state.environment_named(selector["environment"])
                    if e is None:
                        continue
                    env = e.uuid
                live = {d.version for d in self.state.current_deployments(consumer, env, kind)}
                chosen += [p for p in cpubs if p.consumer_version in live]
            elif selector.get("environment"):
                e = self.state.environment_named(selector["environment"])
                live = (
                    {d.version for d in self.state.current_deployments(consumer, e.uuid)}
                    if e
                    else set()
                )
                chosen += [p for p in cpubs if p.consumer_version in live]
            elif selector.get("tag"):
                found = [p for p in cpubs if selector["tag"] in versions[p.consumer_version].tags]
                if not found and selector.get("fallbackTag"):
                    found = [
                        p
                        for p in cpubs
                        if selector["fallbackTag"] in versions[p.consumer_version].tags
                    ]
                chosen += latest_only(found) if latest else found
            elif latest:
                chosen += latest_only(cpubs)
        return chosen

    def _provider_versions_on(self, provider: str, branch: str) -> list[str]:
        p = self.state.pacticipant(provider)
        return [v.number for v in p.versions.values() if branch in v.branches] if p else []

    def _is_pending(self, sha: str, provider: str, provider_branch: str | None) -> bool:
        """Pending until a provider version from this branch verified it successfully.

        A branch with no versions yet (a new feature branch) inherits from the
        provider's main branch, as the broker does.
        """
        successes = [v for v in self.state.verifications_of(sha, provider) if v.success]
        if not provider_branch:
            return not successes
        versions = set(self._provider_versions_on(provider, provider_branch))
        if not versions:
            p = self.state.pacticipant(provider)
            if p and p.main_branch:
                versions = set(self._provider_versions_on(provider, p.main_branch))
        return not any(v.provider_version in versions for v in successes)

    def _wip_candidates(
        self, provider: str, provider_branch: str | None, since: datetime
    ) -> list[Publication]:
        """Latest pact of each consumer branch, published since ``since``, still pending."""
        latest_per_branch: dict[tuple[str, str], Publication] = {}
        for pub in sorted(
            self.state.latest_publications(provider), key=lambda p: self._version_of(p).order
        ):
            for branch in self._version_of(pub).branches:
                latest_per_branch[(pub.consumer, branch)] = pub
        found = []
        for pub in latest_per_branch.values():
            if _parse_date(pub.created_at) < since:
                continue
            if self._is_pending(pub.sha, provider, provider_branch) and pub not in found:
                found.append(pub)
        return found

    # -- verification results ------------------------------------------------
    def _post_verification(
        self, *, params: dict[str, str], payload: Any, base: str, **_: Any
    ) -> tuple[int, Any]:
        provider, consumer, sha = params["p"], params["c"], params["sha"]
        if sha not in self.state.pact_contents:
            raise _not_found(f"pact version {sha}")
        errors = {}
        if not isinstance(payload, dict):
            raise _HttpError(400, {"errors": {"body": ["must be a JSON object"]}})
        if not isinstance(payload.get("success"), bool):
            errors["success"] = ["must be true or false"]
        if not payload.get("providerApplicationVersion"):
            errors["providerApplicationVersion"] = ["can't be blank"]
        if errors:
            raise _HttpError(400, {"errors": errors})
        number = str(payload["providerApplicationVersion"])
        self.state.version(provider, number, create=True)
        verification = Verification(
            id=len(self.state.verifications) + 1,
            consumer=consumer,
            provider=provider,
            sha=sha,
            provider_version=number,
            success=bool(payload["success"]),
            body=payload,
        )
        self.state.verifications.append(verification)
        return 201, self._verification_json(verification, base)

    def _verification_json(self, v: Verification, base: str) -> dict[str, Any]:
        path = self._pact_path(v.provider, v.consumer, v.sha) + f"/verification-results/{v.id}"
        return {
            "providerName": v.provider,
            "providerApplicationVersion": v.provider_version,
            "success": v.success,
            "verificationDate": v.verified_at,
            "testResults": v.body.get("testResults"),
            "_links": {
                "self": self._link(base, path, "Verification result"),
                "pb:pact-version": self._link(base, self._pact_path(v.provider, v.consumer, v.sha)),
            },
        }

    def _get_verification(self, *, params: dict[str, str], base: str, **_: Any) -> tuple[int, Any]:
        index = int(params["id"]) - 1
        if not 0 <= index < len(self.state.verifications):
            raise _not_found(f"verification {params['id']}")
        return 200, self._verification_json(self.state.verifications[index], base)

    # -- environments & deployments ------------------------------------------
    def _environment_json(self, env: Environment, base: str) -> dict[str, Any]:
        ep = f"/environments/{env.uuid}"
        return {
            "uuid": env.uuid,
            "name": env.name,
            "displayName": env.display_name,
            "production": env.production,
            "contacts": env.contacts,
            "createdAt": env.created_at,
            "_links": {
                "self": self._link(base, ep, env.display_name or env.name),
                "pb:currently-deployed-deployed-versions": self._link(
                    base, ep + "/deployed-versions/currently-deployed"
                ),
                "pb:currently-supported-released-versions": self._link(
                    base, ep + "/released-versions/currently-supported"
                ),
                "pb:environments": self._link(base, "/environments"),
            },
        }

    def _list_environments(
        self, *, query: list[tuple[str, str]], base: str, **_: Any
    ) -> tuple[int, Any]:
        name = dict(query).get("name")
        envs = [e for e in self.state.environments.values() if not name or e.name == name]
        return 200, {
            "_embedded": {"environments": [self._environment_json(e, base) for e in envs]},
            "_links": {
                "self": self._link(base, "/environments", "Environments"),
                "pb:environments": [
                    self._link(
                        base, f"/environments/{e.uuid}", e.display_name or e.name, name=e.name
                    )
                    for e in envs
                ],
            },
        }

    def _create_environment(self, *, payload: Any, base: str, **_: Any) -> tuple[int, Any]:
        if not isinstance(payload, dict) or not payload.get("name"):
            raise _HttpError(400, {"errors": {"name": ["is missing"]}})
        name = str(payload["name"])
        if not re.match(r"^[^\s/]+$", name):
            raise _HttpError(400, {"errors": {"name": ["must not contain spaces or slashes"]}})
        if self.state.environment_named(name):
            raise _HttpError(
                409,
                {"errors": {"name": [f"Another environment with name '{name}' already exists."]}},
            )
        env = Environment(
            uuid=str(payload.get("uuid") or uuid.uuid4()),
            name=name,
            display_name=payload.get("displayName"),
            production=bool(payload.get("production")),
            contacts=list(payload.get("contacts") or []),
        )
        self.state.environments[env.uuid] = env
        return 201, self._environment_json(env, base)

    def _get_environment(self, *, params: dict[str, str], base: str, **_: Any) -> tuple[int, Any]:
        env = self.state.environments.get(params["e"])
        if env is None:
            raise _not_found(f"environment {params['e']}")
        return 200, self._environment_json(env, base)

    def _update_environment(
        self, *, params: dict[str, str], payload: Any, base: str, **_: Any
    ) -> tuple[int, Any]:
        env = self.state.environments.get(params["e"])
        if env is None:
            raise _not_found(f"environment {params['e']}")
        if isinstance(payload, dict):
            env.name = str(payload.get("name") or env.name)
            env.display_name = payload.get("displayName", env.display_name)
            env.production = bool(payload.get("production", env.production))
        return 200, self._environment_json(env, base)

    def _delete_environment(self, *, params: dict[str, str], **_: Any) -> tuple[int, Any]:
        if self.state.environments.pop(params["e"], None) is None:
            raise _not_found(f"environment {params['e']}")
        return 204, None

    def _deployment_json(self, d: Deployment, base: str) -> dict[str, Any]:
        env = self.state.environments.get(d.environment)
        body = {
            "uuid": d.uuid,
            "currentlyDeployed" if d.kind == "deployed" else "currentlySupported": d.current,
            "applicationInstance": d.application_instance,
            "target": d.application_instance,
            "createdAt": d.created_at,
            "_embedded": {
                "version": {"number": d.version},
                "pacticipant": {"name": d.pacticipant},
                "environment": {"uuid": d.environment, "name": env.name if env else None},
            },
            "_links": {
                "self": self._link(base, f"/{d.kind}-versions/{d.uuid}"),
                "pb:version": self._link(
                    base, f"/pacticipants/{_q(d.pacticipant)}/versions/{_q(d.version)}"
                ),
                "pb:environment": self._link(base, f"/environments/{d.environment}"),
            },
        }
        return body

    def _record(
        self, *, params: dict[str, str], payload: Any, base: str, **_: Any
    ) -> tuple[int, Any]:
        env = self.state.environments.get(params["e"])
        if env is None:
            raise _not_found(f"environment {params['e']}")
        if self.state.version(params["p"], params["v"]) is None:
            raise _not_found(f"version {params['v']} of {params['p']}")
        kind = params["kind"]
        instance = None
        if isinstance(payload, dict):
            instance = payload.get("applicationInstance") or None
        if kind == "deployed":
            # A new deployment to the same environment (and instance) replaces the old one.
            for d in self.state.current_deployments(params["p"], env.uuid, "deployed"):
                if d.application_instance == instance:
                    d.current = False
        else:
            for d in self.state.current_deployments(params["p"], env.uuid, "released"):
                if d.version == params["v"]:
                    return 200, self._deployment_json(d, base)
        d = Deployment(str(uuid.uuid4()), kind, params["p"], params["v"], env.uuid, instance)
        self.state.deployments.append(d)
        return 201, self._deployment_json(d, base)

    def _list_version_deployments(
        self, *, params: dict[str, str], base: str, **_: Any
    ) -> tuple[int, Any]:
        found = [
            d
            for d in self.state.deployments
            if d.kind == params["kind"]
            and d.pacticipant == params["p"]
            and d.version == params["v"]
        ]
        return 200, {
            "_embedded": {
                f"{params['kind']}Versions": [self._deployment_json(d, base) for d in found]
            },
            "_links": {
                "self": self._link(
                    base, f"/pacticipants/{_q(params['p'])}/versions/{_q(params['v'])}"
                )
            },
        }

    def _env_currently(self, env_uuid: str, kind: str, base: str) -> dict[str, Any]:
        if env_uuid not in self.state.environments:
            raise _not_found(f"environment {env_uuid}")
        found = self.state.current_deployments(environment=env_uuid, kind=kind)
        return {
            "_embedded": {f"{kind}Versions": [self._deployment_json(d, base) for d in found]},
            "_links": {"self": self._link(base, f"/environments/{env_uuid}")},
        }

    def _env_currently_deployed(
        self, *, params: dict[str, str], base: str, **_: Any
    ) -> tuple[int, Any]:
        return 200, self._env_currently(params["e"], "deployed", base)

    def _env_currently_supported(
        self, *, params: dict[str, str], base: str, **_: Any
    ) -> tuple[int, Any]:
        return 200, self._env_currently(params["e"], "released", base)

    def _patch_deployed(
        self, *, params: dict[str, str], payload: Any, base: str, **_: Any
    ) -> tuple[int, Any]:
        found = next((d for d in self.state.deployments if d.uuid == params["d"]), None)
        if found is None:
            raise _not_found(f"deployed version {params['d']}")
        if isinstance(payload, dict) and payload.get("currentlyDeployed") is False:
            found.current = False
        return 200, self._deployment_json(found, base)

    # -- matrix & can-i-deploy -----------------------------------------------
    def _get_matrix(self, *, query: list[tuple[str, str]], base: str, **_: Any) -> tuple[int, Any]:
        selectors: list[dict[str, Any]] = []
        for key, value in query:
            m = re.match(r"^q\[\]\[(\w+)\]$", key)
            if not m:
                continue
            if m.group(1) == "pacticipant":
                selectors.append({"pacticipant": value})
            elif selectors:
                selectors[-1][m.group(1)] = value
        if not selectors:
            raise _HttpError(
                400, {"errors": {"q": ["Please provide 1 or more version selectors."]}}
            )
        q = dict(query)
        return 200, self._matrix(
            selectors,
            environment=q.get("environment"),
            latest=q.get("latest") == "true",
            base=base,
        )

    def _get_can_i_deploy(
        self, *, query: list[tuple[str, str]], base: str, **_: Any
    ) -> tuple[int, Any]:
        q = dict(query)
        missing = [k for k in ("pacticipant", "version") if not q.get(k)]
        if missing:
            raise _HttpError(400, {"errors": {k: ["is missing"] for k in missing}})
        return 200, self._matrix(
            [{"pacticipant": q["pacticipant"], "version": q["version"]}],
            environment=q.get("environment"),
            latest=not q.get("environment"),
            base=base,
        )

    def _resolve_version(self, selector: dict[str, Any]) -> str | None:
        p = self.state.pacticipant(selector["pacticipant"])
        if p is None:
            return None
        if selector.get("version"):
            return selector["version"] if selector["version"] in p.versions else None
        versions = sorted(p.versions.values(), key=lambda v: v.order)
        if selector.get("branch"):
            versions = [v for v in versions if selector["branch"] in v.branches]
        if selector.get("mainBranch") == "true":
            versions = [v for v in versions if p.main_branch in v.branches]
        if selector.get("tag"):
            versions = [v for v in versions if selector["tag"] in v.tags]
        return versions[-1].number if versions else None

    def _matrix(
        self, selectors: list[dict[str, Any]], *, environment: str | None, latest: bool, base: str
    ) -> dict[str, Any]:
        """Rows for each integration of the selected versions, and the deployment decision."""
        env = self.state.environment_named(environment) if environment else None
        reasons: list[tuple[str, str]] = []  # (type, text)
        rows: list[dict[str, Any]] = []
        success = failed = unknown = 0
        if environment and env is None:
            reasons.append(("error", f"Environment with name '{environment}' does not exist"))
        resolved: dict[str, str] = {}
        for selector in selectors:
            number = self._resolve_version(selector)
            if number is None:
                what = (
                    selector.get("version")
                    or selector.get("branch")
                    or selector.get("tag")
                    or "latest"
                )
                reasons.append(
                    (
                        "error",
                        f"No pacticipant version found for {selector['pacticipant']} ({what})",
                    )
                    if self.state.pacticipant(selector["pacticipant"]) is None
                    else (
                        "error",
                        f"No version with number {what} exists for {selector['pacticipant']}",
                    )
                )
                continue
            resolved[selector["pacticipant"]] = number
        if reasons:
            return self._matrix_body([], None, reasons, 0, 0, 0)

        def other_versions(name: str) -> list[str] | None:
            """Versions of an integrated pacticipant to consider (None: unconstrained)."""
            if name in resolved:
                return [resolved[name]]
            if env is not None:
                return sorted(
                    {d.version for d in self.state.current_deployments(name, env.uuid)},
                    key=lambda n: self.state.pacticipants[name].versions[n].order,
                )
            return None

        env_desc = f"currently in {env.name}" if env else ""
        for name, number in resolved.items():
            # As a consumer: every provider this version has a pact with must have verified it.
            for pub in self.state.publications:
                if (pub.consumer, pub.consumer_version) != (name, number):
                    continue
                if self.state.publication(name, pub.provider, number) is not pub:
                    continue  # an overwritten publication
                if len(resolved) > 1 and pub.provider not in resolved:
                    continue
                candidates = other_versions(pub.provider)
                if candidates is None:  # latest verifying provider version
                    verifs = self.state.verifications_of(pub.sha, pub.provider)
                    candidates = [verifs[-1].provider_version] if verifs else []
                    desc = f"any version of {pub.provider}"
                else:
                    desc = None
                if not candidates:
                    unknown += 1
                    rows.append(self._row(pub, None, None, base))
                    where = (
                        f"a version of {pub.provider} {env_desc} (no version is currently recorded as deployed/released in this environment)"
                        if env
                        else desc or f"a version of {pub.provider}"
                    )
                    reasons.append(
                        (
                            "error",
                            f"There is no verified pact between version {number} of {name} and {where}",
                        )
                    )
                    continue
                for pv in candidates:
                    verification = self.state.latest_verification(pub.sha, pub.provider, pv)
                    rows.append(self._row(pub, pv, verification, base))
                    pdesc = (
                        f"the version of {pub.provider} {env_desc} ({pv})"
                        if env
                        else f"version {pv} of {pub.provider}"
                    )
                    if verification is None:
                        unknown += 1
                        reasons.append(
                            (
                                "error",
                                f"There is no verified pact between version {number} of {name} and {pdesc}",
                            )
                        )
                    elif verification.success:
                        success += 1
                    else:
                        failed += 1
                        reasons.append(
                            (
                                "error",
                                f"The verification for the pact between version {number} of {name} and {pdesc} failed",
                            )
                        )
            # As a provider: the consumer versions it meets must have been verified by it.
            consumers = {p.consumer for p in self.state.publications if p.provider == name}
            for consumer in sorted(consumers):
                if len(resolved) > 1 and consumer not in resolved:
                    continue
                if consumer in resolved and len(resolved) > 1:
                    continue  # already covered from the consumer's side
                cvs = other_versions(consumer)
                if cvs is None:
                    continue  # a provider does not need its consumers
                for cv in cvs:
                    pub = self.state.publication(consumer, name, cv)
                    if pub is None:
                        continue
                    verification = self.state.latest_verification(pub.sha, name, number)
                    rows.append(self._row(pub, number, verification, base))
                    cdesc = (
                        f"the version of {consumer} {env_desc} ({cv})"
                        if env
                        else f"version {cv} of {consumer}"
                    )
                    if verification is None:
                        unknown += 1
                        reasons.append(
                            (
                                "error",
                                f"There is no verified pact between {cdesc} and version {number} of {name}",
                            )
                        )
                    elif verification.success:
                        success += 1
                    else:
                        failed += 1
                        reasons.append(
                            (
                                "error",
                                f"The verification for the pact between {cdesc} and version {number} of {name} failed",
                            )
                        )
        if failed:
            deployable: bool | None = False
        elif unknown:
            deployable = None
        else:
            deployable = True
            reasons.append(
                ("success", "All required verification results are published and successful")
                if rows
                else ("success", "There are no missing dependencies")
            )
        return self._matrix_body(rows, deployable, reasons, success, failed, unknown)

    @staticmethod
    def _matrix_body(
        rows: list[dict[str, Any]],
        deployable: bool | None,
        reasons: list[tuple[str, str]],
        success: int,
        failed: int,
        unknown: int,
    ) -> dict[str, Any]:
        if (
            not rows
            and deployable is None
            and reasons
            and reasons[0][0] == "error"
            and not (success or failed or unknown)
        ):
            deployable = (
                False if any("does not exist" in r[1] or "No " in r[1] for r in reasons) else None
            )
        verdict = "Computer says yes \\o/" if deployable else "Computer says no ¯\\_(ツ)_/¯"
        notices = [{"type": "success" if deployable else "error", "text": verdict}]
        notices += [{"type": kind, "text": text} for kind, text in reasons]
        return {
            "summary": {
                "deployable": deployable,
                "reason": "\n".join(text for _, text in reasons),
                "success": success,
                "failed": failed,
                "unknown": unknown,
            },
            "notices": notices,
            "matrix": rows,
        }

    def _row(
        self, pub: Publication, pv: str | None, v: Verification | None, base: str
    ) -> dict[str, Any]:
        cv = self._version_of(pub)
        provider_version = None
        if pv is not None:
            pver = self.state.version(pub.provider, pv)
            provider_version = {
                "number": pv,
                "branch": pver.branches[-1] if pver and pver.branches else None,
                "_links": {
                    "self": self._link(base, f"/pacticipants/{_q(pub.provider)}/versions/{_q(pv)}")
                },
            }
        return {
            "consumer": {
                "name": pub.consumer,
                "_links": {"self": self._link(base, f"/pacticipants/{_q(pub.consumer)}")},
                "version": {
                    "number": cv.number,
                    "branch": cv.branches[-1] if cv.branches else None,
                    "_links": {
                        "self": self._link(
                            base, f"/pacticipants/{_q(pub.consumer)}/versions/{_q(cv.number)}"
                        )
                    },
                },
            },
            "provider": {
                "name": pub.provider,
                "_links": {"self": self._link(base, f"/pacticipants/{_q(pub.provider)}")},
                "version": provider_version,
            },
            "pact": {
                "createdAt": pub.created_at,
                "_links": {
                    "self": self._link(base, self._pact_path(pub.provider, pub.consumer, pub.sha))
                },
            },
            "verificationResult": None
            if v is None
            else {
                "success": v.success,
                "verifiedAt": v.verified_at,
                "_links": {
                    "self": self._link(
                        base,
                        self._pact_path(v.provider, v.consumer, v.sha)
                        + f"/verification-results/{v.id}",
                    )
                },
            },
        }

    # -- webhooks ------------------------------------------------------------
    def _webhook_json(self, wid: str, body: dict[str, Any], base: str) -> dict[str, Any]:
        doc = dict(body)
        doc["uuid"] = wid
        doc["_links"] = {
            "self": self._link(base, f"/webhooks/{wid}", body.get("description") or "Webhook"),
            "pb:execute": self._link(base, f"/webhooks/{wid}/execute"),
            "pb:webhooks": self._link(base, "/webhooks"),
        }
        return doc

    def _validate_webhook(self, payload: Any) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        if not isinstance(payload, dict):
            raise _HttpError(400, {"errors": {"body": ["must be a JSON object"]}})
        request = payload.get("request")
        if not isinstance(request, dict):
            errors["request"] = ["is missing"]
        else:
            if not request.get("method"):
                errors["request.method"] = ["is missing"]
            if not request.get("url"):
                errors["request.url"] = ["is missing"]
        events = payload.get("events")
        known = {
            "contract_published",
            "contract_content_changed",
            "contract_requiring_verification_published",
            "provider_verification_published",
            "provider_verification_succeeded",
            "provider_verification_failed",
        }
        if not isinstance(events, list) or not events:
            errors["events"] = ["must contain at least one event"]
        else:
            for event in events:
                if not isinstance(event, dict) or event.get("name") not in known:
                    errors.setdefault("events", []).append(f"unknown event {event!r}")
        if errors:
            raise _HttpError(400, {"errors": errors})
        return payload

    def _list_webhooks(self, *, base: str, **_: Any) -> tuple[int, Any]:
        return 200, {
            "_links": {
                "self": self._link(base, "/webhooks", "Webhooks"),
                "pb:webhooks": [
                    self._link(base, f"/webhooks/{wid}", body.get("description") or "Webhook")
                    for wid, body in self.state.webhooks.items()
                ],
            }
        }

    def _create_webhook(self, *, payload: Any, base: str, **_: Any) -> tuple[int, Any]:
        body = self._validate_webhook(payload)
        wid = str(uuid.uuid4())
        self.state.webhooks[wid] = body
        return 201, self._webhook_json(wid, body, base)

    def _get_webhook(self, *, params: dict[str, str], base: str, **_: Any) -> tuple[int, Any]:
        body = self.state.webhooks.get(params["w"])
        if body is None:
            raise _not_found(f"webhook {params['w']}")
        return 200, self._webhook_json(params["w"], body, base)

    def _put_webhook(
        self, *, params: dict[str, str], payload: Any, base: str, **_: Any
    ) -> tuple[int, Any]:
        body = self._validate_webhook(payload)
        existed = params["w"] in self.state.webhooks
        self.state.webhooks[params["w"]] = body
        return (200 if existed else 201), self._webhook_json(params["w"], body, base)

    def _delete_webhook(self, *, params: dict[str, str], **_: Any) -> tuple[int, Any]:
        if self.state.webhooks.pop(params["w"], None) is None:
            raise _not_found(f"webhook {params['w']}")
        return 204, None

    def _fire_webhooks(self, pub: Publication, changed: bool, base: str) -> None:
        """Render (and optionally send) the webhooks this publication triggers."""
        provider = self.state.pacticipant(pub.provider)
        assert provider is not None
        # Provider versions that must verify this content: the head of the main branch
        # and every deployed or released version (contract_requiring_verification_published).
        required: list[Version] = []
        if provider.main_branch:
            on_main = [v for v in provider.versions.values() if provider.main_branch in v.branches]
            if on_main:
                required.append(max(on_main, key=lambda v: v.order))
        for d in self.state.current_deployments(pub.provider):
            v = provider.versions.get(d.version)
            if v and v not in required:
                required.append(v)
        needing = [
            v
            for v in required
            if not any(
                x.success
                for x in self.state.verifications_of(pub.sha, pub.provider)
                if x.provider_version == v.number
            )
        ]
        if not required:
            needing_targets: list[Version | None] = [None]
        else:
            needing_targets = list(needing)
        cv = self._version_of(pub)
        for wid, hook in self.state.webhooks.items():
            if hook.get("enabled") is False:
                continue
            if hook.get("consumer", {}).get("name") not in (None, pub.consumer):
                continue
            if hook.get("provider", {}).get("name") not in (None, pub.provider):
                continue
            names = {e.get("name") for e in hook.get("events", [])}
            targets: list[Version | None] = []
            event = None
            if "contract_requiring_verification_published" in names:
                event, targets = "contract_requiring_verification_published", needing_targets
            elif "contract_content_changed" in names and changed:
                event, targets = "contract_content_changed", [None]
            elif "contract_published" in names:
                event, targets = "contract_published", [None]
            for target in targets:
                values = {
                    "pactbroker.pactUrl": base
                    + self._pact_path(pub.provider, pub.consumer, pub.sha),
                    "pactbroker.consumerName": pub.consumer,
                    "pactbroker.providerName": pub.provider,
                    "pactbroker.consumerVersionNumber": cv.number,
                    "pactbroker.consumerVersionBranch": cv.branches[-1] if cv.branches else "",
                    "pactbroker.providerVersionNumber": target.number if target else "",
                    "pactbroker.providerVersionBranch": target.branches[-1]
                    if target and target.branches
                    else "",
                    "pactbroker.eventName": event or "",
                }
                request = _render(hook["request"], values)
                record = {"webhook": wid, "event": event, "request": request}
                self.state.triggered_webhooks.append(record)
                if self.deliver_webhooks:
                    threading.Thread(target=_deliver, args=(request,), daemon=True).start()


# --------------------------------------------------------------------------- helpers


def _sha(content: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(content, sort_keys=True).encode()).hexdigest()  # noqa: S324 - an id, as in the broker


def _merge_pacts(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = dict(new)
    seen = {
        (i.get("description"), json.dumps(i.get("providerStates"), sort_keys=True))
        for i in new.get("interactions", [])
    }
    extra = [
        i
        for i in old.get("interactions", [])
        if (i.get("description"), json.dumps(i.get("providerStates"), sort_keys=True)) not in seen
    ]
    merged["interactions"] = extra + list(new.get("interactions", []))
    return merged


def _parse_date(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_SELECTOR_KEYS = {
    "mainBranch",
    "branch",
    "matchingBranch",
    "fallbackBranch",
    "deployedOrReleased",
    "deployed",
    "released",
    "environment",
    "tag",
    "fallbackTag",
    "latest",
    "consumer",
}


def _validate_selectors(selectors: Any) -> list[str]:
    if not isinstance(selectors, list):
        return ["must be an array"]
    problems = []
    for i, s in enumerate(selectors):
        if not isinstance(s, dict):
            problems.append(f"selector {i} must be an object")
            continue
        unknown = set(s) - _SELECTOR_KEYS
        if unknown:
            problems.append(f"selector {i} has unknown keys {sorted(unknown)}")
        if not set(s) - {"consumer", "latest"} and not s.get("latest"):
            problems.append(f"selector {i} must specify at least one criterion")
        for flag in ("mainBranch", "matchingBranch", "deployedOrReleased", "deployed", "released"):
            if flag in s and s[flag] is not True:
                problems.append(f"selector {i}: {flag} can only be set to true")
    return problems


def _describe_selector(s: dict[str, Any]) -> str:
    who = f" of {s['consumer']}" if s.get("consumer") else ""
    if s.get("mainBranch"):
        return f"latest pact for a consumer version{who} from the main branch"
    if s.get("matchingBranch"):
        return (
            f"latest pact for a consumer version{who} from the branch matching the provider branch"
        )
    if s.get("branch"):
        return f"latest pact for a consumer version{who} from branch '{s['branch']}'"
    if s.get("deployedOrReleased"):
        return f"pacts for consumer versions{who} currently deployed or released and supported"
    if s.get("deployed"):
        return f"pacts for consumer versions{who} currently deployed"
    if s.get("released"):
        return f"pacts for consumer versions{who} released and supported"
    if s.get("tag"):
        return f"latest pact for a consumer version{who} with tag '{s['tag']}'"
    return f"latest pact{who}"


def _render(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, replacement in values.items():
            value = value.replace("${" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _render(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, values) for v in value]
    return value


def _deliver(request: dict[str, Any]) -> None:
    url = str(request["url"])
    if not url.startswith("http://127.0.0.1"):
        return  # never leave the machine in tests
    body = request.get("body")
    data = (
        (json.dumps(body) if not isinstance(body, str) else body).encode()
        if body is not None
        else None
    )
    req = urllib.request.Request(url, data=data, method=str(request["method"]).upper())
    for name, value in (request.get("headers") or {}).items():
        req.add_header(name, value)
    with contextlib.suppress(OSError), urllib.request.urlopen(req, timeout=5):
        pass


class _Handler(BaseHTTPRequestHandler):
    broker: PactBrokerServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed ACK

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        method = self.command
        path = urlsplit(self.path).path
        self.broker.requests.append(
            {
                "method": method,
                "path": path,
                "query": urlsplit(self.path).query,
                "headers": {k: v for k, v in headers.items() if k != "authorization"},
                "authorized_with": headers.get("authorization", "").split(" ", 1)[0] or None,
                "body": body.decode("utf-8", "replace"),
            }
        )
        fault = self.broker._take_fault(method, path)
        if fault is not None:
            if fault.status == STALL:
                self.broker._released.wait()
                self.close_connection = True
                return
            if fault.status is None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
                return
            self._send(fault.status, {"error": f"injected fault {fault.status}"})
            return
        try:
            status, doc = self.broker.handle(method, self.path, headers, body)
        except _HttpError as exc:
            status, doc = exc.status, exc.body
        except Exception as exc:  # a bug in the test broker: make it visible
            status, doc = 500, {"error": f"{type(exc).__name__}: {exc}"}
        self._send(status, doc)

    def _send(self, status: int, doc: Any) -> None:
        data = b"" if doc is None else json.dumps(doc).encode()
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Pact Broker"')
        if data:
            self.send_header("Content-Type", HAL)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method_has_body(self.command):
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


def method_has_body(method: str) -> bool:
    return method != "HEAD"
