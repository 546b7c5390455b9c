"""Hostile surroundings for the files testgate writes and the history it keeps (issue 11).

Each test here failed before the one atomic writer (testgate.files) and the
history store's checks: a planted symlink was written through, /dev/full was
replaced, a folder given as the history file was renamed away, a newer history
was moved aside, and a ``javascript:`` pipeline URL became a link.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from history_sim import make_report
from testgate.commands import history, report

PASSING = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="api" tests="1">
<testcase classname="tests.test_api" name="test_ok" time="0.5"/>
</testsuite></testsuites>"""


def private_dev_full(folder: Path) -> Path:
    """A ``/dev/full`` of our own (char 1:7): a regression can never replace the real one."""
    node = folder / "full"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except PermissionError:
        os.mkfifo(node)  # no right to make device nodes: a FIFO is not a regular file either
    return node


@pytest.fixture
def junit(tmp_path: Path) -> Path:
    path = tmp_path / "junit.xml"
    path.write_text(PASSING, encoding="utf-8")
    return path


@pytest.fixture
def report_json(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(make_report([{"id": "a::x", "outcome": "passed", "time": 1.0}])))
    return path


# --------------------------------------------------------------------------- atomic writes


def test_report_json_never_writes_through_a_planted_tmp_symlink(
    tmp_path, junit, clean_environ
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "out.json.tmp").symlink_to(victim)  # the name the old writer used
    assert report.main([str(junit), "--json", str(tmp_path / "out.json")], clean_environ) == 0
    assert victim.read_text() == "precious"
    assert json.loads((tmp_path / "out.json").read_text())["decision"] == "pass"


def test_report_json_to_a_device_is_exit_2_and_leaves_the_device_node(
    tmp_path, junit, clean_environ, capsys
) -> None:
    """`--json /dev/full` as root replaced the device node; tried on a /dev/full of our own."""
    node = private_dev_full(tmp_path)
    before = os.lstat(node)
    assert report.main([str(junit), "--json", str(node)], clean_environ) == 2
    after = os.lstat(node)
    assert (after.st_ino, after.st_mode, after.st_rdev) == (
        before.st_ino,
        before.st_mode,
        before.st_rdev,
    )
    err = capsys.readouterr().err
    # report is on the settings model: its outputs are checked before any work is done
    assert (
        f"--json exists and is not a regular file (a device, FIFO or socket) (got '{node}')" in err
    )
    assert "internal error" not in err


def test_markdown_to_a_folder_is_exit_2_and_the_folder_is_kept(
    tmp_path, junit, clean_environ, capsys
) -> None:
    folder = tmp_path / "summary"
    folder.mkdir()
    (folder / "keep.md").write_text("mine")
    assert report.main([str(junit), "--markdown", str(folder)], clean_environ) == 2
    assert (folder / "keep.md").read_text() == "mine"
    # checked before any work by the settings loader (report is on the settings model)
    assert f"--markdown is a folder, not a file (got '{folder}')" in capsys.readouterr().err


def test_report_json_on_a_full_disk_is_exit_3_naming_the_path(
    tmp_path, junit, clean_environ, capsys
) -> None:
    mount = shutil.which("mount")
    if os.geteuid() != 0 or not mount:
        pytest.skip("needs root to mount a 16 KiB tmpfs (tests/unit/test_files.py simulates it)")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run([mount, "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(disk)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (disk / "filler").write_bytes(b"\0" * 16384)  # no room left at all
        out = disk / "report.json"
        assert report.main([str(junit), "--json", str(out)], clean_environ) == 3
        err = capsys.readouterr().err
        assert f"cannot write JSON report {out}: the disk is full" in err
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# --------------------------------------------------------------------------- history mistakes


def test_a_folder_as_history_file_is_exit_2_and_nothing_is_moved(
    tmp_path, report_json, clean_environ, capsys
) -> None:
    folder = tmp_path / "somedir"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    argv = ["record", "--report", str(report_json), "--history", f"{folder}/"]
    assert history.main(argv, clean_environ) == 2
    assert (folder / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "somedir"]
    assert "is a folder, not a file" in capsys.readouterr().err


def test_the_current_folder_as_history_file_is_exit_2(
    tmp_path, report_json, clean_environ, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["record", "--report", str(report_json), "--history", "."]
    assert history.main(argv, clean_environ) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_history_of_a_newer_schema_is_exit_3_and_left_as_it_is(
    tmp_path, report_json, clean_environ, capsys
) -> None:
    path = tmp_path / "h.json"
    newer = '{"schema": "testgate-history/99", "tests": {}, "runs": "a new layout"}\n'
    path.write_text(newer)
    argv = ["record", "--report", str(report_json), "--history", str(path)]
    assert history.main(argv, clean_environ) == 3
    assert path.read_text() == newer
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.json", "h.json.lock", "report.json"]
    assert "written by a newer testgate (testgate-history/99)" in capsys.readouterr().err
    assert history.main(["trend", "--history", str(path)], clean_environ) == 3


def test_a_corrupt_history_is_still_kept_aside(tmp_path, report_json, clean_environ) -> None:
    path = tmp_path / "h.json"
    path.write_text('{"schema": "testgate-history/1", "tests": [')
    argv = ["record", "--report", str(report_json), "--history", str(path)]
    assert history.main(argv, clean_environ) == 0
    assert len(list(tmp_path.glob("h.json.corrupt-*"))) == 1


# --------------------------------------------------------------------------- links


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        pytest.param("javascript:alert(4)//", False, id="javascript"),
        pytest.param("JavaScript:alert(4)", False, id="javascript-case"),
        pytest.param("data:text/html,<script>alert(4)</script>", False, id="data"),
        pytest.param("//evil.example/x", False, id="scheme-relative"),
        pytest.param("https://ci.example/run/1?a=1&b=2", True, id="https"),
    ],
)
def test_only_http_pipeline_urls_become_links_in_the_html_page(
    tmp_path, report_json, clean_environ, url, linked
) -> None:
    path = tmp_path / "h.json"
    record = ["record", "--report", str(report_json), "--history", str(path), "--no-summary"]
    # --pipeline-url is the build-url setting, an http(s) URL: anything else is refused at once
    flag = history.main([*record, "--pipeline-url", url], clean_environ)
    assert flag == (0 if linked else 2)
    if (
        not linked
    ):  # a CI's own variable is not checked by the settings: the page still must not link it
        ci = {**clean_environ, "GITLAB_CI": "true", "CI_JOB_URL": url}
        assert history.main(record, ci) == 0
    out = tmp_path / "page.html"
    assert history.main(["html", "--history", str(path), "--out", str(out)], clean_environ) == 0
    page = out.read_text()
    hrefs = [part.split('"', 1)[0] for part in page.split('href="')[1:]]
    if linked:
        assert hrefs == ["https://ci.example/run/1?a=1&amp;b=2"]
    else:
        assert hrefs == []
        assert "javascript:" not in page.lower() or "<code>javascript:" in page.lower()
