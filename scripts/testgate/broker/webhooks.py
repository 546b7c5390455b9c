"""The broker webhook that starts the provider's verification build when a changed pact arrives.

The request builders for GitHub (repository_dispatch), GitLab (pipeline trigger) and Jenkins
(buildWithParameters) are here unchanged from ``broker.py``; they are moving into the platform
adapters (issue 10), so this module is kept as it was, only split out.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

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
    missing: list[str] = []
    pact_url = "${pactbroker.pactUrl}"
    description = f"testgate: verify {provider} when a changed pact is published ({target})"
    wid = uuid_value or webhook_uuid(provider, target, consumer)
    if target == "github":
        if not repository or "/" not in repository:
            missing.append('"repository" (owner/name; env TESTGATE_REPOSITORY)')
        if not token:
            missing.append(
                "TESTGATE_WEBHOOK_TOKEN (a GitHub token that may dispatch to the repository)"
            )
        if missing:
            raise _missing_webhook_settings(target, missing)
        body = {
            "event_type": WEBHOOK_EVENT,
            "client_payload": {
                "pact_url": pact_url,
                "consumer": "${pactbroker.consumerName}",
                "consumer_version": "${pactbroker.consumerVersionNumber}",
                "consumer_branch": "${pactbroker.consumerVersionBranch}",
                "provider_version": "${pactbroker.providerVersionNumber}",
                "provider_branch": "${pactbroker.providerVersionBranch}",
            },
        }
        return WebhookSpec(
            wid,
            target,
            f"{github_api_url.rstrip('/')}/repos/{repository}/dispatches",
            "POST",
            (
                ("Content-Type", "application/json"),
                ("Accept", "application/vnd.github+json"),
                ("Authorization", f"Bearer {token}"),
            ),
            json.dumps(body, separators=(",", ":")),
            provider,
            consumer,
            description,
            secrets=(str(token),),
        )
    if target == "gitlab":
        if not project:
            missing.append(
                '"project" (GitLab project id or url-encoded path; env TESTGATE_PROJECT)'
            )
        if not token:
            missing.append("TESTGATE_WEBHOOK_TOKEN (a pipeline trigger token)")
        if missing:
            raise _missing_webhook_settings(target, missing)
        body = {"token": token, "ref": ref, "variables": {PACT_URL_VARIABLE: pact_url}}
        return WebhookSpec(
            wid,
            target,
            f"{gitlab_url.rstrip('/')}/api/v4/projects/{quote(str(project), safe='')}/trigger/pipeline",
            "POST",
            (("Content-Type", "application/json"),),
            json.dumps(body, separators=(",", ":")),
            provider,
            consumer,
            description,
            secrets=(str(token),),
        )
    if target == "jenkins":
        if not jenkins_url:
            missing.append('"jenkins-url" (env TESTGATE_JENKINS_URL)')
        if not job:
            missing.append('"job" (job path, e.g. team/provider-verify; env TESTGATE_JOB)')
        if not token or not jenkins_user:
            missing.append(
                "TESTGATE_WEBHOOK_USER and TESTGATE_WEBHOOK_TOKEN (a Jenkins user and API token)"
            )
        if missing:
            raise _missing_webhook_settings(target, missing)
        job_path = "/".join(
            f"job/{quote(part, safe='')}" for part in str(job).strip("/").split("/")
        )
        url = (
            f"{str(jenkins_url).rstrip('/')}/{job_path}/buildWithParameters"
            f"?{PACT_URL_VARIABLE}={pact_url}"
        )
        return WebhookSpec(
            wid,
            target,
            url,
            "POST",
            (),
            None,
            provider,
            consumer,
            description,
            user=f"{jenkins_user}:{token}",
            secrets=(str(token),),
        )
    raise ConfigError(
        f"unknown webhook target {target!r}",
        hint=f"use one of {', '.join(WEBHOOK_TARGETS)} (--target or TESTGATE_WEBHOOK_TARGET)",
    )


def _missing_webhook_settings(target: str, missing: list[str]) -> ConfigError:
    return ConfigError(
        f"webhook target {target} needs: {'; '.join(missing)}",
        hint="set them as flags or environment variables (tokens only in the environment)",
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
