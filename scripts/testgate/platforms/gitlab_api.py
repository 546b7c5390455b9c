"""GitLab REST API (v4): one merge request note, created or updated in place.

Endpoints, with a project/group/personal access token in the ``PRIVATE-TOKEN`` header:

- ``GET /user``: the token's user (a project access token has its own bot user).
- ``GET /projects/:id/merge_requests/:iid``: the merge request (its ``web_url``).
- ``GET /projects/:id/merge_requests/:iid/notes?sort=asc&order_by=created_at&per_page=100``,
  following ``X-Next-Page`` (empty on the last page).
- ``PUT /projects/:id/merge_requests/:iid/notes/:note_id`` / ``POST .../notes``.

GitLab lets only a note's author edit it, and system notes ("added 1 commit") are skipped:
the note updated is the first non-system note by the token's user that starts with the
marker line.

``CI_JOB_TOKEN`` is not accepted: GitLab's "job token access" list (docs.gitlab.com,
ci/jobs/ci_job_token) has no notes or merge request endpoints, and they answer 401 to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from testgate.errors import ToolError
from testgate.platforms.gitlab import COMMENT_LIMIT, TOKEN_VARIABLE
from testgate.platforms.rest import (
    CommentResult,
    Response,
    RestClient,
    Transient,
    comment_marker,
    comment_text,
)

PERMISSION = "the api scope and the Reporter role (a project access token)"


def client(api_url: str, token: str, **options: Any) -> RestClient:
    """A client for the GitLab REST API at ``api_url`` (``.../api/v4``) with ``token``."""
    return RestClient(
        api_url,
        {"PRIVATE-TOKEN": token},
        what="GitLab API",
        token_variable=TOKEN_VARIABLE,
        permission=PERMISSION,
        secrets=(token,),
        **options,
    )


def _next_page(page: Response) -> str | None:
    following = (page.headers.get("X-Next-Page") or "").strip()
    if not following.isdigit():
        return None
    base, _, query = page.url.partition("?")
    params = [p for p in query.split("&") if p and not p.startswith("page=")]
    return f"{base}?{'&'.join([*params, f'page={following}'])}"


def _merge_request_path(project: str, iid: int) -> str:
    return f"/projects/{quote(str(project), safe='')}/merge_requests/{int(iid)}"


def find_note(api: RestClient, project: str, iid: int, marker: str) -> dict | None:
    """The first note of merge request ``iid`` by the token's user that starts with the marker."""
    head = comment_marker(marker)
    me = api.request("GET", "/user").data
    my_id = me.get("id") if isinstance(me, dict) else None
    notes = api.pages(
        f"{_merge_request_path(project, iid)}/notes",
        {"sort": "asc", "order_by": "created_at", "per_page": 100},
        _next_page,
    )
    for note in notes:
        if (
            isinstance(note, dict)
            and not note.get("system")
            and (note.get("author") or {}).get("id") == my_id
            and str(note.get("body") or "").startswith(head)
        ):
            return note
    return None


def upsert_merge_request_note(
    api: RestClient, project: str, iid: int, body_markdown: str, marker: str
) -> CommentResult:
    """Create or update the one note of ``marker`` on merge request ``iid``.

    Raises:
        ConfigError: bad token (401), missing scope or role (403), no such project or merge
            request (404): exit 2, naming TESTGATE_GITLAB_TOKEN.
        ToolError: GitLab unreachable or failing after the retries (exit 3).
    """
    text = comment_text(body_markdown, marker, COMMENT_LIMIT)
    mr_path = _merge_request_path(project, iid)
    merge_request = api.request("GET", mr_path).data
    web_url = (
        str((merge_request or {}).get("web_url") or "") if isinstance(merge_request, dict) else ""
    )
    for attempt in range(1, max(1, api.attempts) + 1):
        found = find_note(api, project, iid, marker)
        if found is not None:
            if found.get("body") == text:
                return _result(found, web_url, "unchanged")
            done = api.request("PUT", f"{mr_path}/notes/{int(found['id'])}", json={"body": text})
            return _result(done.data, web_url, "updated")
        try:
            done = api.request("POST", f"{mr_path}/notes", json={"body": text})
        except Transient:
            if attempt >= api.attempts:
                raise
            api.sleep(api.backoff * 2 ** (attempt - 1))
            continue
        return _result(done.data, web_url, "created")
    raise AssertionError("unreachable")  # pragma: no cover


def _result(data: Any, web_url: str, action: str) -> CommentResult:
    if not isinstance(data, dict) or "id" not in data:
        raise ToolError("GitLab API answered a note without an id")
    note_id = int(data["id"])
    return CommentResult(f"{web_url}#note_{note_id}" if web_url else "", note_id, action)
