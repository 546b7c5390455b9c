"""Test results over time: a bounded history of runs, trends and flaky tests.

One room per concern:

- :mod:`~testgate.history.model`: the history in memory and what is derived
  from it (runs, flaky and slower tests, the trend);
- :mod:`~testgate.history.codec`: how one run's outcomes and durations are encoded;
- :mod:`~testgate.history.store`: the file (format, lock, atomic write,
  corrupt files kept aside) and recording a run from a report JSON;
- :mod:`~testgate.history.analysis`: flaky tests, tests getting slower, the
  durations that sharding uses, the trend;
- :mod:`~testgate.history.quarantine`: quarantine entries for flaky tests.

The renderers of a trend (Markdown, SVG, HTML) are in :mod:`testgate.render`.
"""

from __future__ import annotations

from testgate.history.analysis import (
    HistoryBaseline,
    baseline_of_branch,
    build_trend,
    durations_from_history,
    find_flaky,
    find_slower,
)
from testgate.history.codec import (
    ABSENT,
    ERROR,
    FAILED,
    PASSED,
    RERUN,
    SKIPPED,
    decode_durations,
    encode_durations,
    outcome_code,
)
from testgate.history.model import (
    DEFAULT_MAX_FLIPS,
    DEFAULT_MAX_RUNS,
    DEFAULT_WINDOW,
    SCHEMA,
    FlakyTest,
    History,
    RunContext,
    RunSummary,
    SlowerTest,
    Trend,
)
from testgate.history.quarantine import (
    QuarantineSuggestion,
    render_quarantine_toml,
    suggest_quarantine,
)
from testgate.history.store import (
    REPORT_SCHEMA,
    RecordResult,
    UnreadableHistory,
    append_run,
    load_report,
    parse_history,
    read_history,
    record_run,
    trim,
    write_history,
)

__all__ = [
    "ABSENT",
    "DEFAULT_MAX_FLIPS",
    "DEFAULT_MAX_RUNS",
    "DEFAULT_WINDOW",
    "ERROR",
    "FAILED",
    "PASSED",
    "REPORT_SCHEMA",
    "RERUN",
    "SCHEMA",
    "SKIPPED",
    "FlakyTest",
    "History",
    "HistoryBaseline",
    "QuarantineSuggestion",
    "RecordResult",
    "RunContext",
    "RunSummary",
    "SlowerTest",
    "Trend",
    "UnreadableHistory",
    "append_run",
    "baseline_of_branch",
    "build_trend",
    "decode_durations",
    "durations_from_history",
    "encode_durations",
    "find_flaky",
    "find_slower",
    "load_report",
    "outcome_code",
    "parse_history",
    "read_history",
    "record_run",
    "render_quarantine_toml",
    "suggest_quarantine",
    "trim",
    "write_history",
]
