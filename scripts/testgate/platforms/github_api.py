"""GitHub REST API: one pull request comment, created or updated in place.

Endpoints (REST API version 2022-11-28; a pull request is an issue for comments):

- ``GET /user``: who the token is (a personal token); an Actions or App installation token
  answers 403 and writes as a bot.
- ``GET /repos/{owner}/{repo}/issues/{number}/comments?per_page=100``, following
  ``Link: rel="next"`` as given (GitHub may point at ``/repositories/{id}/...``).
- ``PATCH /repos/{owner}/{repo}/issues/comments/{id}`` / ``POST .../issues/{number}/comments``.

Only a comment whose body starts with the marker line *and* that the token's own identity
wrote (a bot for an installation token) is updated: a reviewer who pastes the marker into a
comment of theirs does not get testgate's report put under their name to edit at will.
"""

from __future__ import annotations

from typing import Any

from testgate.errors import ToolError
from testgate.platforms.github import API_VERSION, COMMENT_LIMIT, TOKEN_VARIABLE
from testgate.platforms.rest import (
    CommentResult,
    RestClient,
    Transient,
    comment_marker,
    comment_text,
)

PERMISSION = "pull-requests: write (GITHUB_TOKEN) or a token with repo / pull requests write"


def client(api_url: str, token: str, **options: Any) -> RestClient:
    """A client for the GitHub REST API at ``api_url`` with ``token``."""
    return RestClient(
        api_url,
        {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": API_VERSION,
        },
        what="GitHub API",
        token_variable=TOKEN_VARIABLE,
        permission=PERMISSION,
        secrets=(token,),
        **options,
    )


def token_login(api: RestClient) -> str | None:
    """The login the token writes as, or None for an installation token (a bot)."""
    me = api.request("GET", "/user", accept=(403, 404))
    if me.status != 200 or not isinstance(me.data, dict):
        return None
    login = me.data.get("login")
    return login if isinstance(login, str) else None


def _ours(comment: Any, head: str, login: str | None) -> bool:
    if not isinstance(comment, dict) or not str(comment.get("body") or "").startswith(head):
        return False
    user = comment.get("user") or {}
    if login is not None:
        return user.get("login") == login
    return user.get("type") == "Bot"


def find_comment(api: RestClient, repository: str, number: int, marker: str) -> dict | None:
    """The first comment on ``number`` that starts with ``marker``'s line and is ours."""
    head = comment_marker(marker)
    login = token_login(api)
    comments = api.pages(
        f"/repos/{repository}/issues/{number}/comments",
        {"per_page": 100},
        lambda page: page.next_url,
    )
    for comment in comments:
        if _ours(comment, head, login):
            return comment
    return None


def upsert_issue_comment(
    api: RestClient, repository: str, number: int, body_markdown: str, marker: str
) -> CommentResult:
    """Create or update the one comment of ``marker`` on pull request ``number``.

    A POST that fails with a 5xx or a lost connection may still have created the comment:
    the comments are listed again before another try, so there is never a second one.

    Raises:
        ConfigError: bad token (401), missing permission (403), no such repository or pull
            request (404): exit 2, naming GITHUB_TOKEN.
        ToolError: GitHub unreachable, failing or rate limited after the retries (exit 3).
    """
    text = comment_text(body_markdown, marker, COMMENT_LIMIT)
    for attempt in range(1, max(1, api.attempts) + 1):
        found = find_comment(api, repository, number, marker)
        if found is not None:
            if found.get("body") == text:
                return CommentResult(str(found.get("html_url")), int(found["id"]), "unchanged")
            done = api.request(
                "PATCH", f"/repos/{repository}/issues/comments/{found['id']}", json={"body": text}
            )
            return _result(done.data, "updated")
        try:
            done = api.request(
                "POST", f"/repos/{repository}/issues/{number}/comments", json={"body": text}
            )
        except Transient:
            if attempt >= api.attempts:
                raise
            api.sleep(api.backoff * 2 ** (attempt - 1))
            continue
        return _result(done.data, "created")
    raise AssertionError("unreachable")  # pragma: no cover


def _result(data: Any, action: str) -> CommentResult:
    if not isinstance(data, dict) or "id" not in data:
        raise ToolError("GitHub API answered a comment without an id")
    return CommentResult(str(data.get("html_url") or ""), int(data["id"]), action)
