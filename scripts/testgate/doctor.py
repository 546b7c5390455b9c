"""``testgate doctor``'s checks: is this repository ready for testgate, and if not, what to fix.

Each check returns :class:`Check` items (passed, failed with the fix, or not applicable). They
do real work, bounded: the provider is started as ``verify`` would start it and its ready path
asked, every provider state in the pacts (and the empty state ``""``) is set up and torn down
through the state endpoint, the broker is asked for its environments with the credentials
(one attempt, within the broker timeout). Nothing is written outside the reports folder.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from testgate import pact
from testgate.errors import ConfigError, TestgateError

if TYPE_CHECKING:
    from testgate.broker import BrokerSettings


@dataclass(frozen=True)
class Check:
    """One line of the checklist.

    Attributes:
        area: what was checked (``config``, ``provider``, ``state 'x'`` ...).
        ok: True passed, False failed, None not applicable (shown, never failing).
        text: what was found.
        fix: what to do when it failed.
    """

    area: str
    ok: bool | None
    text: str
    fix: str | None = None


def _program(argv: Sequence[str], cwd: Path) -> str | None:
    """The command's program path, or None when it cannot be found."""
    first = argv[0]
    if os.sep in first or first.startswith("."):
        path = (cwd / first) if not os.path.isabs(first) else Path(first)
        return str(path) if path.exists() else None
    return shutil.which(first)


def check_suite(
    area: str,
    tests: Path | Sequence[Path] | None,
    command: Sequence[str] | None,
    cwd: Path,
    *,
    tests_setting: str,
    command_setting: str,
) -> list[Check]:
    """The tests' folder exists; a command's program and folder exist."""
    out: list[Check] = []
    paths = [tests] if isinstance(tests, Path) else list(tests or ())
    for path in paths:
        if path.exists():
            out.append(Check(area, True, f"tests in {path}"))
        else:
            out.append(
                Check(area, False, f"{path} does not exist", f"point {tests_setting} at the tests")
            )
    if command:
        if not cwd.is_dir():
            out.append(
                Check(
                    area,
                    False,
                    f"the command's folder {cwd} does not exist",
                    f"set the cwd key of {command_setting}'s section",
                )
            )
        elif _program(command, cwd) is None:
            out.append(
                Check(
                    area,
                    False,
                    f"{command[0]!r} (the first word of {command_setting}) is not "
                    "installed or not on PATH",
                    "install it, or fix the command",
                )
            )
        else:
            out.append(Check(area, True, f"runs `{' '.join(command)}` in {cwd}"))
    return out


def check_pact_folder(
    pact_dir: Path, *, consumer: bool, provider: str | None
) -> tuple[list[Check], list[pact.PactFile]]:
    """The pact folder can be written (a consumer) and holds the provider's pacts (a provider)."""
    out: list[Check] = []
    pacts: list[pact.PactFile] = []
    if consumer:
        existing = pact_dir
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
            out.append(Check("pact folder", True, f"{pact_dir} can be written"))
        else:
            out.append(
                Check(
                    "pact folder",
                    False,
                    f"{pact_dir} cannot be written",
                    "set pact-dir to a folder testgate may write",
                )
            )
    if provider:
        try:
            pacts = pact.load_pacts(pact_dir, provider)
            count = sum(len(p.interactions) for p in pacts)
            out.append(
                Check(
                    "pact folder",
                    True,
                    f"{len(pacts)} pact(s) for {provider} in {pact_dir}, {count} interactions",
                )
            )
        except TestgateError as exc:
            fix = (
                "run testgate consumer first"
                if consumer
                else "verify from the broker (testgate verify --broker), or put the pacts there"
            )
            out.append(Check("pact folder", None, f"{exc.message}; states not checked", fix))
    return out, pacts


def check_states(
    url: str, states_path: str | None, pacts: Sequence[pact.PactFile], log: Path | None
) -> list[Check]:
    """Every state of ``pacts``, and the empty state ``""``, against a running provider."""
    states = [s for s in pact.provider_states(pacts) if s.name]
    if not states_path:
        if states:
            return [
                Check(
                    "states",
                    False,
                    f"the pacts use {len(states)} provider states and no "
                    "state endpoint is configured",
                    "mount testgate.states in the app and set states-path",
                )
            ]
        return [Check("states", None, "no state endpoint (states-path) configured")]
    endpoint = url + states_path
    wanted = [*states, pact.ProviderState("")]
    return _state_checks(pact.probe_states(endpoint, wanted), wanted, endpoint, log)


def _state_checks(
    probes: Sequence[pact.StateProbe],
    wanted: Sequence[pact.ProviderState],
    url: str,
    log: Path | None,
) -> list[Check]:
    from testgate.provider import log_tail

    out: list[Check] = []
    by_state: dict[int, list[pact.StateProbe]] = {}
    for probe in probes:
        by_state.setdefault(id(probe.state), []).append(probe)
    for state in wanted:
        area = f"state {state.name!r}" if state.name else 'state "" (no state)'
        got = by_state.get(id(state))
        if not got:
            out.append(Check(area, None, "not checked: the provider stopped answering earlier"))
            continue
        bad = [p for p in got if p.outcome != "ok"]
        if not bad:
            out.append(Check(area, True, f"setup and teardown answer 2xx at {url}"))
            continue
        probe = bad[0]
        if probe.outcome == "missing" and state.name:
            fix = f"add a handler: @states.state({state.name!r}) in the provider's state glue"
        elif probe.outcome == "missing":
            fix = 'answer the empty state "" with 2xx and do nothing (testgate.states does)'
        elif log is not None:
            fix = f"fix the handler; the end of the provider's log ({log}):\n{log_tail(log, 15)}"
        else:
            fix = "fix the handler (its traceback is in the provider's log)"
        out.append(Check(area, False, pact.describe_probe(probe), fix))
    return out


def check_environments(
    envs_dir: Path,
    *,
    environ: Mapping[str, str],
    url_variable: str | None,
    provider_starts: bool,
) -> list[Check]:
    """Every envs/<name>.env loads and says where the service is (for the API tests)."""
    from testgate.config import list_environments, load_environment
    from testgate.settings import setting

    start_var = setting("start-provider").env or ""

    names = list_environments(envs_dir) if envs_dir.is_dir() else []
    if not names:
        return [
            Check(
                "environments",
                None,
                f"no {envs_dir}/*.env: local runs with the environment as it is (optional)",
            )
        ]
    out = []
    for name in names:
        try:
            env = load_environment(name, {}, envs_dir)
        except TestgateError as exc:
            out.append(Check(f"env {name}", False, exc.message, exc.hint))
            continue
        starts = str(env.values.get(start_var, "")).lower() in ("1", "true", "yes", "on")
        if url_variable is None:
            out.append(Check(f"env {name}", True, f"{env.file} loads ({len(env.values)} settings)"))
        elif starts and provider_starts:
            out.append(Check(f"env {name}", True, f"{env.file}: testgate starts the provider"))
        elif env.values.get(url_variable) or environ.get(url_variable):
            out.append(Check(f"env {name}", True, f"{env.file} sets {url_variable}"))
        else:
            out.append(
                Check(
                    f"env {name}",
                    False,
                    f"{env.file} does not set {url_variable}, the service URL the API tests read",
                    f"add {url_variable}=https://... to {env.file}, or "
                    f"{start_var}=true to start the provider",
                )
            )
    return out


def check_broker(settings: BrokerSettings, environ: Mapping[str, str]) -> Check:
    """One broker call with the credentials (list its environments), within its timeout."""
    from testgate import broker

    bounded = dataclasses.replace(settings, retries=0)
    started = time.monotonic()
    try:
        names = broker.list_environments(bounded, environ)
    except ConfigError as exc:
        return Check("broker", False, exc.message, exc.hint)
    except TestgateError as exc:
        return Check(
            "broker", False, exc.message, exc.hint or "check PACT_BROKER_BASE_URL and the network"
        )
    seconds = time.monotonic() - started
    url = bounded.url
    who = bounded.credential_variable if bounded.token or bounded.username else "no credentials"
    return Check(
        "broker",
        True,
        f"{url} answers in {seconds:.1f} s with {who} "
        f"({len(names)} environments: {', '.join(names) or 'none yet'})",
    )


def render(checks: Sequence[Check]) -> list[str]:
    """The checklist as console lines: ✓ / ✗ / – , the fix indented under a failure."""
    width = max((len(c.area) for c in checks), default=10)
    lines = []
    for check in checks:
        mark = {True: "✓", False: "✗", None: "–"}[check.ok]
        lines.append(f"{mark} {check.area:<{width}}  {check.text}")
        if check.fix and check.ok is not True:
            first, *rest = check.fix.splitlines()
            lines.append(f"  {'':<{width}}  fix: {first}")
            lines += [f"  {'':<{width}}       {line}" for line in rest]
    return lines


def render_md(checks: Sequence[Check]) -> str:
    """The checklist as Markdown, for the job summary."""
    from testgate.render.markdown import md_text

    failed = sum(1 for c in checks if c.ok is False)
    head = "✅ ready" if not failed else f"❌ {failed} to fix"
    lines = [f"### testgate doctor — {head}", ""]
    for check in checks:
        mark = {True: "✓", False: "✗", None: "–"}[check.ok]
        fix = (
            f" — fix: {md_text(check.fix.splitlines()[0])}"
            if check.fix and check.ok is False
            else ""
        )
        lines.append(f"- {mark} **{md_text(check.area)}**: {md_text(check.text)}{fix}")
    return "\n".join(lines) + "\n"
