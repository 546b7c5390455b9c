"""Upload the merged JUnit to TestRail with TestRail's own CLI, ``trcli`` (PyPI).

trcli needs ``junitparser<4`` while testgate pins junitparser 5, so trcli lives in
its own virtual environment: the one given (``--trcli``), the one on PATH, or the one
:func:`ensure_trcli` installs at :data:`TRCLI_VERSION`, the only place its version is
pinned (``testgate testrail install`` and ``scripts/ci/install-tools.sh`` use it too).

Credentials never go on the command line (other processes can read argv): they
reach trcli through its own environment variables ``TR_CLI_USERNAME`` and
``TR_CLI_KEY`` / ``TR_CLI_PASSWORD`` (click's ``auto_envvar_prefix="TR_CLI"``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from testgate.errors import ConfigError, ReportError, ToolError

TRCLI_VERSION = "1.15.3"
"""The trcli release testgate runs: pinned here and nowhere else."""
INSTALL_TIMEOUT = 600.0
_RUN_URL = re.compile(r"Test run:\s*(\S+)")
_SUBMITTED = re.compile(r"Submitted (\d+) test results")


@dataclass(frozen=True)
class UploadSettings:
    """Everything one upload needs (secrets only in ``username``/``key``/``password``)."""

    junit: Path
    host: str
    project: str
    username: str
    key: str = ""
    password: str = ""
    title: str = ""
    suite_id: int | None = None
    suite_name: str = ""
    project_id: int | None = None
    run_description: str = ""
    close_run: bool = False
    trcli: str = "trcli"
    timeout: float = 600.0


@dataclass(frozen=True)
class UploadResult:
    """What trcli reported."""

    command: tuple[str, ...]
    run_url: str
    submitted: int
    output: str


def build_command(settings: UploadSettings) -> list[str]:
    """The trcli argv for ``parse_junit`` (no credentials: they travel in the environment)."""
    cmd = [settings.trcli, "-y", "-h", settings.host, "--project", settings.project]
    if settings.project_id:
        cmd += ["--project-id", str(settings.project_id)]
    cmd += ["parse_junit", "-f", str(settings.junit)]
    if settings.title:
        cmd += ["--title", settings.title]
    if settings.suite_id:
        cmd += ["--suite-id", str(settings.suite_id)]
    elif settings.suite_name:
        cmd += ["--suite-name", settings.suite_name]
    if settings.run_description:
        cmd += ["--run-description", settings.run_description]
    if settings.close_run:
        cmd.append("--close-run")
    return cmd


def trcli_environment(settings: UploadSettings, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus trcli's credential variables; other ``TR_CLI_*`` settings are dropped.

    Dropping inherited ``TR_CLI_*`` keeps a stray variable on the runner from
    silently changing the project or run the results go to.
    """
    env = {k: v for k, v in base.items() if not k.startswith("TR_CLI_")}
    env["TR_CLI_USERNAME"] = settings.username
    if settings.key:
        env["TR_CLI_KEY"] = settings.key
    if settings.password:
        env["TR_CLI_PASSWORD"] = settings.password
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def validate(settings: UploadSettings) -> None:
    """Check the settings before starting trcli; one error names every missing one.

    Raises:
        ConfigError: missing host, project or credentials. ReportError: no JUnit file.
    """
    missing = []
    if not settings.host:
        missing.append("host (--host or env TESTRAIL_HOST)")
    if not settings.project:
        missing.append("project (--project or env TESTGATE_TESTRAIL_PROJECT)")
    if not settings.username:
        missing.append("user (env TESTRAIL_USER)")
    if not (settings.key or settings.password):
        missing.append("API key (env TESTRAIL_KEY, or TESTRAIL_PASSWORD)")
    if missing:
        raise ConfigError(
            "TestRail upload is missing " + "; ".join(missing),
            hint="set them in the CI job; credentials only as secret environment variables",
        )
    if not settings.host.startswith(("http://", "https://")):
        raise ConfigError(
            f"TestRail host {settings.host!r} is not a URL",
            hint="use the instance URL, e.g. https://example.testrail.io/",
        )
    if not settings.junit.is_file():
        raise ReportError(
            f"JUnit file {settings.junit} does not exist",
            hint="write the merged JUnit with `testgate report ... --junit-out FILE` first",
        )


def upload(
    settings: UploadSettings,
    environ: Mapping[str, str],
    secrets: Sequence[str] = (),
) -> UploadResult:
    """Run ``trcli parse_junit`` and return the run it created or updated.

    Args:
        settings: what to upload where.
        environ: the environment trcli inherits (PATH, proxies); credentials are added.
        secrets: values to blank out of trcli's output before it is returned.

    Raises:
        ToolError: trcli is missing, timed out or failed (its output, redacted, in the message).
    """
    validate(settings)
    exe = shutil.which(settings.trcli, path=environ.get("PATH")) or (
        settings.trcli if Path(settings.trcli).is_file() else None
    )
    if not exe:
        raise ToolError(
            f"trcli not found ({settings.trcli!r} is not on PATH)",
            hint=f"install it in its own venv: pipx install trcli=={TRCLI_VERSION}, or leave "
            "the trcli setting unset and testgate installs it (testgate testrail install)",
        )
    cmd = build_command(settings)
    cmd[0] = exe
    try:
        proc = subprocess.run(
            cmd,
            env=trcli_environment(settings, environ),
            capture_output=True,
            text=True,
            timeout=settings.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"trcli did not finish within {settings.timeout:.0f} s") from exc
    except OSError as exc:
        raise ToolError(f"cannot start trcli ({exe}): {exc}") from exc
    output = _redact((proc.stdout or "") + (proc.stderr or ""), secrets)
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise ToolError(
            f"trcli failed (exit {proc.returncode}) uploading {settings.junit} to {settings.host}:\n{tail}",
            hint="check the host, project, suite and the TestRail user's permissions",
        )
    url = _RUN_URL.search(output)
    submitted = _SUBMITTED.search(output)
    return UploadResult(
        command=tuple(cmd),
        run_url=url.group(1) if url else "",
        submitted=int(submitted.group(1)) if submitted else 0,
        output=output,
    )


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def trcli_in(venv: Path) -> Path:
    """The trcli executable of a virtualenv."""
    return venv / "bin" / "trcli"


def installed_version(venv: Path) -> str | None:
    """The trcli version installed in ``venv`` (from its dist-info folder), or None."""
    if not trcli_in(venv).is_file():
        return None
    for info in venv.glob("lib/python*/site-packages/trcli-*.dist-info"):
        return info.name[len("trcli-") : -len(".dist-info")]
    return None


def ensure_trcli(
    venv: Path,
    python: str,
    version: str = TRCLI_VERSION,
    run: Runner = subprocess.run,
) -> tuple[Path, bool]:
    """trcli ``version`` in its own virtualenv ``venv``, installed when it is not there yet.

    Args:
        venv: the virtualenv folder (created when missing; reused when it holds ``version``).
        python: the interpreter the virtualenv is made from.
        run: how commands are run (``subprocess.run``; a double in tests).

    Returns:
        The trcli executable, and whether it was installed now.

    Raises:
        ToolError: the virtualenv or the install failed (pip's last lines in the message).
    """
    if installed_version(venv) == version:
        return trcli_in(venv), False
    if venv.exists() and not (venv / "pyvenv.cfg").is_file():
        raise ToolError(
            f"{venv} exists and is not a virtualenv: testgate does not install trcli into it",
            hint="point trcli-venv (TESTGATE_TRCLI_VENV) at a new folder",
        )
    steps = [
        [python, "-m", "venv", str(venv)],
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"trcli=={version}",
        ],
    ]
    for cmd in steps:
        try:
            done = run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ToolError(
                f"installing trcli=={version} took over {INSTALL_TIMEOUT:.0f} s"
            ) from exc
        except OSError as exc:
            raise ToolError(f"cannot run {cmd[0]}: {exc}") from exc
        if done.returncode != 0:
            tail = "\n".join(((done.stdout or "") + (done.stderr or "")).strip().splitlines()[-10:])
            raise ToolError(
                f"installing trcli=={version} into {venv} failed (exit {done.returncode}):\n{tail}",
                hint="check the network access to PyPI (or its mirror, PIP_INDEX_URL), or "
                "install trcli yourself and set TESTGATE_TRCLI",
            )
    return trcli_in(venv), True


def _redact(text: str, secrets: Sequence[str]) -> str:
    from testgate.secretscan import redact

    return redact(text, secrets)
