"""``testgate webhook ensure``: the broker webhook that starts the provider's verification.

When a consumer publishes a pact the provider has not verified yet, the Pact
Broker fires ``contract_requiring_verification_published``; this webhook turns
that into a provider build (GitHub repository_dispatch, GitLab pipeline trigger
or Jenkins buildWithParameters) that runs ``testgate verify --pact-url URL``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.commands._broker import GROUPS, broker_settings, broker_uses
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Settings, setting, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "create or update the webhook that verifies a changed pact in the provider's CI"

TOKEN, USER = setting("webhook-token").env, setting("webhook-user").env
SPEC = CommandSpec(
    name="webhook",
    help=HELP,
    description="Create or update (by a stable UUID) the Pact Broker webhook for "
    "contract_requiring_verification_published. Tokens come only from the environment "
    "(webhook-token, and webhook-user for Jenkins).",
    examples=f"""\
  {TOKEN}=... testgate webhook ensure --provider inventory-api \\
      --target github --repository acme/inventory-api
  {TOKEN}=<trigger token> testgate webhook ensure --provider inventory-api \\
      --target gitlab --project 1234 --ref main
  {USER}=ci {TOKEN}=<api token> testgate webhook ensure \\
      --provider inventory-api --target jenkins --jenkins-url https://ci.example.com \\
      --job team/inventory-verify""",
    uses=(
        use("provider", required=True, help="provider whose pacts trigger it"),
        use("consumer", help="only this consumer's pacts (not read from testgate.toml)"),
        use("webhook-target"),
        use("repository"),
        use("github-api-url"),
        use("gitlab-project"),
        use("gitlab-url"),
        use("ref", default="main", help="GitLab ref to run the pipeline on"),
        use("jenkins-url"),
        use("jenkins-job"),
        use("webhook-uuid"),
        use("webhook-token"),
        use("webhook-user"),
        *broker_uses(),
    ),
    actions=("ensure",),
    groups=GROUPS,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``webhook`` options."""
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate webhook``."""
    return _common.execute(SPEC, argv, environ, _run)


def _run(cfg: Settings, platform: Platform) -> int:
    from testgate import broker

    settings = broker_settings(cfg, platform)
    assert settings is not None
    target = cfg.webhook_target or (
        platform.name if platform.name in broker.WEBHOOK_TARGETS else None
    )
    if not target:
        s = setting("webhook-target")
        raise ConfigError(
            f"webhook-target is required off CI ({s.flag} or env {s.env})",
            hint=f"one of {', '.join(broker.WEBHOOK_TARGETS)}: the CI system that verifies",
        )
    # [consumer] name in testgate.toml is this repository's own consumer, not a filter.
    consumer = cfg.consumer if cfg.source("consumer") != "testgate.toml" else None
    spec = broker.build_webhook(
        str(target),
        provider=str(cfg.provider),
        consumer=consumer,
        token=cfg.webhook_token,
        repository=cfg.build.repository,
        github_api_url=cfg.github_api_url,
        gitlab_url=cfg.gitlab_url,
        project=cfg.gitlab_project,
        jenkins_url=cfg.jenkins_url,
        job=cfg.jenkins_job,
        jenkins_user=cfg.webhook_user,
        ref=cfg.ref,
        uuid_value=cfg.webhook_uuid,
    )
    broker.ensure_webhook(settings, spec, cfg.environ)
    platform.summary(
        "## Pact Broker webhook\n\n"
        f"`{spec.uuid}`: on {broker.WEBHOOK_EVENT} for `{spec.provider}`"
        + (f" (consumer `{spec.consumer}`)" if spec.consumer else "")
        + f", {spec.method} {spec.url.split('?')[0]} ({spec.target}).\n"
    )
    platform.output("webhook-uuid", spec.uuid)
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
