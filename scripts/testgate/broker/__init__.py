"""Pact Broker operations, through the official ``pact`` CLI and pact-python's Verifier.

- :mod:`~testgate.broker.client`: settings, finding and running the CLI with bounded retries,
  error mapping, redaction;
- :mod:`~testgate.broker.matrix`: the can-i-deploy decision and its Markdown;
- :mod:`~testgate.broker.lifecycle`: publish, record-deployment/release, environments;
- :mod:`~testgate.broker.selectors`: consumer version selectors;
- :mod:`~testgate.broker.verification`: the Verifier's broker and pact-URL sources, bounded;
- :mod:`~testgate.broker.webhooks`: the webhook that starts a provider's verification build.

The names below are the package's public API (``from testgate import broker; broker.X``).
"""

from __future__ import annotations

from testgate.broker.client import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    BrokerSettings,
    CliRun,
    Runner,
    broker_settings,
    find_pact_cli,
    redact,
    run_pact_broker,
)
from testgate.broker.lifecycle import (
    EnvironmentsResult,
    PublishResult,
    ensure_environments,
    environments_md,
    find_pact_files,
    list_environments,
    not_published_md,
    publish_pacts,
    published_md,
    record_deployment,
    record_release,
    recorded_md,
)
from testgate.broker.matrix import (
    CanIDeployDecision,
    MatrixRow,
    can_i_deploy,
    parse_matrix,
    render_can_i_deploy_md,
    row_reason,
)
from testgate.broker.selectors import DEFAULT_SELECTORS, parse_selectors
from testgate.broker.verification import (
    BoundedVerifier,
    BrokerVerificationOptions,
    add_broker_source,
    add_pact_url_source,
)
from testgate.broker.webhooks import (
    PACT_URL_VARIABLE,
    WEBHOOK_EVENT,
    WEBHOOK_TARGETS,
    WebhookSpec,
    build_webhook,
    ensure_webhook,
    webhook_uuid,
)

__all__ = [
    "DEFAULT_BACKOFF_SECONDS",
    "DEFAULT_RETRIES",
    "DEFAULT_SELECTORS",
    "DEFAULT_TIMEOUT_SECONDS",
    "PACT_URL_VARIABLE",
    "WEBHOOK_EVENT",
    "WEBHOOK_TARGETS",
    "BoundedVerifier",
    "BrokerSettings",
    "BrokerVerificationOptions",
    "CanIDeployDecision",
    "CliRun",
    "EnvironmentsResult",
    "MatrixRow",
    "PublishResult",
    "Runner",
    "WebhookSpec",
    "add_broker_source",
    "add_pact_url_source",
    "broker_settings",
    "build_webhook",
    "can_i_deploy",
    "ensure_environments",
    "ensure_webhook",
    "environments_md",
    "find_pact_cli",
    "find_pact_files",
    "list_environments",
    "not_published_md",
    "parse_matrix",
    "parse_selectors",
    "publish_pacts",
    "published_md",
    "record_deployment",
    "record_release",
    "recorded_md",
    "redact",
    "render_can_i_deploy_md",
    "row_reason",
    "run_pact_broker",
    "webhook_uuid",
]
