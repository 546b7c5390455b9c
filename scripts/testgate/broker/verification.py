"""Where ``testgate verify`` takes pacts from the broker: selectors, pending, WIP, one pact URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from testgate.broker.client import BrokerSettings
from testgate.broker.selectors import DEFAULT_SELECTORS, selector_kwargs


@dataclass(frozen=True)
class BrokerVerificationOptions:
    """How ``testgate verify --broker`` asks the broker for pacts and reports back."""

    settings: BrokerSettings
    selectors: tuple[dict[str, Any], ...] = DEFAULT_SELECTORS
    include_pending: bool = True
    include_wip_since: date | None = None
    provider_version: str | None = None
    provider_branch: str | None = None
    publish_results: bool = False
    build_url: str | None = None


def add_broker_source(verifier: Any, options: BrokerVerificationOptions) -> Any:
    """Point a pact-python ``Verifier`` at the broker with selectors, pending and WIP.

    Credentials go to the verifier directly (``use_env=False``), never through
    the process environment. Returns the verifier.
    """
    s = options.settings
    auth: dict[str, Any] = {"token": s.token} if s.token else {}
    if s.username:
        auth = {"username": s.username, "password": s.password}
    builder = verifier.broker_source(s.url, selector=True, use_env=False, **auth)
    if options.include_pending:
        builder = builder.include_pending()
    if options.include_wip_since is not None:
        builder = builder.include_wip_since(options.include_wip_since)
    if options.provider_branch:
        builder = builder.provider_branch(options.provider_branch)
    for selector in options.selectors:
        builder = builder.consumer_version(**selector_kwargs(selector))
    verifier = builder.build()
    if options.publish_results:
        verifier.set_publish_options(
            version=str(options.provider_version),
            url=options.build_url,
            branch=options.provider_branch,
        )
    if s.skip_ssl_verification:
        verifier.disable_ssl_verification()
    return verifier


def add_pact_url_source(verifier: Any, url: str, settings: BrokerSettings | None) -> Any:
    """Verify one pact fetched from ``url`` (the run a broker webhook starts)."""
    if settings is None or not (settings.token or settings.username):
        return verifier.add_source(url)
    if settings.token:
        return verifier.add_source(url, token=settings.token)
    return verifier.add_source(url, username=settings.username, password=settings.password)
