"""The history file: its format, reading and writing it under a lock, recording a run.

The history file travels between CI runs (a cache or an artifact). It holds the
last N runs, each with its totals and every test's outcome and duration, taken
from the report JSON (``testgate report --json FILE --json-tests``).

Format (``testgate-history/1``), chosen so 1,000 runs x 5,000 tests loads,
appends and saves in well under a second:

- ``tests``: every test id seen in the kept runs, once (ids are long; runs only
  refer to a position in this list);
- each run: its metadata and totals, ``outcomes`` and ``durations`` encoded as
  :mod:`testgate.history.codec` says (one letter and two bytes per test position).

Writes go through :func:`testgate.files.atomic_open` (a temporary file created
exclusively in the same folder, fsynced, renamed over the old file) under an
advisory lock, so two jobs writing at once never leave a torn file and do not
lose each other's run.

A file that cannot be read *as a history* (torn or foreign JSON, an encoding
that does not fit) is renamed aside (``<name>.corrupt-<time>``) and a fresh
history starts with the current run. Mistakes are not corruption, and nothing is
moved for them: a folder given as the history file is a usage error (exit 2), a
file written by a newer testgate (``testgate-history/2`` and later) or one that
cannot be opened at all is an error (exit 3).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testgate.errors import ConfigError, ReportError, ToolError
from testgate.files import atomic_open, kind_of, read_json
from testgate.history.codec import (
    ABSENT,
    ERROR,
    FAILED,
    PASSED,
    PRESENT,
    RERUN,
    SKIPPED,
    decode_durations,
    encode_durations,
    merge_codes,
    outcome_code,
)
from testgate.history.model import DEFAULT_MAX_RUNS, SCHEMA, History, RunContext

try:  # POSIX advisory locks; Windows runners still get atomic renames.
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS
    fcntl = None  # type: ignore[assignment]

REPORT_SCHEMA = "testgate-report/1"
_SCHEMA_VERSION = re.compile(r"testgate-history/(\d+)\Z")
_MISSING: Any = object()
_KEPT_ASIDE_HINT = "`testgate history record` keeps a corrupt file aside and starts anew"


class UnreadableHistory(ReportError):
    """The file exists but cannot be read as a history: the one case kept aside."""


@dataclass(frozen=True)
class RecordResult:
    """What ``record_run`` did."""

    path: Path
    runs: int
    tests: int
    dropped: int
    backup: Path | None = None
    warning: str | None = None
    history: History | None = field(default=None, repr=False, compare=False)
    """The history as written, so a caller can render it without reading it again."""


# --------------------------------------------------------------------------- load / save


def load_report(path: Path, require_tests: bool = True) -> dict[str, Any]:
    """Read a report JSON written by ``testgate report --json FILE --json-tests``.

    Args:
        path: the report JSON.
        require_tests: the per-test list (``--json-tests``) must be there.

    Raises:
        ReportError: unreadable, not a testgate report, or without per-test results.
        ConfigError: ``path`` is a folder or another non-file.
    """
    data = read_json(
        path,
        "report JSON",
        missing_hint="run `testgate report ... --json FILE --json-tests` first and pass that FILE",
    )
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("testgate-report/"):
        raise ReportError(
            f"{path} is not a testgate report (schema {REPORT_SCHEMA!r} expected)",
            hint="pass the file written by `testgate report --json FILE --json-tests`",
        )
    if require_tests and not isinstance(data.get("tests"), list):
        raise ReportError(
            f"{path} has no per-test results (the `tests` list)",
            hint="add --json-tests to `testgate report` so history gets each test's outcome",
        )
    return data


def _newer_schema(data: Any) -> str | None:
    """The schema string when it is a later testgate-history version than this one reads."""
    if not isinstance(data, dict):
        return None
    match = _SCHEMA_VERSION.match(str(data.get("schema", "")))
    current = _SCHEMA_VERSION.match(SCHEMA)
    assert current is not None
    if match and int(match.group(1)) > int(current.group(1)):
        return match.group(0)
    return None


def parse_history(data: Any, source: str = "history") -> History:
    """Validate decoded JSON as a history; raises ``ValueError`` when it is not one."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"{source}: schema {SCHEMA!r} expected")
    tests = data.get("tests")
    runs = data.get("runs")
    if not isinstance(tests, list) or not isinstance(runs, list):
        raise ValueError(f"{source}: `tests` and `runs` must be lists")
    n = len(tests)
    for run in runs:
        if not isinstance(run, dict) or not isinstance(run.get("outcomes"), str):
            raise ValueError(f"{source}: a run without an outcome string")
        if len(run["outcomes"]) > n:
            raise ValueError(f"{source}: run {run.get('seq')} refers to unknown tests")
        durations = run.get("durations", "")
        # two bytes per test, base64: a length check catches a foreign or torn encoding
        if not isinstance(durations, str) or len(durations) != 4 * (
            (2 * len(run["outcomes"]) + 2) // 3
        ):
            raise ValueError(f"{source}: run {run.get('seq')} has bad durations")
    return History(
        tests=[str(t) for t in tests],
        runs=runs,
        max_runs=int(data.get("max_runs") or DEFAULT_MAX_RUNS),
    )


def check_history_path(path: Path) -> None:
    """Refuse a history path that is a folder or another non-file (nothing is moved).

    Raises:
        ConfigError: ``path`` exists and is not a regular file (exit 2).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(f"history file {path} is a symbolic link loop") from None
        return  # read_history reports it with the file's name
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"history file {path} is {kind_of(mode)}, not a file; nothing was changed",
            hint="pass the history FILE (for example "
            f"{Path(path) / 'history.json'}) with --history or TESTGATE_HISTORY_FILE",
        )


def read_history(path: Path) -> History:
    """Load a history file; a missing file is an empty history.

    Raises:
        ConfigError: ``path`` is a folder or another non-file (exit 2).
        UnreadableHistory: the file is not a readable history (a ``ReportError``, exit 3).
        ReportError: it was written by a newer testgate, or cannot be opened (exit 3).
    """
    check_history_path(path)
    data = read_json(
        path,
        "history file",
        invalid=UnreadableHistory,
        hint=_KEPT_ASIDE_HINT,
        default=_MISSING,
    )
    if data is _MISSING:
        return History()
    newer = _newer_schema(data)
    if newer:
        raise ReportError(
            f"history file {path} was written by a newer testgate ({newer}); this one reads "
            f"{SCHEMA} and left the file as it is",
            hint="use the testgate version that wrote it (tools-ref), or a new history file",
        )
    try:
        return parse_history(data, str(path))
    except (ValueError, TypeError) as exc:
        raise UnreadableHistory(
            f"{path} is not a testgate history: {exc}", hint=_KEPT_ASIDE_HINT
        ) from exc


def write_history(history: History, path: Path) -> None:
    """Write atomically (see :func:`testgate.files.atomic_open`).

    Raises:
        ConfigError: ``path`` is a folder or another non-file, or cannot be written (exit 2).
        ToolError: the disk is full or another I/O error happened (exit 3).
    """
    with atomic_open(path, what="history file") as fh:
        # One run per line: diffs and `head` stay readable, and no single
        # string holds the whole file.
        # json.dumps per part uses the C encoder (json.dump would not).
        fh.write(f'{{"schema": "{SCHEMA}", "max_runs": {int(history.max_runs)},\n"tests": ')
        fh.write(json.dumps(history.tests, separators=(",", ":")))
        fh.write(',\n"runs": [')
        for i, run in enumerate(history.runs):
            fh.write("\n" if i == 0 else ",\n")
            fh.write(_dump_run(run))
        fh.write("\n]}\n")


def _plain(text: Any) -> bool:
    # C-speed checks; a regex over 20 MB of runs would cost a noticeable share of the budget
    return (
        isinstance(text, str)
        and text.isascii()
        and text.isprintable()
        and '"' not in text
        and "\\" not in text
    )


def _dump_run(run: Mapping[str, Any]) -> str:
    """One run as JSON; its two long strings are written as they are (no escaping pass).

    They only ever hold outcome letters and base64, which need no JSON escaping;
    anything else goes through json.dumps like the rest.
    """
    outcomes, durations = run.get("outcomes", ""), run.get("durations", "")
    if not (_plain(outcomes) and _plain(durations)):
        return json.dumps(run, separators=(",", ":"))
    head = {k: v for k, v in run.items() if k not in ("outcomes", "durations")}
    fields = json.dumps(head, separators=(",", ":"))[1:-1]
    tail = f'"outcomes":"{outcomes}","durations":"{durations}"'
    return "{" + (f"{fields},{tail}" if fields else tail) + "}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock next to ``path`` (no-op without fcntl).

    The lock file is opened without following a symbolic link and must be a
    regular file: a planted link or FIFO is refused, never written or waited on.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    lock = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
        fd = os.open(lock, flags, 0o666)
    except OSError as exc:
        raise ConfigError(
            f"cannot lock history file {path} with {lock}: {exc.strerror}",
            hint="the history's folder must be writable and the .lock file a plain file",
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"cannot lock history file {path}: {lock} is {kind_of(mode)}")
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _keep_aside(path: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while os.path.lexists(backup):
        n += 1
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.replace(path, backup)
    except OSError as exc:
        raise ToolError(
            f"history file {path} could not be read and could not be kept aside as "
            f"{backup.name}: {exc.strerror}"
        ) from None
    return backup


# --------------------------------------------------------------------------- record


def append_run(
    history: History,
    report: Mapping[str, Any],
    context: RunContext,
    max_runs: int | None = None,
) -> int:
    """Append one run from a report to ``history``; return how many old runs were dropped."""
    index = history.index
    tests = history.tests
    codes: dict[int, str] = {}
    times: dict[int, float] = {}
    for entry in report.get("tests") or ():
        if not isinstance(entry, Mapping):
            continue
        test_id = str(entry.get("id") or "")
        if not test_id:
            continue
        pos = index.get(test_id)
        if pos is None:
            pos = index[test_id] = len(tests)
            tests.append(test_id)
        code = outcome_code(entry.get("outcome"), bool(entry.get("flaky")))
        try:
            seconds = float(entry.get("time") or 0.0)
        except (TypeError, ValueError):
            seconds = 0.0
        if not math.isfinite(seconds) or seconds < 0:
            seconds = 0.0
        if pos in codes:
            codes[pos] = merge_codes(codes[pos], code)
            times[pos] = max(times[pos], seconds)
        else:
            codes[pos] = code
            times[pos] = seconds
    width = (max(codes) + 1) if codes else 0
    chars = [ABSENT] * width
    secs = [0.0] * width
    for pos, code in codes.items():
        chars[pos] = code
        secs[pos] = times[pos]
    totals = dict(report.get("totals") or {})
    if not totals.get("tests") and codes:
        totals = _totals_from_codes(chars, secs)
    seq = int(history.runs[-1].get("seq", len(history.runs))) + 1 if history.runs else 1
    run = {
        "seq": seq,
        "time": context.time or str(report.get("generated_at") or "") or _now_iso(),
        "commit": context.commit,
        "branch": context.branch,
        "pipeline_url": context.pipeline_url,
        "decision": str(report.get("decision", "")),
        "totals": {
            k: (float(totals.get(k) or 0.0) if k == "time" else int(totals.get(k) or 0))
            for k in (
                "tests",
                "passed",
                "failed",
                "errors",
                "skipped",
                "flaky",
                "quarantined",
                "time",
            )
        },
        "outcomes": "".join(chars),
        "durations": encode_durations(secs),
    }
    history.runs.append(run)
    if max_runs:
        history.max_runs = max_runs
    return trim(history, history.max_runs)


def _totals_from_codes(chars: Sequence[str], secs: Sequence[float]) -> dict[str, Any]:
    s = "".join(chars)
    return {
        "tests": len(s) - s.count(ABSENT),
        "passed": s.count(PASSED) + s.count(RERUN),
        "failed": s.count(FAILED),
        "errors": s.count(ERROR),
        "skipped": s.count(SKIPPED),
        "flaky": s.count(RERUN),
        "time": round(sum(secs), 3),
    }


def trim(history: History, max_runs: int) -> int:
    """Keep the newest ``max_runs`` runs; forget test ids no kept run refers to."""
    if max_runs < 1:
        raise ConfigError("max-runs must be at least 1", hint="pass --max-runs 1 or more")
    dropped = max(0, len(history.runs) - max_runs)
    if dropped:
        del history.runs[:dropped]
        _compact(history)
    return dropped


def _compact(history: History) -> None:
    """Drop test ids that no kept run uses, when they are a good share of the table."""
    n = len(history.tests)
    if n < 64:
        return
    # OR the runs' presence masks as big integers: C speed even for 1,000 x 5,000.
    used_mask = 0
    for run in history.runs:
        s = run["outcomes"]
        used_mask |= int.from_bytes(s.encode("ascii", "replace").translate(PRESENT).ljust(n, b"\0"))
    used = used_mask.to_bytes(n) if used_mask else bytes(n)
    dead = used.count(0)
    if dead < max(32, n // 4):
        return
    keep = [i for i in range(n) if used[i]]
    history.tests = [history.tests[i] for i in keep]
    history._index = None
    for run in history.runs:
        s = run["outcomes"]
        d = decode_durations(run.get("durations", ""))
        run["outcomes"] = "".join(s[i] if i < len(s) else ABSENT for i in keep).rstrip(ABSENT)
        width = len(run["outcomes"])
        run["durations"] = encode_durations([d[i] if i < len(d) else 0.0 for i in keep[:width]])


def record_run(
    path: Path,
    report: Mapping[str, Any],
    context: RunContext,
    max_runs: int = DEFAULT_MAX_RUNS,
    now: datetime | None = None,
) -> RecordResult:
    """Append the run described by ``report`` to the history file at ``path``.

    A history file that cannot be read as a history is renamed aside
    (``.corrupt-<time>``); the result carries a warning and the run is still
    recorded in a fresh file.

    Raises:
        ConfigError: ``path`` is a folder or another non-file (nothing is moved).
        ReportError: the file was written by a newer testgate, or cannot be opened.
        ToolError: the disk is full.
    """
    now = now or datetime.now(UTC)
    if not context.time:
        context = RunContext(
            context.commit,
            context.branch,
            context.pipeline_url,
            str(report.get("generated_at") or "") or now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    backup: Path | None = None
    warning: str | None = None
    check_history_path(path)  # a folder is a mistake, not a corrupt file: refused, not moved
    with _locked(path):
        try:
            history = read_history(path)
        except UnreadableHistory as exc:
            backup = _keep_aside(path, now)
            history = History()
            warning = (
                f"history file {path} could not be read ({exc.message}); kept it as "
                f"{backup.name} and started a new history with this run"
            )
        dropped = append_run(history, report, context, max_runs)
        write_history(history, path)
    return RecordResult(
        path=path,
        runs=len(history.runs),
        tests=len(history.tests),
        dropped=dropped,
        backup=backup,
        warning=warning,
        history=history,
    )


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = [
    "REPORT_SCHEMA",
    "RecordResult",
    "UnreadableHistory",
    "append_run",
    "check_history_path",
    "load_report",
    "parse_history",
    "read_history",
    "record_run",
    "trim",
    "write_history",
]
