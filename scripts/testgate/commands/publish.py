"""``testgate publish``: publish the consumer's pacts to the Pact Broker.

Run it after the consumer's contract tests passed (the pipeline and templates
enforce the order). With no broker configured, the pacts stay as files for the
CI system to pass on as artifacts, and the command says so. Either way, a pact
holding a value that looks like a credential is refused first (exit 1).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.commands._broker import GROUPS, broker_settings, broker_uses
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Settings, setting, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "publish pacts/*.json to the Pact Broker with version, branch and build URL"

SPEC = CommandSpec(
    name="publish",
    help=HELP,
    description="Publish the consumer's pact files to the Pact Broker (pact broker publish). "
    "Without a broker the pacts stay as files, to pass on as CI artifacts.\n"
    "Every pact is first scanned for values that look like credentials (tokens, keys, JWTs,\n"
    "passwords, basic-auth headers): a finding refuses the publish (exit 1), naming the pact,\n"
    "the interaction and the JSON path, never the value; secrets-allowlist lets known fakes\n"
    "through.\n"
    "The version defaults to this build's commit, the branch and the build URL to this "
    "build's (GitHub, GitLab, Jenkins, else git); the commit, branch and build-url settings win.",
    examples="""\
  testgate publish                                  # version = git SHA, branch from git/CI
  testgate publish --version 1.4.2 --branch main --tag rc
  PACT_BROKER_BASE_URL=https://broker.example.com PACT_BROKER_TOKEN=... testgate publish""",
    uses=(
        use("pact-dir"),
        use("version", help="consumer version"),
        use("branch", help="consumer branch (default: this build's)"),
        use("build-url", help="link to this build (default: detected on GitHub, GitLab, Jenkins)"),
        use("tags"),
        use("secrets-allowlist"),
        *broker_uses(required=False),
    ),
    groups=GROUPS,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``publish`` options."""
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate publish``."""
    return _common.execute(SPEC, argv, environ, _run)


def _run(cfg: Settings, platform: Platform) -> int:
    from testgate import broker

    settings = broker_settings(cfg, platform, required=False)
    pacts = cfg.pact_dir
    files = _own_pacts(broker.find_pact_files(pacts), pacts, platform)
    from testgate import secretscan  # not for --help

    findings = secretscan.scan_pact_files(files, cfg.secrets_allowlist or ())
    if findings:
        for finding in findings:
            platform.error(str(finding))
        platform.summary(
            "## Pacts not published: they hold values that look like credentials\n\n"
            + secretscan.findings_md(findings, len(files))
            + "\n\nPacts travel across the organisation: take the values out of the consumer "
            "tests (a fake the provider's verification replaces), or list known fakes.\n"
        )
        return ExitCode.GATE_FAILED
    if settings is None:
        platform.summary(broker.not_published_md(files, pacts))
        if not files:
            platform.warning(f"{pacts} holds no pact files (*.json)")
        return ExitCode.OK
    if not files:
        raise ConfigError(
            f"no pact files (*.json) in {pacts} to publish",
            hint="run the consumer's contract tests first (testgate consumer), or set "
            f"--pact-dir / {setting('pact-dir').env}",
        )
    if not cfg.version:
        raise ConfigError(
            f"no consumer version: version (--version or env {setting('version').env}) is "
            "not set and git gave no commit",
            hint="pass --version, or run inside a git checkout",
        )
    build = cfg.build
    with platform.group(f"Publish {len(files)} pact(s) to {settings.url}"):
        result = broker.publish_pacts(
            settings,
            files,
            version=str(cfg.version),
            branch=build.branch,
            build_url=build.build_url,
            tags=cfg.tags or (),
            environ=cfg.environ,
        )
        platform.info(result.output.strip())
    platform.summary(broker.published_md(result, settings.url))
    platform.output("consumer-version", result.version)
    platform.output("branch", result.branch or "")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())


def _own_pacts(files: list[Path], pact_dir: Path, platform: Platform) -> list[Path]:
    """The pacts to publish: when ``testgate consumer`` wrote the folder (its record is there),
    only the pacts of the consumers it wrote them for; another consumer's pact in a shared
    folder is never published under this consumer's version."""
    from testgate import pactdir

    consumers = pactdir.recorded_consumers(pact_dir)
    if not consumers:
        return files
    own = []
    for path in files:
        pair = pactdir.pair_of(path)
        if pair is not None and pair[0] not in consumers:
            platform.warning(
                f"not published: {path}, a pact of {pair[0]!r}, not of "
                f"{', '.join(sorted(consumers))} (testgate consumer wrote this folder for them)"
            )
            continue
        own.append(path)
    return own
