"""Talking to the Pact Broker: its settings, bounded retries, and the official ``pact`` CLI.

Every call runs ``pact broker <subcommand>`` with the broker URL and the credentials in the
child's environment (never on its command line). A call that times out, cannot connect or gets
a 5xx answer is retried with exponential backoff; what the CLI prints becomes typed results or
errors:

- 401/403 -> :class:`~testgate.errors.ConfigError` (exit 2) naming the credential variable;
- no answer in time, unreachable or 5xx after the retries -> :class:`~testgate.errors.ToolError`
  (exit 3) naming the URL;
- every secret is removed from anything that ends up in a message.

The worst case of one call is ``timeout x attempts + backoff`` (:meth:`BrokerSettings.worst_case`):
with the defaults 60 s x 4 + (2 + 4 + 8) s = 254 s. The library never reads ``os.environ``:
callers build :class:`BrokerSettings` from the typed settings and pass the environment in.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from testgate.errors import ConfigError, ToolError
from testgate.settings import setting

if TYPE_CHECKING:  # a command's --help imports this module for the settings, not the runs
    import subprocess

T = TypeVar("T")

_AUTH_FAILURE = re.compile(r"\b(401|403)\b[^\n]*(Unauthori[sz]ed|Forbidden)", re.IGNORECASE)
_TRANSIENT = re.compile(
    r"failed: 5\d\d\b|error sending request|Failed to access pact broker|connection refused"
    r"|timed out|dns error|connection reset",
    re.IGNORECASE,
)

# The defaults are the settings table's (declared once there).
DEFAULT_RETRIES: int = setting("broker-retries").default
DEFAULT_BACKOFF_SECONDS: float = setting("broker-retry-backoff").default
DEFAULT_TIMEOUT_SECONDS: float = setting("broker-timeout").default


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class BrokerSettings:
    """Where the broker is, how to authenticate, how long to wait; secrets stay out of ``repr``.

    Attributes:
        retries: retries of a call after the first attempt (``attempts = retries + 1``).
        backoff: seconds before the first retry, doubled before each further one.
        timeout: seconds one attempt may take.
        pact_cli: the ``pact`` executable (``None``: next to this Python, else on ``PATH``).
    """

    url: str
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF_SECONDS
    skip_ssl_verification: bool = False
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    pact_cli: str | None = None

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

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def backoff_before(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (2, 3, ...): ``backoff x 2^(attempt - 2)``."""
        return self.backoff * 2 ** (attempt - 2)

    def worst_case(self, per_attempt: float | None = None) -> float:
        """Seconds one call can take at most: ``timeout x attempts + backoff``."""
        wait = sum(self.backoff_before(a) for a in range(2, self.attempts + 1))
        return (per_attempt or self.timeout) * self.attempts + wait


def broker_settings(
    url: str | None,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF_SECONDS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    skip_ssl_verification: bool = False,
    pact_cli: str | Path | None = None,
    required: bool = True,
) -> BrokerSettings | None:
    """Broker settings from typed values (the command takes them from its ``Settings``).

    Args:
        url: the broker's base URL (``--broker-url`` / ``PACT_BROKER_BASE_URL``).
        required: raise when no broker is configured (else return ``None``).

    Raises:
        ConfigError: no URL when required, a malformed URL, or inconsistent credentials.
    """
    base = (url or "").strip()
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
    token, username, password = token or None, username or None, password or None
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
    return BrokerSettings(
        url=base.rstrip("/"),
        token=token,
        username=username,
        password=password,
        retries=int(retries),
        backoff=float(backoff),
        skip_ssl_verification=bool(skip_ssl_verification),
        timeout=float(timeout),
        pact_cli=str(pact_cli) if pact_cli else None,
    )


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (:func:`testgate.secretscan.redact`)."""
    from testgate.secretscan import redact as _redact

    return _redact(text, secrets)


# --------------------------------------------------------------------------- bounded retries


class Transient(Exception):
    """An attempt the broker did not answer in time, refused, or answered with a 5xx."""


def retrying(
    settings: BrokerSettings,
    what: str,
    attempt: Callable[[int], T],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``attempt(n)`` until it returns; retry while it raises :class:`Transient`.

    At most ``settings.attempts`` attempts, ``backoff x 2^k`` seconds apart.

    Raises:
        ToolError: every attempt failed (the message names the URL, ``what`` and the last
            reason, and how to tune the retries).
    """
    reason = ""
    for n in range(1, settings.attempts + 1):
        if n > 1:
            sleep(settings.backoff_before(n))
        try:
            return attempt(n)
        except Transient as exc:
            reason = str(exc)
    raise ToolError(
        f"the Pact Broker at {settings.url} is unreachable or failing after {settings.attempts} "
        f"attempt{'s' if settings.attempts != 1 else ''} ({what}): {reason}",
        hint=f"check PACT_BROKER_BASE_URL and the broker's health; {_tuning()} tune the "
        f"retries (worst case now {settings.worst_case():.0f} s)",
    )


def _tuning() -> str:
    names = ("broker-timeout", "broker-retries", "broker-retry-backoff")
    return ", ".join(str(setting(n).env) for n in names)


# --------------------------------------------------------------------------- the pact CLI


def find_pact_cli(explicit: str | Path | None = None, *, path: str | None = None) -> str:
    """The ``pact`` executable: ``explicit`` (setting ``pact-cli``), next to this Python, or on
    ``path``.

    Raises:
        ToolError: none found.
    """
    if explicit:
        if Path(explicit).is_file():
            return str(explicit)
        raise ToolError(
            f"{setting('pact-cli').env} names {explicit}, which does not exist",
            hint="point it at the pact executable or unset it",
        )
    beside = Path(sys.executable).parent / "pact"
    if beside.is_file():
        return str(beside)
    import shutil

    found = shutil.which("pact", path=path)
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


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


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
    # testgate retries itself (with its own backoff, timeout and a clear final error).
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
    timeout: float | None = None,
    runner: Runner | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CliRun:
    """Run ``pact broker <args>``; retry while the broker is unreachable, silent or failing.

    Each attempt may take ``timeout`` seconds (default ``settings.timeout``); then the CLI is
    killed and the attempt counts as failed. Returns the run, successful or not, when the
    failure is the broker's answer to the request (the caller decides what it means).

    Raises:
        ConfigError: the broker refused the credentials (401/403).
        ToolError: the CLI is missing, or the broker stayed unreachable / silent / 5xx.
    """
    import subprocess

    run_child = runner or subprocess.run
    binary = find_pact_cli(settings.pact_cli, path=environ.get("PATH"))
    argv = [binary, "broker", *args]
    secrets = [*settings.secrets, *[s for s in extra_secrets if s]]
    shown = tuple(redact(a, secrets) for a in argv)
    env = _child_env(environ, settings)
    limit = timeout or settings.timeout

    def attempt(n: int) -> CliRun:
        try:
            done = run_child(
                argv, env=env, capture_output=True, text=True, timeout=limit, check=False
            )
        except subprocess.TimeoutExpired:
            raise Transient(f"no answer: did not finish in {limit:g} s") from None
        except OSError as exc:
            raise ToolError(
                f"cannot run {binary}: {exc}", hint="reinstall pact-python-cli"
            ) from None
        run = CliRun(
            shown,
            done.returncode,
            redact(done.stdout or "", secrets),
            redact(done.stderr or "", secrets),
            n,
        )
        if done.returncode == 0:
            return run
        auth = _AUTH_FAILURE.search(run.output)
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
        if _TRANSIENT.search(run.output):
            raise Transient(run.last_error())
        return run

    return retrying(settings, f"pact broker {args[0]}", attempt, sleep=sleep)


def json_from(run: CliRun) -> Any:
    """The JSON document a ``--output json`` run printed.

    Raises:
        ToolError: no JSON, or malformed JSON.
    """
    text = run.stdout.strip()
    start = text.find("{")
    if start < 0:
        raise ToolError(f"pact broker {run.argv[2]} printed no JSON: {run.last_error()}")
    import json

    try:
        return json.loads(text[start:])
    except ValueError as exc:
        raise ToolError(f"pact broker {run.argv[2]} printed malformed JSON: {exc}") from None
