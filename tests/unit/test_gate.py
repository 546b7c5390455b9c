"""Gate decisions and the policy file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from testgate.errors import ConfigError
from testgate.gate import decide_gate, load_baseline
from testgate.junit import expand_paths, parse_reports
from testgate.policy import Policy, load_policy, parse_policy

TODAY = dt.date(2026, 11, 23)


def report_of(tmp_path: Path, *suites: tuple[str, str]):
    """A report from (suite name, cases) pairs; cases use p (pass), f (fail), e, s, k (flaky)."""
    body = []
    for name, cases in suites:
        xml = []
        for i, c in enumerate(cases):
            child = {
                "p": "",
                "f": "<failure message='boom'/>",
                "e": "<error/>",
                "s": "<skipped/>",
                "k": "<flakyFailure/>",
            }[c]
            xml.append(f'<testcase classname="{name}.C" name="t{i}">{child}</testcase>')
        body.append(f'<testsuite name="{name}">{"".join(xml)}</testsuite>')
    path = tmp_path / f"r{len(list(tmp_path.glob('r*.xml')))}.xml"
    path.write_text("<testsuites>" + "".join(body) + "</testsuites>")
    return parse_reports(expand_paths([str(path)]))


def decide(report, policy=None, **kwargs):
    return decide_gate(report, policy or Policy(), today=TODAY, **kwargs)


def policy(text: str) -> Policy:
    import tomllib

    return parse_policy(tomllib.loads(text), "gate.toml")


def test_all_passing_passes(tmp_path):
    d = decide(report_of(tmp_path, ("api", "pps")))
    assert d.decision == "pass"
    assert d.reasons == ()


def test_a_failure_fails_by_default(tmp_path):
    d = decide(report_of(tmp_path, ("api", "ppf")))
    assert d.decision == "fail"
    assert d.reasons == ("1 failing test (max-failures 0)",)


def test_zero_tests_is_undecided_unless_allowed(tmp_path):
    r = report_of(tmp_path, ("api", ""))
    assert decide(r).decision == "error"
    assert "no test cases" in decide(r).reasons[0]
    assert decide(r, Policy(allow_empty=True)).decision == "pass"


def test_all_skipped_is_not_a_pass(tmp_path):
    r = report_of(tmp_path, ("api", "ss"))
    assert decide(r).reasons == ("no test ran: all 2 tests were skipped",)
    assert decide(r, Policy(allow_empty=True)).decision == "pass"


def test_unreadable_file_is_undecided_unless_tolerated(tmp_path):
    good = report_of(tmp_path, ("api", "p"))
    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuite")
    r = parse_reports(expand_paths([str(tmp_path / "r0.xml"), str(bad)]))
    assert good.totals.tests == r.totals.tests
    d = decide(r)
    assert d.decision == "error"
    assert "bad.xml:1" in d.reasons[0]
    tolerated = decide(r, Policy(allow_bad_files=True))
    assert tolerated.decision == "pass"
    assert any("allow-bad-files" in w for w in tolerated.warnings)


def test_min_tests_max_failures_and_pass_rate(tmp_path):
    r = report_of(tmp_path, ("api", "ppppppppff"))
    assert decide(r, Policy(max_failures=2)).decision == "pass"
    assert decide(r, Policy(max_failures=2, min_tests=11)).reasons == (
        "10 tests ran, fewer than min-tests 11",
    )
    d = decide(r, Policy(max_failures=2, min_pass_rate=90))
    assert d.reasons == ("pass rate 80.00% is below min-pass-rate 90%",)
    assert decide(r, Policy(max_failures=2, min_pass_rate=80)).decision == "pass"


def test_required_suites(tmp_path):
    r = report_of(tmp_path, ("api", "p"), ("contract", ""))
    d = decide(r, Policy(required_suites=("api", "contract", "smoke*")))
    assert d.reasons == (
        "required suite 'contract' is missing or has no tests",
        "required suite 'smoke*' is missing or has no tests",
    )


def test_fail_on_flaky(tmp_path):
    r = report_of(tmp_path, ("api", "pk"))
    assert r.totals.flaky == 1
    assert decide(r).decision == "pass"
    assert decide(r, Policy(fail_on_flaky=True)).reasons == (
        "1 flaky test (fail-on-flaky is true)",
    )


def test_quarantine_excuses_until_expiry(tmp_path):
    r = report_of(tmp_path, ("api", "pf"))
    active = policy(
        """
        [[quarantine]]
        test = "api.C::t*"
        owner = "team-a"
        reason = "JIRA-1"
        expires = 2026-12-31
        """
    )
    d = decide(r, active)
    assert d.decision == "pass"
    (q,) = d.quarantined
    assert (q.id, q.owner, q.expired) == ("api.C::t1", "team-a", False)
    assert d.quarantined_ids == {"api.C::t1"}

    expired = policy(
        """
        [[quarantine]]
        test = "api.C::t1"
        owner = "team-a"
        reason = "JIRA-1"
        expires = "2026-11-22"
        """
    )
    d = decide(r, expired)
    assert d.decision == "fail"
    assert d.quarantined[0].expired is True
    assert any("expired on 2026-11-22" in w for w in d.warnings)


def test_quarantine_does_not_count_in_pass_rate(tmp_path):
    r = report_of(tmp_path, ("api", "ppf"))
    p = policy(
        """
        [gate]
        min-pass-rate = 100
        [[quarantine]]
        test = "api.C::t2"
        owner = "o"
        reason = "r"
        expires = 2027-01-01
        """
    )
    assert decide(r, p).decision == "pass"


def test_per_suite_overrides(tmp_path):
    r = report_of(tmp_path, ("api", "pf"), ("legacy", "pffk"))
    p = policy(
        """
        [gate]
        max-failures = 0
        [suites.legacy]
        max-failures = 2
        [suites."api"]
        min-tests = 3
        fail-on-flaky = true
        """
    )
    d = decide(r, p)
    assert d.reasons == (
        "1 failing test (max-failures 0)",
        "suite 'api': 2 tests, fewer than min-tests 3",
    )
    p2 = policy(
        """
        [suites."leg*"]
        max-failures = 1
        fail-on-flaky = true
        min-pass-rate = 50
        """
    )
    d2 = decide(report_of(tmp_path, ("legacy", "pffk")), p2)
    assert d2.reasons == (
        "suite 'leg*': 2 failing tests (max-failures 1)",
        "suite 'leg*': 1 flaky test (fail-on-flaky)",
    )


def test_suite_errors_fail(tmp_path):
    path = tmp_path / "x.xml"
    path.write_text('<testsuite name="s" failures="1"><testcase name="ok"/></testsuite>')
    d = decide(parse_reports(expand_paths([str(path)])))
    assert d.decision == "fail"
    assert "declares 1 failure(s)/error(s) but its test cases show 0" in d.reasons[0]


def test_baseline_fails_only_on_new_failures(tmp_path):
    r = report_of(tmp_path, ("api", "pff"))  # api.C::t1, api.C::t2 fail
    baseline = frozenset({"api.C::t1", "api.C::t9"})
    d = decide(r, baseline=baseline)
    assert d.baseline.new == ("api.C::t2",)
    assert d.baseline.still_failing == ("api.C::t1",)
    assert d.baseline.fixed == ("api.C::t9",)
    assert d.reasons == ("1 new failing test (max-failures 0)",)
    d_ok = decide(r, baseline=frozenset({"api.C::t1", "api.C::t2"}))
    assert d_ok.decision == "pass"


def test_load_baseline(tmp_path):
    good = tmp_path / "b.json"
    good.write_text(json.dumps({"schema": "testgate-report/1", "failures": [{"id": "a::b"}]}))
    assert load_baseline(good) == {"a::b"}
    for text in ("not json", json.dumps({"schema": "other"})):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        with pytest.raises(ConfigError):
            load_baseline(bad)
    with pytest.raises(ConfigError, match="cannot read baseline"):
        load_baseline(tmp_path / "missing.json")


# -- policy file ---------------------------------------------------------------------------
def test_full_policy_file_parses(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text(
        """
        [gate]
        min-tests = 5
        min-pass-rate = 99.5
        max-failures = 1
        required-suites = ["api"]
        allow-empty = false
        fail-on-flaky = true
        allow-bad-files = false

        [[quarantine]]
        test = "a::*"
        owner = "o"
        reason = "r"
        expires = 2026-12-31

        [suites.api]
        max-failures = 0
        """
    )
    p = load_policy(path)
    assert (p.min_tests, p.min_pass_rate, p.max_failures) == (5, 99.5, 1)
    assert p.required_suites == ("api",)
    assert p.fail_on_flaky is True
    assert p.quarantine[0].expires == dt.date(2026, 12, 31)
    assert p.suites[0].pattern == "api"
    assert p.suites[0].max_failures == 0


def test_default_policy_fails_closed():
    p = load_policy(None)
    assert (p.min_tests, p.max_failures, p.allow_empty, p.allow_bad_files) == (1, 0, False, False)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        pytest.param("[gate]\nmax-failure = 1", "unknown key(s) max-failure", id="typo"),
        pytest.param("[gate]\nmin-tests = -1", "min-tests must be an integer", id="negative"),
        pytest.param("[gate]\nmin-pass-rate = 101", "percentage", id="rate"),
        pytest.param("[gate]\nallow-empty = 'yes'", "true or false", id="bool"),
        pytest.param("[gate]\nrequired-suites = 'api'", "list of suite names", id="suites"),
        pytest.param(
            "[[quarantine]]\ntest = 'x'", "missing owner, reason, expires", id="quarantine"
        ),
        pytest.param(
            "[[quarantine]]\ntest='x'\nowner='o'\nreason='r'\nexpires='soon'",
            "YYYY-MM-DD",
            id="date",
        ),
        pytest.param(
            "[suites.api]\nallow-empty = true", "unknown key(s) allow-empty", id="suite-key"
        ),
        pytest.param("[gates]\n", "unknown key(s) gates", id="table"),
        pytest.param("[gate\n", "not valid TOML", id="syntax"),
    ],
)
def test_policy_errors_name_the_problem(tmp_path, text, needle):
    path = tmp_path / "gate.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"gate\.toml") as info:
        load_policy(path)
    assert needle in str(info.value)


def test_missing_policy_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read policy file"):
        load_policy(tmp_path / "nope.toml")
