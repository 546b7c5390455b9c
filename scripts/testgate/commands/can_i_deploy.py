"""``testgate can-i-deploy``: ask the Pact Broker whether a version may go to an environment."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.commands._broker import GROUPS, broker_settings, broker_uses
from testgate.errors import ConfigError, ExitCode
from testgate.settings import CommandSpec, Settings, in_reports, setting, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "ask the Pact Broker whether a version can be deployed to an environment"

SPEC = CommandSpec(
    name="can-i-deploy",
    help=HELP,
    description="Check the Pact Broker's matrix: may this version be deployed next to what is "
    "already in the environment? Writes a Markdown summary and reports/can-i-deploy.json; "
    "unknown results fail closed.",
    examples=f"""\
  testgate can-i-deploy --pacticipant dashboard-api --to-environment prod   # version = git SHA
  testgate can-i-deploy --pacticipant inventory-api --version 1a2b3c --to-environment beta \\
      --retry-while-unknown 6 --retry-interval 10
  {setting("dry-run").env}=true testgate can-i-deploy ...   # report FAIL but exit 0 (break glass)""",
    uses=(
        use("pacticipant", required=True),
        use("version", required=True),
        use("to-environment", required=True),
        use("retry-while-unknown"),
        use("retry-interval"),
        use("dry-run"),
        use("json", default=in_reports("can-i-deploy.json"), help="write the decision as JSON"),
        *broker_uses(),
    ),
    groups=GROUPS,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``can-i-deploy`` options."""
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate can-i-deploy``."""
    return _common.execute(SPEC, argv, environ, _run)


def _run(cfg: Settings, platform: Platform) -> int:
    import json

    from testgate import broker, files

    settings = broker_settings(cfg, platform)
    assert settings is not None
    decision = broker.can_i_deploy(
        settings,
        pacticipant=cfg.pacticipant,
        version=cfg.version,
        to_environment=cfg.to_environment,
        retry_while_unknown=cfg.retry_while_unknown,
        retry_interval=cfg.retry_interval,
        environ=cfg.environ,
    )
    out = cfg.json
    doc = decision.to_json()
    doc["dry_run"] = bool(cfg.dry_run)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        files.write_text(out, json.dumps(doc, indent=2) + "\n", what="can-i-deploy JSON")
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc}", hint="choose another --json path") from None
    platform.summary(broker.render_can_i_deploy_md(decision, dry_run=cfg.dry_run))
    platform.output("deployable", "true" if decision.passed else "false")
    if decision.passed:
        return ExitCode.OK
    for reason in decision.reasons:
        platform.error(f"can-i-deploy: {reason}")
    return ExitCode.OK if cfg.dry_run else ExitCode.GATE_FAILED


if __name__ == "__main__":
    sys.exit(main())
