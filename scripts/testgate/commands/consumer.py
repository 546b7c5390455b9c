"""``testgate consumer``: run the consumer's Pact tests; pacts and a JUnit report out."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from testgate import pact, runner
from testgate.commands import _common
from testgate.errors import ExitCode, ToolError
from testgate.platforms import Platform

HELP = "run the consumer Pact tests: pacts/*.json + reports/consumer.xml"


def build_parser() -> argparse.ArgumentParser:
    parser = _common.make_parser(
        "consumer",
        "Run the consumer's Pact tests (pytest + pact-python) in a fresh interpreter.\n"
        "The pact folder is emptied first (pact-python merges into existing files), then\n"
        "the tests write one pact per consumer-provider pair into it.",
        """\
  testgate consumer
  testgate consumer --tests tests/contract --pact-dir build/pacts
  TESTGATE_CONSUMER_TESTS=tests/pact testgate consumer --junit reports/pact.xml""",
    )
    parser.add_argument(
        "--tests",
        metavar="PATH",
        help="consumer Pact tests (env TESTGATE_CONSUMER_TESTS; testgate.toml [consumer] tests)",
    )
    parser.add_argument(
        "--pact-dir",
        metavar="DIR",
        help="where pacts are written (env TESTGATE_PACT_DIR; default pacts)",
    )
    parser.add_argument(
        "--junit",
        metavar="FILE",
        help="JUnit report (default <reports-dir>/consumer.xml)",
    )
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    return _common.run(build_parser(), argv, environ, _run)


def _run(args: argparse.Namespace, platform: Platform, env: dict[str, str]) -> int:
    project = _common.project(env)
    tests = _common.required_setting(
        project,
        env,
        args.tests,
        flag="--tests",
        var="TESTGATE_CONSUMER_TESTS",
        section="consumer",
        key="tests",
    )
    pact_dir = _common.pact_dir(project, env, args.pact_dir)
    junit = Path(args.junit) if args.junit else _common.reports_dir(env) / "consumer.xml"
    # write_file() merges into an existing pact: start from an empty folder so a
    # removed interaction does not linger in the contract.
    pact_dir.mkdir(parents=True, exist_ok=True)
    for old in pact_dir.glob("*.json"):
        old.unlink()
    child_env = dict(env)
    child_env["TESTGATE_PACT_DIR"] = str(pact_dir.resolve())
    child_env.setdefault("PACT_DO_NOT_TRACK", "true")
    with platform.group("Consumer contract tests"):
        run = runner.run_pytest(
            project.path(tests),
            junit,
            env=child_env,
            on_line=platform.info,
            what="consumer contract tests",
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
            hint="each test should call pact.write_file(TESTGATE_PACT_DIR) (see examples/dashboard-api)",
        ) from exc
    lines = ["### Consumer contract tests — ✅ PASS", "", f"Pacts in `{pact_dir}`:", ""]
    for item in pacts:
        lines.append(
            f"- `{item.path.name}`: {item.consumer} → {item.provider}, "
            f"{len(item.interactions)} interactions (spec {item.specification})"
        )
    platform.summary("\n".join(lines) + "\n")
    platform.output("decision", "pass")
    platform.output("pact-dir", str(pact_dir))
    return ExitCode.OK
