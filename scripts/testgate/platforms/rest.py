"""Talking to the CI platforms' REST APIs (GitHub, GitLab): requests, retries, clear errors.

One small client on ``requests`` (already a dependency, and what the field uses) rather
than PyGithub or python-gitlab: testgate needs four endpoints per platform, and those
libraries would add ~10 MB of dependencies and their own retry and error behaviour.

- 5xx answers and connection failures are retried with exponential backoff; a request that
  is not idempotent (POST) is not repeated blindly: the caller decides (see
  :class:`Transient`).
- A rate limit (429, or 403 with ``retry-after`` / ``x-ratelimit-remaining: 0``) waits the
  time the server names when it is short, else fails as "could not decide" (exit 3).
- 401/403 are :class:`~testgate.errors.ConfigError` (exit 2) naming the token's variable.
- Pagination follows the server's ``Link: rel="next"`` (GitHub) or ``X-Next-Page`` (GitLab),
  never to another host (the token goes with every request).
- The token never appears in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from testgate import __version__
from testgate.errors import ConfigError, ToolError

DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 1.0
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 60.0
MAX_PAGES = 100  # 10,000 comments at 100 a page: far beyond any real pull request
USER_AGENT = f"testgate/{__version__}"

if TYPE_CHECKING:  # requests costs ~60 ms to import: only commands that talk to an API pay it
    import requests


@dataclass(frozen=True)
class WebhookRequest:
    """The HTTP request a Pact Broker webhook sends to start a CI build.

    Built by each adapter's ``webhook_request`` (a classmethod: any CI can be the target,
    not only the one testgate runs on). The token may sit in ``headers``, ``body`` or
    ``user``; ``secrets`` lists it so every message can redact it.
    """

    url: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    body: str | None = field(default=None, repr=False)
    user: str | None = field(default=None, repr=False)  # "name:token" for basic auth
    secrets: tuple[str, ...] = field(default=(), repr=False)


def missing_webhook_settings(target: str, missing: list[str]) -> ConfigError:
    """One error naming every setting a webhook target lacks."""
    return ConfigError(
        f"webhook target {target} needs: {'; '.join(missing)}",
        hint="set them as flags or environment variables (tokens only in the environment)",
    )


# --------------------------------------------------------------------------- comments


def comment_marker(marker: str) -> str:
    """The hidden first line that finds a comment again: ``<!-- testgate:<marker> -->``.

    Raises:
        ConfigError: ``marker`` is empty or has characters that could end the HTML comment.
    """
    ok = 0 < len(marker or "") <= 200 and all(c.isalnum() or c in "_.:/@+-" for c in marker)
    if not ok or not marker.isascii():
        raise ConfigError(
            f"comment marker {marker!r} must be 1-200 ASCII letters, digits or _.:/@+- "
            "(it becomes a hidden HTML comment)",
            hint="for example testgate-report:api-tests",
        )
    return f"<!-- testgate:{marker} -->"


def comment_text(body_markdown: str, marker: str, limit: int) -> str:
    """The comment as posted: the marker line, then the body, within ``limit`` characters.

    The body should already fit (``render_report_md(max_size=platform.comment_max_size())``);
    a body that does not is cut here, on a character boundary, with a note, so the API never
    refuses it.
    """
    head = comment_marker(marker) + "\n"
    text = head + body_markdown
    if len(text) <= limit:
        return text
    note = f"\n\n_Comment cut to the platform's {limit:,}-character limit; see the job's report._\n"
    return head + body_markdown[: limit - len(head) - len(note)] + note


@dataclass(frozen=True)
class CommentResult:
    """What :meth:`Platform.upsert_comment` did."""

    url: str
    id: int
    action: str  # "created" | "updated" | "unchanged"


# --------------------------------------------------------------------------- client


class Transient(ToolError):
    """A failure worth trying again (5xx, connection lost) of a request not retried itself."""


@dataclass(frozen=True)
class Response:
    """A decoded answer: status, headers (case-insensitive), JSON body, next page."""

    status: int
    headers: Mapping[str, str]
    data: Any
    url: str
    next_url: str | None = None


@dataclass
class RestClient:
    """JSON over HTTPS to one API, with one token.

    Args:
        base_url: the API root (``https://api.github.com``, ``https://gitlab.com/api/v4``).
        headers: sent with every request (the token's header among them).
        what: how messages name the API ("GitHub API").
        token_variable: the environment variable the token came from, for 401/403 messages.
        permission: what the token needs, for 403 messages.
        secrets: removed from every message.
    """

    base_url: str
    headers: Mapping[str, str] = field(repr=False)
    what: str
    token_variable: str
    permission: str
    secrets: tuple[str, ...] = field(default=(), repr=False)
    attempts: int = DEFAULT_ATTEMPTS
    backoff: float = DEFAULT_BACKOFF_SECONDS
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session | None = field(default=None, repr=False)

    def url(self, path: str) -> str:
        """``path`` under the API root."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def redact(self, text: str) -> str:
        """``text`` without any secret."""
        from testgate.secretscan import redact

        return redact(text, self.secrets)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        idempotent: bool | None = None,
        accept: tuple[int, ...] = (),
    ) -> Response:
        """Send one request; 2xx (or a status in ``accept``) is returned, the rest raised.

        Args:
            idempotent: retry 5xx and connection failures here (default: not for POST;
                those raise :class:`Transient` for the caller to decide).
            accept: non-2xx statuses returned instead of raised (``GET /user`` -> 403).

        Raises:
            ConfigError: 401, 403 (not a rate limit), 404 (exit 2).
            Transient: a non-idempotent request failed in a way worth retrying.
            ToolError: unreachable, 5xx or rate limited after the attempts, other 4xx (exit 3).
        """
        import requests

        if self.session is None:
            self.session = requests.Session()
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        self._same_origin(url)
        retry = idempotent if idempotent is not None else method.upper() != "POST"
        headers = {"User-Agent": USER_AGENT, **self.headers}
        attempts = max(1, self.attempts)
        delay = self.backoff
        for attempt in range(1, attempts + 1):
            final = attempt == attempts  # a rate-limited request was not carried out
            last = final or not retry
            try:
                resp = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                problem = f"{self.what} unreachable ({method} {_plain(url)}): {type(exc).__name__}"
                if last:
                    raise (ToolError if retry else Transient)(
                        self.redact(problem),
                        hint="check the URL and the network; testgate retried "
                        f"{attempts if retry else 1} time(s)",
                    ) from None
                self.sleep(delay)
                delay *= 2
                continue
            wait = _rate_limit_wait(resp)
            if wait is not None:
                if final or wait > MAX_RETRY_AFTER_SECONDS:
                    raise ToolError(
                        f"{self.what} rate limit reached ({method} {_plain(url)}, "
                        f"{resp.status_code}: {self._message(resp)})",
                        hint=f"try again in {wait:.0f} s, or use a token with a higher limit",
                    )
                self.sleep(wait)
                continue
            if resp.status_code >= 500:
                problem = (
                    f"{self.what} answered {resp.status_code} to {method} {_plain(url)}: "
                    f"{self._message(resp)}"
                )
                if last:
                    raise (ToolError if retry else Transient)(
                        problem, hint=f"the service failed; testgate tried {attempt} time(s)"
                    )
                self.sleep(delay)
                delay *= 2
                continue
            if resp.status_code < 300 or resp.status_code in accept:
                return Response(
                    resp.status_code, resp.headers, _json(resp), resp.url or url, _next_link(resp)
                )
            raise self._refused(method, url, resp)
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(
        self, path: str, params: Mapping[str, str | int], next_url: Callable[[Response], str | None]
    ) -> Iterator[Any]:
        """Every item of a paginated list (GET), page by page."""
        url: str | None = path
        query: Mapping[str, str | int] | None = params
        for _ in range(MAX_PAGES):
            if url is None:
                return
            page = self.request("GET", url, params=query)
            if not isinstance(page.data, list):
                raise ToolError(f"{self.what}: {_plain(page.url)} did not answer a list")
            yield from page.data
            url, query = next_url(page), None  # the next URL carries its own query
        raise ToolError(f"{self.what}: more than {MAX_PAGES} pages at {_plain(self.url(path))}")

    # -- errors ---------------------------------------------------------------------------
    def _message(self, resp: requests.Response) -> str:
        data = _json(resp)
        if isinstance(data, dict):
            text = data.get("message") or data.get("error_description") or data.get("error")
            if text is not None and not isinstance(text, str):
                text = str(text)
        else:
            text = None
        text = text or resp.reason or ""
        return self.redact(" ".join(str(text).split()))[:300]

    def _refused(self, method: str, url: str, resp: requests.Response) -> Exception:
        where = f"{method} {_plain(url)}"
        message = self._message(resp)
        if resp.status_code == 401:
            return ConfigError(
                f"{self.what} refused the token in {self.token_variable} "
                f"(401 {message or 'Unauthorized'}) for {where}",
                hint=f"set {self.token_variable} to a valid token ({self.permission})",
            )
        if resp.status_code == 403:
            return ConfigError(
                f"the token in {self.token_variable} may not do this "
                f"(403 {message or 'Forbidden'}) for {where}",
                hint=f"{self.token_variable} needs {self.permission}",
            )
        if resp.status_code == 404:
            return ConfigError(
                f"{self.what}: not found (404) for {where}",
                hint=f"check the repository/project and number, and that {self.token_variable} "
                "can see them (private ones answer 404 to tokens without access)",
            )
        if 300 <= resp.status_code < 400:  # not followed: a custom token header would go along
            return ConfigError(
                f"{self.what} moved {where} ({resp.status_code}) to "
                f"{_plain(resp.headers.get('Location') or '?')}",
                hint="use the new API URL, repository or project (a renamed repository redirects)",
            )
        return ToolError(f"{self.what} refused {where}: {resp.status_code} {message}")

    def _same_origin(self, url: str) -> None:
        base, target = urlsplit(self.base_url), urlsplit(url)
        if (base.scheme, base.netloc) != (target.scheme, target.netloc):
            raise ToolError(
                f"{self.what} pointed at another host ({_plain(url)}); the token is not sent there"
            )


def _plain(url: str) -> str:
    """``url`` without its query (page numbers, never a token, but long)."""
    return url.split("?", 1)[0]


def _json(resp: requests.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def _next_link(resp: requests.Response) -> str | None:
    link = resp.links.get("next") if resp.headers.get("Link") else None
    return link.get("url") if link else None


def _rate_limit_wait(resp: requests.Response) -> float | None:
    """Seconds to wait when ``resp`` says a rate limit was hit, else None."""
    if resp.status_code not in (403, 429):
        return None
    retry_after = resp.headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return MAX_RETRY_AFTER_SECONDS
    if resp.headers.get("X-RateLimit-Remaining") == "0":
        try:
            return max(0.0, float(resp.headers.get("X-RateLimit-Reset", "")) - time.time())
        except ValueError:
            return MAX_RETRY_AFTER_SECONDS + 1
    if resp.status_code == 429:
        return MAX_RETRY_AFTER_SECONDS
    text = resp.text[:500].lower() if resp.content else ""
    return MAX_RETRY_AFTER_SECONDS if "rate limit" in text else None
