"""Downstream services stubbed from the provider's own pacts, by the Pact stub server.

A provider verified (or API-tested) in isolation still calls its downstream
services. Each ``[[provider.stubs]]`` entry in testgate.toml names one: the pact
the provider wrote as *their consumer* and the variable the provider reads the
downstream's URL from::

    [[provider.stubs]]
    pact = ["{pact-dir}/inventory-api-pricing-api.json", "broker"]   # tried in order
    url-variable = "PRICING_API_URL"
    provider = "pricing-api"

testgate starts ``pact stub`` (the Pact Stub Server inside the ``pact`` CLI it
installs) loaded with that pact on a free 127.0.0.1 port, at the same time as the
provider, and hands the provider the URL. The stub's log is kept beside the
provider's; a request the stub cannot answer (it is not in the pact) is read back
from that log and reported, so it fails the verification by name instead of
hanging or hiding in a 502.

Pacts come from a file, a folder (the one pact of this provider with that
downstream), or the Pact Broker: the latest pact, or with ``environment`` the one
whose verification by the downstream version deployed there succeeded. ``pact``
may list several sources, tried in order: a file that is not there, or a broker
that is not configured or has no such pact, passes to the next (a build that ran
the provider's own consumer tests has the file; a run a broker webhook starts
takes it from the broker).
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from testgate import files
from testgate.broker import BrokerSettings
from testgate.errors import ConfigError, ToolError
from testgate.provider import free_port, log_tail, open_log

SETTING = "[[provider.stubs]] in testgate.toml"
KEYS = ("pact", "url-variable", "provider", "environment")
BROKER = "broker"
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STARTED = re.compile(r"Server started on port (\d+)")
_RECEIVED = re.compile(
    r"Received HTTP Request \( method: (\S+), path: (\S+), query: (.*?), headers:"
)
_NO_MATCH = re.compile(r"No matching request found for path (\S+?),? sending (\d+)")


@dataclass(frozen=True)
class StubSpec:
    """One ``[[provider.stubs]]`` entry, as written (``sources``: ``pact``, as a tuple)."""

    sources: tuple[str, ...]
    url_variable: str
    provider: str | None = None
    environment: str | None = None


@dataclass(frozen=True)
class StubPact:
    """The pact one stub serves: the provider under test's contract with one downstream."""

    path: Path
    consumer: str
    provider: str
    url_variable: str
    interactions: int
    source: str


@dataclass(frozen=True)
class Unanswered:
    """A request a stub had no interaction for."""

    stub: str
    method: str
    path: str
    query: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''}"


def parse_stub_specs(raw: Any) -> tuple[StubSpec, ...]:
    """The ``[[provider.stubs]]`` entries, checked.

    Raises:
        ConfigError: not a list of tables, an unknown key, a missing or malformed value,
            or two stubs for one variable (every problem at once, exit 2).
    """
    if raw in (None, []):
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError(
            f"{SETTING} must be a list of tables",
            hint='write each stub as [[provider.stubs]] with pact = "..." and url-variable = "..."',
        )
    problems: list[str] = []
    specs: list[StubSpec] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, 1):
        where = f"stub #{number}"
        for key in sorted(set(item) - set(KEYS)):
            problems.append(f"{where}: unknown key {key!r} (known: {', '.join(KEYS)})")
        values = {k: item.get(k) for k in KEYS}
        raw_pact = values.pop("pact")
        sources = (raw_pact,) if isinstance(raw_pact, str) else (raw_pact or ())
        if raw_pact is not None and not (
            isinstance(sources, (list, tuple)) and all(isinstance(v, str) and v for v in sources)
        ):
            problems.append(f"{where}: pact must be a string or a list of strings")
            sources = ()
        for key, value in values.items():
            if value is not None and not isinstance(value, str):
                problems.append(f"{where}: {key} must be a string")
        variable = values["url-variable"]
        if not sources:
            problems.append(f"{where}: pact is required (a pact file, a folder, or {BROKER!r})")
        if not variable:
            problems.append(f"{where}: url-variable is required (e.g. PRICING_API_URL)")
        elif isinstance(variable, str) and not _VARIABLE.match(variable):
            problems.append(f"{where}: url-variable {variable!r} is not a variable name")
        elif variable in seen:
            problems.append(f"{where}: a second stub for url-variable {variable!r}")
        if BROKER in sources and not values["provider"]:
            problems.append(f"{where}: pact = {BROKER!r} needs provider = the downstream's name")
        if values["environment"] and BROKER not in sources:
            problems.append(f"{where}: environment only applies to pact = {BROKER!r}")
        if isinstance(variable, str):
            seen.add(variable)
        if all(v is None or isinstance(v, str) for v in values.values()):
            specs.append(
                StubSpec(
                    sources=tuple(sources),
                    url_variable=str(variable or ""),
                    provider=values["provider"] or None,
                    environment=values["environment"] or None,
                )
            )
    if problems:
        raise ConfigError(
            f"{SETTING}: " + "; ".join(problems),
            hint='each stub: pact = "<file | folder | broker>" (or a list of them, tried in '
            'order), url-variable = "NAME", optional provider and (broker only) environment',
        )
    return tuple(specs)


def _read(path: Path) -> dict[str, Any]:
    from testgate.files import read_json

    data = read_json(path, f"{SETTING}: stub pact", error=ConfigError)
    if not isinstance(data, dict):
        raise ConfigError(f"{SETTING}: stub pact {path} is not a pact file")
    return data


def _names(data: Mapping[str, Any]) -> tuple[str, str]:
    try:
        return str(data["consumer"]["name"]), str(data["provider"]["name"])
    except (KeyError, TypeError):
        return "", ""


def _http_interactions(data: Mapping[str, Any]) -> int:
    return sum(
        1
        for i in data.get("interactions") or []
        if isinstance(i, dict) and "request" in i and "Message" not in str(i.get("type", ""))
    )


def resolve_stub_pacts(
    specs: Sequence[StubSpec],
    *,
    consumer: str,
    root: Path,
    pact_dir: Path,
    fetch_dir: Path,
    broker: BrokerSettings | None = None,
    session: requests.Session | None = None,
) -> list[StubPact]:
    """The pact file each stub serves; every one checked before anything starts.

    Args:
        specs: the ``[[provider.stubs]]`` entries.
        consumer: the provider under test: the consumer in each stub's pact.
        root: the folder of testgate.toml (relative paths start there).
        pact_dir: what ``{pact-dir}`` in a path stands for.
        fetch_dir: where pacts fetched from the broker are written.
        broker: the Pact Broker, for ``pact = "broker"``.

    Raises:
        ConfigError: a pact that does not exist, is not this provider's pact with a
            downstream, names another downstream, or has no HTTP interaction (exit 2).
        ToolError: the broker cannot be reached (exit 3).
    """
    found: list[StubPact] = []
    for spec in specs:
        tried: list[str] = []
        for source in spec.sources:
            pact = _from_source(
                source, spec, consumer, root, pact_dir, fetch_dir, broker, session, tried
            )
            if pact is not None:
                found.append(pact)
                break
        else:
            raise ConfigError(
                f"{SETTING}: no pact for the stub of {spec.url_variable}: " + "; ".join(tried),
                hint="run the provider's own consumer tests first (testgate consumer), "
                "publish them to the broker, or fix pact = in testgate.toml",
            )
    return found


class _NotThere(Exception):
    """This source has no pact: try the next one."""


def _from_source(
    source: str,
    spec: StubSpec,
    consumer: str,
    root: Path,
    pact_dir: Path,
    fetch_dir: Path,
    broker: BrokerSettings | None,
    session: requests.Session | None,
    tried: list[str],
) -> StubPact | None:
    """The pact of one source, or ``None`` (and why, in ``tried``) when it has none."""
    try:
        if source == BROKER:
            return _from_broker(spec, consumer, fetch_dir, broker, session or requests.Session())
        path = Path(source.replace("{pact-dir}", str(pact_dir)))
        path = path if path.is_absolute() else root / path
        if path.is_dir():
            path = _pick_from_folder(path, spec, consumer)
        elif not path.is_file():
            raise _NotThere(f"stub pact {path} does not exist")
        return _checked(path, _read(path), spec, consumer, source=str(path))
    except _NotThere as missing:
        tried.append(str(missing))
        return None


def _pick_from_folder(folder: Path, spec: StubSpec, consumer: str) -> Path:
    matches = []
    for path in sorted(folder.glob("*.json")):
        with contextlib.suppress(ConfigError):
            pact_consumer, pact_provider = _names(_read(path))
            if pact_consumer == consumer and spec.provider in (None, pact_provider):
                matches.append(path)
    wanted = f"{consumer} -> {spec.provider or 'a downstream'}"
    if not matches:
        raise _NotThere(f"no pact {wanted} in the folder {folder}")
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches)
        raise ConfigError(
            f"{SETTING}: {folder} holds several pacts {wanted} ({names})",
            hint="name one file in pact =, or the downstream with provider =",
        )
    return matches[0]


def _checked(
    path: Path, data: Mapping[str, Any], spec: StubSpec, consumer: str, *, source: str
) -> StubPact:
    pact_consumer, pact_provider = _names(data)
    if not pact_consumer:
        raise ConfigError(f"{SETTING}: stub pact {path} is not a pact file (no consumer/provider)")
    if pact_consumer != consumer:
        raise ConfigError(
            f"{SETTING}: stub pact {path} is {pact_consumer}'s pact with {pact_provider}, "
            f"not {consumer}'s pact with a downstream (for {spec.url_variable})",
            hint=f"a stub serves a pact in which {consumer} is the consumer",
        )
    if spec.provider and pact_provider != spec.provider:
        raise ConfigError(
            f"{SETTING}: stub pact {path} names provider {pact_provider!r}, "
            f"not {spec.provider!r} (for {spec.url_variable})",
            hint="point pact = at the pact with that downstream, or fix provider =",
        )
    count = _http_interactions(data)
    if not count:
        raise ConfigError(
            f"{SETTING}: stub pact {path} has no HTTP interaction to serve (for {spec.url_variable})"
        )
    return StubPact(path, pact_consumer, pact_provider, spec.url_variable, count, source)


# -- pacts from the Pact Broker -----------------------------------------------------------------


def _broker_get(
    session: requests.Session, settings: BrokerSettings, path_or_url: str
) -> requests.Response:
    url = path_or_url if path_or_url.startswith("http") else settings.url + path_or_url
    headers = {"Accept": "application/hal+json, application/json"}
    auth = None
    if settings.token:
        headers["Authorization"] = f"Bearer {settings.token}"
    elif settings.username and settings.password:
        auth = (settings.username, settings.password)
    try:
        response = session.get(
            url,
            headers=headers,
            auth=auth,
            timeout=settings.timeout,
            verify=not settings.skip_ssl_verification,
        )
    except requests.RequestException as exc:
        raise ToolError(
            f"the Pact Broker {settings.url} cannot be reached for a stub pact: "
            f"{type(exc).__name__}",
            hint="check PACT_BROKER_BASE_URL and the network",
        ) from None
    if response.status_code in (401, 403):
        raise ConfigError(
            f"the Pact Broker refused the credentials (HTTP {response.status_code}) "
            f"fetching a stub pact; check {settings.credential_variable}"
        )
    return response


def _from_broker(
    spec: StubSpec,
    consumer: str,
    fetch_dir: Path,
    settings: BrokerSettings | None,
    session: requests.Session,
) -> StubPact:
    if settings is None:
        raise _NotThere("no Pact Broker is configured (PACT_BROKER_BASE_URL)")
    downstream = str(spec.provider)
    what = f"{consumer}'s pact with {downstream}"
    if spec.environment:
        href = _verified_in(session, settings, consumer, downstream, spec.environment)
        what += f", verified by the {downstream} in {spec.environment}"
    else:
        href = f"/pacts/provider/{quote(downstream, safe='')}/consumer/{quote(consumer, safe='')}/latest"
    response = _broker_get(session, settings, href)
    if response.status_code == 404:
        raise _NotThere(f"the Pact Broker has no {what}")
    if response.status_code != 200:
        raise ToolError(
            f"the Pact Broker answered HTTP {response.status_code} for {what}",
            hint="try again; check the broker's health",
        )
    try:
        data = response.json()
    except ValueError:
        raise ToolError(f"the Pact Broker's answer for {what} is not JSON") from None
    if isinstance(data, dict):
        data.pop("_links", None)  # the broker's HAL links are not part of the pact
        data.pop("_embedded", None)
    fetch_dir.mkdir(parents=True, exist_ok=True)
    path = fetch_dir / f"{consumer}-{downstream}.json"
    files.write_text(path, json.dumps(data, indent=2), what="fetched pact")
    source = f"the Pact Broker ({what})"
    return _checked(path, data if isinstance(data, dict) else {}, spec, consumer, source=source)


def _verified_in(
    session: requests.Session,
    settings: BrokerSettings,
    consumer: str,
    downstream: str,
    environment: str,
) -> str:
    """The pact of the latest ``consumer`` that the ``downstream`` in ``environment`` verified."""
    query = (
        f"/matrix?q[][pacticipant]={quote(consumer, safe='')}&q[][latest]=true"
        f"&latestby=cvp&environment={quote(environment, safe='')}"
    )
    response = _broker_get(session, settings, query)
    if response.status_code != 200:
        raise ToolError(
            f"the Pact Broker answered HTTP {response.status_code} to the matrix query for "
            f"{consumer} and the {downstream} in {environment}"
        )
    try:
        rows = response.json().get("matrix") or []
    except (ValueError, AttributeError):
        raise ToolError("the Pact Broker's matrix answer is not JSON") from None
    for row in rows:
        provider = (row.get("provider") or {}).get("name")
        verification = row.get("verificationResult") or {}
        href = ((row.get("pact") or {}).get("_links") or {}).get("self", {}).get("href")
        if provider == downstream and verification.get("success") is True and href:
            return str(href)
    raise _NotThere(
        f"no pact of the latest {consumer} has been verified by the {downstream} "
        f"deployed in {environment} (Pact Broker)"
    )


# -- running the stubs --------------------------------------------------------------------------


@dataclass
class _Stub:
    pact: StubPact
    port: int
    log: Path
    proc: subprocess.Popen[bytes]
    mark: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


@dataclass
class RunningStubs:
    """The stubs of one provider run: their URLs now, their readiness and findings later."""

    stubs: list[_Stub] = field(default_factory=list)

    @property
    def variables(self) -> dict[str, str]:
        """``url-variable`` -> the stub's URL, for the provider's environment."""
        return {s.pact.url_variable: s.url for s in self.stubs}

    def describe(self) -> list[str]:
        """One line per stub: which downstream, from which pact, where, its log."""
        return [
            f"{s.pact.provider} stubbed at {s.url} ({s.pact.url_variable}) from {s.pact.source}, "
            f"{s.pact.interactions} interaction{'s' if s.pact.interactions != 1 else ''}; "
            f"log {s.log}"
            for s in self.stubs
        ]

    def summary_md(self) -> str:
        """The stubs for a job summary ("" when there are none)."""
        if not self.stubs:
            return ""
        return "\nDownstreams stubbed from their pacts:\n\n" + "".join(
            f"- {line}\n" for line in self.describe()
        )

    def wait_ready(self, timeout: float) -> None:
        """Wait until every stub listens.

        Raises:
            ToolError: a stub exited or did not listen within ``timeout``, with its log's tail (exit 3).
        """
        deadline = time.monotonic() + timeout
        waiting = list(self.stubs)
        while waiting:
            for stub in list(waiting):
                if _STARTED.search(stub.text()):
                    waiting.remove(stub)
                elif stub.proc.poll() is not None:
                    raise ToolError(
                        f"the Pact stub for {stub.pact.provider} exited with code "
                        f"{stub.proc.returncode} before it listened; the end of its log "
                        f"({stub.log}):\n{log_tail(stub.log)}",
                        hint=f"check the pact it serves ({stub.pact.path})",
                    )
            if waiting and time.monotonic() > deadline:
                stub = waiting[0]
                raise ToolError(
                    f"the Pact stub for {stub.pact.provider} did not listen on {stub.url} "
                    f"within {timeout:.0f}s; the end of its log ({stub.log}):\n{log_tail(stub.log)}",
                    hint="another process may hold the port; run again",
                )
            if waiting:
                time.sleep(0.02)

    def start_watching(self) -> None:
        """From now on, count the requests the stubs cannot answer (not the provider's start-up)."""
        for stub in self.stubs:
            stub.mark = len(stub.text())

    def unanswered(self) -> list[Unanswered]:
        """Requests since :meth:`start_watching` that no interaction in a stub's pact matched."""
        found: list[Unanswered] = []
        for stub in self.stubs:
            found += parse_unanswered(stub.text()[stub.mark :], stub.pact.provider)
        return found

    def problems(self) -> list[str]:
        """What the report must show: unanswered requests per stub, a stub that stopped."""
        problems: list[str] = []
        by_stub: dict[str, list[Unanswered]] = {}
        for item in self.unanswered():
            by_stub.setdefault(item.stub, []).append(item)
        for stub in self.stubs:
            misses = by_stub.get(stub.pact.provider, [])
            if misses:
                distinct = list(dict.fromkeys(str(m) for m in misses))
                problems.append(
                    f"the {stub.pact.provider} stub could not answer {len(misses)} request"
                    f"{'s' if len(misses) != 1 else ''} from {stub.pact.consumer}: "
                    f"no interaction in {stub.pact.path.name} matches (log {stub.log})\n"
                    + "\n".join(distinct[:20])
                )
            if stub.proc.poll() is not None:
                problems.append(
                    f"the {stub.pact.provider} stub stopped (exit {stub.proc.returncode}) while "
                    f"{stub.pact.consumer} was running; the end of its log ({stub.log}):\n"
                    + log_tail(stub.log, 10)
                )
        return problems


def parse_unanswered(log_text: str, stub: str) -> list[Unanswered]:
    """The requests the Pact stub server logged as matching no interaction."""
    last: dict[str, tuple[str, str]] = {}
    found: list[Unanswered] = []
    for line in log_text.splitlines():
        received = _RECEIVED.search(line)
        if received:
            method, path, query = received.groups()
            last[path] = (method, _query(query))
            continue
        missed = _NO_MATCH.search(line)
        if missed:
            path = missed.group(1)
            method, query = last.get(path, ("?", ""))
            found.append(Unanswered(stub, method, path, query))
    return found


def _query(text: str) -> str:
    """``Some({"currency": [Some("EUR")]})`` (the stub's log) as ``currency=EUR``."""
    if text.strip() in ("None", ""):
        return ""
    pairs = re.findall(r'"([^"]+)": \[([^\]]*)\]', text)
    if not pairs:
        return text.strip()[:200]
    parts = []
    for key, values in pairs:
        for value in re.findall(r'Some\("([^"]*)"\)', values) or [""]:
            parts.append(f"{key}={value}")
    return "&".join(parts)


def stub_log(provider_log: Path, downstream: str) -> Path:
    """The stub's log, beside the provider's: ``<provider>.<downstream>-stub.log``."""
    return provider_log.with_name(f"{provider_log.stem}.{downstream}-stub.log")


@contextlib.contextmanager
def run_stubs(
    pacts: Sequence[StubPact],
    *,
    pact_cli: str,
    provider_log: Path,
    environ: Mapping[str, str],
) -> Iterator[RunningStubs]:
    """Start one ``pact stub`` per pact on a free port, without waiting; stop them all after.

    The URLs are known at once, so the provider starts at the same time; call
    :meth:`RunningStubs.wait_ready` before using them.

    Raises:
        ToolError: the pact CLI cannot be started (exit 3).
    """
    running = RunningStubs()
    env = {k: v for k, v in environ.items() if not k.startswith("PACT_BROKER_")}
    env["NO_COLOR"] = "1"  # plain log lines, parsed for unanswered requests
    try:
        for pact in pacts:
            port = free_port()
            log = stub_log(provider_log, pact.provider)
            log.parent.mkdir(parents=True, exist_ok=True)
            argv = [pact_cli, "stub", "--file", str(pact.path), "--port", str(port)]
            argv += ["--loglevel", "info"]
            with open_log(log, binary=True) as out:
                try:
                    proc = subprocess.Popen(
                        argv,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        env=env,
                    )
                except OSError as exc:
                    raise ToolError(
                        f"could not start the Pact stub server ({pact_cli} stub): {exc}",
                        hint="pip install 'pact-python-cli==1!0.10.9' (it needs glibc 2.34+)",
                    ) from exc
            running.stubs.append(_Stub(pact, port, log, proc))
        yield running
    finally:
        for stub in running.stubs:
            _stop(stub.proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@dataclass(frozen=True)
class IsolatedProvider:
    """A provider started by testgate, with the stubs of its downstreams (maybe none)."""

    url: str
    log: Path
    stubs: RunningStubs


@contextlib.contextmanager
def isolated_provider(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    ready_path: str,
    timeout: float,
    name: str,
    stubs: Sequence[StubPact] = (),
    pact_cli: str | None = None,
) -> Iterator[IsolatedProvider]:
    """Start the stubs and the provider side by side, yield once both answer, stop all after.

    The provider's environment gets each stub's URL in the stub's ``url-variable``.

    Raises:
        ConfigError: stubs without a pact CLI, a bad provider command (exit 2).
        ToolError: the provider or a stub exits or does not answer, with its log's tail (exit 3).
    """
    from testgate.provider import start_provider  # provider.py is imported by this module

    if stubs and not pact_cli:
        raise ConfigError("stubs need the pact CLI (pact stub)")
    with run_stubs(stubs, pact_cli=str(pact_cli), provider_log=log, environ=env) as running:
        child_env = {**env, **running.variables}
        with start_provider(
            command,
            cwd=cwd,
            env=child_env,
            log=log,
            ready_path=ready_path,
            timeout=timeout,
            name=name,
        ) as provider:
            running.wait_ready(timeout)
            running.start_watching()
            yield IsolatedProvider(url=provider.url, log=provider.log, stubs=running)
