"""The gate policy: a small TOML file (``--policy gate.toml``) with safe defaults.

```toml
[gate]
min-tests = 1            # fewer tests than this fails the gate
min-pass-rate = 100.0    # percent of executed (non-skipped, non-quarantined) tests that passed
max-failures = 0         # failed + errored tests allowed (quarantined ones excluded)
required-suites = ["api-tests"]   # each must be present with at least one test
allow-empty = false      # zero tests passes only when true
fail-on-flaky = false    # a test that passed on a rerun fails the gate when true
allow-bad-files = false  # unreadable/missing report files are tolerated (listed) when true

[[quarantine]]           # known failures that do not fail the gate until they expire
test = "tests.api.test_orders::test_refund*"    # fnmatch pattern on the test id
owner = "team-orders"
reason = "ORD-123: refund sandbox is flaky"
expires = 2026-12-31

[suites."provider-verification"]   # per-suite overrides (suite name, fnmatch pattern)
max-failures = 0
min-tests = 3
min-pass-rate = 100.0
fail-on-flaky = true
```
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testgate.errors import ConfigError

_GATE_KEYS = {
    "min-tests",
    "min-pass-rate",
    "max-failures",
    "required-suites",
    "allow-empty",
    "fail-on-flaky",
    "allow-bad-files",
}
_SUITE_KEYS = {"min-tests", "min-pass-rate", "max-failures", "fail-on-flaky"}
_QUARANTINE_KEYS = {"test", "owner", "reason", "expires"}


@dataclass(frozen=True)
class QuarantineEntry:
    """A known failure excused until ``expires`` (inclusive)."""

    pattern: str
    owner: str
    reason: str
    expires: dt.date


@dataclass(frozen=True)
class SuiteRule:
    """Per-suite overrides; ``None`` means "use the global rule"."""

    pattern: str
    min_tests: int | None = None
    min_pass_rate: float | None = None
    max_failures: int | None = None
    fail_on_flaky: bool | None = None


@dataclass(frozen=True)
class Policy:
    """What makes the gate pass. The defaults fail closed."""

    min_tests: int = 1
    min_pass_rate: float | None = None
    max_failures: int = 0
    required_suites: tuple[str, ...] = ()
    allow_empty: bool = False
    fail_on_flaky: bool = False
    allow_bad_files: bool = False
    quarantine: tuple[QuarantineEntry, ...] = ()
    suites: tuple[SuiteRule, ...] = field(default=())
    source: str | None = None


def _err(source: str, message: str) -> ConfigError:
    return ConfigError(
        f"policy {source}: {message}",
        hint="see README 'Reports and gates' for the policy format",
    )


def _int(source: str, key: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _err(source, f"{key} must be an integer >= {minimum}, not {value!r}")
    return value


def _rate(source: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise _err(source, f"{key} must be a percentage between 0 and 100, not {value!r}")
    return float(value)


def _bool(source: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _err(source, f"{key} must be true or false, not {value!r}")
    return value


def _unknown(source: str, where: str, keys: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(keys) - allowed)
    if extra:
        raise _err(
            source,
            f"unknown key(s) {', '.join(extra)} in {where} (known: {', '.join(sorted(allowed))})",
        )


def parse_policy(data: Mapping[str, Any], source: str = "<policy>") -> Policy:
    """Build a :class:`Policy` from parsed TOML, checking every key and type.

    Raises:
        ConfigError: unknown keys or wrong types (the message names them).
    """
    _unknown(source, "the file", data, {"gate", "quarantine", "suites"})
    gate = data.get("gate", {})
    if not isinstance(gate, Mapping):
        raise _err(source, "[gate] must be a table")
    _unknown(source, "[gate]", gate, _GATE_KEYS)
    kwargs: dict[str, Any] = {}
    if "min-tests" in gate:
        kwargs["min_tests"] = _int(source, "min-tests", gate["min-tests"])
    if "min-pass-rate" in gate:
        kwargs["min_pass_rate"] = _rate(source, "min-pass-rate", gate["min-pass-rate"])
    if "max-failures" in gate:
        kwargs["max_failures"] = _int(source, "max-failures", gate["max-failures"])
    for key, attr in (
        ("allow-empty", "allow_empty"),
        ("fail-on-flaky", "fail_on_flaky"),
        ("allow-bad-files", "allow_bad_files"),
    ):
        if key in gate:
            kwargs[attr] = _bool(source, key, gate[key])
    if "required-suites" in gate:
        req = gate["required-suites"]
        if not isinstance(req, list) or not all(isinstance(s, str) and s for s in req):
            raise _err(source, "required-suites must be a list of suite names")
        kwargs["required_suites"] = tuple(req)

    entries = data.get("quarantine", [])
    if not isinstance(entries, list):
        raise _err(source, "quarantine must be an array of tables ([[quarantine]])")
    quarantine = []
    for i, entry in enumerate(entries, 1):
        where = f"[[quarantine]] #{i}"
        if not isinstance(entry, Mapping):
            raise _err(source, f"{where} must be a table")
        _unknown(source, where, entry, _QUARANTINE_KEYS)
        missing = [k for k in ("test", "owner", "reason", "expires") if not entry.get(k)]
        if missing:
            raise _err(source, f"{where} is missing {', '.join(missing)} (all four are required)")
        expires = entry["expires"]
        if isinstance(expires, dt.datetime):
            expires = expires.date()
        elif isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise _err(source, f"{where} expires must be a date (YYYY-MM-DD)") from None
        elif not isinstance(expires, dt.date):
            raise _err(source, f"{where} expires must be a date (YYYY-MM-DD)")
        wrong = [k for k in ("test", "owner", "reason") if not isinstance(entry[k], str)]
        if wrong:  # a list of tests would become one odd pattern: say so instead
            raise _err(source, f"{where} {', '.join(wrong)} must be text (one entry per test)")
        quarantine.append(QuarantineEntry(entry["test"], entry["owner"], entry["reason"], expires))

    suites_tbl = data.get("suites", {})
    if not isinstance(suites_tbl, Mapping):
        raise _err(source, "[suites] must be a table of suite-name tables")
    rules = []
    for pattern, rule in suites_tbl.items():
        where = f"[suites.{pattern!r}]"
        if not isinstance(rule, Mapping):
            raise _err(source, f"{where} must be a table")
        _unknown(source, where, rule, _SUITE_KEYS)
        rules.append(
            SuiteRule(
                pattern=pattern,
                min_tests=_int(source, "min-tests", rule["min-tests"])
                if "min-tests" in rule
                else None,
                min_pass_rate=_rate(source, "min-pass-rate", rule["min-pass-rate"])
                if "min-pass-rate" in rule
                else None,
                max_failures=_int(source, "max-failures", rule["max-failures"])
                if "max-failures" in rule
                else None,
                fail_on_flaky=_bool(source, "fail-on-flaky", rule["fail-on-flaky"])
                if "fail-on-flaky" in rule
                else None,
            )
        )
    return Policy(quarantine=tuple(quarantine), suites=tuple(rules), source=source, **kwargs)


def load_policy(path: Path | None) -> Policy:
    """Read a policy file; ``None`` gives the default (fail-closed) policy.

    Raises:
        ConfigError: the file is missing, not TOML, or has unknown keys or wrong types.
    """
    if path is None:
        return Policy()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read policy file {path}: {exc.strerror or exc}",
            hint="pass --policy with an existing file (or env TESTGATE_POLICY)",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"policy {path} is not UTF-8 text: {exc.reason} at byte {exc.start}",
            hint="save the policy file as UTF-8 (TOML files are UTF-8)",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"policy {path} is not valid TOML: {exc}", hint="fix the syntax") from exc
    return parse_policy(data, str(path))
