"""``testgate verify``: verify the provider against its pacts; one JUnit testcase per interaction."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from testgate import broker, pact
from testgate.ci_context import detect_ci_context
from testgate.commands import _broker, _common
from testgate.commands._broker import settings_from
from testgate.config import ProjectConfig, parse_bool, resolve, split_command
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform
from testgate.provider import start_provider
from testgate.settings import flag_help, setting

HELP = "verify the provider against its pacts (isolated, or a deployed URL)"


def build_parser() -> argparse.ArgumentParser:
    parser = _common.make_parser(
        "verify",
        "Verify a provider against the pacts its consumers wrote, with pact-python's Verifier.\n\n"
        "Strategy 1 (default): start the provider in isolation on 127.0.0.1 (the command in\n"
        "testgate.toml [provider]), with provider states set through its state endpoint.\n"
        "Strategy 2: --provider-url verifies a deployed provider (pre-prod, ephemeral env).\n\n"
        "Before replaying anything, every provider state in the pacts is set up once: a state\n"
        "without a handler fails fast (the Pact core would retry it for minutes).",
        """\
  testgate verify                                   # provider from testgate.toml, pacts/ folder
  testgate verify --pact-dir build/pacts --provider inventory-api
  testgate verify --provider-url https://inventory.beta.example.com \\
                  --states-url https://inventory.beta.example.com/_pact/provider-states
  testgate verify --broker --include-wip-pacts-since 2026-01-01   # pacts by selectors, pending on
  testgate verify --pact-url "$TESTGATE_PACT_URL"   # the one pact a broker webhook names""",
    )
    parser.add_argument(
        "--provider", metavar="NAME", help="provider name in the pacts (env TESTGATE_PROVIDER)"
    )
    parser.add_argument(
        "--pact-dir", metavar="DIR", help="pact files (env TESTGATE_PACT_DIR; default pacts)"
    )
    parser.add_argument(
        "--provider-url",
        metavar="URL",
        help="verify a deployed provider at URL instead of starting one (env TESTGATE_PROVIDER_URL)",
    )
    parser.add_argument(
        "--provider-command",
        metavar="CMD",
        help="command that starts the provider; {port} or port 0 (env TESTGATE_PROVIDER_COMMAND)",
    )
    parser.add_argument(
        "--states-url",
        metavar="URL",
        help="provider-state endpoint (env TESTGATE_PROVIDER_STATES_URL; default <provider>/<states-path>)",
    )
    parser.add_argument(
        "--junit",
        metavar="FILE",
        help="JUnit report (default <reports-dir>/provider-verification.xml)",
    )
    parser.add_argument(
        "--start-timeout",
        type=float,
        metavar="SECONDS",
        help="how long the provider may take to answer (env TESTGATE_START_TIMEOUT; default 30)",
    )
    add_broker_source_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.run(build_parser(), argv, environ, _run)


@contextlib.contextmanager
def provider_under_test(
    project: ProjectConfig,
    env: dict[str, str],
    *,
    url: str | None,
    command: str | None,
    start_timeout: float | None,
    name: str,
) -> Iterator[str]:
    """Yield the provider's base URL: ``url`` as given, or a provider started in isolation."""
    if url:
        yield url.rstrip("/")
        return
    raw = resolve(command, env, "TESTGATE_PROVIDER_COMMAND", project.get("provider", "command"))
    if not raw:
        raise ConfigError(
            "no provider to verify: neither a URL nor a command to start one",
            hint="pass --provider-url (a deployed provider) or set [provider] command in "
            "testgate.toml / TESTGATE_PROVIDER_COMMAND (start it in isolation)",
        )
    argv = [part.replace("{python}", sys.executable) for part in split_command(raw)]
    cwd = project.path(project.get("provider", "cwd", "."))
    timeout = float(resolve(start_timeout, env, "TESTGATE_START_TIMEOUT", 30))
    log = _common.reports_dir(env) / f"{name}.log"
    with start_provider(
        argv,
        cwd=cwd,
        env=env,
        log=log,
        ready_path=project.get("provider", "ready-path", "/"),
        timeout=timeout,
        name=name,
    ) as running:
        yield running.url


def _run(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    project = _common.project(env)
    provider = _common.required_setting(
        project,
        env,
        args.provider,
        flag="--provider",
        var="TESTGATE_PROVIDER",
        section="provider",
        key="name",
    )
    pact_dir = _common.pact_dir(project, env, args.pact_dir)
    junit = (
        Path(args.junit) if args.junit else _common.reports_dir(env) / "provider-verification.xml"
    )
    remote = broker_source(args, env, platform, provider)
    pacts = [] if remote else pact.load_pacts(pact_dir, provider)
    states = [s for s in pact.provider_states(pacts) if s.name]
    deployed_url = resolve(args.provider_url, env, "TESTGATE_PROVIDER_URL")
    explicit_states = resolve(args.states_url, env, "TESTGATE_PROVIDER_STATES_URL")

    with provider_under_test(
        project,
        env,
        url=deployed_url,
        command=args.provider_command,
        start_timeout=args.start_timeout,
        name=provider,
    ) as url:
        states_url = explicit_states
        if not states_url and not deployed_url and project.get("provider", "states-path"):
            states_url = url + project.get("provider", "states-path")
        if states and states_url:
            pact.check_state_handlers(states_url, states)
        elif states:
            platform.warning(
                f"the pacts use {len(states)} provider states but no state endpoint is set; "
                "interactions that need a state may fail (set --states-url)"
            )
        where = "deployed at" if deployed_url else "started in isolation at"
        with platform.group(f"Verify {provider} {where} {url}"):
            result = pact.verify_provider(
                provider,
                url,
                remote.source if remote else pact.directory_source(*(p.path for p in pacts)),
                states_url=states_url,
                colour=sys.stdout.isatty(),
                configure=remote.configure if remote else None,
            )
    pact.write_verification_junit(result, junit)
    extra = remote.summary_md() if remote else ""
    platform.summary(pact.verification_md(result) + extra + f"\nJUnit: `{junit}`\n")
    for item in result.failed:
        platform.error(
            f"{item.consumer} -> {item.provider}: {item.description}: "
            + ("; ".join(item.mismatches[:3]) or "verification failed")
        )
    platform.output("decision", "pass" if result.passed else "fail")
    platform.output("failed", str(len(result.failed)))
    return ExitCode.OK if result.passed else ExitCode.GATE_FAILED


# -- pacts from the Pact Broker (--broker, --pact-url) ----------------------------------------


@dataclass(frozen=True)
class RemoteSource:
    """Where ``verify`` takes the pacts from when they come from a broker or a URL."""

    source: pact.Source
    configure: Callable[[Any], Any] | None
    description: str
    publish: bool
    provider_version: str | None
    provider_branch: str | None

    def summary_md(self) -> str:
        """What was verified and whether the results went back to the broker."""
        where = f"\nPacts: {self.description}.\n"
        if self.publish:
            branch = f" on branch `{self.provider_branch}`" if self.provider_branch else ""
            return (
                where
                + f"Results published as provider version `{self.provider_version}`{branch}.\n"
            )
        return where + "Results not published (--publish-results is off).\n"


def add_broker_source_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--broker`` / ``--pact-url`` options of ``verify``."""
    group = parser.add_argument_group(
        "pacts from the Pact Broker",
        "credentials come only from PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD",
    )
    group.add_argument(
        "--broker",
        action="store_true",
        default=None,
        help="take the pacts from the Pact Broker by consumer version selectors (env TESTGATE_BROKER)",
    )
    group.add_argument(
        "--pact-url",
        metavar="URL",
        help="verify this one pact (the run a broker webhook starts; env TESTGATE_PACT_URL)",
    )
    group.add_argument(
        "--broker-url", metavar="URL", help="the Pact Broker (env PACT_BROKER_BASE_URL)"
    )
    group.add_argument(
        "--consumer-version-selectors",
        metavar="SELECTORS",
        help="mainBranch,deployedOrReleased,matchingBranch (the default), branch=NAME, "
        "environment=NAME, ... or the broker's JSON (env TESTGATE_CONSUMER_VERSION_SELECTORS)",
    )
    group.add_argument(
        "--include-pending",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pending pacts do not fail the gate (env TESTGATE_INCLUDE_PENDING; default on)",
    )
    group.add_argument(
        "--include-wip-pacts-since",
        metavar="DATE",
        help="also verify work-in-progress pacts published since DATE, as pending "
        "(env TESTGATE_INCLUDE_WIP_PACTS_SINCE)",
    )
    group.add_argument(
        "--provider-version",
        help="provider version for the results (env TESTGATE_PROVIDER_VERSION or TESTGATE_VERSION; "
        "default: the git SHA)",
    )
    group.add_argument(
        "--provider-branch",
        help="provider branch (env TESTGATE_PROVIDER_BRANCH or TESTGATE_BRANCH; default: from CI or git)",
    )
    group.add_argument(
        "--publish-results",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="send the results to the broker (env TESTGATE_PUBLISH_RESULTS; default: on in CI "
        "on the main branch, TESTGATE_MAIN_BRANCH or the repository default, else main)",
    )
    group.add_argument(
        "--skip-ssl-verification",
        action="store_true",
        default=None,
        help="do not check the broker's TLS certificate (env TESTGATE_SKIP_SSL_VERIFICATION)",
    )
    timeout = setting("broker-timeout")
    group.add_argument(
        timeout.flag, metavar=timeout.metavar, help=flag_help(timeout)
    )  # the loader checks it (in _broker.settings_from)


def broker_source(
    args: argparse.Namespace, env: Mapping[str, str], platform: Platform, provider: str
) -> RemoteSource | None:
    """The broker or pact-URL source ``verify`` should use, or ``None`` for local pact files."""
    pact_url = resolve(args.pact_url, env, "TESTGATE_PACT_URL")
    use_broker = parse_bool(resolve(args.broker, env, "TESTGATE_BROKER", False), "TESTGATE_BROKER")
    if not pact_url and not use_broker:
        return None
    if pact_url and use_broker:
        raise ConfigError(
            "--broker and --pact-url are two different sources: choose one",
            hint="--pact-url for the run a webhook starts, --broker for the regular build",
        )
    settings = settings_from(args, env, platform, required=use_broker)
    ctx = detect_ci_context(env)
    # TESTGATE_VERSION/TESTGATE_BRANCH: what the GitLab and Jenkins templates set in a provider job.
    version = resolve(
        args.provider_version,
        env,
        "TESTGATE_PROVIDER_VERSION",
        env.get("TESTGATE_VERSION"),
        ctx.sha,
    )
    branch = resolve(
        args.provider_branch,
        env,
        "TESTGATE_PROVIDER_BRANCH",
        env.get("TESTGATE_BRANCH"),
        ctx.branch,
    )
    main_branch = env.get("TESTGATE_MAIN_BRANCH") or None
    publish_default = ctx.is_ci and branch == (main_branch or ctx.default_branch or "main")
    publish = parse_bool(
        resolve(args.publish_results, env, "TESTGATE_PUBLISH_RESULTS", publish_default),
        "TESTGATE_PUBLISH_RESULTS",
    )
    if publish and settings is None:
        raise ConfigError(
            "results cannot be published without a broker (PACT_BROKER_BASE_URL)",
            hint="set PACT_BROKER_BASE_URL or pass --no-publish-results",
        )
    if publish and not version:
        raise ConfigError(
            'publishing results needs "provider-version" (--provider-version or env '
            "TESTGATE_PROVIDER_VERSION), and git gave no SHA",
            hint="pass --provider-version or --no-publish-results",
        )

    def configure(verifier: Any) -> Any:
        if publish:
            verifier.set_publish_options(version=str(version), url=ctx.build_url, branch=branch)
        return verifier

    if pact_url:
        return RemoteSource(
            source=lambda v: broker.add_pact_url_source(
                v, str(pact_url), settings or _broker.bounds_for(args, env, str(pact_url))
            ),
            configure=configure,
            description=f"one pact from {pact_url}",
            publish=publish,
            provider_version=version,
            provider_branch=branch,
        )
    assert settings is not None
    wip_raw = resolve(args.include_wip_pacts_since, env, "TESTGATE_INCLUDE_WIP_PACTS_SINCE")
    try:
        wip = date.fromisoformat(str(wip_raw)) if wip_raw else None
    except ValueError:
        raise ConfigError(
            f"include-wip-pacts-since must be a date (YYYY-MM-DD), not {wip_raw!r}",
            hint="for example --include-wip-pacts-since 2026-01-01",
        ) from None
    selectors = broker.parse_selectors(
        resolve(args.consumer_version_selectors, env, "TESTGATE_CONSUMER_VERSION_SELECTORS") or ""
    )

    if any(s.get("matchingBranch") for s in selectors) and not branch:
        platform.warning(
            "matchingBranch selects nothing without a provider branch (--provider-branch)"
        )
    options = broker.BrokerVerificationOptions(
        settings=settings,
        selectors=selectors,
        include_pending=parse_bool(
            resolve(args.include_pending, env, "TESTGATE_INCLUDE_PENDING", True),
            "TESTGATE_INCLUDE_PENDING",
        ),
        include_wip_since=wip,
        provider_version=version,
        provider_branch=branch,
        publish_results=publish,
        build_url=ctx.build_url,
        provider=provider,
    )
    names = ", ".join(json.dumps(s, separators=(",", ":")) for s in selectors)
    return RemoteSource(
        source=lambda v: broker.add_broker_source(v, options),
        configure=None,  # add_broker_source sets the publish options itself
        description=f"{settings.url} for {provider}, selectors {names}"
        + (", pending on" if options.include_pending else "")
        + (f", WIP since {wip}" if wip else ""),
        publish=publish,
        provider_version=version,
        provider_branch=branch,
    )
