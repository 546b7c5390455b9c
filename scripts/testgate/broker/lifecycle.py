"""A version's life in the broker: publish pacts, record deployments and releases, environments."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from testgate.broker.client import BrokerSettings, Runner, json_from, run_pact_broker
from testgate.errors import ConfigError, ToolError

# --------------------------------------------------------------------------- publish


@dataclass(frozen=True)
class PublishResult:
    """Pacts published for one consumer version."""

    files: tuple[Path, ...]
    version: str
    branch: str | None
    build_url: str | None
    tags: tuple[str, ...]
    output: str


def find_pact_files(pact_dir: Path) -> list[Path]:
    """The pact files in ``pact_dir`` (``*.json``), sorted."""
    if not pact_dir.is_dir():
        return []
    return sorted(p for p in pact_dir.glob("*.json") if p.is_file())


def publish_pacts(
    settings: BrokerSettings,
    files: Sequence[Path],
    *,
    version: str,
    branch: str | None,
    build_url: str | None,
    tags: Sequence[str] = (),
    environ: Mapping[str, str],
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> PublishResult:
    """Publish ``files`` as consumer version ``version`` (``pact broker publish``).

    Raises:
        ConfigError: the broker refused the content (for example, changed content for an
            existing version) or the credentials.
        ToolError: the broker stayed unreachable, or the CLI failed.
    """
    if not files:
        raise ConfigError("no pact files to publish")
    args = ["publish", *[str(f) for f in files], "--consumer-app-version", version]
    if branch:
        args += ["--branch", branch]
    if build_url:
        args += ["--build-url", build_url]
    for tag in tags:
        args += ["--tag", tag]
    run = run_pact_broker(settings, args, environ, runner=runner, sleep=sleep)
    if run.returncode != 0:
        text = run.output
        if "Cannot change the content of the pact" in text or "409" in text:
            raise ConfigError(
                f"the Pact Broker refused to change the pacts of version {version}: {run.last_error()}",
                hint="publish each change with a new consumer version (the git SHA by default)",
            )
        raise ToolError(f"pact broker publish failed: {run.last_error()}")
    return PublishResult(tuple(files), version, branch, build_url, tuple(tags), run.stdout)


def published_md(result: PublishResult, broker_url: str) -> str:
    """What was published, for the job summary."""
    lines = [
        "## Pacts published",
        "",
        f"Consumer version `{result.version}`"
        + (f" on branch `{result.branch}`" if result.branch else " (no branch)")
        + f" to {broker_url}:",
        "",
        *[f"- `{f.name}`" for f in result.files],
        "",
    ]
    if result.build_url:
        lines.append(f"Build: {result.build_url}")
    return "\n".join(lines) + "\n"


def not_published_md(files: Sequence[Path], pact_dir: Path) -> str:
    """Why nothing was published (no broker), for the job summary."""
    count = f"{len(files)} pact file{'s' if len(files) != 1 else ''}"
    return (
        "## Pacts not published\n\n"
        "No Pact Broker is configured (PACT_BROKER_BASE_URL), so the pacts stay as files "
        f"({count} in `{pact_dir}`): pass them on as CI artifacts.\n"
    )


# --------------------------------------------------------------------------- deployments


def _record(
    kind: str,
    settings: BrokerSettings,
    pacticipant: str,
    version: str,
    environment: str,
    environ: Mapping[str, str],
    application_instance: str | None,
    runner: Runner,
    sleep: Callable[[float], None],
) -> str:
    args = [
        f"record-{kind}",
        "--pacticipant",
        pacticipant,
        "--version",
        version,
        "--environment",
        environment,
    ]
    if application_instance:
        args += ["--application-instance", application_instance]
    run = run_pact_broker(settings, args, environ, runner=runner, sleep=sleep)
    if run.returncode == 0:
        return run.last_error() if not run.stdout.strip() else run.stdout.strip().splitlines()[-1]
    text = run.output
    if "does not exist" in text and "Environment" in text:
        raise ConfigError(
            f"the Pact Broker has no environment {environment!r}",
            hint="create it with `testgate environments ensure` (from envs/*.env) or pact broker create-environment",
        )
    if "404" in text:
        raise ConfigError(
            f"the Pact Broker does not know version {version} of {pacticipant}",
            hint="record the version that published pacts or verification results (the git SHA by default)",
        )
    raise ToolError(f"pact broker record-{kind} failed: {run.last_error()}")


def record_deployment(
    settings: BrokerSettings,
    *,
    pacticipant: str,
    version: str,
    environment: str,
    application_instance: str | None = None,
    environ: Mapping[str, str],
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Record that ``version`` of ``pacticipant`` is now deployed to ``environment``."""
    return _record(
        "deployment",
        settings,
        pacticipant,
        version,
        environment,
        environ,
        application_instance,
        runner,
        sleep,
    )


def record_release(
    settings: BrokerSettings,
    *,
    pacticipant: str,
    version: str,
    environment: str,
    environ: Mapping[str, str],
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Record that ``version`` of ``pacticipant`` is released (and supported) in ``environment``."""
    return _record(
        "release", settings, pacticipant, version, environment, environ, None, runner, sleep
    )


def recorded_md(kind: str, pacticipant: str, version: str, environment: str) -> str:
    """A recorded deployment or release, for the job summary."""
    verb = "deployed to" if kind == "deployment" else "released to"
    return f"## Recorded {kind}\n\n`{pacticipant}` `{version}` {verb} `{environment}`.\n"


# --------------------------------------------------------------------------- environments


@dataclass(frozen=True)
class EnvironmentsResult:
    """What ``environments ensure`` found and did."""

    existing: tuple[str, ...]
    created: tuple[str, ...]


def list_environments(
    settings: BrokerSettings,
    environ: Mapping[str, str],
    *,
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Names of the environments the broker knows."""
    run = run_pact_broker(
        settings, ["list-environments", "--output", "json"], environ, runner=runner, sleep=sleep
    )
    if run.returncode != 0:
        raise ToolError(f"pact broker list-environments failed: {run.last_error()}")
    doc = json_from(run)
    envs = (doc.get("_embedded") or {}).get("environments") or []
    return sorted(str(e.get("name")) for e in envs if e.get("name"))


def ensure_environments(
    settings: BrokerSettings,
    names: Sequence[str],
    *,
    production: Iterable[str] = ("prod", "production"),
    environ: Mapping[str, str],
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> EnvironmentsResult:
    """Create each environment in ``names`` that the broker lacks (``create-environment``)."""
    known = set(list_environments(settings, environ, runner=runner, sleep=sleep))
    production_names = set(production)
    created = []
    for name in names:
        if name in known:
            continue
        args = ["create-environment", "--name", name, "--display-name", name.title()]
        if name in production_names:
            args.append("--production")
        run = run_pact_broker(settings, args, environ, runner=runner, sleep=sleep)
        if run.returncode != 0:
            raise ToolError(f"pact broker create-environment {name} failed: {run.last_error()}")
        created.append(name)
    return EnvironmentsResult(tuple(sorted(n for n in names if n in known)), tuple(created))


def environments_md(
    result: EnvironmentsResult | None = None,
    *,
    listed: Sequence[str] = (),
    production: Iterable[str] = (),
) -> str:
    """The broker's environments (``listed``) or what ``ensure`` did (``result``)."""
    from testgate.render.markdown import md_code  # names may come from the broker

    lines = ["## Pact Broker environments", ""]
    if result is None:
        lines += [f"- {md_code(n, table=False)}" for n in listed] or ["_none_"]
    else:
        prod = set(production)
        lines += [
            f"- {md_code(n, table=False)}: created" + (" (production)" if n in prod else "")
            for n in result.created
        ]
        lines += [f"- {md_code(n, table=False)}: already there" for n in result.existing]
    return "\n".join(lines) + "\n"
