"""testgate.states mounted into real Flask, FastAPI and Django apps, served on 127.0.0.1 port 0
and driven by pact-python's real Verifier (and `testgate verify` for the error cases).

One small pact, written by pact-python's real mock server, covers what the glue promises: params
as keyword arguments, a teardown per state (a returned callable, a generator's code after its
`yield`, a registered `@states.teardown`), values injected into the request from the setup's
answer (a V3 provider-state generator), and an interaction without a state (the core's `""`).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from pact import Pact, Verifier, generate, match
from pact.match.matcher import GenericMatcher
from testgate.states import ProviderStates
from werkzeug.serving import make_server

CONSUMER = "glue-web"
PROVIDER = "glue-provider"
STATES_PATH = "/_pact/provider-states"

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # the in-process Verifier reads it


# -- the provider: one store, one set of states, three frameworks ------------------------------


@dataclass
class Inventory:
    products: dict[str, str] = field(default_factory=dict)
    reserved: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


def build_states(inv: Inventory) -> ProviderStates:
    states = ProviderStates()

    @states.state("a product exists")
    def product_exists(id: str = "p-0", name: str = "Thing", **_: Any) -> Callable[[], None]:
        inv.products[id] = name
        inv.events.append(f"setup product {id}")

        def remove() -> None:
            del inv.products[id]
            inv.events.append(f"teardown product {id}")

        return remove

    @states.state("a product was created")
    def product_created(name: str) -> Iterator[dict[str, str]]:
        new_id = (
            f"x-{uuid.uuid4().hex[:8]}"  # only the provider knows it: the pact gets it injected
        )
        inv.products[new_id] = name
        inv.events.append("setup created")
        yield {"id": new_id}
        del inv.products[new_id]
        inv.events.append("teardown created")

    @states.state("stock is reserved")
    def reserve(sku: str) -> None:
        inv.reserved.append(sku)
        inv.events.append(f"reserve {sku}")

    @states.teardown("stock is reserved")
    def release(sku: str) -> None:
        inv.reserved.remove(sku)
        inv.events.append(f"release {sku}")

    @states.state("the database is down")
    def database_down(**_: Any) -> None:
        raise ConnectionError("db.internal:5432 refused the connection")

    return states


def flask_app(inv: Inventory) -> Any:
    from flask import Flask, jsonify

    app = Flask("glue_flask")

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    @app.get("/products/<pid>")
    def product(pid: str) -> Any:
        if pid not in inv.products:
            return jsonify(error=f"no product {pid}"), 404
        return jsonify(id=pid, name=inv.products[pid])

    @app.get("/reservations")
    def reservations() -> Any:
        return jsonify(reserved=inv.reserved)

    build_states(inv).mount_flask(app)
    return app


def fastapi_app(inv: Inventory) -> Any:
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/products/{pid}")
    def product(pid: str) -> Any:
        if pid not in inv.products:
            return JSONResponse({"error": f"no product {pid}"}, status_code=404)
        return {"id": pid, "name": inv.products[pid]}

    @app.get("/reservations")
    def reservations() -> dict[str, list[str]]:
        return {"reserved": inv.reserved}

    build_states(inv).mount_starlette(app)
    return app


def django_app(inv: Inventory) -> Any:
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="glue-test-not-a-secret",
            ALLOWED_HOSTS=["127.0.0.1", "localhost"],
            ROOT_URLCONF="glue_django_urls",
            INSTALLED_APPS=[],
            # CSRF middleware on, as in a real project: the state endpoint must be exempt.
            MIDDLEWARE=[
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ],
        )
        import django

        django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.http import JsonResponse
    from django.urls import path

    def health(request: Any) -> Any:
        return JsonResponse({"status": "ok"})

    def product(request: Any, pid: str) -> Any:
        if pid not in inv.products:
            return JsonResponse({"error": f"no product {pid}"}, status=404)
        return JsonResponse({"id": pid, "name": inv.products[pid]})

    def reservations(request: Any) -> Any:
        return JsonResponse({"reserved": inv.reserved})

    urls = types.ModuleType("glue_django_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("health", health),
        path("products/<str:pid>", product),
        path("reservations", reservations),
    ]
    build_states(inv).mount_django(urls.urlpatterns)  # type: ignore[attr-defined]
    sys.modules["glue_django_urls"] = urls
    from django.urls import clear_url_caches

    clear_url_caches()
    return get_wsgi_application()


@contextlib.contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


APPS = {
    "flask": (flask_app, serve_wsgi),
    "fastapi": (fastapi_app, serve_asgi),
    "django": (django_app, serve_wsgi),
}


@dataclass
class Running:
    url: str
    inv: Inventory

    @property
    def states_url(self) -> str:
        return self.url + STATES_PATH


@pytest.fixture(params=sorted(APPS))
def provider(request: pytest.FixtureRequest) -> Iterator[Running]:
    make_app, serve = APPS[request.param]
    inv = Inventory()
    with serve(make_app(inv)) as url:
        yield Running(url, inv)


# -- the consumer's pact, written by pact-python's real mock server ----------------------------


@pytest.fixture(scope="module")
def pact_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pacts")
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    (
        pact.upon_receiving("a request for product p-1")
        .given("a product exists", id="p-1", name="Widget")
        .with_request("GET", "/products/p-1")
        .will_respond_with(200)
        .with_body({"id": "p-1", "name": "Widget"}, content_type="application/json")
    )
    (
        pact.upon_receiving("a request for the product the provider just created")
        .given("a product was created", name="Gizmo")
        # The path comes from the setup's answer: {"id": ...} (a V3 provider-state generator).
        .with_request(
            "GET",
            GenericMatcher(
                "regex",
                "/products/x-0",
                regex=r"^/products/x-[0-9a-f]+$",
                generator=generate.provider_state("/products/${id}"),
            ),
        )
        .will_respond_with(200)
        .with_body({"id": match.str("x-0"), "name": "Gizmo"}, content_type="application/json")
    )
    (
        pact.upon_receiving("a request for the reservations")
        .given("stock is reserved", sku="s-1")
        .with_request("GET", "/reservations")
        .will_respond_with(200)
        .with_body({"reserved": ["s-1"]}, content_type="application/json")
    )
    (
        pact.upon_receiving("a health check")  # no state: the core sends the empty state ""
        .with_request("GET", "/health")
        .will_respond_with(200)
        .with_body({"status": "ok"}, content_type="application/json")
    )
    with pact.serve() as srv:
        base = str(srv.url).rstrip("/")
        assert requests.get(f"{base}/products/p-1", timeout=5).json()["name"] == "Widget"
        assert requests.get(f"{base}/products/x-0", timeout=5).json()["id"] == "x-0"
        assert requests.get(f"{base}/reservations", timeout=5).json() == {"reserved": ["s-1"]}
        assert requests.get(f"{base}/health", timeout=5).status_code == 200
    pact.write_file(folder)
    written = folder / f"{CONSUMER}-{PROVIDER}.json"
    doc = json.loads(written.read_text())
    (created,) = (i for i in doc["interactions"] if "just created" in i["description"])
    assert created["request"]["generators"]["path"]["type"] == "ProviderState", created
    return written


def verify(pact_file: Path, provider: Running) -> dict[str, Any]:
    verifier = (
        Verifier(PROVIDER, host="127.0.0.1")
        .add_transport(url=provider.url)
        .add_source(str(pact_file))
        .state_handler(provider.states_url, teardown=True, body=True)
        .set_request_timeout(10_000)
    )
    with contextlib.suppress(RuntimeError):  # verify() raises on failure: results say why
        verifier.verify()
    return verifier.results


def test_the_real_verifier_passes_with_states_params_teardown_and_injected_values(
    pact_file: Path, provider: Running
) -> None:
    results = verify(pact_file, provider)
    outcomes = {item["description"]: item["result"] for item in results["interactionResults"]}
    assert len(outcomes) == 4, results
    failed = {name: result for name, result in outcomes.items() if result != "OK"}
    assert failed == {}, json.dumps(results, indent=1)[:3000]
    inv = provider.inv
    # every setup was torn down again, each kind of teardown in its turn
    assert inv.products == {}
    assert inv.reserved == []
    assert inv.events.index("setup product p-1") < inv.events.index("teardown product p-1")
    assert inv.events.index("setup created") < inv.events.index("teardown created")
    assert inv.events.index("reserve s-1") < inv.events.index("release s-1")
    assert sorted(inv.events) == sorted(
        [
            "setup product p-1",
            "teardown product p-1",
            "setup created",
            "teardown created",
            "reserve s-1",
            "release s-1",
        ]
    )


def test_the_endpoint_answers_the_error_cases(provider: Running) -> None:
    url = provider.states_url
    unknown = requests.post(url, json={"state": "a user exists", "params": {}}, timeout=5)
    assert unknown.status_code == 400
    assert unknown.headers["content-type"].startswith("application/json")
    body = unknown.json()
    assert "'a user exists'" in body["error"]
    assert "'a product exists'" in body["error"]
    assert "stock is reserved" in body["known"]

    raising = requests.post(
        url, json={"state": "the database is down", "action": "setup"}, timeout=5
    )
    assert raising.status_code == 500
    assert raising.json()["error"] == (
        "provider state 'the database is down' (setup) raised ConnectionError: "
        "db.internal:5432 refused the connection"
    )
    assert "Traceback" not in raising.text

    empty = requests.post(url, json={"state": "", "params": {}, "action": "setup"}, timeout=5)
    assert (empty.status_code, empty.json()) == (200, {})
    injected = requests.post(
        url, json={"state": "a product was created", "params": {"name": "N"}}, timeout=5
    )
    assert injected.status_code == 200
    assert injected.json()["id"].startswith("x-")
    assert requests.get(url, timeout=5).status_code == 405
    assert requests.post(url, data=b"{nope", timeout=5).status_code == 400


def test_fastapi_leaves_the_endpoint_out_of_its_openapi() -> None:
    with serve_asgi(fastapi_app(Inventory())) as url:
        schema = requests.get(url + "/openapi.json", timeout=5).json()
    assert "/health" in schema["paths"]
    assert STATES_PATH not in schema["paths"]


# -- the error cases through `testgate verify`, as a user meets them ---------------------------


def one_state_pact(folder: Path, state: str) -> Path:
    folder.mkdir(parents=True)
    doc = {
        "consumer": {"name": CONSUMER},
        "provider": {"name": PROVIDER},
        "interactions": [
            {
                "type": "Synchronous/HTTP",
                "key": "k1",
                "description": f"a health check given {state}",
                "providerStates": [{"name": state}],
                "request": {"method": "GET", "path": "/health"},
                "response": {"status": 200},
            }
        ],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    path = folder / f"{CONSUMER}-{PROVIDER}.json"
    path.write_text(json.dumps(doc))
    return path


def run_verify(
    pact_dir: Path, provider: Running, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "testgate",
            "verify",
            "--provider",
            PROVIDER,
            "--pact-dir",
            str(pact_dir),
            "--provider-url",
            provider.url,
            "--states-url",
            provider.states_url,
        ],
        cwd=cwd,
        env={**env, "TESTGATE_PLATFORM": "local"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_testgate_verify_names_an_unknown_state_and_exits_2(
    provider: Running, clean_environ: dict[str, str], tmp_path: Path
) -> None:
    pact_dir = tmp_path / "pacts"
    one_state_pact(pact_dir, "a user exists")
    started = time.monotonic()
    proc = run_verify(pact_dir, provider, clean_environ, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "a user exists" in out
    assert "a product exists" in out  # the known states, from the endpoint's answer
    assert time.monotonic() - started < 60  # the probe, not the core's minutes of retries


def test_testgate_verify_quotes_a_raising_handler(
    provider: Running, clean_environ: dict[str, str], tmp_path: Path
) -> None:
    pact_dir = tmp_path / "pacts"
    one_state_pact(pact_dir, "the database is down")
    proc = run_verify(pact_dir, provider, clean_environ, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode in (2, 3), out  # a provider problem, never a pass or a gate failure
    assert "ConnectionError: db.internal:5432 refused the connection" in out
    assert "Traceback" not in out
