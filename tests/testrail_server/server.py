"""In-memory TestRail API v2 fake (see the package docstring for the endpoints)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    endpoint: str
    args: list[str]
    query: dict[str, str]
    body: Any
    user: str
    password: str


@dataclass
class State:
    """What the fake TestRail holds; tests read it after an upload."""

    users: dict[str, str] = field(default_factory=dict)  # email -> API key or password
    projects: list[dict[str, Any]] = field(default_factory=list)
    suites: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def endpoints(self) -> list[str]:
        """Endpoints called, in order."""
        return [r.endpoint for r in self.requests]


STATUSES = [
    {"id": 1, "name": "passed", "label": "Passed", "is_system": True, "is_final": True},
    {"id": 2, "name": "blocked", "label": "Blocked", "is_system": True, "is_final": True},
    {"id": 3, "name": "untested", "label": "Untested", "is_system": True, "is_final": False},
    {"id": 4, "name": "retest", "label": "Retest", "is_system": True, "is_final": False},
    {"id": 5, "name": "failed", "label": "Failed", "is_system": True, "is_final": True},
]


def _page(name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    # TestRail 6.7+ bulk endpoints answer a page object with a `_links.next` cursor.
    return {
        "offset": 0,
        "limit": 250,
        "size": len(items),
        "_links": {"next": None, "prev": None},
        name: items,
    }


class Handler(BaseHTTPRequestHandler):
    """Routes ``/index.php?/api/v2/<endpoint>/<args>&<query>``."""

    state: State  # set on the subclass made by serve()
    server_version = "FakeTestRail/1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _parse(self) -> tuple[str, list[str], dict[str, str]]:
        raw = self.path
        if "?" not in raw or "/api/v2/" not in raw:
            return "", [], {}
        route = unquote(raw.split("/api/v2/", 1)[1])
        head, *params = route.split("&")
        query = {}
        for p in params:
            k, _, v = p.partition("=")
            query[k] = v
        parts = head.strip("/").split("/")
        return parts[0], parts[1:], query

    def _auth(self) -> tuple[str, str]:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return "", ""
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user, password

    def _send(self, code: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        endpoint, args, query = self._parse()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"_raw_bytes": len(raw)}
        user, password = self._auth()
        st = self.state
        with st.lock:
            st.requests.append(Received(method, endpoint, args, query, body, user, password))
            if not endpoint:
                self._send(404, {"error": "not the TestRail API"})
                return
            if st.users and st.users.get(user) != password:
                self._send(
                    401,
                    {
                        "error": "Authentication failed: invalid or missing user/password or session cookie."
                    },
                )
                return
            handler = getattr(self, f"ep_{endpoint}", None)
            if handler is None:
                self._send(400, {"error": f"Unknown method '{endpoint}'"})
                return
            code, payload = handler(st, args, query, body or {})
        self._send(code, payload)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    # -- projects and suites
    def ep_get_current_user(self, st: State, args, query, body):
        return 200, {"id": 1, "name": "CI", "email": self._auth()[0], "is_active": True}

    def ep_get_projects(self, st: State, args, query, body):
        return 200, _page("projects", st.projects)

    def ep_get_project(self, st: State, args, query, body):
        for p in st.projects:
            if p["id"] == int(args[0]):
                return 200, p
        return 400, {"error": "Field :project_id is not a valid or accessible project."}

    def ep_get_suites(self, st: State, args, query, body):
        return 200, [s for s in st.suites if s["project_id"] == int(args[0])]

    def ep_get_suite(self, st: State, args, query, body):
        for s in st.suites:
            if s["id"] == int(args[0]):
                return 200, s
        return 400, {"error": "Field :suite_id is not a valid test suite."}

    def ep_add_suite(self, st: State, args, query, body):
        suite = {
            "id": st.new_id(),
            "project_id": int(args[0]),
            "name": body.get("name"),
            "description": body.get("description"),
        }
        st.suites.append(suite)
        return 200, suite

    # -- sections and cases
    def ep_get_sections(self, st: State, args, query, body):
        sid = int(query.get("suite_id", 0) or 0)
        return 200, _page("sections", [s for s in st.sections if not sid or s["suite_id"] == sid])

    def ep_add_section(self, st: State, args, query, body):
        section = {
            "id": st.new_id(),
            "project_id": int(args[0]),
            "suite_id": int(body.get("suite_id") or 0),
            "name": body.get("name"),
            "description": body.get("description"),
            "parent_id": body.get("parent_id"),
            "depth": 0,
        }
        st.sections.append(section)
        return 200, section

    def ep_get_cases(self, st: State, args, query, body):
        sid = int(query.get("suite_id", 0) or 0)
        return 200, _page("cases", [c for c in st.cases if not sid or c["suite_id"] == sid])

    def ep_get_case(self, st: State, args, query, body):
        for c in st.cases:
            if c["id"] == int(args[0]):
                return 200, c
        return 400, {"error": "Field :case_id is not a valid test case."}

    def ep_add_case(self, st: State, args, query, body):
        section_id = int(args[0])
        suite_id = next((s["suite_id"] for s in st.sections if s["id"] == section_id), 0)
        case = {
            "id": st.new_id(),
            "section_id": section_id,
            "suite_id": suite_id,
            "template_id": 1,
            "type_id": 1,
            "priority_id": 2,
            "refs": None,
            **body,
        }
        st.cases.append(case)
        return 200, case

    def ep_update_case(self, st: State, args, query, body):
        for c in st.cases:
            if c["id"] == int(args[0]):
                c.update(body)
                return 200, c
        return 400, {"error": "Field :case_id is not a valid test case."}

    def ep_get_case_fields(self, st: State, args, query, body):
        # trcli matches report cases to TestRail cases through this custom field.
        return 200, [
            {
                "id": 1,
                "system_name": "custom_automation_id",
                "name": "automation_id",
                "label": "Automation ID",
                "type_id": 1,
                "is_active": True,
                "configs": [{"context": {"is_global": True, "project_ids": None}, "options": {}}],
            }
        ]

    def ep_get_result_fields(self, st: State, args, query, body):
        return 200, []

    def ep_get_case_types(self, st: State, args, query, body):
        return 200, [{"id": 1, "name": "Automated", "is_default": True}]

    def ep_get_priorities(self, st: State, args, query, body):
        return 200, [
            {"id": 2, "name": "Medium", "short_name": "Medium", "is_default": True, "priority": 2}
        ]

    def ep_get_templates(self, st: State, args, query, body):
        return 200, [{"id": 1, "name": "Test Case (Text)", "is_default": True}]

    def ep_get_statuses(self, st: State, args, query, body):
        return 200, STATUSES

    # -- runs and results
    def ep_add_run(self, st: State, args, query, body):
        run = {
            "id": st.new_id(),
            "project_id": int(args[0]),
            "is_completed": False,
            "url": f"http://127.0.0.1/index.php?/runs/view/{st.next_id}",
            **body,
        }
        st.runs.append(run)
        return 200, run

    def ep_get_run(self, st: State, args, query, body):
        for r in st.runs:
            if r["id"] == int(args[0]):
                return 200, r
        return 400, {"error": "Field :run_id is not a valid test run."}

    def ep_update_run(self, st: State, args, query, body):
        for r in st.runs:
            if r["id"] == int(args[0]):
                r.update(body)
                return 200, r
        return 400, {"error": "Field :run_id is not a valid test run."}

    def ep_get_runs(self, st: State, args, query, body):
        return 200, _page("runs", [r for r in st.runs if r["project_id"] == int(args[0])])

    def ep_get_tests(self, st: State, args, query, body):
        run = next((r for r in st.runs if r["id"] == int(args[0])), None)
        ids = (run or {}).get("case_ids") or []
        tests = [
            {"id": 100000 + cid, "case_id": cid, "run_id": int(args[0]), "status_id": 3}
            for cid in ids
        ]
        return 200, _page("tests", tests)

    def ep_add_results_for_cases(self, st: State, args, query, body):
        out = []
        for r in body.get("results", []):
            result = {
                "id": st.new_id(),
                "run_id": int(args[0]),
                "test_id": 100000 + int(r.get("case_id") or 0),
                **r,
            }
            st.results.append(result)
            out.append(result)
        return 200, out

    def ep_close_run(self, st: State, args, query, body):
        for r in st.runs:
            if r["id"] == int(args[0]):
                r["is_completed"] = True
                return 200, r
        return 400, {"error": "Field :run_id is not a valid test run."}

    def ep_add_attachment_to_result(self, st: State, args, query, body):
        return 200, {"attachment_id": st.new_id()}


@contextmanager
def serve(state: State | None = None) -> Iterator[tuple[str, State]]:
    """Run the fake on 127.0.0.1 (a free port) in a thread; yield its base URL and state."""
    st = state or State()
    handler = type("BoundHandler", (Handler,), {"state": st})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", st
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
