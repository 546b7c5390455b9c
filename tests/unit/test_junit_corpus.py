"""Every file of the shared real-world JUnit corpus: a result or a clear per-file error.

The corpus lives beside the repository (``<clone>/../shared/junit-corpus``, or
``TESTGATE_JUNIT_CORPUS``). Locally a missing corpus skips these tests; on CI
(``CI=true``) it fails them, so they can never pass by not running.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testgate.gate import decide_gate
from testgate.junit import InputFile, expand_paths, parse_reports
from testgate.policy import Policy
from testgate.render import RenderContext, render_report_md

ROOT = Path(__file__).resolve().parents[2]

# Files that must give a per-file error, and the start of that error.
EXPECTED_ERRORS = {
    "jenkinsci-junit-plugin/junit/junitResult.xml": "not a test report testgate reads",
    "jenkinsci-junit-plugin/junit/testXxe-oob.xml": "refused",
    "jenkinsci-junit-plugin/junit/testXxe-xxe.xml": "refused",
    "mikepenz-action-junit-report/test_results/corrupt-junit/e2e-tests/corrupt/target/sf-reports/TEST-test.CorruptTest.xml": "malformed XML",
    "mikepenz-action-junit-report/test_results/junit-web-test/expected.xml": "malformed XML",
    "mikepenz-action-junit-report/test_results/junit-web-test/expectedRetries.xml": "malformed XML",
}
# NUnit 3 files in the corpus: read as NUnit (detected from the root element), not JUnit.
OTHER_FORMATS = {
    "dorny-test-reporter/fixtures/dotnet-nunit.xml": "nunit",
    "dorny-test-reporter/fixtures/external/nunit-sample.xml": "nunit",
}
# Files whose declared failures/errors are not backed by their test cases: the gate must fail.
EXPECTED_SUITE_ERRORS = {
    "dorny-test-reporter/fixtures/external/nunit-sample.xml",  # NUnit: a fixture that failed
    "jenkinsci-junit-plugin/junit/junit-report-1472.xml",
    "jenkinsci-junit-plugin/junit/junit-report-6700.xml",
    "jenkinsci-junit-plugin/junit/junit-report-nested-testsuites.xml",
    "mikepenz-action-junit-report/test_results/flaky_retries/flaky_with_classname_file.xml",
}


def _corpus() -> Path:
    candidates = []
    if os.environ.get("TESTGATE_JUNIT_CORPUS"):
        candidates.append(Path(os.environ["TESTGATE_JUNIT_CORPUS"]))
    candidates.append(ROOT.parent / "shared" / "junit-corpus")
    for path in candidates:
        if (path / "dorny-expected.json").is_file():
            return path
    message = f"JUnit corpus not found (looked in {', '.join(map(str, candidates))})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def corpus() -> Path:
    return _corpus()


@pytest.fixture(scope="module")
def corpus_results(corpus):
    files = sorted(corpus.rglob("*.xml"))
    assert len(files) >= 100, f"corpus at {corpus} looks incomplete ({len(files)} files)"
    results = {}
    for path in files:
        rel = str(path.relative_to(corpus))
        results[rel] = parse_reports([InputFile(rel, path)])
    return results


def test_every_file_gives_a_result_or_a_named_error(corpus_results):
    errors = {}
    for rel, report in corpus_results.items():
        (f,) = report.files
        if f.error:
            errors[rel] = f.error
        else:
            t = report.totals
            assert t.tests == t.passed + t.failed + t.errors + t.skipped, rel
    assert set(errors) == set(EXPECTED_ERRORS)
    for rel, prefix in EXPECTED_ERRORS.items():
        assert errors[rel].startswith(prefix), (rel, errors[rel])
    formats = {rel: r.files[0].format for rel, r in corpus_results.items() if not r.files[0].error}
    assert {rel: f for rel, f in formats.items() if f != "junit"} == OTHER_FORMATS


def test_counts_match_dorny_expected(corpus, corpus_results):
    expected = json.loads((corpus / "dorny-expected.json").read_text())
    checked = 0
    for rel, entry in expected.items():
        report = corpus_results[rel]
        t = report.totals
        for counts in entry["outputs"].values():
            got = {
                "total": t.tests,
                "passed": t.passed,
                "failed_or_errored": t.failed + t.errors,
                "skipped": t.skipped,
            }
            assert got == {k: counts[k] for k in got}, rel
            checked += 1
    assert checked >= 18


def test_suite_level_declarations_fail_the_gate(corpus_results):
    flagged = {rel for rel, r in corpus_results.items() if r.suite_errors}
    assert flagged == EXPECTED_SUITE_ERRORS
    for rel in EXPECTED_SUITE_ERRORS:
        decision = decide_gate(corpus_results[rel], Policy(), today=dt.date(2026, 11, 23))
        # fail, or error (exit 3) for 6700, whose only "test" is the suite-level error
        assert decision.decision in {"fail", "error"}, rel
        assert any("suite" in r for r in decision.reasons), rel


def test_surefire_flaky_and_rerun_files(corpus_results):
    flaky = corpus_results["jenkinsci-junit-plugin/junit/gh-237/TEST-io.olamy.FlakyTest.xml"]
    assert (flaky.totals.passed, flaky.totals.flaky) == (1, 1)
    always = corpus_results["jenkinsci-junit-plugin/junit/gh-237/TEST-io.olamy.AlwaysFailTest.xml"]
    assert always.totals.failed == 1
    assert always.failures[0].attempts == 4


def test_whole_corpus_merged_in_one_run(corpus):
    report = parse_reports(expand_paths([str(corpus)]))
    assert len(report.files) >= 100
    assert len(report.file_errors) == len(EXPECTED_ERRORS)
    decision = decide_gate(report, Policy(), today=dt.date(2026, 11, 23))
    assert decision.decision == "error"


# -- property test: mutated corpus files never crash the reader --------------------------------
SMALL = sorted(
    rel
    for rel in (
        "dorny-test-reporter/fixtures/python-xunit-pytest.xml",
        "dorny-test-reporter/fixtures/jest-junit.xml",
        "dorny-test-reporter/fixtures/phpunit/phpunit.xml",
        "jenkinsci-junit-plugin/junit/junit-report-nested-testsuites.xml",
        "jenkinsci-junit-plugin/junit/TEST-null.xml",
        "jenkinsci-junit-plugin/junit/testXxe-xxe.xml",
        "mikepenz-action-junit-report/test_results/flaky_retries/flaky_with_classname_file.xml",
        "mikepenz-action-junit-report/test_results/multiple_failures/test_multiple_errors.xml",
        "mikepenz-action-junit-report/test_results/issues/testDisabled.xml",
        "mikepenz-action-junit-report/test_results/maven_surefire_flaky/surefire-report.xml",
        "mikepenz-action-junit-report/test_results/nextest/basic.xml",
    )
)
TOKENS = [
    b"<",
    b">",
    b"&",
    b"&#0;",
    b"&#x1b;",
    b"]]>",
    b"<testcase name='x'>",
    b"</testcase>",
    b"<testsuite>",
    b"</testsuite>",
    b"<failure/>",
    b"<error>",
    b"<skipped/>",
    b"<flakyFailure/>",
    b'time="-1,5e3"',
    b'status="disabled"',
    b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
    b"\xef\xbb\xbf",
    b"\x00",
    b"\xff\xfe",
    b'encoding="UTF-16"',
]


@st.composite
def mutated(draw):
    corpus = _corpus()
    rel = draw(st.sampled_from(SMALL))
    data = bytearray((corpus / rel).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "flip", "truncate"]))
        i = draw(st.integers(0, len(data)))
        j = draw(st.integers(i, min(len(data), i + 200)))
        if op == "delete":
            del data[i:j]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from(TOKENS) | st.binary(max_size=8))
        elif op == "duplicate":
            data[i:i] = data[i:j]
        elif op == "flip" and i < len(data):
            data[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[i:]
    return rel, bytes(data)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("mutations") / "mutated.xml"


@settings(
    max_examples=800,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=mutated())
def test_mutated_corpus_files_never_crash(scratch, case):
    rel, data = case
    scratch.write_bytes(data)
    report = parse_reports([InputFile(rel, scratch)])
    (f,) = report.files
    if f.error is None:
        t = report.totals
        assert t.tests == t.passed + t.failed + t.errors + t.skipped
    else:
        assert t_is_zero(report)
    decision = decide_gate(report, Policy(), today=dt.date(2026, 11, 23))
    assert decision.decision in {"pass", "fail", "error"}
    if f.error:
        assert decision.decision == "error"
    ctx = RenderContext(version="test", generated_at="2026-11-23T00:00:00Z")
    assert render_report_md(report, decision, ctx, max_size=5000)


def t_is_zero(report) -> bool:
    return report.totals.tests == 0 and report.failures == () and report.flaky == ()
