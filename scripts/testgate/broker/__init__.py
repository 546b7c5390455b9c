"""Pact Broker operations, through the official ``pact`` CLI and pact-python's Verifier.

- :mod:`~testgate.broker.client`: settings, finding and running the CLI with bounded retries,
  error mapping, redaction;
- :mod:`~testgate.broker.matrix`: the can-i-deploy decision and its Markdown;
- :mod:`~testgate.broker.lifecycle`: publish, record-deployment/release, environments;
- :mod:`~testgate.broker.selectors`: consumer version selectors;
- :mod:`~testgate.broker.verification`: the Verifier's broker and pact-URL sources, bounded;
- :mod:`~testgate.broker.webhooks`: the webhook that starts a provider's verification build.

The names below are the package's public API (``from testgate import broker; broker.X``). Each
submodule is imported the first time one of its names is used (PEP 562), so that a command's
``--help`` does not pay for the broker machinery it will not run."""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the submodule that defines it
_WHERE: dict[str, str] = {
    "BrokerSettings": "client",
    "CliRun": "client",
    "DEFAULT_BACKOFF_SECONDS": "client",
    "DEFAULT_RETRIES": "client",
    "DEFAULT_TIMEOUT_SECONDS": "client",
    "Runner": "client",
    "broker_settings": "client",
    "find_pact_cli": "client",
    "redact": "client",
    "run_pact_broker": "client",
    "EnvironmentsResult": "lifecycle",
    "PublishResult": "lifecycle",
    "ensure_environments": "lifecycle",
    "environments_md": "lifecycle",
    "find_pact_files": "lifecycle",
    "list_environments": "lifecycle",
    "not_published_md": "lifecycle",
    "publish_pacts": "lifecycle",
    "published_md": "lifecycle",
    "record_deployment": "lifecycle",
    "record_release": "lifecycle",
    "recorded_md": "lifecycle",
    "CanIDeployDecision": "matrix",
    "MatrixRow": "matrix",
    "can_i_deploy": "matrix",
    "parse_matrix": "matrix",
    "render_can_i_deploy_md": "matrix",
    "row_reason": "matrix",
    "DEFAULT_SELECTORS": "selectors",
    "parse_selectors": "selectors",
    "BoundedVerifier": "verification",
    "BrokerVerificationOptions": "verification",
    "add_broker_source": "verification",
    "add_pact_url_source": "verification",
    "PACT_URL_VARIABLE": "webhooks",
    "WEBHOOK_EVENT": "webhooks",
    "WEBHOOK_TARGETS": "webhooks",
    "WebhookSpec": "webhooks",
    "build_webhook": "webhooks",
    "ensure_webhook": "webhooks",
    "webhook_uuid": "webhooks",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later uses are plain lookups
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
