"""``testgate init``: look at the repository, write testgate.toml and the CI caller(s)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Settings, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "set up a repository: testgate.toml and the CI caller(s), pinned to this release"

SPEC = CommandSpec(
    name="init",
    help=HELP,
    description="Look at the repository in the current folder (Pact consumer tests with\n"
    "pact-python or pact-js, a Flask / FastAPI / Django provider app with its health route\n"
    "and testgate.states endpoint, API tests and the variable they read the service URL\n"
    "from, pyproject.toml / requirements*.txt / package.json) and write:\n"
    "  testgate.toml                   checked by the strict loader before it is written\n"
    "  envs/local.env                  when API tests should run against the provider\n"
    "  .github/workflows/testgate.yml  --ci github: the reusable workflows\n"
    "  .gitlab-ci.yml                  --ci gitlab: the include templates\n"
    "  Jenkinsfile                     --ci jenkins: the shared library's steps\n"
    "Each caller is pinned to this release (tools-ref) and uses the templates' input names.\n"
    "A file that exists is never replaced without --force. Then it prints the next steps.",
    examples="""\
  testgate init                          # testgate.toml, and callers for the CI files found
  testgate init --ci github              # also .github/workflows/testgate.yml
  testgate init --ci github,gitlab,jenkins --broker-url https://pact-broker.example.com
  testgate init --ci none --provider orders-api   # only testgate.toml, naming the provider
  testgate init --force                  # replace what an earlier init wrote""",
    uses=(
        use("init-ci"),
        use("force"),
        use("consumer", help="the consumer's name (default: from the Pact tests)"),
        use("provider", help="the provider's name (default: the project's name)"),
        use("broker-url", help="publish and verify through this Pact Broker"),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.execute(SPEC, argv, environ, _run)


def _platforms(cfg: Settings, root: Path) -> list[str]:
    from testgate import scaffold

    chosen = [p.lower() for p in (cfg.init_ci or ())]
    if not chosen:
        return scaffold.detect_platforms(root)
    if chosen == ["none"]:
        return []
    unknown = [p for p in chosen if p not in scaffold.PLATFORMS]
    if unknown:
        raise ConfigError(
            f"--ci: unknown platform {', '.join(unknown)}",
            hint=f"choose from {', '.join(scaffold.PLATFORMS)} (comma-separated), or none",
        )
    return [p for p in scaffold.PLATFORMS if p in chosen]


def _run(cfg: Settings, platform: Platform) -> int:
    import dataclasses

    from testgate import files, scaffold

    root = Path.cwd().resolve()
    found = scaffold.detect(root)
    if cfg.consumer and found.is_consumer:
        found = dataclasses.replace(found, consumer=cfg.consumer)
    if cfg.provider and found.is_provider:
        found = dataclasses.replace(found, provider=cfg.provider)
    if not (found.is_consumer or found.is_provider or found.api_tests):
        raise ConfigError(
            f"found nothing testgate runs in {root}: no Pact consumer tests (pact-python or "
            "pact-js), no Flask / FastAPI / Django app, no API tests (a tests/api folder)",
            hint="run init at the root of the service, or write testgate.toml by hand "
            "(docs/adoption.md has one per kind of repository)",
        )
    chosen = _platforms(cfg, root)
    planned = scaffold.plan_files(found, chosen, broker_url=cfg.broker_url)
    platform.info(f"testgate init in {root}")
    for line in found.found:
        platform.info(f"  found: {line}")
    written, kept = [], []
    for item in planned:
        target = root / item.path
        if (target.exists() or target.is_symlink()) and not cfg.force:
            kept.append(item)
            platform.info(f"  kept:  {item.path} (exists; --force replaces it)")
            continue
        files.write_text(target, item.content, what=item.what)
        written.append(item)
        platform.info(f"  wrote: {item.path}  ({item.what})")
    if not chosen:
        platform.info("  no CI caller written (--ci github, gitlab and/or jenkins adds one)")
    platform.info("\nnext steps:")
    for number, step in enumerate(scaffold.next_steps(found, chosen, cfg.broker_url), 1):
        platform.info(f"  {number}. {step}")
    lines = ["### testgate init", ""]
    lines += [f"- wrote `{item.path}`: {item.what}" for item in written]
    lines += [f"- kept `{item.path}` (exists)" for item in kept]
    platform.summary("\n".join(lines) + "\n")
    platform.output("written", " ".join(item.path for item in written))
    return ExitCode.OK
