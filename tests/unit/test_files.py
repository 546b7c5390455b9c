"""testgate.files: the one atomic writer and the one JSON reader, against hostile surroundings."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from testgate import files
from testgate.errors import ConfigError, ExitCode, ReportError, ToolError


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- writing


def test_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.json"
    files.write_text(target, "one")
    files.write_text(target, iter(["t", "w", "o"]))  # chunks, as the report JSON streams
    assert target.read_text(encoding="utf-8") == "two"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_a_planted_tmp_symlink_is_never_followed(tmp_path: Path) -> None:
    """`ln -s victim out.json.tmp` used to make `--json out.json` overwrite the victim."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "out.json.tmp").symlink_to(victim)
    (tmp_path / ".out.json.tmp").symlink_to(victim)
    files.write_text(tmp_path / "out.json", "report")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out.json").read_text() == "report"
    assert not (tmp_path / "out.json").is_symlink()


def test_the_temporary_file_is_created_exclusively(tmp_path: Path, monkeypatch) -> None:
    """Even a link planted under the exact random name is not followed: another name is taken."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    names = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(files, "_random_suffix", lambda: next(names))
    (tmp_path / ".out.json.aaaaaaaaaaaa.tmp").symlink_to(victim)
    files.write_text(tmp_path / "out.json", "report")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out.json").read_text() == "report"


@pytest.mark.parametrize("kind", ["folder", "symlink", "fifo"])
def test_a_target_that_is_not_a_regular_file_is_refused_and_left_alone(
    tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "out.json"
    victim = tmp_path / "victim"
    victim.write_text("precious")
    if kind == "folder":
        target.mkdir()
        (target / "inside").write_text("kept")
    elif kind == "symlink":
        target.symlink_to(victim)
    else:
        os.mkfifo(target)
    before = os.lstat(target)
    with pytest.raises(ConfigError) as info:
        files.write_text(target, "report", what="JSON report")
    assert info.value.exit_code == ExitCode.USAGE
    assert f"cannot write JSON report {target}: it is a" in info.value.message
    after = os.lstat(target)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert victim.read_text() == "precious"
    assert _leftovers(tmp_path) == []


def private_dev_full(folder: Path) -> Path:
    """A ``/dev/full`` of our own (char 1:7), so a regression can never replace the real one.

    Without the right to make device nodes, a FIFO stands in (also not a regular file).
    """
    node = folder / "full"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except PermissionError:
        os.mkfifo(node)
    return node


def test_a_device_as_target_is_refused_and_the_node_is_untouched(tmp_path: Path) -> None:
    """As root, `--json /dev/full` used to replace the device node with a regular file."""
    node = private_dev_full(tmp_path)
    before = os.lstat(node)
    with pytest.raises(ConfigError, match=r"full: it is a (character device|FIFO)"):
        files.write_text(node, "report")
    after = os.lstat(node)
    assert (after.st_ino, after.st_mode, after.st_rdev) == (
        before.st_ino,
        before.st_mode,
        before.st_rdev,
    )
    assert _leftovers(tmp_path) == []


def test_a_full_disk_is_exit_3_naming_the_path_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch
) -> None:
    target = tmp_path / "history.json"
    target.write_text("old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(ToolError) as info:
        files.write_text(target, "new" * 1000, what="history file")
    assert info.value.exit_code == ExitCode.UNDECIDED
    assert info.value.message.startswith(f"cannot write history file {target}: the disk is full")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A real 64 KiB file system (tmpfs), when this process may mount one (root)."""
    mount = shutil.which("mount")
    point = tmp_path / "tiny"
    point.mkdir()
    if os.geteuid() != 0 or not mount:
        pytest.skip("mounting a small tmpfs needs root; the simulated full disk test still runs")
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


def test_a_really_full_disk_is_exit_3_and_leaves_nothing_behind(tiny_disk: Path) -> None:
    target = tiny_disk / "report.json"
    target.write_text("old")
    with pytest.raises(ToolError) as info:
        files.write_text(target, ("x" * 4096 for _ in range(64)), what="JSON report")
    assert f"cannot write JSON report {target}: the disk is full" in info.value.message
    assert target.read_text() == "old"
    assert [p.name for p in tiny_disk.iterdir()] == ["report.json"]


def test_an_unwritable_folder_is_a_usage_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot write metrics file /proc/nope/m\.prom"):
        files.write_text(Path("/proc/nope/m.prom"), "x", what="metrics file")
    parent_is_a_file = tmp_path / "file"
    parent_is_a_file.write_text("")
    with pytest.raises(ConfigError, match="a part of the path is a file, not a folder"):
        files.write_text(parent_is_a_file / "out.json", "x")


def test_an_error_inside_the_block_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")

    def broken_renderer():
        yield "half"
        raise RuntimeError("renderer bug")

    with pytest.raises(RuntimeError):
        files.write_text(target, broken_renderer())
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_the_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umask(tmp_path: Path) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    kept.chmod(0o640)
    files.write_text(kept, "new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        fresh = files.write_bytes(tmp_path / "fresh.prom", b"# EOF\n")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    assert fresh.read_bytes() == b"# EOF\n"


# --------------------------------------------------------------------------- reading


def test_read_json_reads_and_a_missing_file_gives_the_default_or_an_error(tmp_path: Path) -> None:
    good = tmp_path / "a.json"
    good.write_text('{"a": [1, 2]}')
    assert files.read_json(good, "report JSON") == {"a": [1, 2]}
    assert files.read_json(tmp_path / "none.json", "state", default=None) is None
    with pytest.raises(ConfigError, match=r"cannot read durations file .*none\.json: it does not"):
        files.read_json(tmp_path / "none.json", "durations file", missing_error=ConfigError)
    with pytest.raises(ReportError) as info:
        files.read_json(tmp_path / "none.json", "report JSON", missing_hint="run report first")
    assert info.value.hint == "run report first"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        pytest.param(b'{"a":\n  nope}', r"a\.json is not valid JSON \(line 2\)", id="bad-json"),
        pytest.param(b'{"a": "\xff"}', r"not UTF-8 text \(byte 0xff at offset 7\)", id="not-utf8"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="too-deep"),
    ],
)
def test_read_json_maps_bad_content_to_one_error_naming_the_file(
    tmp_path: Path, content: bytes, needle: str
) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(content)
    with pytest.raises(ReportError, match=needle) as info:
        files.read_json(path, "report JSON", hint="regenerate it")
    assert info.value.message.startswith(f"cannot read report JSON {path}: ")
    assert info.value.hint == "regenerate it"


def test_read_json_says_what_a_path_is_when_it_is_not_a_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    found: dict[str, str] = {}

    def read_all() -> None:
        for name, path in (("dir", tmp_path), ("fifo", fifo), ("zero", Path("/dev/zero"))):
            with pytest.raises(ConfigError) as info:
                files.read_json(path, "baseline")
            found[name] = info.value.message
        with pytest.raises(ReportError) as info:
            files.read_json(loop, "baseline")
        found["loop"] = info.value.message

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(timeout=10)  # a FIFO or /dev/zero must never block or fill memory
    assert not reader.is_alive()
    assert found["dir"].endswith("it is a folder, not a file")
    assert found["fifo"].endswith("it is a FIFO (named pipe), not a file")
    assert found["zero"].endswith("it is a character device, not a file")
    assert found["loop"].endswith("a symbolic link loop")
