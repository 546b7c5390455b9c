"""The gate: a merged :class:`Report` and a :class:`Policy` in, one decision out.

Fails closed: unreadable inputs and zero test cases make the decision ``error``
(exit 3: nothing to decide on); all tests skipped, suite-level errors, failures
beyond the allowed number, a low pass rate or a missing required suite make it
``fail`` (exit 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path

from testgate.errors import ConfigError
from testgate.files import read_json
from testgate.model import BaselineDiff, Failure, GateDecision, Quarantined, Report
from testgate.policy import Policy, QuarantineEntry, SuiteRule

REPORT_SCHEMA = "testgate-report/1"


def load_baseline(path: Path) -> frozenset[str]:
    """Ids of the failing tests in an earlier ``--json`` report.

    Raises:
        ConfigError: the file is missing or is not a testgate report JSON.
    """
    hint = "pass --baseline with the --json file of an earlier run (for example on main)"
    data = read_json(path, "baseline", error=ConfigError, hint=hint)
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        raise ConfigError(f"baseline {path} is not a {REPORT_SCHEMA} JSON report", hint=hint)
    failures = data.get("failures") or []
    return frozenset(str(f["id"]) for f in failures if isinstance(f, dict) and "id" in f)


def _match_quarantine(
    test_id: str, entries: Iterable[QuarantineEntry], today: dt.date
) -> Quarantined | None:
    expired_hit = None
    for entry in entries:
        if fnmatchcase(test_id, entry.pattern):
            expired = today > entry.expires
            q = Quarantined(
                test_id,
                entry.pattern,
                entry.owner,
                entry.reason,
                entry.expires.isoformat(),
                expired,
            )
            if not expired:
                return q
            expired_hit = expired_hit or q
    return expired_hit


def _rule_for(suite: str, rules: Iterable[SuiteRule], attr: str) -> SuiteRule | None:
    for rule in rules:
        if getattr(rule, attr) is not None and fnmatchcase(suite, rule.pattern):
            return rule
    return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def decide_gate(
    report: Report,
    policy: Policy,
    *,
    today: dt.date,
    baseline: frozenset[str] | None = None,
    baseline_source: str = "",
) -> GateDecision:
    """Apply ``policy`` to ``report``.

    Args:
        report: the merged results.
        policy: the gate rules.
        today: the date quarantine expiry is checked against.
        baseline: failing test ids of an earlier run; when given, only new
            failures count against ``max-failures``.
        baseline_source: where that run came from, shown in the summary.

    Returns:
        The decision with every reason it did not pass.
    """
    reasons: list[str] = []
    errors: list[str] = []
    warnings: list[str] = []
    t = report.totals

    for f in report.file_errors:
        where = f"{f.path}:{f.line}" if f.line else f.path
        msg = f"{where}: {f.error}"
        if policy.allow_bad_files:
            warnings.append(f"ignored (allow-bad-files): {msg}")
        else:
            errors.append(f"unreadable report {msg}")

    # Quarantine: excused failures do not count; expired entries count again and are listed.
    quarantined: list[Quarantined] = []
    counted: list[Failure] = []
    for failure in report.failures:
        q = _match_quarantine(failure.id, policy.quarantine, today) if policy.quarantine else None
        if q is not None:
            quarantined.append(q)
        if q is None or q.expired:
            counted.append(failure)
    flaky_counted = []
    for flaky in report.flaky:
        q = _match_quarantine(flaky.id, policy.quarantine, today) if policy.quarantine else None
        if q is None or q.expired:
            flaky_counted.append(flaky)
    excused = sum(1 for q in quarantined if not q.expired)
    for q in quarantined:
        if q.expired:
            warnings.append(
                f"quarantine of {q.id} (owner {q.owner}) expired on {q.expires}; it counts again"
            )

    diff = None
    gating = counted
    if baseline is not None:
        failing_now = {f.id for f in report.failures}
        new = sorted({f.id for f in counted} - baseline)
        diff = BaselineDiff(
            new=tuple(new),
            still_failing=tuple(sorted(failing_now & baseline)),
            fixed=tuple(sorted(baseline - failing_now)),
            source=baseline_source,
        )
        new_set = set(new)
        gating = [f for f in counted if f.id in new_set]

    # Emptiness and size.
    executed = t.tests - t.skipped
    if t.tests == 0:
        if not policy.allow_empty:
            # Nothing to decide on: "could not decide" (exit 3), like an unreadable report.
            errors.append("no test cases were found (allow-empty is false)")
    else:
        if executed == 0 and not policy.allow_empty:
            reasons.append(f"no test ran: all {_plural(t.tests, 'test')} were skipped")
        if t.tests < policy.min_tests:
            reasons.append(
                f"{_plural(t.tests, 'test')} ran, fewer than min-tests {policy.min_tests}"
            )

    for se in report.suite_errors:
        reasons.append(f"{se.report}: {se.message}")

    # Failures: per-suite max-failures overrides take their suite's failures.
    by_rule: dict[str, list[Failure]] = {}
    global_failures: list[Failure] = []
    for f in gating:
        rule = _rule_for(f.suite, policy.suites, "max_failures") if policy.suites else None
        if rule is None:
            global_failures.append(f)
        else:
            by_rule.setdefault(rule.pattern, []).append(f)
    if len(global_failures) > policy.max_failures:
        what = "new failing test" if baseline is not None else "failing test"
        reasons.append(
            f"{_plural(len(global_failures), what)} (max-failures {policy.max_failures})"
        )
    for rule in policy.suites:
        hits = by_rule.get(rule.pattern, [])
        if rule.max_failures is not None and len(hits) > rule.max_failures:
            reasons.append(
                f"suite {rule.pattern!r}: {_plural(len(hits), 'failing test')} "
                f"(max-failures {rule.max_failures})"
            )

    if policy.min_pass_rate is not None:
        denominator = executed - excused
        if denominator > 0:
            rate = 100.0 * t.passed / denominator
            if rate < policy.min_pass_rate:
                reasons.append(
                    f"pass rate {rate:.2f}% is below min-pass-rate {policy.min_pass_rate:g}%"
                )

    flaky_global = [
        f for f in flaky_counted if _rule_for(f.suite, policy.suites, "fail_on_flaky") is None
    ]
    if policy.fail_on_flaky and flaky_global:
        reasons.append(f"{_plural(len(flaky_global), 'flaky test')} (fail-on-flaky is true)")
    for rule in policy.suites:
        if rule.fail_on_flaky:
            hits = [
                f
                for f in flaky_counted
                if _rule_for(f.suite, policy.suites, "fail_on_flaky") is rule
            ]
            if hits:
                reasons.append(
                    f"suite {rule.pattern!r}: {_plural(len(hits), 'flaky test')} (fail-on-flaky)"
                )

    for rule in policy.suites:
        if rule.min_tests is None and rule.min_pass_rate is None:
            continue
        matching = [s for name, s in report.suites.items() if fnmatchcase(name, rule.pattern)]
        tests = sum(s.tests for s in matching)
        if rule.min_tests is not None and tests < rule.min_tests:
            reasons.append(
                f"suite {rule.pattern!r}: {_plural(tests, 'test')}, fewer than min-tests {rule.min_tests}"
            )
        if rule.min_pass_rate is not None:
            executed_s = sum(s.tests - s.skipped for s in matching)
            if executed_s > 0:
                rate = 100.0 * sum(s.passed for s in matching) / executed_s
                if rate < rule.min_pass_rate:
                    reasons.append(
                        f"suite {rule.pattern!r}: pass rate {rate:.2f}% is below "
                        f"min-pass-rate {rule.min_pass_rate:g}%"
                    )

    for required in policy.required_suites:
        tests = sum(s.tests for name, s in report.suites.items() if fnmatchcase(name, required))
        if tests == 0:
            reasons.append(f"required suite {required!r} is missing or has no tests")

    if errors:
        decision = "error"
        reasons = [*errors, *reasons]
    elif reasons:
        decision = "fail"
    else:
        decision = "pass"
    return GateDecision(
        decision=decision,
        reasons=tuple(reasons),
        quarantined=tuple(quarantined),
        baseline=diff,
        warnings=tuple(warnings),
    )
