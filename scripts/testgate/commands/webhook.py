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

from testgate import broker
from testgate.commands._broker import add_broker_arguments, require, settings_from
from testgate.commands._common import make_parser, run
from testgate.config import resolve
from testgate.errors import ExitCode
from testgate.platforms import Platform

HELP = "create or update the webhook that verifies a changed pact in the provider's CI"

EXAMPLES = """\
  TESTGATE_WEBHOOK_TOKEN=... testgate webhook ensure --provider inventory-api \\
      --target github --repository acme/inventory-api
  TESTGATE_WEBHOOK_TOKEN=<trigger token> testgate webhook ensure --provider inventory-api \\
      --target gitlab --project 1234 --ref main
  TESTGATE_WEBHOOK_USER=ci TESTGATE_WEBHOOK_TOKEN=<api token> testgate webhook ensure \\
      --provider inventory-api --target jenkins --jenkins-url https://ci.example.com \\
      --job team/inventory-verify
"""

_TARGET_BY_PLATFORM = {"github": "github", "gitlab": "gitlab", "jenkins": "jenkins"}


def build_parser() -> argparse.ArgumentParser:
    """The ``webhook`` options."""
    parser = make_parser(
        "webhook",
        "Create or update (by a stable UUID) the Pact Broker webhook for "
        "contract_requiring_verification_published. Tokens come only from "
        "TESTGATE_WEBHOOK_TOKEN (and TESTGATE_WEBHOOK_USER for Jenkins).",
        EXAMPLES,
    )
    parser.add_argument("action", choices=["ensure"], help="what to do")
    parser.add_argument(
        "--provider", help="provider whose pacts trigger it (env TESTGATE_PROVIDER)"
    )
    parser.add_argument("--consumer", help="only this consumer's pacts (env TESTGATE_CONSUMER)")
    parser.add_argument(
        "--target",
        choices=broker.WEBHOOK_TARGETS,
        help="CI system to start (env TESTGATE_WEBHOOK_TARGET; default: the current platform)",
    )
    parser.add_argument(
        "--repository",
        metavar="OWNER/NAME",
        help="GitHub repository (env TESTGATE_REPOSITORY; default GITHUB_REPOSITORY)",
    )
    parser.add_argument(
        "--github-api-url",
        metavar="URL",
        help="GitHub API (env TESTGATE_GITHUB_API_URL; default GITHUB_API_URL or https://api.github.com)",
    )
    parser.add_argument(
        "--project", help="GitLab project id or path (env TESTGATE_PROJECT; default CI_PROJECT_ID)"
    )
    parser.add_argument(
        "--gitlab-url",
        metavar="URL",
        help="GitLab server (env TESTGATE_GITLAB_URL; default CI_SERVER_URL or https://gitlab.com)",
    )
    parser.add_argument(
        "--ref", help="GitLab ref to run the pipeline on (env TESTGATE_REF; default main)"
    )
    parser.add_argument(
        "--jenkins-url",
        metavar="URL",
        help="Jenkins (env TESTGATE_JENKINS_URL; default JENKINS_URL)",
    )
    parser.add_argument(
        "--job", help="Jenkins job path, e.g. team/inventory-verify (env TESTGATE_JOB)"
    )
    parser.add_argument("--uuid", help="webhook UUID (env TESTGATE_WEBHOOK_UUID; default: derived)")
    add_broker_arguments(parser)
    return parser


def _body(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    settings = settings_from(args, env, platform)
    assert settings is not None
    token = env.get("TESTGATE_WEBHOOK_TOKEN") or None
    if token:
        platform.mask(token)
    provider = resolve(args.provider, env, "TESTGATE_PROVIDER")
    target = resolve(
        args.target, env, "TESTGATE_WEBHOOK_TARGET", _TARGET_BY_PLATFORM.get(platform.name)
    )
    require(
        {
            "provider": (provider, "TESTGATE_PROVIDER"),
            "target": (target, "TESTGATE_WEBHOOK_TARGET"),
        }
    )
    spec = broker.build_webhook(
        str(target),
        provider=str(provider),
        consumer=resolve(args.consumer, env, "TESTGATE_CONSUMER"),
        token=token,
        repository=resolve(
            args.repository, env, "TESTGATE_REPOSITORY", env.get("GITHUB_REPOSITORY")
        ),
        github_api_url=resolve(
            args.github_api_url,
            env,
            "TESTGATE_GITHUB_API_URL",
            env.get("GITHUB_API_URL"),
            "https://api.github.com",
        ),
        gitlab_url=resolve(
            args.gitlab_url,
            env,
            "TESTGATE_GITLAB_URL",
            env.get("CI_SERVER_URL"),
            "https://gitlab.com",
        ),
        project=resolve(args.project, env, "TESTGATE_PROJECT", env.get("CI_PROJECT_ID")),
        jenkins_url=resolve(args.jenkins_url, env, "TESTGATE_JENKINS_URL", env.get("JENKINS_URL")),
        job=resolve(args.job, env, "TESTGATE_JOB"),
        jenkins_user=env.get("TESTGATE_WEBHOOK_USER") or None,
        ref=resolve(args.ref, env, "TESTGATE_REF", "main"),
        uuid_value=resolve(args.uuid, env, "TESTGATE_WEBHOOK_UUID"),
    )
    broker.ensure_webhook(settings, spec, env)
    platform.summary(
        "## Pact Broker webhook\n\n"
        f"`{spec.uuid}`: on {broker.WEBHOOK_EVENT} for `{spec.provider}`"
        + (f" (consumer `{spec.consumer}`)" if spec.consumer else "")
        + f", {spec.method} {spec.url.split('?')[0]} ({spec.target}).\n"
    )
    platform.output("webhook-uuid", spec.uuid)
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate webhook``."""
    return run(build_parser(), argv, environ, _body)


if __name__ == "__main__":
    sys.exit(main())
