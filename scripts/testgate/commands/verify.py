"""``testgate verify``: verify the provider against its pacts; one JUnit testcase per interaction."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from testgate.commands import _broker, _common
from testgate.commands._broker import GROUPS, broker_uses
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Settings, in_reports, spelled, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate import pact
    from testgate.broker import BrokerSettings
    from testgate.platforms import Platform
    from testgate.stubs import IsolatedProvider

HELP = "verify the provider against its pacts (isolated, or a deployed URL)"

# What starting the provider in isolation reads (verify, and api-tests for a local environment),
# its downstream stubs included.
PROVIDER_START = (
    use("provider-command"),
    use("provider-cwd"),
    use("ready-path"),
    use("start-timeout"),
    use("provider-stubs"),
    use("pact-dir"),
)

SPEC = CommandSpec(
    name="verify",
    help=HELP,
    description="Verify a provider against the pacts its consumers wrote, with pact-python's "
    "Verifier.\n\n"
    "Strategy 1 (default): start the provider in isolation on 127.0.0.1 (the command in\n"
    "testgate.toml [provider]), with provider states set through its state endpoint.\n"
    "Strategy 2: --provider-url verifies a deployed provider (pre-prod, ephemeral env).\n\n"
    "Before replaying anything, every provider state in the pacts is set up once (and the\n"
    'empty state "" when an interaction has none): a state without a handler, or states\n'
    "with no state endpoint configured, fail fast with exit 2 (the Pact core would retry\n"
    "for minutes); a handler that raises, or a provider that drops the connection, exits 3\n"
    "quoting the end of the provider's log (<reports-dir>/<provider>.log).\n"
    "Paths are relative to testgate.toml's folder.\n\n"
    "Downstream services: each [[provider.stubs]] in testgate.toml is served by the Pact stub\n"
    "server (pact stub) from the provider's own pact with it, on a free 127.0.0.1 port named\n"
    "to the provider by its url-variable; a request no stub can answer fails verification.\n"
    "Message (event) interactions are produced by message-handler ([provider.messages]).",
    examples="""\
  testgate verify                                   # provider from testgate.toml, pacts/ folder
  testgate verify --pact-dir build/pacts --provider inventory-api
  testgate verify --provider-url https://inventory.beta.example.com \\
                  --states-url https://inventory.beta.example.com/_pact/provider-states
  testgate verify --broker --include-wip-pacts-since 2026-01-01   # pacts by selectors, pending on
  testgate verify --pact-url "$PACT_URL"            # the one pact a broker webhook names
  testgate verify --message-handler inventory_api.events:pact_message   # events too""",
    uses=(
        use("provider", required=True),
        use("provider-url"),
        *PROVIDER_START,
        use("provider-messages"),
        use("message-handler"),
        use("states-path"),
        use("provider-states-url"),
        use("verify-junit", default=in_reports("provider-verification.xml")),
        # pacts from the Pact Broker
        use("broker"),
        use("pact-url"),
        use("consumer-version-selectors"),
        use("include-pending"),
        use("include-wip-pacts-since"),
        use("provider-version"),
        use("provider-branch"),
        use("publish-results"),
        *broker_uses(required=False),
    ),
    groups={
        "pacts from the Pact Broker": "which pacts to verify and where the results go",
        **GROUPS,
    },
)


def build_parser() -> argparse.ArgumentParser:
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.execute(SPEC, argv, environ, _run)


@contextlib.contextmanager
def provider_under_test(
    cfg: Settings,
    env: Mapping[str, str],
    *,
    url: str | None,
    name: str,
    log_name: str | None = None,
) -> Iterator[IsolatedProvider]:
    """The provider: at ``url`` as given, or started in isolation with its downstreams stubbed.

    ``cfg`` holds the :data:`PROVIDER_START` settings; the provider's log goes to
    ``<reports-dir>/<log_name or name>.log``, each stub's beside it.
    """
    from testgate import stubs  # requests: only when a provider starts

    if url:
        yield stubs.IsolatedProvider(url.rstrip("/"), Path(), stubs.RunningStubs())
        return
    if not cfg.provider_command:
        raise ConfigError(
            "no provider to verify: neither a URL nor a command to start one",
            hint=f"set provider-url ({_common.how_to_set('provider-url')}) for a deployed "
            f"provider, or provider-command ({_common.how_to_set('provider-command')}) to "
            "start it in isolation",
        )
    from testgate import broker

    specs = stubs.parse_stub_specs(cfg.provider_stubs)
    wants_broker = any(stubs.BROKER in spec.sources for spec in specs)
    stub_pacts = stubs.resolve_stub_pacts(
        specs,
        consumer=name,
        root=cfg.project.root,
        pact_dir=cfg.pact_dir,
        fetch_dir=cfg.reports_dir / "stub-pacts",
        broker=_broker.from_environ(env, cfg.lookup("broker-url"), required=False)
        if wants_broker
        else None,
    )
    argv = [part.replace("{python}", sys.executable) for part in cfg.provider_command]
    with stubs.isolated_provider(
        argv,
        cwd=cfg.provider_cwd,
        env=env,
        log=cfg.reports_dir / f"{log_name or name}.log",
        ready_path=cfg.ready_path,
        timeout=cfg.start_timeout,
        name=name,
        stubs=stub_pacts,
        pact_cli=broker.find_pact_cli(cfg.lookup("pact-cli"), path=env.get("PATH"))
        if stub_pacts
        else None,
    ) as running:
        yield running


def message_relay(cfg: Settings) -> pact.MessageRelay | None:
    """The handler of ``message-handler`` (else ``[provider.messages] handler``), if any."""
    from testgate import pact

    spec = cfg.message_handler or pact.message_handler_spec(cfg.provider_messages)
    if not spec:
        return None
    return pact.MessageRelay(pact.load_message_handler(spec, cfg.provider_cwd), spec)


def _run(cfg: Settings, platform: Platform) -> int:
    from testgate import pact

    provider: str = cfg.provider
    junit = cfg.verify_junit
    platform.output("junit", str(junit))  # what the template uploads: this file, no glob
    remote = broker_source(cfg, platform, provider)
    pacts = [] if remote else pact.load_pacts(cfg.pact_dir, provider)
    states = [s for s in pact.provider_states(pacts) if s.name]
    kinds = {d: k for p in pacts for d, k in p.kinds().items()}
    relay = message_relay(cfg)
    if relay is None:
        pact.require_no_messages(pacts)
    deployed_url = cfg.provider_url
    explicit_states = cfg.provider_states_url
    if states and not explicit_states and (deployed_url or not cfg.states_path):
        raise _states_without_endpoint(states, deployed=bool(deployed_url))

    with provider_under_test(cfg, cfg.environ, url=deployed_url, name=provider) as running:
        url = running.url
        states_url = explicit_states
        if not states_url and not deployed_url and cfg.states_path:
            states_url = url + cfg.states_path
        stateless = pact.has_stateless_interactions(pacts)
        if states_url and (states or stateless):
            pact.check_state_handlers(
                states_url,
                states,
                empty_state=stateless,
                log=None if deployed_url else running.log,
            )
        where = "deployed at" if deployed_url else "started in isolation at"
        with platform.group(f"Verify {provider} {where} {url}"), platform.child_output():
            for line in running.stubs.describe():
                platform.info(line)
            result = pact.verify_provider(
                provider,
                url,
                remote.source if remote else pact.directory_source(*(p.path for p in pacts)),
                states_url=states_url,
                colour=sys.stdout.isatty(),
                configure=remote.configure if remote else None,
                messages=relay,
                kinds=kinds,
            )
        result = dataclasses.replace(result, stub_problems=tuple(running.stubs.problems()))
    pact.write_verification_junit(result, junit)
    extra = (remote.summary_md() if remote else "") + running.stubs.summary_md()
    platform.summary(pact.verification_md(result) + extra + f"\nJUnit: `{junit}`\n")
    for item in result.failed:
        platform.error(
            f"{item.consumer} -> {item.provider}: {item.description}: "
            + ("; ".join(item.mismatches[:3]) or "verification failed")
        )
    for problem in result.stub_problems:
        platform.error(problem.replace("\n", "; "))
    platform.output("decision", "pass" if result.passed else "fail")
    platform.output("failed", str(len(result.failed)))
    return ExitCode.OK if result.passed else ExitCode.GATE_FAILED


def _states_without_endpoint(
    states: Sequence[pact.ProviderState], *, deployed: bool
) -> ConfigError:
    """States in the pacts, nowhere to set them up: the interactions needing them cannot pass."""
    import json

    names = sorted({s.name for s in states})
    shown = "\n".join(f"  - {json.dumps(n, ensure_ascii=False)}" for n in names[:20])
    if len(names) > 20:
        shown += f"\n  ... and {len(names) - 20} more"
    where = (
        f"provider-states-url ({_common.how_to_set('provider-states-url')})"
        if deployed
        else f"states-path ({_common.how_to_set('states-path')}), or provider-states-url "
        f"({_common.how_to_set('provider-states-url')})"
    )
    return ConfigError(
        f"the pacts use {len(names)} provider state{'s' if len(names) != 1 else ''} but no "
        f"provider-state endpoint is configured:\n{shown}",
        hint=f"set {where}; the endpoint sets each state up before its interaction",
    )


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


def _broker_settings(cfg: Settings, platform: Platform, *, required: bool) -> BrokerSettings | None:
    """The broker's URL, credentials and bounds (secrets only from the environment, masked)."""
    return _broker.broker_settings(cfg, platform, required=required)


def _bounds_for(cfg: Settings, pact_url: str) -> BrokerSettings:
    """Timeout and retries for fetching ``pact_url`` when no broker is configured."""
    from testgate.broker import BrokerSettings

    parts = urlsplit(pact_url)
    return BrokerSettings(
        url=f"{parts.scheme}://{parts.netloc}",
        retries=cfg.broker_retries,
        backoff=cfg.broker_retry_backoff,
        timeout=cfg.broker_timeout,
        skip_ssl_verification=bool(cfg.skip_ssl_verification),
    )


def broker_source(cfg: Settings, platform: Platform, provider: str) -> RemoteSource | None:
    """The broker or pact-URL source ``verify`` should use, or ``None`` for local pact files.

    The provider version and branch default to the build's commit and branch; results are
    published by default from CI builds of the default branch (see ``publish-results``).
    """
    import json

    pact_url, use_broker = cfg.pact_url, cfg.broker
    if not pact_url and not use_broker:
        return None
    if pact_url and use_broker:
        raise ConfigError(
            f"{spelled('broker')} and {spelled('pact-url')} are two different sources: choose one",
            hint="--pact-url for the run a webhook starts, --broker for the regular build",
        )
    from testgate import broker

    settings = _broker_settings(cfg, platform, required=use_broker)
    version, branch, publish = cfg.provider_version, cfg.provider_branch, cfg.publish_results
    if publish and settings is None:
        raise ConfigError(
            "results cannot be published without a broker (PACT_BROKER_BASE_URL)",
            hint="set PACT_BROKER_BASE_URL or pass --no-publish-results",
        )
    if publish and not version:
        raise ConfigError(
            f'publishing results needs "provider-version" ({_common.how_to_set("provider-version")}), '
            "and git gave no SHA",
            hint="pass --provider-version or --no-publish-results",
        )
    build_url = cfg.build.build_url

    def configure(verifier: Any) -> Any:
        if publish:
            verifier.set_publish_options(version=str(version), url=build_url, branch=branch)
        return verifier

    if pact_url:
        return RemoteSource(
            source=lambda v: broker.add_pact_url_source(
                v, str(pact_url), settings or _bounds_for(cfg, str(pact_url))
            ),
            configure=configure,
            description=f"one pact from {pact_url}",
            publish=publish,
            provider_version=version,
            provider_branch=branch,
        )
    assert settings is not None
    wip = cfg.include_wip_pacts_since
    selectors = broker.parse_selectors(cfg.consumer_version_selectors or "")
    if any(s.get("matchingBranch") for s in selectors) and not branch:
        platform.warning(
            "matchingBranch selects nothing without a provider branch (--provider-branch)"
        )
    options = broker.BrokerVerificationOptions(
        settings=settings,
        selectors=selectors,
        include_pending=cfg.include_pending,
        include_wip_since=wip,
        provider_version=version,
        provider_branch=branch,
        publish_results=publish,
        build_url=build_url,
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
