"""The fake GitLab REST API v4 (see the package docstring)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from fake_http import JSONHandler, ServedFake

NOTE_LIMIT = 1_000_000


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class User:
    id: int
    username: str
    scopes: tuple[str, ...] = ("api",)


@dataclass
class Project:
    id: int
    path: str
    merge_requests: tuple[int, ...]


@dataclass
class FakeGitLab(ServedFake):
    """In-memory GitLab: projects, merge requests, notes, tokens; records every request."""

    web_url: str = "https://gitlab.example.com"
    projects: dict[int, Project] = field(default_factory=dict)
    tokens: dict[str, User] = field(default_factory=dict)
    job_tokens: set[str] = field(default_factory=set)
    notes: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    faults: list[tuple[str | None, int, bool]] = field(default_factory=list)  # method, status, lost
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: int = 7000
    _server: ThreadingHTTPServer | None = None

    # -- set-up ---------------------------------------------------------------------------
    def add_project(self, project_id: int, path: str, merge_requests: tuple[int, ...]) -> None:
        self.projects[project_id] = Project(project_id, path, merge_requests)

    def add_token(self, token: str, username: str, scopes: tuple[str, ...] = ("api",)) -> User:
        user = User(100 + len(self.tokens), username, scopes)
        self.tokens[token] = user
        return user

    def add_note(
        self, project_id: int, iid: int, body: str, *, token: str | None = None, system=False
    ) -> dict[str, Any]:
        """A note by ``token``'s user (or a system note)."""
        user = self.tokens[token] if token else User(1, "ghost")
        with self.lock:
            return self._new_note(self.projects[project_id], iid, body, user, system=system)

    def fail_next(self, count: int, status: int = 502, method: str | None = None) -> None:
        """The next ``count`` requests (of ``method``, if given) answer ``status``."""
        self.faults += [(method, status, False)] * count

    def lose_next_answer(self, method: str) -> None:
        """The next ``method`` request is carried out, but its answer is a 502."""
        self.faults.append((method, 502, True))

    def notes_on(self, project_id: int, iid: int) -> list[dict[str, Any]]:
        return [n for n in self.notes if n["_project"] == project_id and n["noteable_iid"] == iid]

    def calls(self, method: str | None = None) -> list[Received]:
        return [r for r in self.requests if method is None or r.method == method]

    # -- server (start, stop, with: ServedFake) --------------------------------------------
    @property
    def url(self) -> str:
        """The API root (``.../api/v4``), like ``CI_API_V4_URL``."""
        return f"{self.root}/api/v4"

    # -- model ----------------------------------------------------------------------------
    def _new_note(
        self, project: Project, iid: int, body: str, user: User, *, system: bool = False
    ) -> dict[str, Any]:
        self._ids += 1
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        note = {
            "id": self._ids,
            "type": None,
            "body": body,
            "author": {
                "id": user.id,
                "username": user.username,
                "name": user.username,
                "state": "active",
                "web_url": f"{self.web_url}/{user.username}",
            },
            "created_at": now,
            "updated_at": now,
            "system": system,
            "noteable_id": 90_000 + iid,
            "noteable_type": "MergeRequest",
            "noteable_iid": iid,
            "resolvable": False,
            "confidential": False,
            "internal": False,
            "_project": project.id,
        }
        self.notes.append(note)
        return note


def _public(note: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in note.items() if not k.startswith("_")}


class _Handler(JSONHandler):
    state: FakeGitLab
    server_version = "FakeGitLab/1"

    def _handle(self, method: str) -> None:
        st = self.state
        parts = urlsplit(self.path)  # raw: a project path stays %2F-encoded in one segment
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            if "json" in (self.headers.get("Content-Type") or ""):
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._send(400, {"error": "400 Bad request - invalid JSON"})
            else:
                body = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
        with st.lock:
            st.requests.append(
                Received(method, parts.path, query, body, dict(self.headers.items()))
            )
            fault = next((f for f in st.faults if f[0] in (None, method)), None)
            if fault is not None:
                st.faults.remove(fault)
        if fault is not None and not fault[2]:
            return self._send(fault[1], {"message": f"{fault[1]} Bad Gateway"})
        self._lost = fault is not None
        token = self.headers.get("PRIVATE-TOKEN")
        auth = self.headers.get("Authorization", "")
        if token is None and auth.startswith("Bearer "):
            token = auth[7:].strip()
        user = st.tokens.get(token or "")
        if user is None:  # JOB-TOKEN too: the job token may not use these endpoints
            return self._send(401, {"message": "401 Unauthorized"})
        segments = [unquote(s) for s in parts.path.split("/")]
        with st.lock:
            self._route(method, segments, query, body, user)
        if fault is not None:
            self._lost = False
            self._send(fault[1], {"message": f"{fault[1]} Bad Gateway"})

    def _route(self, method: str, seg: list[str], query: dict[str, str], body: Any, user: User):
        st = self.state
        if seg[:3] != ["", "api", "v4"]:
            return self._send(404, {"error": "404 Not Found"})
        rest = seg[3:]
        if rest == ["user"] and method == "GET":
            if not {"api", "read_api", "read_user"} & set(user.scopes):
                return self._insufficient("read_user")
            return self._send(
                200,
                {"id": user.id, "username": user.username, "name": user.username, "bot": True},
            )
        if len(rest) < 4 or rest[0] != "projects" or rest[2] != "merge_requests":
            return self._send(404, {"error": "404 Not Found"})
        project = next((p for p in st.projects.values() if rest[1] in (str(p.id), p.path)), None)
        if project is None:
            return self._send(404, {"message": "404 Project Not Found"})
        if not rest[3].isdigit() or int(rest[3]) not in project.merge_requests:
            return self._send(404, {"message": "404 Not found"})
        iid = int(rest[3])
        if len(rest) == 4 and method == "GET":
            return self._send(
                200,
                {
                    "id": 90_000 + iid,
                    "iid": iid,
                    "project_id": project.id,
                    "title": f"MR {iid}",
                    "state": "opened",
                    "web_url": f"{st.web_url}/{project.path}/-/merge_requests/{iid}",
                },
            )
        if len(rest) == 5 and rest[4] == "notes":
            if method == "GET":
                return self._list(project, iid, query)
            if method == "POST":
                if "api" not in user.scopes:
                    return self._insufficient("api")
                problem = _invalid_body(body)
                if problem:
                    return self._send(400, problem)
                note = st._new_note(project, iid, body["body"], user)
                return self._send(201, _public(note))
        if len(rest) == 6 and rest[4] == "notes" and rest[5].isdigit():
            note = next(
                (n for n in st.notes_on(project.id, iid) if n["id"] == int(rest[5])),
                None,
            )
            if note is None:
                return self._send(404, {"message": "404 Note Not Found"})
            if method == "GET":
                return self._send(200, _public(note))
            if method == "PUT":
                if "api" not in user.scopes:
                    return self._insufficient("api")
                if note["author"]["id"] != user.id or note["system"]:
                    return self._send(403, {"message": "403 Forbidden"})
                problem = _invalid_body(body)
                if problem:
                    return self._send(400, problem)
                note["body"] = body["body"]
                note["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                return self._send(200, _public(note))
        return self._send(405, {"error": "405 Method Not Allowed"})

    def _insufficient(self, scope: str) -> None:
        self._send(
            403,
            {
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by "
                "the access token.",
                "scope": scope,
            },
        )

    def _list(self, project: Project, iid: int, query: dict[str, str]) -> None:
        st = self.state
        try:
            per_page = min(100, max(1, int(query.get("per_page", 20))))
            page = max(1, int(query.get("page", 1)))
        except ValueError:
            return self._send(400, {"error": "per_page is invalid"})
        key = "updated_at" if query.get("order_by") == "updated_at" else "created_at"
        items = sorted(st.notes_on(project.id, iid), key=lambda n: (n[key], n["id"]))
        if query.get("sort", "desc") == "desc":
            items.reverse()
        total_pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        base = f"{st.url}/projects/{project.id}/merge_requests/{iid}/notes"
        others = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")

        def link(n: int) -> str:
            return f"{base}?{others}&page={n}" if others else f"{base}?page={n}"

        rels = [f'<{link(1)}>; rel="first"', f'<{link(total_pages)}>; rel="last"']
        if page < total_pages:
            rels.insert(0, f'<{link(page + 1)}>; rel="next"')
        if page > 1:
            rels.insert(0, f'<{link(page - 1)}>; rel="prev"')
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < total_pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Total": str(len(items)),
            "X-Total-Pages": str(total_pages),
            "Link": ", ".join(rels),
        }
        self._send(200, [_public(n) for n in chunk], headers)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")


def _invalid_body(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict) or not str(body.get("body") or "").strip():
        return {"error": "body is missing"}
    if len(body["body"]) > NOTE_LIMIT:
        return {"message": {"note": [f"is too long (maximum is {NOTE_LIMIT} characters)"]}}
    return None


FakeGitLab.handler = _Handler
