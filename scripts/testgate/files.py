"""Files testgate reads and writes: one JSON reader and one atomic writer.

Every file testgate writes (report JSON, Markdown, HTML, history, monitor state,
metrics, quarantine entries) goes through :func:`atomic_open`:

- the temporary file is created *exclusively* (``O_CREAT | O_EXCL | O_NOFOLLOW``)
  under a random name in the target's folder, so a planted ``out.json.tmp``
  symlink is never followed and never written through;
- it is flushed and fsynced, then renamed over the target: a reader sees the old
  file or the new one, never a torn one;
- the target must be absent or a regular file: a folder, a device (``/dev/full``),
  a FIFO or a symbolic link is refused before anything is written, so testgate
  never replaces a file it did not write;
- on any failure the temporary file is removed, and the error names the path:
  a bad path is a :class:`~testgate.errors.ConfigError` (exit 2), a full disk or
  another I/O failure a :class:`~testgate.errors.ToolError` (exit 3).

Every JSON file testgate reads (reports, history, baselines, pacts, durations,
monitor state) goes through :func:`read_json`, which maps each failure to one
message naming the file and says what a path is when it is not a file (a
folder, a FIFO, a device), without ever blocking on one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from testgate.errors import ConfigError, ReportError, TestgateError, ToolError

_NO_DEFAULT: Any = object()

# errno -> what it says about a path the user gave (a usage error, exit 2)
_PATH_ERRORS = {
    errno.ENOENT: "a folder in the path does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EISDIR: "it is a folder",
    errno.ELOOP: "a symbolic link loop",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EXDEV: "the temporary file is on another device",
}
# errno -> a problem of the machine, not of the path (exit 3)
_DISK_FULL = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded"}


def kind_of(mode: int) -> str:
    """What a ``st_mode`` is, in words ("a folder", "a FIFO", ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


# --------------------------------------------------------------------------- reading


def read_json(
    path: Path,
    what: str,
    *,
    error: type[TestgateError] = ReportError,
    invalid: type[TestgateError] | None = None,
    hint: str | None = None,
    missing_error: type[TestgateError] | None = None,
    missing_hint: str | None = None,
    default: Any = _NO_DEFAULT,
) -> Any:
    """Read and decode a UTF-8 JSON file, every failure mapped to one error naming it.

    Args:
        path: the file.
        what: how messages name it ("report JSON", "history file", ...).
        error: raised when the file cannot be read (permissions, I/O).
        invalid: raised when it is not UTF-8 JSON (default: ``error``).
        hint: the fix, added to every error.
        missing_error: raised when the file does not exist (default: ``error``).
        missing_hint: the fix for a missing file (default: ``hint``).
        default: returned when the file does not exist, instead of raising.

    Returns:
        The decoded JSON value (the caller checks its shape).

    Raises:
        ConfigError: the path is a folder, a FIFO, a device or a socket (exit 2).
        TestgateError: ``missing_error``, ``error`` or ``invalid`` as above.
    """
    where = f"cannot read {what} {path}"
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        if default is not _NO_DEFAULT:
            return default
        raise (missing_error or error)(
            f"{where}: it does not exist", hint=missing_hint or hint
        ) from None
    except OSError as exc:
        raise error(f"{where}: {_os_reason(exc)}", hint=hint) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(
                f"{where}: it is {kind_of(mode)}, not a file",
                hint=hint or f"pass the path of the {what} itself",
            )
        os.set_blocking(fd, True)
        with open(fd, "rb", closefd=False) as fh:
            raw = fh.read()
    except OSError as exc:
        raise error(f"{where}: {_os_reason(exc)}", hint=hint) from None
    finally:
        os.close(fd)
    bad = invalid or error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad(
            f"{where}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            hint=hint,
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(
            f"{where}: {path.name} is not valid JSON (line {exc.lineno}): "
            f"{exc.msg} (column {exc.colno})",
            hint=hint,
        ) from None
    except RecursionError:
        raise bad(f"{where}: its JSON is nested too deeply", hint=hint) from None


def _os_reason(exc: OSError) -> str:
    return _PATH_ERRORS.get(exc.errno or 0) or exc.strerror or type(exc).__name__


# --------------------------------------------------------------------------- writing


def _write_error(exc: OSError, what: str, path: Path) -> TestgateError:
    """The error for an ``OSError`` met while writing ``path``."""
    where = f"cannot write {what} {path}"
    code = exc.errno or 0
    if code in _DISK_FULL:
        return ToolError(
            f"{where}: {_DISK_FULL[code]} ({exc.strerror})",
            hint="free space on the runner, or write the file to another disk",
        )
    if code == errno.EFBIG:
        return ToolError(f"{where}: the file is too large for this file system or its limits")
    if code in _PATH_ERRORS:
        return ConfigError(
            f"{where}: {_PATH_ERRORS[code]}",
            hint="pass a path in a folder this job can write to",
        )
    return ToolError(f"{where}: {exc.strerror or type(exc).__name__}")


def check_target(path: Path, what: str, *, hint: str | None = None) -> int | None:
    """The mode to keep when ``path`` is a regular file, None when it does not exist.

    Raises:
        ConfigError: it is a folder, a symbolic link, a device, a FIFO or a socket (``hint``:
            the fix to name instead of the default).
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _write_error(exc, what, path) from None
    if stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode)
    raise ConfigError(
        f"cannot write {what} {path}: it is {kind_of(st.st_mode)}; testgate only replaces "
        "regular files",
        hint=hint or f"pass a file path for the {what} (the existing one is left as it is)",
    )


def _random_suffix() -> str:
    return os.urandom(6).hex()  # unpredictable; os.urandom spares importing `secrets`


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty temporary file in ``folder``, created exclusively (never a symlink)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = folder / f".{name[:200]}.{_random_suffix()}.tmp"
        try:
            # 0o666 minus the umask: the mode a plain open() would give a new file
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # someone else's file (or a planted link): pick another name
            continue
    raise ToolError(f"cannot create a temporary file in {folder}: every name tried was taken")


@contextlib.contextmanager
def atomic_open(path: Path, *, what: str = "file", binary: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` when the ``with`` block ends without error.

    Text is UTF-8. The replaced file keeps its permission bits; a new file gets
    the ones a plain ``open()`` would give it. The folder is created if needed.

    Raises:
        ConfigError: ``path`` is a folder or not a regular file, or its folder
            cannot be written (exit 2).
        ToolError: the disk is full or another I/O error happened (exit 3).
    """
    path = Path(path)
    keep_mode = check_target(path, what)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(
            f"cannot write {what} {path}: {folder} is not a folder",
            hint="pass a path in a folder this job can write to",
        ) from None
    except OSError as exc:
        raise _write_error(exc, what, path) from None
    try:
        fd, tmp = _create_temp(folder, path.name)
    except OSError as exc:
        raise _write_error(exc, what, path) from None
    fh: IO[Any] | None = None
    try:
        if keep_mode is not None:
            os.fchmod(fd, keep_mode)
        fh = open(fd, "wb") if binary else open(fd, "w", encoding="utf-8")  # noqa: SIM115
        yield fh
        fh.flush()
        os.fsync(fd)
        fh.close()
        fh = None
        check_target(path, what)  # still not a folder or a device, right before the rename
        os.replace(tmp, path)
    except BaseException as exc:
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()
        else:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _write_error(exc, what, path) from None
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Persist the rename (best effort: not every file system can fsync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text(path: Path, content: str | Iterable[str], *, what: str = "file") -> Path:
    """Write UTF-8 text atomically (see :func:`atomic_open`); ``content`` may come in chunks.

    Returns:
        ``path``.
    """
    with atomic_open(path, what=what) as fh:
        if isinstance(content, str):
            fh.write(content)
        else:
            for chunk in content:
                fh.write(chunk)
    return Path(path)


def write_bytes(path: Path, content: bytes, *, what: str = "file") -> Path:
    """Write bytes atomically (see :func:`atomic_open`).

    Returns:
        ``path``.
    """
    with atomic_open(path, what=what, binary=True) as fh:
        fh.write(content)
    return Path(path)


__all__ = ["atomic_open", "kind_of", "read_json", "write_bytes", "write_text"]
