"""The streaming JUnit reader: outcomes, reruns, suite-level errors, times, encodings, hardening."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from testgate import junit
from testgate.junit import expand_paths, parse_reports, parse_time, read_tests
from testgate.readers import engine
from testgate.readers import junit as readers_junit


def parse(tmp_path: Path, *docs: str | bytes, keep_tests: bool = False):
    paths = []
    for i, doc in enumerate(docs):
        path = tmp_path / f"r{i}.xml"
        if isinstance(doc, bytes):
            path.write_bytes(doc)
        else:
            path.write_text(doc, encoding="utf-8")
        paths.append(str(path))
    return parse_reports(expand_paths(paths), keep_tests=keep_tests, spool_dir=tmp_path)


def suite(*cases: str, attrs: str = "") -> str:
    return f'<testsuite name="s" {attrs}>' + "".join(cases) + "</testsuite>"


@pytest.mark.parametrize(
    ("raw", "seconds", "warned"),
    [
        pytest.param(None, 0.0, False, id="missing"),
        pytest.param("1.5", 1.5, False, id="plain"),
        pytest.param("1e-3", 0.001, False, id="exponent"),
        pytest.param("2.5E+2", 250.0, False, id="exponent-upper"),
        pytest.param("0,288", 0.288, False, id="decimal-comma"),
        pytest.param("2,503.1", 2503.1, False, id="thousands"),
        pytest.param("1,234,567", 1234567.0, False, id="thousands-only"),
        pytest.param(" 3 ", 3.0, False, id="spaces"),
        pytest.param("-4.2", 0.0, True, id="negative"),
        pytest.param("<<computed>>", 0.0, True, id="not-a-number"),
        pytest.param("inf", 0.0, True, id="infinite"),
        pytest.param("nan", 0.0, True, id="nan"),
    ],
)
def test_parse_time(raw, seconds, warned):
    value, warning = parse_time(raw)
    assert value == pytest.approx(seconds)
    assert (warning is not None) == warned


def test_times_in_cases_are_normalised_with_warnings(tmp_path):
    r = parse(
        tmp_path,
        suite(
            '<testcase name="a" time="0,5"/>',
            '<testcase name="b" time="1,000.5"/>',
            '<testcase name="c" time="-3"/>',
            '<testcase name="d"/>',
            '<testcase name="e" time="2e-1"/>',
        ),
    )
    assert r.totals.time == pytest.approx(0.5 + 1000.5 + 0.2)
    assert any("'-3' is negative" in w for w in r.warnings)
    assert r.slowest[0] == ("s::b", 1000.5)


@pytest.mark.parametrize(
    ("children", "outcome"),
    [
        pytest.param("", "passed", id="nothing"),
        pytest.param("<system-out>x</system-out>", "passed", id="output-only"),
        pytest.param("<skipped/>", "skipped", id="skipped"),
        pytest.param("<skipped/><failure/>", "failed", id="failure-beats-skipped"),
        pytest.param("<failure/><error/>", "error", id="error-beats-failure"),
        pytest.param("<error/><failure/><skipped/>", "error", id="error-first"),
        pytest.param("<failure/><failure/>", "failed", id="two-failures-one-test"),
    ],
)
def test_outcome_precedence(tmp_path, children, outcome):
    r = parse(
        tmp_path, suite(f'<testcase classname="c" name="t">{children}</testcase>'), keep_tests=True
    )
    assert r.totals.tests == 1
    assert [t["outcome"] for t in read_tests(r)] == [outcome]


@pytest.mark.parametrize(
    ("attrs", "outcome"),
    [
        pytest.param('status="disabled"', "skipped", id="disabled"),
        pytest.param('status="skipped"', "skipped", id="status-skipped"),
        pytest.param('status="notrun"', "skipped", id="gtest-notrun"),
        pytest.param('status="run" result="skipped"', "passed", id="status-wins-over-result"),
        pytest.param('status="run"', "passed", id="gtest-run"),
        pytest.param('status="failed"', "failed", id="status-failed-without-element"),
        pytest.param('status="errored"', "error", id="status-errored"),
        pytest.param('status="disabled" skipped="true"', "skipped", id="skipped-attr"),
    ],
)
def test_status_attributes(tmp_path, attrs, outcome):
    r = parse(tmp_path, suite(f'<testcase name="t" {attrs}/>'), keep_tests=True)
    assert [t["outcome"] for t in read_tests(r)] == [outcome]


def test_surefire_flaky_failure_is_a_flaky_pass(tmp_path):
    r = parse(
        tmp_path,
        suite(
            '<testcase classname="c" name="t"><flakyFailure message="x"/><flakyError/></testcase>',
            attrs='failures="2"',
        ),
    )
    assert (r.totals.passed, r.totals.flaky, r.totals.failed) == (1, 1, 0)
    assert r.flaky[0].id == "c::t"
    assert r.flaky[0].attempts == 3
    assert r.suite_errors == ()  # the declared failures are the flaky attempts


def test_surefire_rerun_failure_that_never_passed_fails(tmp_path):
    r = parse(
        tmp_path,
        suite(
            '<testcase classname="c" name="t"><failure message="boom"/>'
            "<rerunFailure/><rerunFailure/></testcase>"
        ),
    )
    assert (r.totals.failed, r.totals.flaky) == (1, 0)
    assert r.failures[0].attempts == 3
    assert r.failures[0].message == "boom"


def test_rerun_without_final_failure_is_flaky(tmp_path):
    r = parse(tmp_path, suite('<testcase classname="c" name="t"><rerunFailure/></testcase>'))
    assert (r.totals.passed, r.totals.flaky) == (1, 1)


def test_repeated_id_failed_then_passed_counts_once_as_flaky(tmp_path):
    r = parse(
        tmp_path,
        suite(
            '<testcase classname="c" name="t" time="1"><failure message="first"/></testcase>',
            '<testcase classname="c" name="t" time="1"><error message="second"/></testcase>',
            '<testcase classname="c" name="t" time="1"/>',
            '<testcase classname="other" name="t" time="1"/>',
        ),
        keep_tests=True,
    )
    t = r.totals
    assert (t.tests, t.passed, t.failed, t.errors, t.flaky) == (2, 2, 0, 0, 1)
    assert r.failures == ()
    assert r.flaky[0].attempts == 3
    assert [x["id"] for x in read_tests(r)] == ["c::t", "other::t"]
    assert t.time == pytest.approx(4.0)


def test_repeated_id_that_never_passes_is_one_failure(tmp_path):
    r = parse(
        tmp_path,
        suite(
            '<testcase classname="c" name="t"><failure message="1"/></testcase>',
            '<testcase classname="c" name="t"><failure message="2"/></testcase>',
            '<testcase classname="c" name="t"><error message="3"/></testcase>',
        ),
    )
    assert (r.totals.tests, r.totals.errors, r.totals.failed) == (1, 1, 0)
    assert r.failures[0].message == "3"
    assert r.failures[0].attempts == 3


def test_repeated_passing_ids_stay_separate_tests(tmp_path):
    # TestNG/parametrised runs repeat names on purpose; only a failure followed by a rerun merges.
    r = parse(tmp_path, suite('<testcase classname="c" name="t"/>' * 3))
    assert (r.totals.tests, r.totals.flaky) == (3, 0)


def test_failure_after_a_pass_is_not_hidden(tmp_path):
    r = parse(
        tmp_path,
        suite(
            '<testcase classname="c" name="t"/>',
            '<testcase classname="c" name="t"><failure/></testcase>',
        ),
    )
    assert r.totals.failed == 1


def test_rerun_across_suites_does_not_merge(tmp_path):
    doc = (
        "<testsuites>"
        '<testsuite name="a"><testcase classname="c" name="t"><failure/></testcase></testsuite>'
        '<testsuite name="b"><testcase classname="c" name="t"/></testsuite>'
        "</testsuites>"
    )
    r = parse(tmp_path, doc)
    assert (r.totals.tests, r.totals.failed, r.totals.passed) == (2, 1, 1)


def test_test_id_falls_back_to_suite_name(tmp_path):
    r = parse(tmp_path, suite('<testcase name="t"><failure/></testcase>'))
    assert r.failures[0].id == "s::t"


def test_failure_file_and_line_from_case_or_result(tmp_path):
    r = parse(
        tmp_path,
        suite(
            '<testcase name="a" file="a.py" line="3"><failure message="m">body</failure></testcase>',
            '<testcase name="b"><error message="m" file="b.ts" line="7"/></testcase>',
            '<testcase name="c" line="zero"><failure/></testcase>',
        ),
    )
    locs = [(f.file, f.line) for f in r.failures]
    assert locs == [("a.py", 3), ("b.ts", 7), (None, None)]
    assert r.failures[0].details == "body"


def test_message_falls_back_to_first_line_of_text(tmp_path):
    r = parse(
        tmp_path, suite('<testcase name="a"><failure>line one\nline two</failure></testcase>')
    )
    assert r.failures[0].message == "line one"


# -- suite-level declarations -------------------------------------------------
def test_error_directly_under_suite_is_a_suite_error(tmp_path):
    r = parse(
        tmp_path,
        suite('<error message="NoClassDefFoundError">trace</error>', attrs='tests="1" errors="1"'),
    )
    assert r.totals.tests == 0
    assert len(r.suite_errors) == 1
    assert "NoClassDefFoundError" in r.suite_errors[0].message


def test_declared_failures_without_cases_is_a_suite_error(tmp_path):
    r = parse(tmp_path, suite(attrs='tests="1" failures="1"'))
    assert r.suite_errors[0].declared == 1
    assert r.suite_errors[0].counted == 0


def test_declared_counts_matching_cases_are_fine(tmp_path):
    r = parse(
        tmp_path,
        suite(
            '<testcase name="a"><failure/></testcase><testcase name="b"><error/></testcase>',
            attrs='tests="2" failures="1" errors="1"',
        ),
    )
    assert r.suite_errors == ()


def test_nested_suites_sum_up_without_double_reporting(tmp_path):
    doc = """<testsuites failures="2">
      <testsuite name="outer" failures="2">
        <testsuite name="inner1" failures="1"><testcase name="a"><failure/></testcase></testsuite>
        <testsuite name="inner2" failures="1" errors="1">
          <error message="setup exploded"/>
          <testcase name="b"><failure/></testcase>
        </testsuite>
        <testcase name="c"/>
      </testsuite>
    </testsuites>"""
    r = parse(tmp_path, doc)
    assert (r.totals.tests, r.totals.failed, r.totals.passed) == (3, 2, 1)
    assert [e.suite for e in r.suite_errors] == ["inner2"]
    assert r.suites["outer"].tests == 3
    assert r.suites["inner2"].failed == 1


def test_declared_tests_without_cases_only_warns(tmp_path):
    r = parse(tmp_path, suite(attrs='tests="5"'))
    assert r.suite_errors == ()
    assert any("declares 5 tests but contains none" in w for w in r.warnings)


# -- encodings ------------------------------------------------------------------
ENC_DOC = '<testsuite name="s"><testcase classname="é" name="ü"><failure message="ß"/></testcase></testsuite>'


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xef\xbb\xbf" + ENC_DOC.encode(), id="utf8-bom"),
        pytest.param(
            b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?>\n" + ENC_DOC.encode(),
            id="bom+decl",
        ),
        pytest.param(
            b"<?xml version='1.0' encoding='ISO-8859-1'?>" + ENC_DOC.encode("latin-1"), id="latin-1"
        ),
        pytest.param(
            "<?xml version='1.0' encoding='UTF-16'?>".encode("utf-16")
            + ENC_DOC.encode("utf-16-le"),
            id="utf16-bom",
        ),
        pytest.param(
            b"<?xml version='1.0' encoding='windows-1252'?>" + ENC_DOC.encode("cp1252"), id="cp1252"
        ),
    ],
)
def test_encodings(tmp_path, data):
    r = parse(tmp_path, data)
    assert r.files[0].error is None, r.files[0].error
    assert r.failures[0].id == "é::ü"
    assert r.failures[0].message == "ß"


def test_control_characters_are_replaced_not_fatal(tmp_path):
    doc = suite(
        '<testcase name="a"><error message="bad &#x1b; char &#0; here">x&#x7;y</error></testcase>'
    )
    r = parse(tmp_path, doc)
    assert r.files[0].error is None
    assert r.totals.errors == 1
    assert "\ufffd" in r.failures[0].message
    assert any("control characters" in w for w in r.warnings)


# -- broken input -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "needle", "line"),
    [
        pytest.param(b"", "empty file", None, id="empty"),
        pytest.param(b"  \n\n ", "empty file", None, id="blank"),
        pytest.param(
            b"<testsuite name='s'>\n<testcase name='a'>\n", "malformed XML", 3, id="truncated"
        ),
        pytest.param(
            b"<testsuite name='s'><testcase name='a' x=\"<\"/></testsuite>",
            "malformed XML",
            1,
            id="bad-attr",
        ),
        pytest.param(
            b"<html><body>hi</body></html>",
            "not a test report testgate reads: the root element is <html>",
            1,
            id="html",
        ),
        pytest.param(
            b'{"tests": 3}',
            "not a test report testgate reads: a JSON object with the keys 'tests'",
            None,
            id="json",
        ),
        pytest.param(b"plain text\n", "neither XML nor JSON", None, id="text"),
    ],
)
def test_unreadable_files_are_named_errors(tmp_path, data, needle, line):
    r = parse(tmp_path, data)
    f = r.files[0]
    assert needle in (f.error or "")
    assert f.line == line
    assert r.totals.tests == 0


def test_unknown_format_lists_the_formats_read(tmp_path):
    f = parse(tmp_path, b"<html/>").files[0]
    for name in junit.FORMATS:
        assert name in (f.error or "")
    assert "JUnit XML" in (f.error or "")
    assert "CTRF JSON" in (f.error or "")


def test_forced_junit_names_the_root_it_found(tmp_path):
    path = tmp_path / "r.xml"
    path.write_bytes(b"<test-run><test-case/></test-run>")
    r = parse_reports(expand_paths([str(path)]), format="junit")
    assert "not a JUnit report: the root element is <test-run>" in (r.files[0].error or "")
    assert r.files[0].line == 1


def test_bad_file_contributes_nothing_but_others_count(tmp_path):
    good = suite('<testcase name="ok"/>')
    truncated = suite('<testcase name="x"><failure/></testcase>' * 3)[:-30]
    r = parse(tmp_path, good, truncated, keep_tests=True)
    assert r.totals.tests == 1
    assert r.failures == ()
    assert [t["id"] for t in read_tests(r)] == ["s::ok"]
    assert [f.error is None for f in r.files] == [True, False]


# -- hardening ----------------------------------------------------------------------
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuite name="s"><testcase name="&lol9;"><failure message="&lol9;">&lol9;</failure></testcase></testsuite>
"""


@pytest.mark.parametrize("padding", [0, 2_000_000], ids=["plain", "after-2MB-comment"])
def test_billion_laughs_rejected_fast(tmp_path, padding):
    doc = BILLION_LAUGHS
    if padding:
        doc = doc.replace("?>\n", "?>\n<!--" + "x" * padding + "-->\n", 1)
    start = time.perf_counter()
    r = parse(tmp_path, doc)
    assert time.perf_counter() - start < 1.0
    assert r.files[0].error
    assert r.totals.tests == 0
    assert r.failures == ()


def xxe_doc(secret: Path, padding: int = 0) -> str:
    pad = "<!--" + "y" * padding + "-->\n" if padding else ""
    return (
        f'<?xml version="1.0"?>\n{pad}<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<testsuite name="&xxe;"><testcase classname="&xxe;" name="t">'
        '<failure message="&xxe;">&xxe;</failure></testcase></testsuite>'
    )


@pytest.mark.parametrize("padding", [0, 2_000_000], ids=["plain", "after-2MB-comment"])
def test_xxe_never_reads_local_files(tmp_path, padding):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    r = parse(tmp_path, xxe_doc(secret, padding), keep_tests=True)
    # refused up front, or (past the first MiB) stopped by the parser: never read
    assert r.files[0].error
    assert r.totals.tests == 0
    assert "TOP-SECRET-CONTENT" not in repr(r)
    assert list(read_tests(r)) == []


def test_doctype_inside_output_is_not_refused(tmp_path):
    doc = suite(
        '<testcase name="a"><system-out><![CDATA[<!DOCTYPE html><html/>]]></system-out></testcase>'
    )
    r = parse(tmp_path, doc)
    assert r.files[0].error is None
    assert r.totals.passed == 1


# -- paths ------------------------------------------------------------------------------
def test_expand_paths(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.xml").write_text("<testsuite/>")
    (tmp_path / "a" / "deep").mkdir()
    (tmp_path / "a" / "deep" / "y.xml").write_text("<testsuite/>")
    (tmp_path / "a" / "notes.txt").write_text("no")
    (tmp_path / "empty").mkdir()
    got = expand_paths(["a", "a/*.xml", "missing.xml", "nomatch-*.xml", "empty"], cwd=tmp_path)
    assert [(i.display, i.error) for i in got] == [
        ("a/deep/y.xml", None),
        ("a/x.xml", None),
        ("missing.xml", "file not found"),
        ("nomatch-*.xml", "no file matches this pattern"),
        ("empty", "directory holds no *.xml or *.trx files"),
    ]


def test_recursive_glob(tmp_path):
    for shard in ("s1", "s2"):
        (tmp_path / shard / "sub").mkdir(parents=True)
        (tmp_path / shard / "sub" / "TEST-x.xml").write_text("<testsuite/>")
    got = expand_paths(["**/TEST-*.xml"], cwd=tmp_path)
    assert [i.display for i in got] == ["s1/sub/TEST-x.xml", "s2/sub/TEST-x.xml"]


# -- bounded memory ---------------------------------------------------------------------------
def test_failure_details_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "DETAILED_FAILURES", 2)
    body = "x" * 10_000
    r = parse(
        tmp_path,
        suite(
            *(
                f'<testcase name="t{i}"><failure message="m">{body}</failure></testcase>'
                for i in range(5)
            )
        ),
    )
    assert len(r.failures) == 5
    assert [len(f.details) for f in r.failures] == [junit.DETAIL_CHARS] * 2 + [0] * 3


def test_slowest_keeps_the_top_ten_in_order(tmp_path):
    cases = [f'<testcase name="t{i}" time="{i}"/>' for i in range(30)]
    r = parse(tmp_path, suite(*cases))
    assert [tid for tid, _ in r.slowest] == [f"s::t{i}" for i in range(29, 19, -1)]


# -- pytest-rerunfailures: one test case per attempt, earlier attempts may be empty -------------
def pytest_suite(*cases: str) -> str:
    return '<testsuites><testsuite name="pytest">' + "".join(cases) + "</testsuite></testsuites>"


def test_pytest_rerun_attempts_then_pass_are_one_flaky_test(tmp_path):
    # pytest-rerunfailures >= 16.6.1 writes an empty <testcase> for each failed attempt.
    r = parse(
        tmp_path,
        pytest_suite(
            '<testcase classname="m" name="t" time="1"/>',
            '<testcase classname="m" name="t" time="2"/>',
            '<testcase classname="m" name="u" time="0.5"/>',
        ),
        keep_tests=True,
    )
    t = r.totals
    assert (t.tests, t.passed, t.flaky) == (2, 2, 1)
    assert r.flaky[0].attempts == 2
    assert t.time == pytest.approx(3.5)
    assert [(x["id"], x["flaky"], x["time"]) for x in read_tests(r)] == [
        ("m::t", True, 3.0),
        ("m::u", False, 0.5),
    ]
    assert [tid for tid, _ in r.slowest] == ["m::t", "m::u"]


def test_pytest_rerun_attempts_that_never_pass_are_one_failure(tmp_path):
    r = parse(
        tmp_path,
        pytest_suite(
            '<testcase classname="m" name="t" time="9"/>',
            '<testcase classname="m" name="t" time="1"/>',
            '<testcase classname="m" name="t" time="1"><failure message="assert False"/></testcase>',
        ),
        keep_tests=True,
    )
    t = r.totals
    assert (t.tests, t.passed, t.failed, t.flaky) == (1, 0, 1, 0)
    assert r.failures[0].attempts == 3
    assert r.flaky == ()
    assert [x["outcome"] for x in read_tests(r)] == ["failed"]
    assert r.slowest == (("m::t", 11.0),)


def test_pytest_rerun_with_failure_elements_then_pass(tmp_path):
    r = parse(
        tmp_path,
        pytest_suite(
            '<testcase classname="m" name="t"/>',
            '<testcase classname="m" name="t"><failure/></testcase>',
            '<testcase classname="m" name="t"/>',
        ),
    )
    assert (r.totals.tests, r.totals.passed, r.totals.flaky) == (1, 1, 1)
    assert r.flaky[0].attempts == 3


@pytest.mark.parametrize(
    "boundary", [readers_junit.BATCH - 1, readers_junit.BATCH, 3 * readers_junit.BATCH + 1]
)
def test_reruns_across_tree_pruning_batches(tmp_path, boundary):
    # Read test cases are pruned from the tree in batches; a rerun must still see its
    # predecessor right at a batch boundary, and nothing may be counted twice or lost.
    cases = []
    for i in range(1000):
        cases.append(f'<testcase classname="m" name="t{i}" time="0.001"/>')
        if i == boundary:
            cases.append(f'<testcase classname="m" name="t{i}" time="0.001"/>')  # a rerun
        if i % 97 == 0:
            cases.append(f'<testcase classname="f" name="t{i}"><failure/></testcase>')
    r = parse(tmp_path, pytest_suite(*cases), keep_tests=True)
    t = r.totals
    fails = len(range(0, 1000, 97))
    assert (t.tests, t.failed, t.flaky) == (1000 + fails, fails, 1)
    assert r.flaky[0].id == f"m::t{boundary}"
    assert len(list(read_tests(r))) == t.tests


def test_many_suites_and_nesting_with_pruning(tmp_path):
    inner = "".join(f'<testcase classname="c" name="i{i}"/>' for i in range(300))
    outer = "".join(f'<testcase classname="c" name="o{i}"/>' for i in range(300))
    doc = (
        "<testsuites>"
        f'<testsuite name="outer">{outer}<testsuite name="inner">{inner}</testsuite>{outer}</testsuite>'
        f'<testsuite name="flat">{inner}</testsuite>'
        "</testsuites>"
    )
    r = parse(tmp_path, doc)
    assert r.totals.tests == 1200
    assert r.suites["inner"].tests == 300
    assert r.suites["outer"].tests == 900
    assert r.suites["flat"].tests == 300


def test_per_test_records_survive_awkward_text(tmp_path):
    # The spool holds one line per test, "<entry JSON>\t<extra JSON>": tabs, quotes,
    # backslashes, newlines and non-ASCII text in names and messages must round-trip.
    name = "a&#9;b &quot;q&quot; \\ é&#10;z"
    r = parse(
        tmp_path,
        suite(
            f'<testcase classname="c&#9;d" name="{name}"><failure message="m&#9;&quot;ü"/></testcase>',
            '<testcase classname="c" name="ok"/>',
        ),
        keep_tests=True,
    )
    records = list(read_tests(r))
    assert records[0]["name"] == 'a\tb "q" \\ é\nz'
    assert records[0]["classname"] == "c\td"
    assert records[0]["message"] == 'm\t"ü'
    assert records[0]["id"] == 'c\td::a\tb "q" \\ é\nz'
    assert [json.loads(e)["id"] for e in junit.read_test_entries(r)] == [
        records[0]["id"],
        "c::ok",
    ]
