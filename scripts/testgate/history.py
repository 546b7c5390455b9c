"""Test results over time: a bounded history of runs, trends and flaky tests.

The history file travels between CI runs (a cache or an artifact). It holds the
last N runs, each with its totals and every test's outcome and duration, taken
from the report JSON (``testgate report --json FILE --json-tests``).

Format (``testgate-history/1``), chosen so 1,000 runs x 5,000 tests loads,
appends and saves in well under a second:

- ``tests``: every test id seen in the kept runs, once (ids are long; runs only
  refer to a position in this list);
- each run: its metadata and totals, ``outcomes`` (one character per test
  position: ``P`` passed, ``F`` failed, ``E`` error, ``S`` skipped, ``R`` passed
  on a rerun / both passed and failed in the run, ``-`` not run) and
  ``durations`` (base64 of little-endian half-precision floats: seconds to 3
  significant digits, one per position).

Writes go to a temporary file in the same folder and are renamed over the old
file, under an advisory lock, so two jobs writing at once never leave a torn
file and do not lose each other's run. A file that cannot be read is renamed
aside (``<name>.corrupt-<time>``) and a fresh history starts with the current run.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import itertools
import json
import math
import operator
import os
import struct
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from testgate.errors import ConfigError, ReportError

try:  # POSIX advisory locks; Windows runners still get atomic renames.
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS
    fcntl = None  # type: ignore[assignment]

SCHEMA = "testgate-history/1"
REPORT_SCHEMA = "testgate-report/1"
DEFAULT_MAX_RUNS = 200
DEFAULT_WINDOW = 30
DEFAULT_MAX_FLIPS = 2

PASSED, FAILED, ERROR, SKIPPED, RERUN, ABSENT = "P", "F", "E", "S", "R", "-"
_OUTCOME_CODES = {
    "passed": PASSED,
    "pass": PASSED,
    "success": PASSED,
    "failed": FAILED,
    "failure": FAILED,
    "fail": FAILED,
    "error": ERROR,
    "errors": ERROR,
    "errored": ERROR,
    "skipped": SKIPPED,
    "skip": SKIPPED,
    "xfailed": SKIPPED,
}
_BAD = frozenset((FAILED, ERROR))
_FAILISH_CODES = (FAILED, ERROR, RERUN)
# outcome byte -> 1 when the test ran in that run (anything but "-"), else 0
_PRESENT = bytes(0 if b == ord(ABSENT) else 1 for b in range(256))
# outcome byte -> 1 when the test ran and its duration counts (not skipped, not absent)
_TIMED = bytes(0 if b in (ord(ABSENT), ord(SKIPPED)) else 1 for b in range(256))


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class RunContext:
    """Where a run came from: filled by the command from the CI environment or flags."""

    commit: str = ""
    branch: str = ""
    pipeline_url: str = ""
    time: str = ""


@dataclass(frozen=True)
class RunSummary:
    """One recorded run, without its per-test data."""

    seq: int
    time: str
    commit: str
    branch: str
    pipeline_url: str
    decision: str
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    flaky: int
    quarantined: int
    duration: float

    @property
    def pass_rate(self) -> float:
        """Passed (including reruns that passed) over tests that ran (not skipped), 0..1."""
        ran = self.tests - self.skipped
        return 1.0 if ran <= 0 else max(0.0, min(1.0, (ran - self.failed - self.errors) / ran))


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


@dataclass(frozen=True)
class FlakyTest:
    """A test the history says is flaky."""

    id: str
    flips: int
    runs: int
    flip_rate: float
    same_commit: bool
    failures: int
    last_outcome: str
    reason: str


@dataclass(frozen=True)
class SlowerTest:
    """A test whose recent duration grew against its earlier runs."""

    id: str
    before: float
    after: float

    @property
    def ratio(self) -> float:
        """``after / before`` (inf when it took no time before)."""
        return math.inf if self.before <= 0 else self.after / self.before


@dataclass(frozen=True)
class Trend:
    """The last N runs, oldest first, ready to render."""

    runs: tuple[RunSummary, ...]
    flaky: tuple[FlakyTest, ...] = ()
    slower: tuple[SlowerTest, ...] = ()
    window: int = DEFAULT_WINDOW
    max_flips: int = DEFAULT_MAX_FLIPS

    @property
    def pass_rates(self) -> list[float]:
        """Pass rate per run, in percent."""
        return [round(100.0 * r.pass_rate, 2) for r in self.runs]

    @property
    def test_counts(self) -> list[int]:
        """Number of tests per run."""
        return [r.tests for r in self.runs]

    @property
    def durations(self) -> list[float]:
        """Total test time per run, in seconds."""
        return [r.duration for r in self.runs]


@dataclass
class History:
    """The history file in memory (mutable while a run is appended)."""

    tests: list[str] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    max_runs: int = DEFAULT_MAX_RUNS
    _index: dict[str, int] | None = field(default=None, repr=False)

    @property
    def index(self) -> dict[str, int]:
        """Test id -> position in ``tests``."""
        if self._index is None:
            self._index = {t: i for i, t in enumerate(self.tests)}
        return self._index

    def summaries(self, last: int | None = None) -> list[RunSummary]:
        """Run summaries, oldest first (the last ``last`` runs when given)."""
        runs = self.runs if not last else self.runs[-last:]
        return [_summary(r) for r in runs]

    def outcomes(self, run: Mapping[str, Any]) -> str:
        """The outcome string of a stored run."""
        return str(run.get("outcomes", ""))

    def durations(self, run: Mapping[str, Any]) -> tuple[float, ...]:
        """The per-test durations of a stored run (seconds, 3 significant digits)."""
        return decode_durations(str(run.get("durations", "")))

    def last_ids(self) -> list[str]:
        """Ids of the tests that ran (any outcome) in the newest run."""
        if not self.runs:
            return []
        s = self.outcomes(self.runs[-1])
        return [self.tests[i] for i, c in enumerate(s) if c != ABSENT]


# --------------------------------------------------------------------------- encoding


_F16_MAX = 65504.0  # largest half-precision float: 18 hours, plenty for one test


def encode_durations(values: Sequence[float]) -> str:
    """Base64 of little-endian IEEE half-precision floats (3 significant digits)."""
    clamped = [v if 0.0 <= v <= _F16_MAX else (_F16_MAX if v > 0 else 0.0) for v in values]
    return base64.b64encode(struct.pack(f"<{len(clamped)}e", *clamped)).decode("ascii")


def decode_durations(text: str) -> tuple[float, ...]:
    """Inverse of :func:`encode_durations`."""
    if not text:
        return ()
    raw = base64.b64decode(text)
    return struct.unpack(f"<{len(raw) // 2}e", raw)


def outcome_code(outcome: Any, flaky: bool = False) -> str:
    """The one-letter code of a report outcome (unknown outcomes count as errors)."""
    code = _OUTCOME_CODES.get(str(outcome).strip().lower(), ERROR)
    if flaky and code == PASSED:
        return RERUN
    return code


def _merge_codes(a: str, b: str) -> str:
    """Two results of one test in one run (reruns, shards that overlap)."""
    if a == b:
        return a
    pair = {a, b}
    if pair & {PASSED, RERUN} and pair & _BAD:
        return RERUN
    for code in (ERROR, FAILED, RERUN, PASSED, SKIPPED):
        if code in pair:
            return code
    return a  # pragma: no cover


def _summary(run: Mapping[str, Any]) -> RunSummary:
    t = run.get("totals") or {}
    return RunSummary(
        seq=int(run.get("seq", 0)),
        time=str(run.get("time", "")),
        commit=str(run.get("commit", "")),
        branch=str(run.get("branch", "")),
        pipeline_url=str(run.get("pipeline_url", "")),
        decision=str(run.get("decision", "")),
        tests=int(t.get("tests", 0)),
        passed=int(t.get("passed", 0)),
        failed=int(t.get("failed", 0)),
        errors=int(t.get("errors", 0)),
        skipped=int(t.get("skipped", 0)),
        flaky=int(t.get("flaky", 0)),
        quarantined=int(t.get("quarantined", 0)),
        duration=float(t.get("time", 0.0)),
    )


# --------------------------------------------------------------------------- load / save


def load_report(path: Path, require_tests: bool = True) -> dict[str, Any]:
    """Read a report JSON written by ``testgate report --json FILE --json-tests``.

    Args:
        path: the report JSON.
        require_tests: the per-test list (``--json-tests``) must be there.

    Raises:
        ReportError: unreadable, not a testgate report, or without per-test results.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(
            f"report JSON {path} does not exist",
            hint="run `testgate report ... --json FILE --json-tests` first and pass that FILE",
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReportError(f"cannot read report JSON {path}: {exc}") from exc
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


def read_history(path: Path) -> History:
    """Load a history file; a missing file is an empty history.

    Raises:
        ReportError: the file exists but is not a readable history.
    """
    try:
        with path.open("rb") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return History()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReportError(
            f"cannot read history file {path}: {exc}",
            hint="`testgate history record` keeps a corrupt file aside and starts anew",
        ) from exc
    try:
        return parse_history(data, str(path))
    except (ValueError, TypeError) as exc:
        raise ReportError(
            f"{path} is not a testgate history: {exc}",
            hint="`testgate history record` keeps a corrupt file aside and starts anew",
        ) from exc


def write_history(history: History, path: Path) -> None:
    """Write atomically: a temporary file in the same folder, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
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
            fh.flush()
            os.fsync(fh.fileno())
        try:  # mkstemp makes 0600; keep the old file's mode, else a plain 0644
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
    """Hold an exclusive advisory lock next to ``path`` (no-op without fcntl)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    with lock.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _keep_aside(path: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, backup)
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
            codes[pos] = _merge_codes(codes[pos], code)
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
        used_mask |= int.from_bytes(
            s.encode("ascii", "replace").translate(_PRESENT).ljust(n, b"\0")
        )
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

    A history file that cannot be read is renamed aside (``.corrupt-<time>``); the
    result carries a warning and the run is still recorded in a fresh file.
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
    with _locked(path):
        try:
            history = read_history(path)
        except ReportError as exc:
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


# --------------------------------------------------------------------------- analysis


def _window_outcomes(history: History, window: int) -> list[tuple[str, str]]:
    runs = history.runs[-window:] if window else history.runs
    return [(str(r.get("commit", "")), r["outcomes"]) for r in runs]


def find_flaky(
    history: History,
    window: int = DEFAULT_WINDOW,
    max_flips: int = DEFAULT_MAX_FLIPS,
) -> list[FlakyTest]:
    """Tests that are flaky over the last ``window`` runs, most flips first.

    A test is flaky when it both passed and failed on the same commit (including a
    pass on rerun inside one run), or when its outcome flipped between pass and
    fail more than ``max_flips`` times. Skipped and missing runs do not count.
    The flip rate is flips over the transitions it could have made (runs - 1).
    """
    runs = _window_outcomes(history, window)
    candidates: set[int] = set()
    for _commit, s in runs:
        for ch in _FAILISH_CODES:  # str.find is a C scan; far faster than a regex here
            i = s.find(ch)
            while i != -1:
                candidates.add(i)
                i = s.find(ch, i + 1)
    found: list[FlakyTest] = []
    counted = Counter(commit for commit, _s in runs if commit)
    repeated = [commit if counted[commit] > 1 else "" for commit, _s in runs]
    for pos in candidates:
        codes = [s[pos] if pos < len(s) else ABSENT for _commit, s in runs]
        seq: list[str] = []
        by_commit: dict[str, set[str]] = {}
        rerun = RERUN in codes
        for c, commit in zip(codes, repeated, strict=True):
            if c in (ABSENT, SKIPPED):
                continue
            ok = "P" if c in (PASSED, RERUN) else "F"
            seq.append(ok)
            if commit:  # only commits that ran more than once can pass and fail on one commit
                by_commit.setdefault(commit, set()).add(ok)
        flips = sum(1 for a, b in itertools.pairwise(seq) if a != b)
        same_commit = rerun or any(len(v) == 2 for v in by_commit.values())
        if not (same_commit or flips > max_flips):
            continue
        reasons = []
        if rerun:
            reasons.append("passed on rerun")
        elif same_commit:
            reasons.append("passed and failed on the same commit")
        if flips > max_flips:
            reasons.append(f"{flips} flips in {len(seq)} runs")
        found.append(
            FlakyTest(
                id=history.tests[pos],
                flips=flips,
                runs=len(seq),
                flip_rate=round(flips / (len(seq) - 1), 3) if len(seq) > 1 else 0.0,
                same_commit=same_commit,
                failures=seq.count("F"),
                last_outcome="passed" if seq and seq[-1] == "P" else "failed",
                reason="; ".join(reasons),
            )
        )
    found.sort(key=lambda f: (-f.flip_rate, -f.flips, f.id))
    return found


def find_slower(
    history: History,
    recent: int = 5,
    min_ratio: float = 1.5,
    min_seconds: float = 0.05,
    limit: int = 10,
) -> list[SlowerTest]:
    """Tests whose mean duration over the last ``recent`` runs grew against the ``recent`` before.

    Only tests that got at least ``min_ratio`` times slower and ``min_seconds``
    slower in absolute terms are listed, biggest growth first.
    """
    if len(history.runs) < 2:
        return []
    recent = max(1, min(recent, len(history.runs) // 2))
    after = _mean_durations(history.runs[-recent:])
    before = _mean_durations(history.runs[-2 * recent : -recent])
    found = []
    for pos, a in after.items():
        b = before.get(pos)
        if b is None:
            continue
        if a - b >= min_seconds and (b <= 0 or a / b >= min_ratio):
            found.append(SlowerTest(history.tests[pos], round(b, 4), round(a, 4)))
    found.sort(key=lambda s: (-(s.after - s.before), s.id))
    return found[:limit]


def _sum_durations(runs: Sequence[Mapping[str, Any]], width: int) -> tuple[list[float], list[int]]:
    """Per position: the seconds of the runs a test ran in (not skipped), and how many."""
    sums = [0.0] * width
    counts = [0] * width
    for run in runs:
        s = run["outcomes"][:width]
        # 1 where the test ran, 0 where it was skipped or absent; map() keeps it in C
        mask = s.encode("ascii", "replace").translate(_TIMED) + bytes(width - len(s))
        d = decode_durations(run.get("durations", ""))[:width]
        d = d + (0.0,) * (width - len(d))
        sums = list(map(operator.add, sums, map(operator.mul, d, mask)))
        counts = list(map(operator.add, counts, mask))
    return sums, counts


def _mean_durations(runs: Sequence[Mapping[str, Any]]) -> dict[int, float]:
    width = max((len(r["outcomes"]) for r in runs), default=0)
    sums, counts = _sum_durations(runs, width)
    return {p: sums[p] / counts[p] for p in range(width) if counts[p]}


def durations_from_history(history: History, last: int = 10) -> dict[str, float]:
    """Mean duration per test over the last ``last`` runs it ran in (skips ignored).

    The result is pytest-split's ``.test_durations`` mapping (test id -> seconds).
    """
    runs = history.runs[-last:] if last else history.runs
    n = len(history.tests)
    sums, counts = _sum_durations(runs, n)
    return {history.tests[i]: round(sums[i] / counts[i], 4) for i in range(n) if counts[i]}


def build_trend(
    history: History,
    last: int = DEFAULT_WINDOW,
    window: int | None = None,
    max_flips: int = DEFAULT_MAX_FLIPS,
) -> Trend:
    """The last ``last`` runs with flaky and slower tests, for the renderers."""
    window = window or last
    return Trend(
        runs=tuple(history.summaries(last)),
        flaky=tuple(find_flaky(history, window, max_flips)),
        slower=tuple(find_slower(history)),
        window=window,
        max_flips=max_flips,
    )


# --------------------------------------------------------------------------- rendering

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], lo: float | None = None, hi: float | None = None) -> str:
    """Unicode block sparkline of ``values`` (GitHub and GitLab render it as text)."""
    vals = [float(v) for v in values]
    if not vals:
        return ""
    lo = min(vals) if lo is None else lo
    hi = max(vals) if hi is None else hi
    if hi - lo <= 1e-12:
        return SPARKS[-1 if hi > 0 else 0] * len(vals)
    top = len(SPARKS) - 1
    return "".join(SPARKS[max(0, min(top, round((v - lo) / (hi - lo) * top)))] for v in vals)


def _fmt_seconds(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 60:
        return f"{s / 60:.1f} min"
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


def render_trend_md(trend: Trend, svg_name: str | None = None, limit: int = 20) -> str:
    """The trend section of the job summary: sparklines, flaky and slower tests."""
    runs = trend.runs
    lines = [f"### Results over time (last {len(runs)} runs)", ""]
    if not runs:
        lines.append("_No runs recorded yet._")
        return "\n".join(lines) + "\n"
    first, last = runs[0], runs[-1]
    rates, counts, secs = trend.pass_rates, trend.test_counts, trend.durations
    lines += [
        "| metric | trend (oldest → newest) | first | latest | min | max |",
        "|---|---|---:|---:|---:|---:|",
        f"| pass rate | `{sparkline(rates, min(rates), 100.0)}` | {rates[0]:.1f}% | {rates[-1]:.1f}% "
        f"| {min(rates):.1f}% | {max(rates):.1f}% |",
        f"| tests | `{sparkline(counts)}` | {counts[0]} | {counts[-1]} | {min(counts)} "
        f"| {max(counts)} |",
        f"| duration | `{sparkline(secs)}` | {_fmt_seconds(secs[0])} | {_fmt_seconds(secs[-1])} "
        f"| {_fmt_seconds(min(secs))} | {_fmt_seconds(max(secs))} |",
        "",
        f"Runs #{first.seq}–#{last.seq}; latest: {last.decision or 'unknown'}"
        + (f" on `{last.commit[:12]}`" if last.commit else "")
        + (f" ({last.branch})" if last.branch else "")
        + ".",
    ]
    if svg_name:
        lines.append(f"Chart: `{svg_name}` (artifact).")
    lines.append("")
    if trend.flaky:
        lines += [
            f"#### Flaky tests ({len(trend.flaky)})",
            "",
            "| test | flip rate | flips | runs | why |",
            "|---|---:|---:|---:|---|",
        ]
        for f in trend.flaky[:limit]:
            lines.append(
                f"| `{_md_escape(f.id)}` | {100 * f.flip_rate:.0f}% | {f.flips} | {f.runs} "
                f"| {_md_escape(f.reason)} |"
            )
        if len(trend.flaky) > limit:
            lines.append(f"| … {len(trend.flaky) - limit} more | | | | |")
        lines += [
            "",
            "Quarantine them with `testgate quarantine suggest` (owner, reason, expiry).",
            "",
        ]
    else:
        lines += [
            f"No flaky tests in the last {trend.window} runs "
            f"(flaky: passed and failed on one commit, or more than {trend.max_flips} flips).",
            "",
        ]
    if trend.slower:
        lines += [
            f"#### Getting slower ({len(trend.slower)})",
            "",
            "| test | before | now | × |",
            "|---|---:|---:|---:|",
        ]
        for s in trend.slower[:limit]:
            ratio = "new" if math.isinf(s.ratio) else f"{s.ratio:.1f}"
            lines.append(
                f"| `{_md_escape(s.id)}` | {_fmt_seconds(s.before)} | {_fmt_seconds(s.after)} "
                f"| {ratio} |"
            )
        lines.append("")
    return "\n".join(lines)


def _xml(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _polyline(values: Sequence[float], x0: float, y0: float, w: float, h: float, lo, hi) -> str:
    n = len(values)
    span = (hi - lo) or 1.0
    pts = []
    for i, v in enumerate(values):
        x = x0 + (w * i / (n - 1) if n > 1 else w / 2)
        y = y0 + h - (float(v) - lo) / span * h
        pts.append(f"{x:.1f},{y:.1f}")
    return " ".join(pts)


def render_trend_svg(trend: Trend, width: int = 640) -> str:
    """A self-contained SVG with three small charts: pass rate, tests and duration."""
    panel_h, gap, left, right = 70, 34, 70, 16
    series = [
        ("pass rate (%)", trend.pass_rates, None, 100.0, "#1a7f37", "{:.1f}%"),
        ("tests", [float(c) for c in trend.test_counts], None, None, "#0969da", "{:.0f}"),
        ("duration (s)", trend.durations, None, None, "#bc4c00", "{:.1f} s"),
    ]
    height = len(series) * (panel_h + gap) + 10
    w = width - left - right
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="tg-trend-title" '
        'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">',
        f'<title id="tg-trend-title">testgate results over the last {len(trend.runs)} runs</title>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for k, (label, values, lo, hi, color, fmt) in enumerate(series):
        y0 = 10 + k * (panel_h + gap) + 16
        out.append(f'<g class="panel" data-metric="{_xml(label)}">')
        latest = fmt.format(values[-1]) if values else "no runs"
        out.append(
            f'<text x="{left}" y="{y0 - 5}" fill="#24292f" font-weight="600">'
            f"{_xml(label)}: {_xml(latest)}</text>"
        )
        out.append(
            f'<rect x="{left}" y="{y0}" width="{w}" height="{panel_h}" fill="#f6f8fa" '
            'stroke="#d0d7de"/>'
        )
        if values:
            vlo = min(values) if lo is None else lo
            vhi = max(values) if hi is None else hi
            if vhi - vlo <= 1e-12:
                vlo, vhi = vlo - 1, vhi + 1
            out.append(
                f'<text x="{left - 6}" y="{y0 + 10}" text-anchor="end" fill="#57606a">'
                f"{_xml(fmt.format(vhi))}</text>"
            )
            out.append(
                f'<text x="{left - 6}" y="{y0 + panel_h}" text-anchor="end" fill="#57606a">'
                f"{_xml(fmt.format(vlo))}</text>"
            )
            out.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                f'points="{_polyline(values, left, y0, w, panel_h, vlo, vhi)}"/>'
            )
        out.append("</g>")
    if trend.runs:
        out.append(
            f'<text x="{left}" y="{height - 4}" fill="#57606a">run #{trend.runs[0].seq}</text>'
        )
        out.append(
            f'<text x="{width - right}" y="{height - 4}" text-anchor="end" fill="#57606a">'
            f"run #{trend.runs[-1].seq}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


__all__ = [
    "DEFAULT_MAX_FLIPS",
    "DEFAULT_MAX_RUNS",
    "DEFAULT_WINDOW",
    "SCHEMA",
    "FlakyTest",
    "History",
    "QuarantineSuggestion",
    "RecordResult",
    "RunContext",
    "RunSummary",
    "SlowerTest",
    "Trend",
    "append_run",
    "build_trend",
    "durations_from_history",
    "find_flaky",
    "find_slower",
    "load_report",
    "read_history",
    "record_run",
    "render_quarantine_toml",
    "render_trend_md",
    "render_trend_svg",
    "sparkline",
    "suggest_quarantine",
    "trim",
    "write_history",
]


# --------------------------------------------------------------------------- quarantine


@dataclass(frozen=True)
class QuarantineSuggestion:
    """One ``[[quarantine]]`` entry for the gate policy (see ``testgate.policy``)."""

    test: str
    owner: str
    reason: str
    expires: str


def suggest_quarantine(
    flaky: Sequence[FlakyTest],
    owner: str,
    expires: str,
    already: Sequence[str] = (),
) -> list[QuarantineSuggestion]:
    """Quarantine entries for flaky tests that no pattern in ``already`` covers.

    The entry's ``test`` is the test id with fnmatch's special characters escaped
    (parametrised ids hold ``[...]``), so it matches exactly that test.
    """
    out = []
    for f in flaky:
        if any(fnmatchcase(f.id, pattern) for pattern in already):
            continue
        reason = f"flaky: {f.reason} (flip rate {100 * f.flip_rate:.0f}%)"
        out.append(
            QuarantineSuggestion(
                test=glob.escape(f.id), owner=owner, reason=reason, expires=expires
            )
        )
    return out


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def render_quarantine_toml(entries: Sequence[QuarantineSuggestion], generated: str = "") -> str:
    """``[[quarantine]]`` tables for a gate policy file (appendable to an existing one)."""
    lines = []
    if entries and generated:
        lines.append(f"# added by `testgate quarantine suggest` on {generated}")
    for e in entries:
        lines += [
            "[[quarantine]]",
            f"test = {_toml_str(e.test)}",
            f"owner = {_toml_str(e.owner)}",
            f"reason = {_toml_str(e.reason)}",
            f"expires = {date.fromisoformat(e.expires).isoformat()}",  # a TOML date
            "",
        ]
    return "\n".join(lines)
