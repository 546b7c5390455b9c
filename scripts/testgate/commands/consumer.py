"""``testgate consumer``: run the consumer's Pact tests; pacts and a JUnit report out."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from testgate import pact, runner
from testgate.commands import _common
from testgate.errors import ConfigError, ExitCode, ToolError
from testgate.platforms import Platform
from testgate.settings import CommandSpec, Settings, in_reports, setting, use
from testgate.settings import build_parser as build_spec_parser

HELP = "run the consumer Pact tests: pacts/*.json + reports/consumer.xml"

SPEC = CommandSpec(
    name="consumer",
    help=HELP,
    description="Run the consumer's Pact tests (pytest + pact-python) in a fresh interpreter.\n"
    "The pact folder is emptied first (pact-python merges into existing files), then\n"
    "the tests write one pact per consumer-provider pair into it. consumer-tests may name\n"
    "several folders (a provider's own Pact tests of its downstreams, in a monorepo).\n"
    "The pacts are then scanned for values that look like credentials: a warning here, a\n"
    "refusal in testgate publish (secrets-allowlist lets known fakes through).",
    examples="""\
  testgate consumer
  testgate consumer --tests tests/contract --pact-dir build/pacts
  testgate consumer --consumer-tests tests/pact --junit reports/pact.xml""",
    uses=(
        use("consumer-tests", required=True),
        use("pact-dir"),
        use("consumer-junit", default=in_reports("consumer.xml")),
        use("secrets-allowlist"),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.execute(SPEC, argv, environ, _run)


def _run(cfg: Settings, platform: Platform) -> int:
    tests: tuple[Path, ...] = cfg.consumer_tests
    missing = [str(t) for t in tests if not t.exists()]
    if missing:
        raise ConfigError(
            f"consumer contract tests: {', '.join(missing)} does not exist",
            hint=f"point consumer-tests at your test folders ({_common.how_to_set('consumer-tests')})",
        )
    pact_dir: Path = cfg.pact_dir
    junit: Path = cfg.consumer_junit
    platform.output("junit", str(junit))  # what the template uploads: this file, no glob
    # write_file() merges into an existing pact: start from an empty folder so a
    # removed interaction does not linger in the contract.
    pact_dir.mkdir(parents=True, exist_ok=True)
    for old in pact_dir.glob("*.json"):
        old.unlink()
    pact_dir_var = setting("pact-dir").env or ""
    child_env = dict(cfg.environ)
    child_env[pact_dir_var] = str(pact_dir.resolve())
    with platform.group("Consumer contract tests"):
        run = runner.run_pytest(
            tests[0],
            junit,
            env=child_env,
            on_line=platform.info,
            what="consumer contract tests",
            selection=[str(t) for t in tests] if len(tests) > 1 else None,
        )
    if not run.passed:
        platform.summary(
            f"### Consumer contract tests — ❌ FAIL\n\nThe consumer's tests failed, so no pact "
            f"is published. JUnit: `{junit}`.\n"
        )
        platform.output("decision", "fail")
        return ExitCode.GATE_FAILED
    try:
        pacts = pact.load_pacts(pact_dir)
    except ToolError as exc:
        raise ToolError(
            f"the consumer tests passed but wrote no pact into {pact_dir}",
            hint=f"the tests must write their pacts into the folder testgate gives them in "
            f"{pact_dir_var} (pact-python: pact.write_file(os.environ[{pact_dir_var!r}]))",
        ) from exc
    lines = ["### Consumer contract tests — ✅ PASS", "", f"Pacts in `{pact_dir}`:", ""]
    for item in pacts:
        messages = sum(1 for k in item.kinds().values() if k == "message")
        lines.append(
            f"- `{item.path.name}`: {item.consumer} → {item.provider}, "
            f"{len(item.interactions)} interactions"
            + (f" ({messages} messages)" if messages else "")
            + f" (spec {item.specification})"
        )
    from testgate import secretscan  # only after the tests: not for --help

    findings = secretscan.scan_pact_files([p.path for p in pacts], cfg.secrets_allowlist or ())
    for finding in findings:
        platform.warning(f"{finding}: testgate publish will refuse this pact")
    lines += ["", secretscan.findings_md(findings, len(pacts))]
    platform.summary("\n".join(lines) + "\n")
    platform.output("decision", "pass")
    platform.output("pact-dir", str(pact_dir))
    return ExitCode.OK
