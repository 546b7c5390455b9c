"""testgate.policy: every key of the gate policy, its checks and its error messages.

tests/unit/test_gate.py covers how a policy decides a gate, a full file and one error per
kind; this file covers the parser itself: the types each key accepts and refuses, where an
error says the problem is, quarantine entries and per-suite rules.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
from testgate.errors import ConfigError, ExitCode
from testgate.policy import Policy, QuarantineEntry, SuiteRule, load_policy, parse_policy

SOURCE = "ci/gate.toml"

ENTRY = 'test = "api.C::t*"\nowner = "team-a"\nreason = "JIRA-1"\n'


def parse(text: str) -> Policy:
    return parse_policy(tomllib.loads(text), SOURCE)


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return info.value


# -- defaults ------------------------------------------------------------------------------
def test_an_empty_policy_is_the_default_policy_with_its_source() -> None:
    p = parse_policy({}, SOURCE)
    assert p == Policy(source=SOURCE)
    assert p.min_pass_rate is None
    assert (p.fail_on_flaky, p.required_suites, p.quarantine, p.suites) == (False, (), (), ())
    assert load_policy(None).source is None


def test_an_empty_gate_table_changes_nothing() -> None:
    assert parse("[gate]\n") == Policy(source=SOURCE)


def test_keys_not_given_keep_their_defaults() -> None:
    p = parse("[gate]\nmax-failures = 3\n")
    assert p == Policy(max_failures=3, source=SOURCE)


# -- every error is a named exit-2 configuration error ------------------------------------
def test_errors_are_exit_2_name_the_source_and_point_at_the_docs() -> None:
    err = error_of("[gate]\nmax-failures = -1\n")
    assert err.exit_code == ExitCode.USAGE == 2
    assert err.message == f"policy {SOURCE}: max-failures must be an integer >= 0, not -1"
    assert err.hint is not None
    assert "policy format" in err.hint


def test_parse_policy_names_a_default_source_when_none_is_given() -> None:
    with pytest.raises(ConfigError, match=r"^policy <policy>: "):
        parse_policy({"gate": {"min-tests": "1"}})


# -- integer keys --------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["min-tests", "max-failures"])
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(True, id="bool"),
        pytest.param(False, id="false"),
        pytest.param(1.0, id="float"),
        pytest.param("1", id="string"),
        pytest.param(-1, id="negative"),
        pytest.param([1], id="list"),
    ],
)
def test_integer_keys_refuse_anything_but_a_non_negative_integer(key: str, value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        parse_policy({"gate": {key: value}}, SOURCE)
    assert info.value.message == (f"policy {SOURCE}: {key} must be an integer >= 0, not {value!r}")


@pytest.mark.parametrize(
    ("key", "attr"), [("min-tests", "min_tests"), ("max-failures", "max_failures")]
)
@pytest.mark.parametrize("value", [0, 1, 250])
def test_integer_keys_accept_zero_and_up(key: str, attr: str, value: int) -> None:
    p = parse(f"[gate]\n{key} = {value}\n")
    assert getattr(p, attr) == value
    assert type(getattr(p, attr)) is int


# -- min-pass-rate -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("toml", "expected"),
    [("0", 0.0), ("100", 100.0), ("99.5", 99.5), ("0.01", 0.01)],
)
def test_min_pass_rate_takes_any_percentage_as_a_float(toml: str, expected: float) -> None:
    rate = parse(f"[gate]\nmin-pass-rate = {toml}\n").min_pass_rate
    assert rate == expected
    assert type(rate) is float


@pytest.mark.parametrize(
    "toml",
    ["-0.1", "100.01", "true", '"90"', "nan", "inf", "-inf", "[90]"],
)
def test_min_pass_rate_refuses_what_is_not_a_percentage(toml: str) -> None:
    err = error_of(f"[gate]\nmin-pass-rate = {toml}\n")
    assert "min-pass-rate must be a percentage between 0 and 100, not " in err.message
    assert err.message.startswith(f"policy {SOURCE}: ")


# -- boolean keys --------------------------------------------------------------------------
BOOL_KEYS = [
    ("allow-empty", "allow_empty"),
    ("fail-on-flaky", "fail_on_flaky"),
    ("allow-bad-files", "allow_bad_files"),
]


@pytest.mark.parametrize(("key", "attr"), BOOL_KEYS)
def test_boolean_keys_are_read_both_ways(key: str, attr: str) -> None:
    assert getattr(parse(f"[gate]\n{key} = true\n"), attr) is True
    assert getattr(parse(f"[gate]\n{key} = false\n"), attr) is False
    others = {a for _, a in BOOL_KEYS} - {attr}
    p = parse(f"[gate]\n{key} = true\n")
    assert all(getattr(p, a) is False for a in others)


@pytest.mark.parametrize(("key", "attr"), BOOL_KEYS)
@pytest.mark.parametrize("toml", ["1", "0", '"true"', '"false"'])
def test_boolean_keys_refuse_numbers_and_strings(key: str, attr: str, toml: str) -> None:
    err = error_of(f"[gate]\n{key} = {toml}\n")
    value = tomllib.loads(f"v = {toml}")["v"]
    assert err.message == f"policy {SOURCE}: {key} must be true or false, not {value!r}"


# -- required-suites -----------------------------------------------------------------------
def test_required_suites_keep_their_order_as_a_tuple() -> None:
    p = parse('[gate]\nrequired-suites = ["smoke*", "api", "contract"]\n')
    assert p.required_suites == ("smoke*", "api", "contract")
    assert parse("[gate]\nrequired-suites = []\n").required_suites == ()


@pytest.mark.parametrize(
    "toml",
    ['["api", ""]', '["api", 1]', "[true]", '[["api"]]', "{ api = true }"],
)
def test_required_suites_must_be_non_empty_names(toml: str) -> None:
    err = error_of(f"[gate]\nrequired-suites = {toml}\n")
    assert err.message == f"policy {SOURCE}: required-suites must be a list of suite names"


# -- unknown keys and wrong table shapes ---------------------------------------------------
def test_unknown_gate_keys_are_all_listed_sorted_with_the_known_ones() -> None:
    err = error_of("[gate]\nmin_tests = 1\nallow-emtpy = true\nmin-tests = 2\n")
    known = (
        "allow-bad-files, allow-empty, fail-on-flaky, max-failures, min-pass-rate, "
        "min-tests, required-suites"
    )
    assert err.message == (
        f"policy {SOURCE}: unknown key(s) allow-emtpy, min_tests in [gate] (known: {known})"
    )


def test_an_unknown_top_level_key_names_the_file_and_the_known_tables() -> None:
    err = error_of("min-tests = 1\n[gate]\nmin-tests = 1\n")
    assert err.message == (
        f"policy {SOURCE}: unknown key(s) min-tests in the file (known: gate, quarantine, suites)"
    )


def test_an_unknown_table_is_refused_before_gate_is_read() -> None:
    # the [gate] error would hide the typo otherwise
    err = error_of("[gate]\nmin-tests = -5\n[suite.api]\nmax-failures = 1\n")
    assert "unknown key(s) suite in the file" in err.message


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        pytest.param("gate = 1", "[gate] must be a table", id="gate"),
        pytest.param('gate = ["min-tests"]', "[gate] must be a table", id="gate-array"),
        pytest.param(
            "[quarantine]\ntest = 'x'",
            "quarantine must be an array of tables ([[quarantine]])",
            id="quarantine-table",
        ),
        pytest.param(
            "quarantine = 'x'",
            "quarantine must be an array of tables ([[quarantine]])",
            id="quarantine-string",
        ),
        pytest.param("quarantine = [1]", "[[quarantine]] #1 must be a table", id="entry"),
        pytest.param(
            "suites = ['api']", "[suites] must be a table of suite-name tables", id="suites"
        ),
        pytest.param("[suites]\napi = 1", "[suites.'api'] must be a table", id="suite"),
    ],
)
def test_tables_of_the_wrong_shape_are_refused(toml: str, message: str) -> None:
    assert error_of(toml).message == f"policy {SOURCE}: {message}"


# -- quarantine ----------------------------------------------------------------------------
def test_quarantine_entries_keep_every_field_in_file_order() -> None:
    p = parse(
        """
        [[quarantine]]
        test = "tests.api.test_orders::test_refund*"
        owner = "team-orders"
        reason = "ORD-123: refund sandbox is flaky"
        expires = 2026-12-31

        [[quarantine]]
        test = "b::*"
        owner = "team-b"
        reason = "B-2"
        expires = "2027-01-15"
        """
    )
    assert p.quarantine == (
        QuarantineEntry(
            "tests.api.test_orders::test_refund*",
            "team-orders",
            "ORD-123: refund sandbox is flaky",
            dt.date(2026, 12, 31),
        ),
        QuarantineEntry("b::*", "team-b", "B-2", dt.date(2027, 1, 15)),
    )


@pytest.mark.parametrize(
    "toml",
    [
        pytest.param("2026-12-31", id="date"),
        pytest.param('"2026-12-31"', id="string"),
        pytest.param("2026-12-31T23:59:00", id="local-datetime"),
        pytest.param("2026-12-31T08:00:00+02:00", id="offset-datetime"),
    ],
)
def test_expires_becomes_a_plain_date(toml: str) -> None:
    (entry,) = parse(f"[[quarantine]]\n{ENTRY}expires = {toml}\n").quarantine
    assert entry.expires == dt.date(2026, 12, 31)
    assert type(entry.expires) is dt.date  # a datetime would not compare with today's date


@pytest.mark.parametrize(
    "toml",
    [
        pytest.param("12:00:00", id="time"),
        pytest.param("20261231", id="integer"),
        pytest.param('"31.12.2026"', id="other-format"),
        pytest.param('"2026-02-30"', id="no-such-day"),
        pytest.param("true", id="bool"),
    ],
)
def test_expires_that_is_not_a_date_names_the_entry(toml: str) -> None:
    text = f"[[quarantine]]\n{ENTRY}expires = 2027-01-01\n[[quarantine]]\n{ENTRY}expires = {toml}\n"
    assert error_of(text).message == (
        f"policy {SOURCE}: [[quarantine]] #2 expires must be a date (YYYY-MM-DD)"
    )


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({"owner": "o", "reason": "r", "expires": "2027-01-01"}, "test"),
        ({"test": "t", "reason": "r", "expires": "2027-01-01"}, "owner"),
        ({"test": "t", "owner": "o", "expires": "2027-01-01"}, "reason"),
        ({"test": "t", "owner": "o", "reason": "r"}, "expires"),
        ({"test": "", "owner": "", "reason": "r", "expires": "2027-01-01"}, "test, owner"),
        ({}, "test, owner, reason, expires"),
    ],
)
def test_a_quarantine_entry_needs_all_four_fields_and_empty_is_missing(
    fields: dict[str, str], missing: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_policy({"quarantine": [fields]}, SOURCE)
    assert info.value.message == (
        f"policy {SOURCE}: [[quarantine]] #1 is missing {missing} (all four are required)"
    )


def test_an_unknown_quarantine_key_names_the_entry_by_number() -> None:
    text = (
        f"[[quarantine]]\n{ENTRY}expires = 2027-01-01\n"
        f"[[quarantine]]\n{ENTRY}expires = 2027-01-01\nexpiry = 2027-01-01\n"
    )
    assert error_of(text).message == (
        f"policy {SOURCE}: unknown key(s) expiry in [[quarantine]] #2 "
        "(known: expires, owner, reason, test)"
    )


@pytest.mark.parametrize(
    "field",
    [
        pytest.param('test = ["a::*", "b::*"]\nowner = "o"\nreason = "r"', id="test-list"),
        pytest.param('test = "a::*"\nowner = 42\nreason = "r"', id="owner-integer"),
    ],
)
def test_a_quarantine_field_that_is_not_a_string_is_refused(field: str) -> None:
    with pytest.raises(ConfigError, match=r"\[\[quarantine\]\] #1"):
        parse(f"[[quarantine]]\n{field}\nexpires = 2027-01-01\n")


# -- per-suite rules -----------------------------------------------------------------------
def test_suite_rules_keep_their_pattern_and_leave_unset_keys_to_the_global_rule() -> None:
    p = parse(
        """
        [suites."provider-verification"]
        max-failures = 0
        min-tests = 3
        min-pass-rate = 100
        fail-on-flaky = true

        [suites."legacy-*"]
        max-failures = 4
        """
    )
    assert p.suites == (
        SuiteRule("provider-verification", 3, 100.0, 0, True),
        SuiteRule("legacy-*", None, None, 4, None),
    )
    assert type(p.suites[0].min_pass_rate) is float
    # a suite rule does not change the global rule
    assert (p.max_failures, p.min_tests, p.fail_on_flaky) == (0, 1, False)


def test_an_empty_suite_table_is_a_rule_with_no_overrides() -> None:
    assert parse("[suites.api]\n").suites == (SuiteRule("api"),)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("min-tests = -1", "min-tests must be an integer >= 0, not -1"),
        ("max-failures = true", "max-failures must be an integer >= 0, not True"),
        ("min-pass-rate = 150", "min-pass-rate must be a percentage between 0 and 100, not 150"),
        ("fail-on-flaky = 1", "fail-on-flaky must be true or false, not 1"),
    ],
)
def test_suite_rules_check_their_values_like_the_gate(line: str, message: str) -> None:
    assert error_of(f"[suites.api]\n{line}\n").message == f"policy {SOURCE}: {message}"


@pytest.mark.parametrize(
    "key", ["required-suites", "allow-empty", "allow-bad-files", "max_failures"]
)
def test_suite_rules_take_only_the_four_per_suite_keys(key: str) -> None:
    err = error_of(f'[suites."api*"]\n{key} = true\n')
    assert err.message == (
        f"policy {SOURCE}: unknown key(s) {key} in [suites.'api*'] "
        "(known: fail-on-flaky, max-failures, min-pass-rate, min-tests)"
    )


# -- load_policy ---------------------------------------------------------------------------
def test_load_policy_records_the_file_as_the_source_in_errors_and_result(tmp_path: Path) -> None:
    path = tmp_path / "policies" / "gate.toml"
    path.parent.mkdir()
    path.write_text("[gate]\nmin-tests = 2\n", encoding="utf-8")
    assert load_policy(path) == Policy(min_tests=2, source=str(path))
    path.write_text("[gate]\nmin-tests = 'two'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert info.value.message == f"policy {path}: min-tests must be an integer >= 0, not 'two'"


def test_an_empty_file_is_the_default_policy(tmp_path: Path) -> None:
    path = tmp_path / "gate.toml"
    path.write_text("# nothing set\n", encoding="utf-8")
    assert load_policy(path) == Policy(source=str(path))


def test_a_folder_or_missing_file_is_exit_2_with_the_fix(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "missing.toml"):
        with pytest.raises(ConfigError) as info:
            load_policy(path)
        assert info.value.exit_code == 2
        assert info.value.message.startswith(f"cannot read policy file {path}: ")
        assert info.value.hint is not None
        assert "--policy" in info.value.hint
        assert "TESTGATE_POLICY" in info.value.hint


def test_invalid_toml_is_exit_2_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "gate.toml"
    path.write_text("[gate]\nmin-tests = 1\nmin-tests = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert info.value.exit_code == 2
    assert info.value.message.startswith(f"policy {path} is not valid TOML: ")
    assert "line 3" in info.value.message


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "gate.toml"
    path.write_bytes("[gate]\nmin-tests = 1  # café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"gate\.toml"):
        load_policy(path)
