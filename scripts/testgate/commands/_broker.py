"""What the Pact Broker commands share: the broker settings they use, built from the table."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from testgate.settings import CommandSpec, Settings, Use, use

if TYPE_CHECKING:
    from testgate.broker.client import BrokerSettings
    from testgate.platforms import Platform

# The broker's settings, in help order (credentials and tuning have no flags).
BROKER_SETTINGS = (
    "broker-url",
    "skip-ssl-verification",
    "broker-timeout",
    "broker-token",
    "broker-username",
    "broker-password",
    "broker-retries",
    "broker-retry-backoff",
    "pact-cli",
)


def _group_help() -> str:
    from testgate.broker.client import BrokerSettings
    from testgate.settings import setting

    worst = BrokerSettings(url="").worst_case()
    return (
        "credentials come only from the environment: PACT_BROKER_TOKEN, or "
        "PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD. A broker call that gets no answer in "
        "--broker-timeout seconds, cannot connect or gets a 5xx is retried "
        f"({setting('broker-retries').env}, default {setting('broker-retries').default}; "
        f"backoff {setting('broker-retry-backoff').env}, default "
        f"{setting('broker-retry-backoff').default:g} s, doubling): at worst timeout x attempts "
        f"+ backoff, {worst:.0f} s with the defaults, then exit 3."
    )


GROUPS = {"Pact Broker": _group_help()}


def broker_uses(*, required: bool = True) -> tuple[Use, ...]:
    """The ``use()`` of every broker setting (the URL required unless ``required=False``)."""
    return (use("broker-url", required=required), *(use(n) for n in BROKER_SETTINGS[1:]))


def broker_settings(
    cfg: Settings, platform: Platform | None = None, *, required: bool = True
) -> BrokerSettings | None:
    """The typed broker settings of a command run (``None``: no broker and not ``required``).

    Raises:
        ConfigError: no broker when required, a URL with credentials, inconsistent credentials.
    """
    from testgate.broker.client import broker_settings as _broker_settings

    settings = _broker_settings(
        cfg.broker_url,
        token=cfg.broker_token,
        username=cfg.broker_username,
        password=cfg.broker_password,
        retries=cfg.broker_retries,
        backoff=cfg.broker_retry_backoff,
        timeout=cfg.broker_timeout,
        skip_ssl_verification=bool(cfg.skip_ssl_verification),
        pact_cli=cfg.pact_cli,
        required=required,
    )
    if settings is not None and settings.skip_ssl_verification and platform is not None:
        platform.warning("TLS certificate verification of the Pact Broker is OFF")
    return settings


# -- broker settings outside a command's own spec (verify's stub sources, tests) ---------------


def from_environ(
    environ: Mapping[str, str],
    url: str | None = None,
    *,
    platform: Platform | None = None,
    required: bool = True,
    command: str = "verify",
    **flags: Any,
) -> BrokerSettings | None:
    """Broker settings from flag values (``url``, ``skip_ssl_verification``, ``broker_timeout``)
    and ``environ``, through the settings loader: the same names, checks and defaults as the
    commands on the settings model. Secrets are masked on ``platform``.

    Raises:
        ConfigError: invalid values (all of them at once), no broker when required.
    """

    from testgate import settings

    spec = CommandSpec(command, "", "", "", uses=broker_uses(required=False))
    args = argparse.Namespace(broker_url=url, **{k: v for k, v in flags.items() if v is not None})
    cfg = settings.load(spec, args, environ, platform)
    return broker_settings(cfg, platform, required=required)
