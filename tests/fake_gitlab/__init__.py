"""A local GitLab REST API v4 (merge request notes) for testing testgate's client.

Speaks the documented endpoints the way GitLab does:

- ``GET /api/v4/user``: the token's user (a project access token's bot user).
- ``GET /api/v4/projects/:id/merge_requests/:iid`` (``:id`` a number or a URL-encoded path).
- ``GET .../merge_requests/:iid/notes`` with ``sort`` (default ``desc``), ``order_by``,
  ``per_page`` (default 20, max 100) and ``page``; headers ``X-Page``, ``X-Per-Page``,
  ``X-Next-Page`` (empty on the last page), ``X-Prev-Page``, ``X-Total``, ``X-Total-Pages``
  and ``Link``. System notes ("added 1 commit") are mixed in like on a real merge request.
- ``POST .../notes`` (201) and ``PUT .../notes/:note_id`` (only the author may edit).
- ``PRIVATE-TOKEN`` or ``Authorization: Bearer``; a ``JOB-TOKEN`` (CI_JOB_TOKEN) answers 401
  on these endpoints, as GitLab's job token may not use them; a ``read_api`` token answers
  403 ``insufficient_scope`` to writes; 404 ``{"message": "404 Not found"}``; 400 for a
  missing body or a note over 1,000,000 characters.
- Faults on demand (5xx for the next N requests); every request is recorded.
"""

from fake_gitlab.server import FakeGitLab, Received

__all__ = ["FakeGitLab", "Received"]
