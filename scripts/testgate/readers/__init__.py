"""Reading test reports of every format into one :class:`~testgate.model.Report`.

``expand_paths`` turns files, directories and globs into inputs; ``parse_reports`` reads each
one with the reader of its format (detected from the content, never the file name, unless
``format=`` forces one) and merges them. Every reader streams (hardened lxml iterparse for
XML, ijson or one line at a time for JSON) and counts through the one engine
(``readers/engine.py``) by the model's rules. A file that cannot be read is a
:class:`~testgate.model.FileResult` with an ``error`` naming what is wrong; it contributes no
tests, the other files are still read, and the gate fails closed on it.
"""

from __future__ import annotations

import errno
import glob
import importlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from testgate.errors import ConfigError
from testgate.model import FileResult, Report, Totals
from testgate.readers.detect import detect
from testgate.readers.engine import Collector, FileReader
from testgate.readers.values import Rejected, parse_time
from testgate.readers.xmlsafe import (
    HEAD_BYTES,
    ControlCharFilter,
    check_prolog,
    clean_message,
    has_forbidden_chars,
    is_char_error,
)

__all__ = [
    "FORMATS",
    "InputFile",
    "ReportFormat",
    "expand_paths",
    "parse_reports",
    "parse_time",
    "read_test_entries",
    "read_tests",
]


@dataclass(frozen=True)
class ReportFormat:
    """A report format testgate reads."""

    name: str
    """What ``format=`` (``--format``) takes."""
    title: str
    kind: str
    """``xml`` or ``json`` (JSON documents and JSON-lines streams)."""
    extensions: tuple[str, ...]
    """What a directory is searched for when this format is forced."""


FORMATS: dict[str, ReportFormat] = {
    f.name: f
    for f in (
        ReportFormat("junit", "JUnit XML", "xml", ("xml",)),
        ReportFormat("nunit", "NUnit 2/3 XML", "xml", ("xml",)),
        ReportFormat("xunit", "xUnit.net v1-v3 XML", "xml", ("xml",)),
        ReportFormat("trx", "MSTest TRX", "xml", ("trx",)),
        ReportFormat("ctrf", "CTRF JSON", "json", ("json",)),
        ReportFormat("mocha", "Mocha JSON", "json", ("json",)),
        ReportFormat("rspec", "RSpec JSON", "json", ("json",)),
        ReportFormat("dart", "Dart/Flutter JSON", "json", ("json",)),
        ReportFormat("golang", "go test -json", "json", ("json", "jsonl")),
    )
}
AUTO_EXTENSIONS = ("xml", "trx")
"""What a directory is searched for when the format is detected (JSON files only by name)."""
KNOWN = (
    "testgate reads "
    + ", ".join(f.title for f in FORMATS.values())
    + " (--format "
    + "|".join(FORMATS)
    + " forces one)"
)


@dataclass(frozen=True)
class InputFile:
    """One file to read, as the user named it (``display``), or a pattern that matched nothing."""

    display: str
    path: Path | None
    error: str | None = None


def _not_regular(full: Path) -> str | None:
    """Why ``full`` cannot be read as a report file, or None for a regular file."""
    try:
        mode = full.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop (the link leads back to itself), not a file"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            if full.is_symlink():
                try:
                    target = os.readlink(full)
                except OSError:  # pragma: no cover - it was a link a moment ago
                    target = "?"
                return f"a symbolic link to a missing file ({target})"
            return "file not found"
        if exc.errno == errno.EACCES:
            return "permission denied"
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        what = "a named pipe (FIFO)"
    elif stat.S_ISCHR(mode):
        what = "a character device"
    elif stat.S_ISBLK(mode):
        what = "a block device"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    else:  # pragma: no cover - no other file types on Linux
        what = "not a regular file"
    return f"{what}, not a regular file: testgate reads report files only"


def expand_paths(
    patterns: Iterable[str], cwd: Path | None = None, format: str | None = None
) -> list[InputFile]:
    """Turn files, directories and globs into a list of files.

    A directory gives every ``*.xml`` and ``*.trx`` below it (with ``format``, the files
    that format is written to, e.g. ``*.json`` for ``ctrf``). A pattern that matches
    nothing, a missing file, or something that is not a regular file (a FIFO, a device, a
    symbolic link loop) is kept as an :class:`InputFile` with an ``error`` saying what it
    is: a missing report must never be silently ignored.

    Args:
        patterns: paths, directories or glob patterns (``**`` recurses).
        cwd: base for relative patterns (default: the current directory).
        format: a forced format name (:data:`FORMATS`), or None to detect each file's.
    """
    base = cwd or Path.cwd()
    extensions = FORMATS[format].extensions if format in FORMATS else AUTO_EXTENSIONS
    seen: set[Path] = set()
    out: list[InputFile] = []

    def add(p: Path, display: str) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(InputFile(display, p))

    for pattern in patterns:
        if not pattern:
            continue
        path = Path(pattern)
        full = path if path.is_absolute() else base / path
        if glob.has_magic(pattern):
            root = "/" if path.is_absolute() else str(base)
            matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))
            files = [m for m in matches if (Path(root) / m).is_file()]
            for m in files:
                add(Path(root) / m, m)
            if not files:
                out.append(InputFile(pattern, None, "no file matches this pattern"))
            continue
        problem = _not_regular(full)
        if problem is not None:
            out.append(InputFile(pattern, None, problem))
        elif full.is_dir():
            files = sorted(p for ext in extensions for p in full.rglob(f"*.{ext}") if p.is_file())
            for p in files:
                add(p, str(path / p.relative_to(full)))
            if not files:
                wanted = " or ".join(f"*.{ext}" for ext in extensions)
                out.append(InputFile(pattern, None, f"directory holds no {wanted} files"))
        else:
            add(full, pattern)
    return out


def _reader(name: str) -> Callable:
    return importlib.import_module(f"testgate.readers.{name}").read


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def _read_file(col: Collector, item: InputFile, forced: str | None) -> FileResult:
    """Read one file into ``col``; on any problem, a FileResult with the ``error``."""
    assert item.path is not None
    display, path = item.display, item.path
    problem = _not_regular(path)
    if problem is not None or path.is_dir():
        return FileResult(display, error=problem or "a directory, not a file")
    try:
        head = _head(path)
        if forced is None:
            name, _ = detect(head, KNOWN)
        else:
            name = forced
            if not head.strip():
                raise Rejected("empty file: no report at all")
            if FORMATS[name].kind == "xml":
                check_prolog(head)
    except Rejected as exc:
        return FileResult(display, error=str(exc), line=exc.line)
    except OSError as exc:
        return FileResult(display, error=f"cannot read: {exc.strerror or exc}")
    read = _reader(name)
    mark = col.mark()
    opened: list = []

    def filtered():
        raw = path.open("rb")
        opened.append(raw)
        return ControlCharFilter(raw)

    reader: FileReader | None = None
    filtered_attempt = False
    try:
        for attempt in (0, 1) if FORMATS[name].kind == "xml" else (0,):
            opener = (lambda: str(path)) if attempt == 0 else filtered
            try:
                reader = read(col, display, path, opener)
                filtered_attempt = attempt == 1
                break
            except etree.XMLSyntaxError as exc:
                col.rollback(mark)
                msg = exc.msg or str(exc)
                if attempt == 0 and (is_char_error(msg) or has_forbidden_chars(path)):
                    continue  # control characters an old writer let through: once more, filtered
                return FileResult(
                    display, error=f"malformed XML: {clean_message(msg)}", line=exc.lineno
                )
    except Rejected as exc:
        col.rollback(mark)
        return FileResult(display, error=str(exc), line=exc.line, format=name)
    except OSError as exc:
        col.rollback(mark)
        return FileResult(display, error=f"cannot read: {exc.strerror or exc}", format=name)
    finally:
        for fh in opened:
            fh.close()
    assert reader is not None
    if filtered_attempt:
        reader.warn("control characters that XML forbids were replaced by U+FFFD")
    c = reader.counts
    col.totals.add(c)
    for key, counts in reader.suites.items():
        into = col.suites.get(key)
        if into is None:
            col.suites[key] = into = type(counts)()
        into.add(counts)
    col.suite_errors.extend(reader.suite_errors)
    col.warnings.extend(reader.warnings)
    if c.tests == 0:
        col.warnings.append(f"{display}: no test cases")
    return FileResult(
        display,
        tests=c.tests,
        passed=c.passed,
        failed=c.failed,
        errors=c.errors,
        skipped=c.skipped,
        flaky=c.flaky,
        time=round(c.time, 6),
        format=name,
    )


def parse_reports(
    inputs: Sequence[InputFile],
    *,
    keep_tests: bool = False,
    spool_dir: Path | None = None,
    progress: Callable[[int, int, FileResult], None] | None = None,
    format: str | None = None,
) -> Report:
    """Read every input file and merge the results.

    Args:
        inputs: from :func:`expand_paths`.
        keep_tests: also write one record per test case to a JSON-lines spool
            (``Report.tests_file``; the caller deletes it).
        spool_dir: where the spool goes (default: the system temp folder).
        progress: called after each file with (index, count, result).
        format: read every file as this format (:data:`FORMATS`) instead of detecting it.

    Returns:
        The merged :class:`Report`. Unreadable files are in ``Report.files`` with an
        ``error``; they contribute no tests.

    Raises:
        ConfigError: ``format`` is not a format testgate reads.
    """
    if format is not None and format not in FORMATS:
        raise ConfigError(
            f"unknown report format {format!r}",
            hint="one of " + ", ".join(FORMATS) + " (or leave it unset to detect each file's)",
        )
    col = Collector(keep_tests, spool_dir)
    try:
        for index, item in enumerate(inputs, 1):
            if item.path is None:
                result = FileResult(item.display, error=item.error or "not found")
            else:
                result = _read_file(col, item, format)
            col.files.append(result)
            if progress is not None:
                progress(index, len(inputs), result)
    finally:
        col.finish()
    bad = {f.path for f in col.files if f.error}
    slowest = []
    retracted = list(col.retracted)
    for tm, _seq, key in sorted(col.slowest, reverse=True):
        if (tm, key) in retracted:  # an attempt later folded into its rerun group
            retracted.remove((tm, key))
            continue
        report, tid = key.split("\x00", 1)
        if report not in bad:
            slowest.append((tid, round(tm, 6)))
    return Report(
        files=tuple(col.files),
        totals=Totals.of(col.totals),
        suites={k: Totals.of(v) for k, v in col.suites.items()},
        failures=tuple(col.failures),
        flaky=tuple(col.flaky),
        suite_errors=tuple(col.suite_errors),
        slowest=tuple(slowest),
        warnings=tuple(col.warnings),
        tests_file=col.spool_path,
    )


def read_test_entries(report: Report) -> Iterable[str]:
    """The report JSON's ``tests`` entries as JSON text, in report order (``keep_tests=True``)."""
    if report.tests_file is None:
        return
    with report.tests_file.open(encoding="utf-8") as fh:
        for line in fh:
            yield line.split("\t", 1)[0]


def read_tests(report: Report) -> Iterable[dict]:
    """The per-test records of a report parsed with ``keep_tests=True``, in report order.

    Each has ``id``, ``suite``, ``outcome``, ``time``, ``flaky``, ``classname``, ``name``
    and ``message``.
    """
    if report.tests_file is None:
        return
    with report.tests_file.open(encoding="utf-8") as fh:
        for line in fh:
            entry, extra = line.split("\t", 1)
            record = json.loads(entry)
            record["classname"], record["name"], record["message"] = json.loads(extra)
            yield record
