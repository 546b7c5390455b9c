"""pytest plugin loaded into every pytest run testgate starts (``-p testgate.pytest_smoke``).

It registers the ``smoke`` and ``writes`` markers the README recommends (so neither warns
``PytestUnknownMarkWarning``, and ``--strict-markers`` projects need not declare them)
and, with ``--testgate-read-only``, makes a monitor run safe for production: any
HTTP request other than GET, HEAD or OPTIONS made through ``http.client`` (which
``requests``, ``urllib3`` and ``urllib`` all use) fails the check instead of
reaching the service.
"""

from __future__ import annotations

import http.client

import pytest

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

MARKERS = (
    "smoke: a read-only API test that testgate monitor runs against production",
    "writes: an API test that changes data (never marked smoke; skip it where READ_ONLY=true)",
)


class ReadOnlyViolation(AssertionError):
    """A smoke check tried to change data on the monitored service."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--testgate-read-only``."""
    parser.addoption(
        "--testgate-read-only",
        action="store_true",
        default=False,
        help="testgate monitor: fail any HTTP request that is not GET/HEAD/OPTIONS",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers and, when asked, install the read-only guard."""
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    if config.getoption("--testgate-read-only"):
        original = http.client.HTTPConnection.putrequest

        def guarded(self, method, url, *args, **kwargs):
            if str(method).upper() not in SAFE_METHODS:
                raise ReadOnlyViolation(
                    f"monitor runs are read-only: {method} {url} on {self.host} refused "
                    "(only GET, HEAD and OPTIONS; keep @pytest.mark.smoke off tests that write)"
                )
            return original(self, method, url, *args, **kwargs)

        http.client.HTTPConnection.putrequest = guarded  # type: ignore[method-assign]
        config.add_cleanup(lambda: setattr(http.client.HTTPConnection, "putrequest", original))
