"""Hostile input to the report reader (issue 11, items 4 and 8): one bad file never sinks the run.

Each test here failed on the reader before the fix; the message must name the file and say
what is wrong, the other files must still be read, and the gate must fail closed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from testgate.commands import report
from testgate.junit import expand_paths, parse_reports

GOOD = '<testsuite name="ok"><testcase classname="c" name="passes"/></testsuite>'


def write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


# -- 4. an absurd number is an input error of that file only ------------------------------------
@pytest.mark.parametrize(
    "attrs",
    [
        pytest.param('failures="1e309"', id="failures-overflow"),
        pytest.param('errors="1e309"', id="errors-overflow"),
        pytest.param('tests="1e309"', id="tests-overflow"),
        pytest.param('failures="-1e309"', id="negative-overflow"),
    ],
)
def test_absurd_count_is_an_error_of_that_file_only(tmp_path, attrs):
    bad = write(
        tmp_path / "bad.xml", f'<testsuite name="s" {attrs}><testcase name="t"/></testsuite>'
    )
    good = write(tmp_path / "good.xml", GOOD)
    r = parse_reports(expand_paths([str(bad), str(good)]))
    by_path = {Path(f.path).name: f for f in r.files}
    assert by_path["good.xml"].error is None
    assert by_path["good.xml"].tests == 1
    assert "1e309" in (by_path["bad.xml"].error or "")
    assert r.totals.tests == 1  # the bad file contributes nothing


def test_absurd_count_fails_closed_with_json_for_every_file(tmp_path, clean_environ, capsys):
    bad = write(
        tmp_path / "bad.xml",
        '<testsuite name="s" failures="1e309"><testcase name="t"/></testsuite>',
    )
    good = write(tmp_path / "good.xml", GOOD)
    out = tmp_path / "report.json"
    rc = report.main([str(bad), str(good), "--json", str(out)], clean_environ)
    captured = capsys.readouterr()
    assert rc == 3
    assert "internal error" not in captured.out + captured.err
    doc = json.loads(out.read_text())
    assert doc["decision"] == "error"
    files = {Path(f["path"]).name: f for f in doc["files"]}
    assert files["good.xml"]["tests"] == 1
    assert "bad.xml" in json.dumps(doc["reasons"]) or files["bad.xml"]["error"]
    assert "1e309" in files["bad.xml"]["error"]


# -- 8a. a raw control character in an attribute is repaired like one in text --------------------
@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(b'<testsuite name="s"><testcase name="a\x1bb"/></testsuite>', id="name-attr"),
        pytest.param(
            b'<testsuite name="s"><testcase name="a"><failure message="x\x07y"/></testcase></testsuite>',
            id="message-attr",
        ),
        pytest.param(
            b'<testsuite name="s"><testcase name="a"><failure>x\x07y</failure></testcase></testsuite>',
            id="text",
        ),
    ],
)
def test_raw_control_character_is_repaired_in_attributes_and_text(tmp_path, doc):
    r = parse_reports(expand_paths([str(write(tmp_path / "r.xml", doc))]))
    assert r.files[0].error is None, r.files[0].error
    assert r.totals.tests == 1
    assert any("control characters" in w for w in r.warnings)


# -- 8b. what is not a regular file is named as what it is ----------------------------------------
def test_fifo_is_named_a_fifo(tmp_path):
    fifo = tmp_path / "report.xml"
    os.mkfifo(fifo)
    (item,) = expand_paths([str(fifo)])
    assert item.error is not None
    assert "FIFO" in item.error
    assert "not found" not in item.error


def test_character_device_is_named_a_device():
    (item,) = expand_paths(["/dev/zero"])
    assert item.error is not None
    assert "character device" in item.error
    assert "not found" not in item.error


def test_symlink_loop_is_named_a_loop(tmp_path):
    loop = tmp_path / "loop.xml"
    loop.symlink_to(tmp_path / "loop.xml")
    (item,) = expand_paths([str(loop)])
    assert item.error is not None
    assert "symbolic link" in item.error
    assert "loop" in item.error


def test_dangling_symlink_names_its_target(tmp_path):
    link = tmp_path / "link.xml"
    link.symlink_to(tmp_path / "gone.xml")
    (item,) = expand_paths([str(link)])
    assert item.error is not None
    assert "gone.xml" in item.error


def test_special_files_end_as_exit_3_naming_the_path(tmp_path, clean_environ, capsys):
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    good = write(tmp_path / "good.xml", GOOD)
    rc = report.main([str(fifo), "/dev/zero", str(good)], clean_environ)
    out = capsys.readouterr().out
    assert rc == 3
    assert "pipe.xml" in out
    assert "FIFO" in out
    assert "/dev/zero" in out
    assert "character device" in out


# -- found by the fuzz test: a suite or case wrapped in an element that is not a suite ------------
@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(
            '<testsuites><testcase><testsuite name="s"><testcase name="a"><failure/></testcase>'
            '<testcase name="b"/></testsuite></testcase></testsuites>',
            id="suite-inside-a-testcase",
        ),
        pytest.param(
            '<testsuite name="outer"><testsuite name="s"><foo><testcase name="a"><failure/>'
            '</testcase></foo></testsuite><testcase name="ok"/></testsuite>',
            id="case-inside-an-unknown-element",
        ),
    ],
)
def test_every_failure_is_counted_whatever_wraps_it(tmp_path, doc):
    r = parse_reports(expand_paths([str(write(tmp_path / "r.xml", doc))]))
    t = r.totals
    assert t.tests == t.passed + t.failed + t.errors + t.skipped
    assert len(r.failures) == t.failed + t.errors == 1
