"""What the Pact Broker commands share: the broker options and masking its secrets."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from testgate.broker import BrokerSettings, broker_settings
from testgate.ci_context import detect_ci_context
from testgate.config import env_var_for, parse_bool, resolve
from testgate.errors import ConfigError
from testgate.platforms import Platform


def add_broker_arguments(parser: argparse.ArgumentParser) -> None:
    """``--broker-url`` and ``--skip-ssl-verification`` (credentials only from the environment)."""
    group = parser.add_argument_group(
        "Pact Broker",
        "credentials come only from the environment: PACT_BROKER_TOKEN, or "
        "PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD",
    )
    group.add_argument(
        "--broker-url",
        metavar="URL",
        help="the Pact Broker (env PACT_BROKER_BASE_URL)",
    )
    group.add_argument(
        "--skip-ssl-verification",
        action="store_true",
        default=None,
        help="do not check the broker's TLS certificate (env TESTGATE_SKIP_SSL_VERIFICATION; "
        "default: checked)",
    )


def settings_from(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    platform: Platform,
    *,
    required: bool = True,
) -> BrokerSettings | None:
    """Broker settings from the flags and environment, with every secret masked first."""
    for name in ("PACT_BROKER_TOKEN", "PACT_BROKER_PASSWORD"):
        if environ.get(name):
            platform.mask(environ[name])
    skip = args.skip_ssl_verification
    if skip is None:
        skip = parse_bool(
            environ.get("TESTGATE_SKIP_SSL_VERIFICATION", "false"), "TESTGATE_SKIP_SSL_VERIFICATION"
        )
    if skip:
        platform.warning("TLS certificate verification of the Pact Broker is OFF")
    return broker_settings(
        environ, args.broker_url, required=required, skip_ssl_verification=bool(skip)
    )


def require(values: Mapping[str, tuple[object, str]]) -> None:
    """Raise one error naming every missing setting: ``{input: (value, ENV_VAR)}``."""
    missing = [
        f'"{name}" (--{name} or env {var})' for name, (value, var) in values.items() if not value
    ]
    if missing:
        raise ConfigError(
            f"missing {', '.join(missing)}",
            hint="pass the flags or set the environment variables",
        )


def version_at(
    args: argparse.Namespace, env: Mapping[str, str], *, place: str, flag_value: str | None
) -> tuple[str, str, str]:
    """(pacticipant, version, environment) for can-i-deploy and record-deployment/release.

    ``place`` names the environment input (``to-environment`` or ``environment``); the
    version defaults to the git SHA once the other two are known. Every missing one is
    named in one error.
    """
    place_var = env_var_for(place)
    pacticipant = resolve(args.pacticipant, env, "TESTGATE_PACTICIPANT")
    environment = resolve(flag_value, env, place_var)
    version = resolve(args.version, env, "TESTGATE_VERSION")
    if not version and pacticipant and environment:
        version = detect_ci_context(env).sha
    require(
        {
            "pacticipant": (pacticipant, "TESTGATE_PACTICIPANT"),
            "version": (version, "TESTGATE_VERSION"),
            place: (environment, place_var),
        }
    )
    return str(pacticipant), str(version), str(environment)
