"""The fake GitHub REST API (see the package docstring)."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from fake_http import JSONHandler, ServedFake

COMMENT_LIMIT = 65_536
DOCS = "https://docs.github.com/rest"


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    token: str | None
    headers: dict[str, str]


@dataclass
class Token:
    login: str
    user_id: int
    bot: bool = False  # comments show user.type "Bot"
    installation: bool = False  # GET /user answers 403
    write: bool = True


@dataclass
class Repo:
    id: int
    full_name: str
    numbers: dict[int, str]  # issue number -> "pull" | "issues"


@dataclass
class FakeGitHub(ServedFake):
    """In-memory GitHub: repositories, tokens, comments; records every request."""

    web_url: str = "https://github.com"
    repos: dict[str, Repo] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    moved: dict[str, str] = field(default_factory=dict)  # old full name -> new (renamed repo)
    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    # (method or None, status, headers, body, lost): lost = the request is carried out first
    faults: list[tuple[str | None, int, dict[str, str], dict[str, Any], bool]] = field(
        default_factory=list
    )
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: int = 1000
    _server: ThreadingHTTPServer | None = None

    # -- set-up ---------------------------------------------------------------------------
    def add_repo(
        self, full_name: str, *, pulls: tuple[int, ...] = (), issues: tuple[int, ...] = ()
    ):
        numbers = {n: "pull" for n in pulls} | {n: "issues" for n in issues}
        self.repos[full_name] = Repo(len(self.repos) + 1_300_000, full_name, numbers)

    def add_token(self, token: str, login: str, **options: Any) -> None:
        self.tokens[token] = Token(login, 500 + len(self.tokens), **options)

    def add_comment(self, repo: str, number: int, body: str, *, token: str) -> dict[str, Any]:
        """A comment as if ``token``'s user had written it."""
        with self.lock:
            return self._new_comment(self.repos[repo], number, body, self.tokens[token])

    def fail_next(self, count: int, status: int = 502, method: str | None = None) -> None:
        """The next ``count`` requests (of ``method``, if given) answer ``status``."""
        body = {"message": "Server Error"} if status != 503 else {"message": "Unavailable"}
        self.faults += [(method, status, {}, body, False)] * count

    def lose_next_answer(self, method: str) -> None:
        """The next ``method`` request is carried out, but its answer is a 502 (a proxy timed
        out): a client that simply repeats a POST would write twice."""
        self.faults.append((method, 502, {}, {"message": "Server Error"}, True))

    def rate_limit_next(self, retry_after: int = 0, method: str | None = None) -> None:
        """The next request (of ``method``) hits a secondary rate limit (403, retry-after)."""
        self.faults.append(
            (
                method,
                403,
                {"retry-after": str(retry_after)},
                {
                    "message": "You have exceeded a secondary rate limit. Please wait a few "
                    "minutes before you try again.",
                    "documentation_url": DOCS,
                },
                False,
            )
        )

    def comments_on(self, repo: str, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments if c["_repo"] == repo and c["_number"] == number]

    def calls(self, method: str | None = None) -> list[Received]:
        return [r for r in self.requests if method is None or r.method == method]

    # -- server (start, stop, with: ServedFake) --------------------------------------------
    @property
    def url(self) -> str:
        return self.root

    # -- model ----------------------------------------------------------------------------
    def _new_comment(self, repo: Repo, number: int, body: str, token: Token) -> dict[str, Any]:
        self._ids += 1
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        comment = {
            "id": self._ids,
            "node_id": f"IC_{self._ids}",
            "url": f"{self.url}/repos/{repo.full_name}/issues/comments/{self._ids}",
            "html_url": f"{self.web_url}/{repo.full_name}/{repo.numbers[number]}/{number}"
            f"#issuecomment-{self._ids}",
            "issue_url": f"{self.url}/repos/{repo.full_name}/issues/{number}",
            "body": body,
            "user": {
                "login": token.login,
                "id": token.user_id,
                "type": "Bot" if token.bot else "User",
            },
            "created_at": now,
            "updated_at": now,
            "author_association": "NONE" if token.bot else "MEMBER",
            "_repo": repo.full_name,
            "_number": number,
        }
        self.comments.append(comment)
        return comment


def _public(comment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in comment.items() if not k.startswith("_")}


_ISSUE_COMMENTS = re.compile(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$")
_ISSUE_COMMENTS_BY_ID = re.compile(r"^/repositories/(\d+)/issues/(\d+)/comments$")
_COMMENT = re.compile(r"^/repos/([^/]+/[^/]+)/issues/comments/(\d+)$")


class _Handler(JSONHandler):
    state: FakeGitHub
    server_version = "FakeGitHub/1"
    content_type = "application/json; charset=utf-8"
    extra_headers: ClassVar[dict[str, str]] = {
        "X-GitHub-Api-Version-Selected": "2022-11-28",
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": "4999",
    }

    def _error(self, code: int, message: str, **extra: Any) -> None:
        self._send(code, {"message": message, "documentation_url": DOCS, **extra})

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        for scheme in ("Bearer ", "token "):
            if auth.startswith(scheme):
                return auth[len(scheme) :].strip()
        return None

    def _handle(self, method: str) -> None:
        st = self.state
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        token = self._token()
        with st.lock:
            st.requests.append(
                Received(method, parts.path, query, body, token, dict(self.headers.items()))
            )
            fault = next((f for f in st.faults if f[0] in (None, method)), None)
            if fault is not None:
                st.faults.remove(fault)
        if fault is not None and not fault[4]:
            self._send(fault[1], fault[3], fault[2])
            return
        self._lost = fault is not None  # carry the request out, then lose its answer
        if token is None:
            return self._error(401, "Requires authentication")
        who = st.tokens.get(token)
        if who is None:
            return self._error(401, "Bad credentials")
        if bad_json:
            return self._error(400, "Problems parsing JSON")
        with st.lock:
            self._route(method, parts.path, query, body, who)
        if fault is not None:
            self._lost = False
            self._send(fault[1], fault[3], fault[2])

    def _route(self, method: str, path: str, query: dict[str, str], body: Any, who: Token):
        st = self.state
        if path == "/user" and method == "GET":
            if who.installation:
                return self._error(403, "Resource not accessible by integration")
            return self._send(200, {"login": who.login, "id": who.user_id, "type": "User"})
        match = _ISSUE_COMMENTS.match(path)
        by_id = _ISSUE_COMMENTS_BY_ID.match(path)
        if by_id:
            repo = next((r for r in st.repos.values() if r.id == int(by_id.group(1))), None)
            number = int(by_id.group(2))
        elif match:
            if match.group(1) in st.moved:  # a renamed repository: 301 to the new name
                new = f"{st.url}{path.replace(match.group(1), st.moved[match.group(1)], 1)}"
                return self._send(
                    301,
                    {"message": "Moved Permanently", "url": new, "documentation_url": DOCS},
                    {"Location": new},
                )
            repo = st.repos.get(match.group(1))
            number = int(match.group(2))
        if match or by_id:
            if repo is None or number not in repo.numbers:
                return self._error(404, "Not Found")
            if method == "GET":
                return self._list(repo, number, query, path)
            if method == "POST" and match:
                if not who.write:
                    return self._error(403, "Resource not accessible by integration")
                problem = _invalid_body(body)
                if problem:
                    return self._error(422, "Validation Failed", errors=[problem])
                comment = st._new_comment(repo, number, body["body"], who)
                return self._send(201, _public(comment), {"Location": comment["url"]})
            return self._error(404, "Not Found")
        match = _COMMENT.match(path)
        if match:
            comment = next(
                (
                    c
                    for c in st.comments
                    if c["id"] == int(match.group(2)) and c["_repo"] == match.group(1)
                ),
                None,
            )
            if comment is None:
                return self._error(404, "Not Found")
            if method == "GET":
                return self._send(200, _public(comment))
            if method == "PATCH":
                if not who.write:
                    return self._error(403, "Resource not accessible by integration")
                problem = _invalid_body(body)
                if problem:
                    return self._error(422, "Validation Failed", errors=[problem])
                comment["body"] = body["body"]
                comment["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                return self._send(200, _public(comment))
        return self._error(404, "Not Found")

    def _list(self, repo: Repo, number: int, query: dict[str, str], path: str) -> None:
        st = self.state
        try:
            per_page = min(100, max(1, int(query.get("per_page", 30))))
            page = max(1, int(query.get("page", 1)))
        except ValueError:
            return self._error(422, "Validation Failed")
        items = st.comments_on(repo.full_name, number)
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        base = f"{st.url}/repositories/{repo.id}/issues/{number}/comments"
        pp = f"per_page={per_page}&" if "per_page" in query else ""
        links = []
        if page < last:
            links += [
                f'<{base}?{pp}page={page + 1}>; rel="next"',
                f'<{base}?{pp}page={last}>; rel="last"',
            ]
        if page > 1:
            links += [
                f'<{base}?{pp}page={page - 1}>; rel="prev"',
                f'<{base}?{pp}page=1>; rel="first"',
            ]
        headers = {"Link": ", ".join(links)} if links else {}
        self._send(200, [_public(c) for c in chunk], headers)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")


def _invalid_body(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
        return {"resource": "IssueComment", "code": "missing_field", "field": "body"}
    if len(body["body"]) > COMMENT_LIMIT:
        return {
            "resource": "IssueComment",
            "code": "custom",
            "field": "body",
            "message": f"body is too long (maximum is {COMMENT_LIMIT} characters)",
        }
    return None


FakeGitHub.handler = _Handler
