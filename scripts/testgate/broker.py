"""Pact Broker operations, all through the official ``pact`` CLI (PyPI ``pact-python-cli``).

Every call runs ``pact broker <subcommand>`` with the broker URL and the
credentials in the child's environment (never on its command line), retries
with exponential backoff while the broker is unreachable or answers 5xx, and
turns what the CLI prints into typed results or errors:

- 401/403 -> :class:`~testgate.errors.ConfigError` (exit 2) naming the credential variable;
- unreachable or 5xx after the retries -> :class:`~testgate.errors.ToolError` (exit 3) naming the URL;
- every secret is removed from anything that ends up in a message.

The library never reads ``os.environ``: callers pass the environment in.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from testgate.errors import ConfigError, ToolError
from testgate.render.markdown import md_text

DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_SECONDS = 2.0
DEFAULT_TIMEOUT_SECONDS = 600.0
DEFAULT_SELECTORS: tuple[dict[str, Any], ...] = (
    {"mainBranch": True},
    {"deployedOrReleased": True},
    {"matchingBranch": True},
)
WEBHOOK_EVENT = "contract_requiring_verification_published"
WEBHOOK_TARGETS = ("github", "gitlab", "jenkins")
PACT_URL_VARIABLE = "TESTGATE_PACT_URL"

_AUTH_FAILURE = re.compile(r"\b(401|403)\b[^\n]*(Unauthori[sz]ed|Forbidden)", re.IGNORECASE)
_TRANSIENT = re.compile(
    r"failed: 5\d\d\b|error sending request|Failed to access pact broker|connection refused"
    r"|timed out|dns error|connection reset",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class BrokerSettings:
    """Where the broker is and how to authenticate; secrets are kept out of ``repr``."""

    url: str
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF_SECONDS
    skip_ssl_verification: bool = False
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def credential_variable(self) -> str:
        """The variable(s) a person should check when the broker refuses the credentials."""
        if self.token:
            return "PACT_BROKER_TOKEN"
        if self.username:
            return "PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD"
        return "PACT_BROKER_TOKEN (or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD)"

    @property
    def secrets(self) -> list[str]:
        """Values that must never be printed."""
        return [s for s in (self.token, self.password) if s]


def broker_settings(
    environ: Mapping[str, str],
    url: str | None = None,
    *,
    required: bool = True,
    skip_ssl_verification: bool = False,
) -> BrokerSettings | None:
    """Broker settings from a flag and the environment (``PACT_BROKER_*``, ``TESTGATE_BROKER_*``).

    Args:
        environ: the process environment, passed in.
        url: ``--broker-url``; wins over ``PACT_BROKER_BASE_URL``.
        required: raise when no broker is configured (else return ``None``).
        skip_ssl_verification: turn TLS certificate checks off (an explicit flag only).

    Raises:
        ConfigError: no URL when required, a malformed URL, or inconsistent credentials.
    """
    base = (url or environ.get("PACT_BROKER_BASE_URL") or "").strip()
    if not base:
        if required:
            raise ConfigError(
                'no Pact Broker configured (input "broker-url" or env PACT_BROKER_BASE_URL)',
                hint="set PACT_BROKER_BASE_URL to your broker, e.g. https://broker.example.com",
            )
        return None
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"the Pact Broker URL {base!r} is not an http(s) URL (PACT_BROKER_BASE_URL)",
            hint="use a full URL such as https://broker.example.com",
        )
    if parts.username or parts.password:
        raise ConfigError(
            "the Pact Broker URL must not contain credentials (PACT_BROKER_BASE_URL)",
            hint="put them in PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD or PACT_BROKER_TOKEN",
        )
    token = environ.get("PACT_BROKER_TOKEN") or None
    username = environ.get("PACT_BROKER_USERNAME") or None
    password = environ.get("PACT_BROKER_PASSWORD") or None
    if token and (username or password):
        raise ConfigError(
            "both PACT_BROKER_TOKEN and PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD are set",
            hint="keep one way of authenticating: a token, or a username and password",
        )
    if bool(username) != bool(password):
        missing = "PACT_BROKER_PASSWORD" if username else "PACT_BROKER_USERNAME"
        raise ConfigError(
            f"{missing} is not set but its partner is",
            hint="set both PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD, or use PACT_BROKER_TOKEN",
        )
    retries = _int_setting(environ, "TESTGATE_BROKER_RETRIES", DEFAULT_RETRIES)
    backoff = _float_setting(environ, "TESTGATE_BROKER_RETRY_BACKOFF", DEFAULT_BACKOFF_SECONDS)
    return BrokerSettings(
        url=base.rstrip("/"),
        token=token,
        username=username,
        password=password,
        retries=retries,
        backoff=backoff,
        skip_ssl_verification=skip_ssl_verification,
    )


def _int_setting(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, not {raw!r}")
    return value


def _float_setting(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, not {raw!r}")
    return value


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


# --------------------------------------------------------------------------- running the CLI


def find_pact_cli(environ: Mapping[str, str]) -> str:
    """The ``pact`` executable: ``TESTGATE_PACT_CLI``, next to this Python, or on ``PATH``.

    Raises:
        ToolError: none found.
    """
    explicit = environ.get("TESTGATE_PACT_CLI")
    if explicit:
        if Path(explicit).is_file():
            return explicit
        raise ToolError(
            f"TESTGATE_PACT_CLI names {explicit}, which does not exist",
            hint="point it at the pact executable or unset it",
        )
    beside = Path(sys.executable).parent / "pact"
    if beside.is_file():
        return str(beside)
    found = shutil.which("pact", path=environ.get("PATH"))
    if found:
        return found
    raise ToolError(
        "the pact CLI was not found (next to the Python interpreter or on PATH)",
        hint="pip install 'pact-python-cli==1!0.10.9' (it needs glibc 2.34+)",
    )


@dataclass(frozen=True)
class CliRun:
    """One finished ``pact broker`` run (output already redacted)."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    attempts: int

    @property
    def output(self) -> str:
        return (self.stdout + "\n" + self.stderr).strip()

    def last_error(self) -> str:
        """The most telling line of the output, for an error message."""
        lines = [line.strip(" ❌\t") for line in self.output.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower() or "fail" in line.lower()]
        return (errors or lines or [f"exit code {self.returncode}"])[-1]


Runner = Callable[..., subprocess.CompletedProcess[str]]


def _child_env(environ: Mapping[str, str], settings: BrokerSettings) -> dict[str, str]:
    env = {
        k: v
        for k, v in environ.items()
        if not k.startswith("PACT_BROKER_") and k not in ("SSL_SKIP_VERIFICATION",)
    }
    env["PACT_BROKER_BASE_URL"] = settings.url
    if settings.token:
        env["PACT_BROKER_TOKEN"] = settings.token
    if settings.username and settings.password:
        env["PACT_BROKER_USERNAME"] = settings.username
        env["PACT_BROKER_PASSWORD"] = settings.password
    # testgate retries itself (with its own backoff and a clear final error).
    env["PACT_BROKER_HTTP_RETRIES"] = "0"
    if settings.skip_ssl_verification:
        env["SSL_SKIP_VERIFICATION"] = "true"
    return env


def run_pact_broker(
    settings: BrokerSettings,
    args: Sequence[str],
    environ: Mapping[str, str],
    *,
    extra_secrets: Sequence[str] = (),
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> CliRun:
    """Run ``pact broker <args>``; retry while the broker is unreachable or failing.

    Returns the run, successful or not, when the failure is the broker's answer
    to the request (the caller decides what it means).

    Raises:
        ConfigError: the broker refused the credentials (401/403).
        ToolError: the CLI is missing, timed out, or the broker stayed unreachable / 5xx.
    """
    binary = find_pact_cli(environ)
    argv = [binary, "broker", *args]
    secrets = [*settings.secrets, *[s for s in extra_secrets if s]]
    shown = tuple(redact(a, secrets) for a in argv)
    env = _child_env(environ, settings)
    attempts = settings.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            done = runner(
                argv,
                env=env,
                capture_output=True,
                text=True,
                timeout=settings.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ToolError(
                f"pact broker {args[0]} against {settings.url} did not finish in {settings.timeout:.0f} s",
                hint="check that the Pact Broker is healthy",
            ) from None
        except OSError as exc:
            raise ToolError(
                f"cannot run {binary}: {exc}", hint="reinstall pact-python-cli"
            ) from None
        run = CliRun(
            shown,
            done.returncode,
            redact(done.stdout or "", secrets),
            redact(done.stderr or "", secrets),
            attempt,
        )
        if done.returncode == 0:
            return run
        text = run.output
        auth = _AUTH_FAILURE.search(text)
        if auth:
            raise ConfigError(
                f"the Pact Broker at {settings.url} refused the credentials ({auth.group(1)} "
                f"{auth.group(2)}) for pact broker {args[0]}",
                hint=f"check {settings.credential_variable}"
                + (
                    " (403: the credential may lack write permission)"
                    if auth.group(1) == "403"
                    else ""
                ),
            )
        if not _TRANSIENT.search(text):
            return run
        if attempt < attempts:
            sleep(settings.backoff * 2 ** (attempt - 1))
            continue
        raise ToolError(
            f"the Pact Broker at {settings.url} is unreachable or failing after {attempts} "
            f"attempt{'s' if attempts != 1 else ''} (pact broker {args[0]}): {run.last_error()}",
            hint="check PACT_BROKER_BASE_URL and the broker's health; "
            "TESTGATE_BROKER_RETRIES and TESTGATE_BROKER_RETRY_BACKOFF tune the retries",
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _json_from(run: CliRun) -> Any:
    text = run.stdout.strip()
    start = text.find("{")
    if start < 0:
        raise ToolError(f"pact broker {run.argv[2]} printed no JSON: {run.last_error()}")
    try:
        return json.loads(text[start:])
    except ValueError as exc:
        raise ToolError(f"pact broker {run.argv[2]} printed malformed JSON: {exc}") from None


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


# --------------------------------------------------------------------------- can-i-deploy


@dataclass(frozen=True)
class MatrixRow:
    """One row of the matrix: a pact between two versions and whether it was verified."""

    consumer: str
    consumer_version: str | None
    provider: str
    provider_version: str | None
    success: bool | None
    verification_url: str | None

    @property
    def status(self) -> str:
        """``verified``, ``failed`` or ``unverified``."""
        return {True: "verified", False: "failed", None: "unverified"}[self.success]


@dataclass(frozen=True)
class CanIDeployDecision:
    """The broker's answer to "can this version go to that environment?"."""

    pacticipant: str
    version: str
    to_environment: str
    deployable: bool | None
    reasons: tuple[str, ...]
    rows: tuple[MatrixRow, ...]
    counts: Mapping[str, int]

    @property
    def passed(self) -> bool:
        """Only an explicit yes passes; unknown (``None``) fails closed."""
        return self.deployable is True

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (written to ``reports/can-i-deploy.json``)."""
        return {
            "schema": "testgate-can-i-deploy/1",
            "pacticipant": self.pacticipant,
            "version": self.version,
            "to_environment": self.to_environment,
            "deployable": self.deployable,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "counts": dict(self.counts),
            "matrix": [
                {
                    "consumer": r.consumer,
                    "consumer_version": r.consumer_version,
                    "provider": r.provider,
                    "provider_version": r.provider_version,
                    "success": r.success,
                    "status": r.status,
                    "verification_url": r.verification_url,
                    "reason": row_reason(r, self.to_environment),
                }
                for r in self.rows
            ],
        }


def parse_matrix(
    doc: Mapping[str, Any], pacticipant: str, version: str, to_environment: str
) -> CanIDeployDecision:
    """A :class:`CanIDeployDecision` from the broker's matrix JSON.

    Raises:
        ToolError: the document is not a matrix answer.
    """
    summary = doc.get("summary")
    if not isinstance(summary, Mapping) or "deployable" not in summary:
        raise ToolError("the Pact Broker's can-i-deploy answer has no summary.deployable")
    deployable = summary.get("deployable")
    if deployable not in (True, False, None):
        raise ToolError(f"the Pact Broker's summary.deployable is {deployable!r}")
    rows = []
    for item in doc.get("matrix") or []:
        consumer = item.get("consumer") or {}
        provider = item.get("provider") or {}
        result = item.get("verificationResult") or None
        rows.append(
            MatrixRow(
                consumer=str(consumer.get("name")),
                consumer_version=((consumer.get("version") or {}).get("number")),
                provider=str(provider.get("name")),
                provider_version=((provider.get("version") or {}).get("number")),
                success=None if result is None else result.get("success"),
                verification_url=None
                if result is None
                else ((result.get("_links") or {}).get("self") or {}).get("href"),
            )
        )
    reason = str(summary.get("reason") or "")
    reasons = tuple(line for line in reason.splitlines() if line.strip())
    if not reasons:
        reasons = tuple(
            str(n.get("text"))
            for n in doc.get("notices") or []
            if n.get("type") in ("error", "warning", "success")
            and "Computer says" not in str(n.get("text"))
        )
    counts = {k: int(summary.get(k) or 0) for k in ("success", "failed", "unknown")}
    return CanIDeployDecision(
        pacticipant, version, to_environment, deployable, reasons, tuple(rows), counts
    )


def row_reason(row: MatrixRow, environment: str) -> str:
    """Why a row counts for or against the deployment, in a few words."""
    if row.success is True:
        return f"{row.provider} {row.provider_version} verified the pact"
    if row.success is False:
        return f"{row.provider} {row.provider_version} failed to verify the pact"
    if row.provider_version is None:
        return f"no version of {row.provider} is recorded in {environment}"
    return f"{row.provider} {row.provider_version} has not verified this pact"


def can_i_deploy(
    settings: BrokerSettings,
    *,
    pacticipant: str,
    version: str,
    to_environment: str,
    retry_while_unknown: int = 0,
    retry_interval: int = 10,
    environ: Mapping[str, str],
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> CanIDeployDecision:
    """Ask the broker whether ``pacticipant`` ``version`` can go to ``to_environment``.

    The CLI polls while results are unknown (``--retry-while-unknown``); the
    decision is taken from its JSON answer, never from its exit code.
    """
    args = [
        "can-i-deploy",
        "--pacticipant",
        pacticipant,
        "--version",
        version,
        "--to-environment",
        to_environment,
        "--output",
        "json",
    ]
    if retry_while_unknown:
        args += ["--retry-while-unknown", str(retry_while_unknown)]
        args += ["--retry-interval", str(retry_interval)]
    run = run_pact_broker(settings, args, environ, runner=runner, sleep=sleep)
    if run.returncode != 0:
        raise ToolError(f"pact broker can-i-deploy failed: {run.last_error()}")
    return parse_matrix(_json_from(run), pacticipant, version, to_environment)


def _md_cell(value: Any) -> str:
    return md_text(value if value is not None else "—")


def render_can_i_deploy_md(decision: CanIDeployDecision, *, dry_run: bool = False) -> str:
    """The decision as Markdown: verdict, one table row per matrix row, the broker's reasons."""
    if decision.passed:
        verdict = "✅ yes"
    elif decision.deployable is None:
        verdict = "❌ no (results unknown)"
    else:
        verdict = "❌ no"
    lines = [
        f"## can-i-deploy: {_md_cell(decision.pacticipant)} {_md_cell(decision.version)} "
        f"to {_md_cell(decision.to_environment)}: {verdict}",
        "",
    ]
    if dry_run and not decision.passed:
        lines += ["> **Dry run:** the gate says FAIL, but this run does not block the deploy.", ""]
    if decision.rows:
        lines += [
            "| Consumer | Consumer version | Provider | Provider version | Verified | Reason |",
            "|---|---|---|---|---|---|",
        ]
        for row in decision.rows:
            mark = {True: "✅ yes", False: "❌ failed", None: "❔ unknown"}[row.success]
            lines.append(
                f"| {_md_cell(row.consumer)} | {_md_cell(row.consumer_version)} "
                f"| {_md_cell(row.provider)} | {_md_cell(row.provider_version)} | {mark} "
                f"| {_md_cell(row_reason(row, decision.to_environment))} |"
            )
        lines.append("")
    else:
        lines += ["_No integrations in the matrix for this version._", ""]
    if decision.reasons:
        lines.append("**Reasons (from the Pact Broker):**")
        lines += [f"- {_md_cell(reason)}" for reason in decision.reasons]
        lines.append("")
    counts = decision.counts
    lines.append(
        f"{counts.get('success', 0)} verified, {counts.get('failed', 0)} failed, "
        f"{counts.get('unknown', 0)} unknown"
    )
    return "\n".join(lines) + "\n"


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
    doc = _json_from(run)
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


# --------------------------------------------------------------------------- webhooks


@dataclass(frozen=True)
class WebhookSpec:
    """A broker webhook that starts the provider's verification build."""

    uuid: str
    target: str
    url: str
    method: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)  # may hold the token
    body: str | None = field(repr=False)  # may hold the token (GitLab)
    provider: str
    consumer: str | None
    description: str
    user: str | None = field(default=None, repr=False)  # "name:token" for basic auth
    secrets: tuple[str, ...] = field(default=(), repr=False)


def webhook_uuid(provider: str, target: str, consumer: str | None = None) -> str:
    """A stable UUID per provider/target(/consumer), so ``webhook ensure`` updates in place."""
    key = f"testgate:{WEBHOOK_EVENT}:{target}:{provider}:{consumer or '*'}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


def build_webhook(
    target: str,
    *,
    provider: str,
    consumer: str | None = None,
    token: str | None,
    repository: str | None = None,
    github_api_url: str = "https://api.github.com",
    gitlab_url: str = "https://gitlab.com",
    project: str | None = None,
    jenkins_url: str | None = None,
    job: str | None = None,
    jenkins_user: str | None = None,
    ref: str = "main",
    uuid_value: str | None = None,
) -> WebhookSpec:
    """The webhook request for ``target`` (``github``, ``gitlab`` or ``jenkins``).

    - github: ``POST /repos/{owner}/{repo}/dispatches`` (repository_dispatch, event type
      ``contract_requiring_verification_published``, ``client_payload.pact_url``).
    - gitlab: ``POST /api/v4/projects/{id}/trigger/pipeline`` (pipeline trigger token, ``ref``,
      ``variables[TESTGATE_PACT_URL]``).
    - jenkins: ``POST {job}/buildWithParameters`` with ``TESTGATE_PACT_URL`` (user + API token).

    Raises:
        ConfigError: a setting the target needs is missing (all of them named at once).
    """
    # Each CI's REST API is known by its platform adapter; the broker knows the payload.
    from testgate.platforms import GitHubPlatform, GitLabPlatform, JenkinsPlatform

    pact_url = "${pactbroker.pactUrl}"
    description = f"testgate: verify {provider} when a changed pact is published ({target})"
    wid = uuid_value or webhook_uuid(provider, target, consumer)
    if target == "github":
        request = GitHubPlatform.webhook_request(
            repository=repository,
            token=token,
            event_type=WEBHOOK_EVENT,
            client_payload={
                "pact_url": pact_url,
                "consumer": "${pactbroker.consumerName}",
                "consumer_version": "${pactbroker.consumerVersionNumber}",
                "consumer_branch": "${pactbroker.consumerVersionBranch}",
                "provider_version": "${pactbroker.providerVersionNumber}",
                "provider_branch": "${pactbroker.providerVersionBranch}",
            },
            api_url=github_api_url,
        )
    elif target == "gitlab":
        request = GitLabPlatform.webhook_request(
            project=project,
            token=token,
            ref=ref,
            variables={PACT_URL_VARIABLE: pact_url},
            server_url=gitlab_url,
        )
    elif target == "jenkins":
        request = JenkinsPlatform.webhook_request(
            jenkins_url=jenkins_url,
            job=job,
            user=jenkins_user,
            token=token,
            parameters={PACT_URL_VARIABLE: pact_url},
        )
    else:
        raise ConfigError(
            f"unknown webhook target {target!r}",
            hint=f"use one of {', '.join(WEBHOOK_TARGETS)} (--target or TESTGATE_WEBHOOK_TARGET)",
        )
    return WebhookSpec(
        wid,
        target,
        request.url,
        request.method,
        request.headers,
        request.body,
        provider,
        consumer,
        description,
        user=request.user,
        secrets=request.secrets,
    )


def ensure_webhook(
    settings: BrokerSettings,
    spec: WebhookSpec,
    environ: Mapping[str, str],
    *,
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> CliRun:
    """Create or update the webhook (``pact broker create-or-update-webhook``).

    The pact CLI takes webhook headers and credentials only as arguments, so the
    target's token is on the child's command line for the moment it runs; it is
    removed from every message and output testgate prints.
    """
    args = [
        "create-or-update-webhook",
        spec.url,
        "--uuid",
        spec.uuid,
        "--request",
        spec.method,
        "--provider",
        spec.provider,
        "--description",
        spec.description,
        "--contract-requiring-verification-published",
    ]
    if spec.consumer:
        args += ["--consumer", spec.consumer]
    if spec.headers:  # one --header followed by every header (the CLI takes it once)
        args += ["--header", *[f"{name}: {value}" for name, value in spec.headers]]
    if spec.body is not None:
        args += ["--data", spec.body]
    if spec.user:
        args += ["--user", spec.user]
    run = run_pact_broker(
        settings, args, environ, extra_secrets=spec.secrets, runner=runner, sleep=sleep
    )
    if run.returncode != 0:
        raise ToolError(f"pact broker create-or-update-webhook failed: {run.last_error()}")
    return run


# --------------------------------------------------------------------------- verification source


@dataclass(frozen=True)
class BrokerVerificationOptions:
    """How ``testgate verify --broker`` asks the broker for pacts and reports back."""

    settings: BrokerSettings
    selectors: tuple[dict[str, Any], ...] = DEFAULT_SELECTORS
    include_pending: bool = True
    include_wip_since: date | None = None
    provider_version: str | None = None
    provider_branch: str | None = None
    publish_results: bool = False
    build_url: str | None = None


_SHORT_SELECTORS = {
    "mainbranch": {"mainBranch": True},
    "deployedorreleased": {"deployedOrReleased": True},
    "matchingbranch": {"matchingBranch": True},
    "deployed": {"deployed": True},
    "released": {"released": True},
    "latest": {"latest": True},
}


def parse_selectors(text: str) -> tuple[dict[str, Any], ...]:
    """Consumer version selectors from JSON or a short form.

    The short form is comma-separated: ``mainBranch``, ``deployedOrReleased``,
    ``matchingBranch``, ``deployed``, ``released``, ``latest``, ``branch=NAME``,
    ``environment=NAME``, ``tag=NAME``; ``consumer=NAME`` applies to the entry before it
    with ``+`` (``branch=feat-x+consumer=web``). JSON is the broker's own format:
    ``[{"mainBranch": true}, {"branch": "feat-x", "consumer": "web"}]``.

    Raises:
        ConfigError: unknown or malformed selectors.
    """
    text = text.strip()
    if not text:
        return DEFAULT_SELECTORS
    if text.startswith("["):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"consumer version selectors are not valid JSON: {exc}") from None
        if not isinstance(data, list) or not all(isinstance(s, dict) and s for s in data):
            raise ConfigError("consumer version selectors must be a JSON list of objects")
        return tuple(data)
    selectors: list[dict[str, Any]] = []
    for entry in text.split(","):
        selector: dict[str, Any] = {}
        for part in entry.strip().split("+"):
            key, sep, value = part.strip().partition("=")
            short = _SHORT_SELECTORS.get(key.lower())
            if short and not sep:
                selector.update(short)
            elif sep and key in ("branch", "environment", "tag", "consumer", "fallbackBranch"):
                if not value:
                    raise ConfigError(f"consumer version selector {part!r} has no value")
                selector[key] = value
            else:
                raise ConfigError(
                    f"unknown consumer version selector {part!r}",
                    hint="use mainBranch, deployedOrReleased, matchingBranch, deployed, released, "
                    "latest, branch=NAME, environment=NAME, tag=NAME (or the broker's JSON form)",
                )
        if selector:
            selectors.append(selector)
    if not selectors:
        raise ConfigError("no consumer version selectors given")
    return tuple(selectors)


def add_broker_source(verifier: Any, options: BrokerVerificationOptions) -> Any:
    """Point a pact-python ``Verifier`` at the broker with selectors, pending and WIP.

    Credentials go to the verifier directly (``use_env=False``), never through
    the process environment. Returns the verifier.
    """
    s = options.settings
    auth: dict[str, Any] = {"token": s.token} if s.token else {}
    if s.username:
        auth = {"username": s.username, "password": s.password}
    builder = verifier.broker_source(s.url, selector=True, use_env=False, **auth)
    if options.include_pending:
        builder = builder.include_pending()
    if options.include_wip_since is not None:
        builder = builder.include_wip_since(options.include_wip_since)
    if options.provider_branch:
        builder = builder.provider_branch(options.provider_branch)
    for selector in options.selectors:
        builder = builder.consumer_version(**_selector_kwargs(selector))
    verifier = builder.build()
    if options.publish_results:
        verifier.set_publish_options(
            version=str(options.provider_version),
            url=options.build_url,
            branch=options.provider_branch,
        )
    if s.skip_ssl_verification:
        verifier.disable_ssl_verification()
    return verifier


_SELECTOR_KWARGS = {
    "consumer": "consumer",
    "tag": "tag",
    "fallbackTag": "fallback_tag",
    "latest": "latest",
    "deployedOrReleased": "deployed_or_released",
    "deployed": "deployed",
    "released": "released",
    "environment": "environment",
    "mainBranch": "main_branch",
    "branch": "branch",
    "matchingBranch": "matching_branch",
    "fallbackBranch": "fallback_branch",
}


def _selector_kwargs(selector: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(selector) - set(_SELECTOR_KWARGS)
    if unknown:
        raise ConfigError(
            f"unknown consumer version selector keys: {', '.join(sorted(unknown))}",
            hint=f"use {', '.join(_SELECTOR_KWARGS)}",
        )
    return {_SELECTOR_KWARGS[k]: v for k, v in selector.items()}


def add_pact_url_source(verifier: Any, url: str, settings: BrokerSettings | None) -> Any:
    """Verify one pact fetched from ``url`` (the run a broker webhook starts)."""
    if settings is None or not (settings.token or settings.username):
        return verifier.add_source(url)
    if settings.token:
        return verifier.add_source(url, token=settings.token)
    return verifier.add_source(url, username=settings.username, password=settings.password)
