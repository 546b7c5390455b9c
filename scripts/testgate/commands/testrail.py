"""``testgate testrail upload``: hand the merged JUnit to TestRail's CLI, ``trcli``.

Project, suite and run name default to the CI context (repository, workflow or
pipeline name, run number, branch and commit); credentials come only from the
environment (``TESTRAIL_USER`` and ``TESTRAIL_KEY``, or trcli's own
``TR_CLI_USERNAME`` / ``TR_CLI_KEY``) and are never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testgate.commands import _common
from testgate.errors import ExitCode
from testgate.settings import CommandSpec, Settings, Use, use
from testgate.settings import build_parser as build_spec_parser

if TYPE_CHECKING:
    from testgate import testrail
    from testgate.platforms import Platform

HELP = "upload the merged JUnit to TestRail with trcli (credentials from the environment)"

# What a TestRail upload reads, here and in `testgate ci report` (credentials have no flags).
TESTRAIL_SETTINGS = (
    "testrail-host",
    "testrail-project",
    "testrail-project-id",
    "testrail-suite-id",
    "testrail-suite",
    "testrail-run-name",
    "testrail-close-run",
    "trcli",
    "trcli-venv",
    "testrail-user",
    "testrail-key",
    "testrail-password",
)


def testrail_uses() -> tuple[Use, ...]:
    """The ``use()`` of every setting a TestRail upload reads."""
    return tuple(use(name) for name in TESTRAIL_SETTINGS)


SPEC = CommandSpec(
    name="testrail",
    help=HELP,
    description="Upload test results to TestRail with TestRail's own CLI (trcli parse_junit): "
    "cases are matched or created, a run is created and the results added. Without a trcli "
    "given or on PATH, testgate installs the trcli release it pins into a virtualenv of its "
    "own (trcli needs junitparser<4, testgate 5); `install` only does that.",
    examples="""\
  export TESTRAIL_HOST=https://example.testrail.io/ TESTRAIL_USER=ci@example.com
  export TESTRAIL_KEY=...            # a secret: from the CI's secret store, never a flag
  testgate report reports/*.xml --junit-out reports/merged.xml
  testgate testrail upload --project "Dashboard" --suite-id 3
  testgate testrail upload --junit reports/merged.xml --title "Nightly #42" --close-run
  testgate testrail install --trcli-venv .tools/trcli-venv      # prints trcli's path""",
    actions=("upload", "install"),
    action_help="upload: send the JUnit to TestRail; install: install the pinned trcli",
    uses=(
        use("testrail-junit"),
        *testrail_uses(),
        use("dry-run", help="print the trcli command (without credentials) and exit"),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``testrail`` command's options."""
    return build_spec_parser(SPEC)


def _default_title(cfg: Settings) -> str:
    build = cfg.build
    parts = [build.pipeline_name or "testgate"]
    if build.run_number:
        parts.append(f"#{build.run_number}")
    commit, branch = build.commit or "", build.branch or ""
    if branch or commit:
        parts.append(f"{branch}@{commit[:8]}" if commit else branch)
    return " ".join(parts)


def upload_settings(cfg: Settings, trcli: str | None = None) -> testrail.UploadSettings:
    """What one upload needs, from the settings (and the build for the defaults)."""
    from testgate import testrail

    build_url = cfg.build.build_url
    return testrail.UploadSettings(
        junit=cfg.testrail_junit,
        host=cfg.testrail_host or "",
        project=cfg.testrail_project or "",
        project_id=cfg.testrail_project_id,
        username=cfg.testrail_user or "",
        key=cfg.testrail_key or "",
        password=cfg.testrail_password or "",
        title=cfg.testrail_run_name or _default_title(cfg),
        suite_id=cfg.testrail_suite_id,
        suite_name=cfg.testrail_suite or "",
        close_run=cfg.testrail_close_run,
        trcli=trcli or cfg.trcli or "trcli",
        run_description=f"Pipeline: {build_url}" if build_url else "",
    )


def find_trcli(cfg: Settings, platform: Platform) -> str:
    """The trcli to run: the one given, else the one on PATH, else the pinned release
    installed into ``trcli-venv`` (once; later runs reuse it)."""
    import shutil

    if cfg.trcli:
        return str(cfg.trcli)
    on_path = shutil.which("trcli", path=cfg.environ.get("PATH"))
    if on_path:
        return on_path
    return str(install(cfg, platform))


def install(cfg: Settings, platform: Platform) -> Path:
    """The pinned trcli in ``trcli-venv``, installed now when it is not there yet."""
    from testgate import testrail

    venv: Path = cfg.trcli_venv
    if testrail.installed_version(venv) == testrail.TRCLI_VERSION:
        return testrail.trcli_in(venv)
    with platform.group(f"Install trcli {testrail.TRCLI_VERSION}"):
        exe, _ = testrail.ensure_trcli(venv, sys.executable)
        platform.info(f"trcli {testrail.TRCLI_VERSION} installed into {venv}")
    return exe


def _run(cfg: Settings, platform: Platform) -> int:
    if cfg.action == "install":
        exe = install(cfg, platform)
        print(exe)
        return ExitCode.OK
    return upload(cfg, platform, dry_run=cfg.dry_run)


def upload(cfg: Settings, platform: Platform, *, dry_run: bool = False) -> int:
    """``testgate testrail upload`` (also the last step of ``testgate ci report``)."""
    import shlex

    from testgate import testrail

    settings = upload_settings(cfg)
    secrets = [s for s in (settings.key, settings.password) if s]
    for secret in secrets:
        platform.mask(secret)
    if dry_run:
        platform.info("trcli command (credentials via TR_CLI_USERNAME / TR_CLI_KEY):")
        platform.info(shlex.join(testrail.build_command(settings)))
        return ExitCode.OK
    testrail.validate(settings)  # before a trcli is looked for or installed
    settings = upload_settings(cfg, find_trcli(cfg, platform))
    with platform.group("Upload results to TestRail"):
        result = testrail.upload(settings, cfg.environ, secrets=secrets)
        for line in result.output.splitlines():
            if line.strip():
                platform.info(line)
    platform.output("testrail-run-url", result.run_url)
    from testgate.render.markdown import md_link

    shown = _common.shown_path(cfg, settings.junit)
    platform.summary(
        f"### TestRail\n\nUploaded {result.submitted} results from `{shown}` to "
        f"project **{settings.project}**" + f", run {md_link(settings.title, result.run_url)}.\n"
    )
    return ExitCode.OK


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate testrail``."""
    return _common.execute(SPEC, argv, environ, _run)
