"""The broker webhook that starts the provider's verification build when a changed pact arrives.

The request builders for GitHub (repository_dispatch), GitLab (pipeline trigger) and Jenkins
(buildWithParameters) are here unchanged from ``broker.py``; they are moving into the platform
adapters (issue 10), so this module is kept as it was, only split out.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from testgate.broker.client import BrokerSettings, CliRun, Runner, run_pact_broker
from testgate.errors import ConfigError, ToolError

WEBHOOK_EVENT = "contract_requiring_verification_published"
WEBHOOK_TARGETS = ("github", "gitlab", "jenkins")
PACT_URL_VARIABLE = "TESTGATE_PACT_URL"


@dataclass(frozen=True)
class WebhookSpec:
    """A broker webhook that starts the provider's verification build."""

    uuid: str
    target: str
    url: str
    method: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)  # may hold the token
    body: str | None = field(repr=False)  # may hold the token (GitLab)
    provider: str
    consumer: str | None
    description: str
    user: str | None = field(default=None, repr=False)  # "name:token" for basic auth
    secrets: tuple[str, ...] = field(default=(), repr=False)


def webhook_uuid(provider: str, target: str, consumer: str | None = None) -> str:
    """A stable UUID per provider/target(/consumer), so ``webhook ensure`` updates in place."""
    key = f"testgate:{WEBHOOK_EVENT}:{target}:{provider}:{consumer or '*'}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


def build_webhook(
    target: str,
    *,
    provider: str,
    consumer: str | None = None,
    token: str | None,
    repository: str | None = None,
    github_api_url: str = "https://api.github.com",
    gitlab_url: str = "https://gitlab.com",
    project: str | None = None,
    jenkins_url: str | None = None,
    job: str | None = None,
    jenkins_user: str | None = None,
    ref: str = "main",
    uuid_value: str | None = None,
) -> WebhookSpec:
    """The webhook request for ``target`` (``github``, ``gitlab`` or ``jenkins``).

    - github: ``POST /repos/{owner}/{repo}/dispatches`` (repository_dispatch, event type
      ``contract_requiring_verification_published``, ``client_payload.pact_url``).
    - gitlab: ``POST /api/v4/projects/{id}/trigger/pipeline`` (pipeline trigger token, ``ref``,
      ``variables[TESTGATE_PACT_URL]``).
    - jenkins: ``POST {job}/buildWithParameters`` with ``TESTGATE_PACT_URL`` (user + API token).

    Raises:
        ConfigError: a setting the target needs is missing (all of them named at once).
    """
    # Each CI's REST API is known by its platform adapter; the broker knows the payload.
    from testgate.platforms import GitHubPlatform, GitLabPlatform, JenkinsPlatform

    pact_url = "${pactbroker.pactUrl}"
    description = f"testgate: verify {provider} when a changed pact is published ({target})"
    wid = uuid_value or webhook_uuid(provider, target, consumer)
    if target == "github":
        request = GitHubPlatform.webhook_request(
            repository=repository,
            token=token,
            event_type=WEBHOOK_EVENT,
            client_payload={
                "pact_url": pact_url,
                "consumer": "${pactbroker.consumerName}",
                "consumer_version": "${pactbroker.consumerVersionNumber}",
                "consumer_branch": "${pactbroker.consumerVersionBranch}",
                "provider_version": "${pactbroker.providerVersionNumber}",
                "provider_branch": "${pactbroker.providerVersionBranch}",
            },
            api_url=github_api_url,
        )
    elif target == "gitlab":
        request = GitLabPlatform.webhook_request(
            project=project,
            token=token,
            ref=ref,
            variables={PACT_URL_VARIABLE: pact_url},
            server_url=gitlab_url,
        )
    elif target == "jenkins":
        request = JenkinsPlatform.webhook_request(
            jenkins_url=jenkins_url,
            job=job,
            user=jenkins_user,
            token=token,
            parameters={PACT_URL_VARIABLE: pact_url},
        )
    else:
        raise ConfigError(
            f"unknown webhook target {target!r}",
            hint=f"use one of {', '.join(WEBHOOK_TARGETS)} (--target or TESTGATE_WEBHOOK_TARGET)",
        )
    return WebhookSpec(
        wid,
        target,
        request.url,
        request.method,
        request.headers,
        request.body,
        provider,
        consumer,
        description,
        user=request.user,
        secrets=request.secrets,
    )


def ensure_webhook(
    settings: BrokerSettings,
    spec: WebhookSpec,
    environ: Mapping[str, str],
    *,
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> CliRun:
    """Create or update the webhook (``pact broker create-or-update-webhook``).

    The pact CLI takes webhook headers and credentials only as arguments, so the
    target's token is on the child's command line for the moment it runs; it is
    removed from every message and output testgate prints.
    """
    args = [
        "create-or-update-webhook",
        spec.url,
        "--uuid",
        spec.uuid,
        "--request",
        spec.method,
        "--provider",
        spec.provider,
        "--description",
        spec.description,
        "--contract-requiring-verification-published",
    ]
    if spec.consumer:
        args += ["--consumer", spec.consumer]
    if spec.headers:  # one --header followed by every header (the CLI takes it once)
        args += ["--header", *[f"{name}: {value}" for name, value in spec.headers]]
    if spec.body is not None:
        args += ["--data", spec.body]
    if spec.user:
        args += ["--user", spec.user]
    run = run_pact_broker(
        settings, args, environ, extra_secrets=spec.secrets, runner=runner, sleep=sleep
    )
    if run.returncode != 0:
        raise ToolError(f"pact broker create-or-update-webhook failed: {run.last_error()}")
    return run
