"""A local GitHub REST API (issue comments on pull requests) for testing testgate's client.

Speaks the documented endpoints (REST API 2022-11-28) the way api.github.com does:

- ``GET /user``: the token's user; an installation token (GITHUB_TOKEN, a GitHub App)
  answers 403 "Resource not accessible by integration".
- ``GET /repos/{owner}/{repo}/issues/{number}/comments`` with ``per_page`` (default 30,
  max 100) and ``page``; a ``Link`` header with ``next``/``last``/``first``/``prev`` pointing
  at ``/repositories/{id}/issues/{number}/comments`` (GitHub's own form), served as well.
- ``POST /repos/{owner}/{repo}/issues/{number}/comments`` (201), ``PATCH`` and ``GET``
  ``/repos/{owner}/{repo}/issues/comments/{id}``.
- 401 "Bad credentials" / "Requires authentication", 403 for a token without write access,
  404 "Not Found" for an unknown repository, issue or comment, 400 "Problems parsing JSON",
  422 "Validation Failed" for a missing body or one over 65,536 characters.
- Faults on demand: the next N requests answer a 5xx, or a secondary rate limit (403 with
  ``retry-after``); every request is recorded.

Start it with ``with FakeGitHub() as gh:``; ``gh.url`` is the API root.
"""

from fake_github.server import FakeGitHub, Received

__all__ = ["FakeGitHub", "Received"]
