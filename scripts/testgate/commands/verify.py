"""``testgate verify``: verify the provider against its pacts; one JUnit testcase per interaction."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from testgate import pact
from testgate.commands import _common
from testgate.config import ProjectConfig, resolve, split_command
from testgate.errors import ConfigError, ExitCode
from testgate.platforms import Platform
from testgate.provider import start_provider

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
                  --states-url https://inventory.beta.example.com/_pact/provider-states""",
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
    provider = resolve(args.provider, env, "TESTGATE_PROVIDER", project.get("provider", "name"))
    if not provider:
        raise ConfigError(
            "provider is required",
            hint="pass --provider, set TESTGATE_PROVIDER, or [provider] name in testgate.toml",
        )
    pact_dir = project.path(
        resolve(
            args.pact_dir, env, "TESTGATE_PACT_DIR", project.get("consumer", "pact-dir"), "pacts"
        )
    )
    junit = (
        Path(args.junit) if args.junit else _common.reports_dir(env) / "provider-verification.xml"
    )
    pacts = pact.load_pacts(pact_dir, provider)
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
                pact.directory_source(*(p.path for p in pacts)),
                states_url=states_url,
                colour=sys.stdout.isatty(),
            )
    pact.write_verification_junit(result, junit)
    platform.summary(pact.verification_md(result) + f"\nJUnit: `{junit}`\n")
    for item in result.failed:
        platform.error(
            f"{item.consumer} -> {item.provider}: {item.description}: "
            + ("; ".join(item.mismatches[:3]) or "verification failed")
        )
    platform.output("decision", "pass" if result.passed else "fail")
    platform.output("failed", str(len(result.failed)))
    return ExitCode.OK if result.passed else ExitCode.GATE_FAILED
