"""``testgate consumer``: run the consumer's Pact tests; pacts and a JUnit report out."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.errors import ConfigError, ExitCode, ToolError
from testgate.settings import CommandSpec, Settings, in_reports, setting, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate.platforms import Platform

HELP = "run the consumer Pact tests (pytest or any runner): pacts/*.json + reports/consumer.xml"

SPEC = CommandSpec(
    name="consumer",
    help=HELP,
    description="Run the consumer's Pact tests: pytest (pact-python) in a fresh interpreter, or\n"
    "any other runner with consumer-command ([consumer] command in testgate.toml).\n\n"
    "The tests write their pacts into an empty folder of their own, named by\n"
    f"{setting('pact-dir').env} (pact-python and pact-js merge into existing files). When they pass,\n"
    "only those pacts are moved into the pact folder: a pact of the same consumer and\n"
    "provider is replaced, a pact of this consumer the run did not write again is removed\n"
    "if testgate wrote it; anything else in the folder (another consumer's pact) is left.\n"
    "Tests that write into the pact folder itself work too: this consumer's pacts ([consumer]\n"
    "name) are moved aside while they run, so nothing is merged into them.\n\n"
    "A command runs in consumer-cwd (default: the tests' folder) with {junit}, {pact-dir}\n"
    "and {python} replaced; it must write JUnit to {junit} (its folder exists). It is\n"
    "judged by that report: a failed test fails (exit 1), no report or zero tests cannot\n"
    "decide (exit 3). consumer-tests may name several folders (a provider's own Pact tests\n"
    "of its downstreams, in a monorepo).\n\n"
    "The pacts are then scanned for values that look like credentials: a warning here, a\n"
    "refusal in testgate publish (secrets-allowlist lets known fakes through).",
    examples="""\
  testgate consumer
  testgate consumer --tests tests/contract --pact-dir build/pacts
  testgate consumer --consumer-tests tests/pact --junit reports/pact.xml
  testgate consumer --consumer-command 'npx jest --ci --reporters=jest-junit'   # JEST_JUNIT_OUTPUT_FILE={junit}
  # testgate.toml, a pact-js suite under node --test:
  #   [consumer]
  #   command = ["node", "--test", "--test-reporter=junit", "--test-reporter-destination={junit}"]""",
    uses=(
        use("consumer-tests"),
        use("consumer-command"),
        use("consumer"),
        use("consumer-cwd"),
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
    import shutil

    from testgate import pact
    from testgate.commands import _suite

    command = cfg.consumer_command
    _suite.require_tests_or_command(
        cfg.consumer_tests, command, "consumer-tests", "consumer-command"
    )
    tests: tuple[Path, ...] = cfg.consumer_tests or ()
    missing = [str(t) for t in tests if not t.exists()]
    if missing:
        raise ConfigError(
            f"consumer contract tests: {', '.join(missing)} does not exist",
            hint=f"point consumer-tests at your test folders ({_common.how_to_set('consumer-tests')})",
        )
    pact_dir: Path = cfg.pact_dir
    junit: Path = cfg.consumer_junit
    platform.output("junit", str(junit))  # what the template uploads: this file, no glob
    pact_dir_var = setting("pact-dir").env or ""
    started = time.time()
    from testgate import pactdir  # tempfile, hashlib: not for --help

    # pact-python and pact-js merge into an existing pact: the tests write into an empty
    # folder of their own, and only what they wrote replaces this consumer's pacts. Tests that
    # write into the pact folder itself find this consumer's pacts moved aside meanwhile.
    with (
        pactdir.fresh_folder(pact_dir) as fresh,
        pactdir.holding(pact_dir, cfg.consumer) as held,
    ):
        child_env = dict(cfg.environ)
        child_env[pact_dir_var] = str(fresh.resolve())
        with platform.group("Consumer contract tests"):
            run = _suite.run_suite(
                platform=platform,
                what="consumer contract tests",
                tests=tests,
                command=command,
                cwd=_suite.command_cwd(tests, cfg.consumer_cwd, cfg.project.root),
                junit=junit,
                junit_setting="consumer-junit",
                env=child_env,
                placeholders={"pact-dir": str(fresh.resolve())},
            )
        if not any(fresh.glob("*.json")):
            for path in pactdir.written_since(pact_dir, started):
                shutil.move(path, fresh / path.name)  # written in place: this run's pacts
                platform.info(f"{path.name}: written straight into {pact_dir} by the tests")
        if not run.passed:
            # As pact-python leaves them: the failed run's pacts are there to look at (and to
            # stub a downstream with), never published or verified; nothing else is touched.
            held.restore()
            if any(fresh.glob("*.json")):
                try:
                    pactdir.replace_pacts(fresh, pact_dir, remove_stale=False)
                except ConfigError as exc:
                    platform.warning(f"the failed run's pacts were not copied: {exc.message}")
            why = "; ".join(run.reasons)
            platform.summary(
                f"### Consumer contract tests — ❌ FAIL\n\nThe consumer's tests failed ({why}), "
                f"so no pact is published or verified. JUnit: `{junit}`.\n"
            )
            platform.output("decision", "fail")
            return ExitCode.GATE_FAILED
        held.restore()
        try:
            pacts = pact.load_pacts(fresh)
        except ToolError as exc:
            raise ToolError(
                f"the consumer tests passed but wrote no pact into {pact_dir}",
                hint=f"the tests must write their pacts into the folder testgate gives them in "
                f"{pact_dir_var} (pact-python: pact.write_file(os.environ[{pact_dir_var!r}]); "
                f"pact-js: dir: process.env.{pact_dir_var}), or into the pact folder itself "
                f"(set pact-dir, {_common.how_to_set('pact-dir')}, to the folder they write to)",
            ) from exc
        update = pactdir.replace_pacts(fresh, pact_dir)
    lines = ["### Consumer contract tests — ✅ PASS", "", f"Pacts in `{pact_dir}`:", ""]
    for item in pacts:
        messages = sum(1 for k in item.kinds().values() if k == "message")
        lines.append(
            f"- `{item.path.name}`: {item.consumer} → {item.provider}, "
            f"{len(item.interactions)} interactions"
            + (f" ({messages} messages)" if messages else "")
            + f" (spec {item.specification})"
        )
    for name in update.removed:
        platform.info(
            f"removed {pact_dir / name}: a pact of this consumer that it no longer writes"
        )
    for name in update.kept_stale:
        platform.warning(
            f"{pact_dir / name} is a pact of this consumer that the tests did not write again; "
            "testgate did not write it, so it stays: delete it if that contract is gone"
        )
    from testgate import secretscan  # only after the tests: not for --help

    findings = secretscan.scan_pact_files(
        [pact_dir / p.path.name for p in pacts], cfg.secrets_allowlist or ()
    )
    for finding in findings:
        platform.warning(f"{finding}: testgate publish will refuse this pact")
    lines += ["", secretscan.findings_md(findings, len(pacts))]
    platform.summary("\n".join(lines) + "\n")
    platform.output("decision", "pass")
    platform.output("pact-dir", str(pact_dir))
    return ExitCode.OK
