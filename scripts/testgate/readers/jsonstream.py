"""Streaming JSON for the JSON report formats, and the shape checks that name a JSON path.

Whole documents (CTRF, Mocha, RSpec) are read with ijson (the yajl2 C backend), one test
object at a time, so a report with a million tests never sits in memory. JSON-lines streams
(Dart, Go) are read a line at a time. A value of the wrong type is an input error of that
file naming where it is, as ``results.tests[3].duration: expected a number, found a string
('12ms')``.
"""

from __future__ import annotations

import codecs
import io
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import ijson

from testgate.readers.values import MAX_COUNT, Rejected, check_seconds

_UTF8_BOM = codecs.BOM_UTF8
_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class ShapeError(Rejected):
    """A JSON value where the format has another type, or a value the format does not allow."""


def describe(value: object) -> str:
    """How a JSON value is named in a message: ``a string ('x')``, ``null``, ``an array``, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover - JSON has no other types


def shape_error(path: str, expected: str, value: object, present: bool = True) -> ShapeError:
    found = describe(value) if present else "nothing (the key is missing)"
    return ShapeError(f"{path}: expected {expected}, found {found}")


def get_str(obj: dict, key: str, path: str, required: bool = False) -> str | None:
    """``obj[key]`` as a string (None when missing or null and not required)."""
    value = obj.get(key)
    if type(value) is str:
        return value
    if value is None and not required:
        return None
    raise shape_error(f"{path}.{key}", "a string", value, key in obj)


def get_number(obj: dict, key: str, path: str, required: bool = False) -> float | None:
    """``obj[key]`` as a number (int or float; never a boolean)."""
    value = obj.get(key)
    kind = type(value)
    if kind is int or kind is float:
        return value
    if value is None and not required:
        return None
    raise shape_error(f"{path}.{key}", "a number", value, key in obj)


def get_int(obj: dict, key: str, path: str) -> int | None:
    """``obj[key]`` as a whole number (``3`` or ``3.0``), None when missing or null."""
    value = obj.get(key)
    if type(value) is int:
        return value
    if type(value) is float and math.isfinite(value) and value.is_integer():
        return int(value)
    if value is None:
        return None
    raise shape_error(f"{path}.{key}", "a whole number", value)


def get_bool(obj: dict, key: str, path: str) -> bool | None:
    value = obj.get(key)
    if value is None or type(value) is bool:
        return value
    raise shape_error(f"{path}.{key}", "true or false", value)


def get_obj(obj: dict, key: str, path: str) -> dict | None:
    value = obj.get(key)
    if value is None or type(value) is dict:
        return value
    raise shape_error(f"{path}.{key}", "an object", value)


def get_list(obj: dict, key: str, path: str) -> list | None:
    value = obj.get(key)
    if value is None or type(value) is list:
        return value
    raise shape_error(f"{path}.{key}", "an array", value)


class _Utf8:
    """A UTF-16/32 file re-encoded as UTF-8 bytes, a chunk at a time (ijson reads bytes)."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        self._text = io.TextIOWrapper(raw, encoding=encoding, errors="strict")
        self._pending = b""

    def __enter__(self) -> _Utf8:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson probes with read(0) whether it gets bytes or text
        want = size if size > 0 else 1 << 16
        while len(self._pending) < want:
            text = self._text.read(want)
            if not text:
                break
            self._pending += text.encode("utf-8")
        data, self._pending = self._pending[:want], self._pending[want:]
        return data

    def close(self) -> None:
        self._text.close()


def open_document(path: Path):
    """The file for ijson as UTF-8 bytes: past a UTF-8 BOM, re-encoded after a UTF-16/32 one."""
    raw = path.open("rb")
    head = raw.read(4)
    for bom, encoding in _OTHER_BOMS:
        if head.startswith(bom):
            raw.seek(0)
            return _Utf8(raw, encoding)
    raw.seek(3 if head.startswith(_UTF8_BOM) else 0)
    return raw


@contextmanager
def json_errors() -> Iterator[None]:
    """ijson's and the decoder's errors as the file's input error (never a traceback)."""
    try:
        yield
    except ijson.IncompleteJSONError as exc:
        text = message_of(exc)
        if "premature EOF" in text or "incomplete" in text.lower():
            raise Rejected(f"truncated JSON: the file ends inside a value ({text})") from None
        raise Rejected(f"malformed JSON: {text}") from None
    except ijson.JSONError as exc:
        raise Rejected(f"malformed JSON: {message_of(exc)}") from None
    except UnicodeDecodeError as exc:
        raise Rejected(
            f"not valid text in its encoding ({exc.reason} at byte {exc.start})"
        ) from None


def message_of(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (" ".join(lines[:3]) or type(exc).__name__)[:300]


def items(fh: IO, prefix: str) -> Iterator[object]:
    """The values at ``prefix`` (``results.tests.item``) one at a time, floats as ``float``."""
    return ijson.items(fh, prefix, use_float=True)


def json_lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """``(line number, line, last)`` of a JSON-lines file, blank lines skipped.

    Lines are UTF-8 bytes: a file with a UTF-16/32 BOM is decoded and re-encoded line by line.
    """
    with path.open("rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        lines: Iterator[bytes] = iter(fh)
        for bom, encoding in _OTHER_BOMS:
            if head.startswith(bom):
                text = io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline="")
                lines = (line.encode("utf-8") for line in text)
                break
        previous: tuple[int, bytes] | None = None
        for number, line in enumerate(lines, 1):
            if number == 1 and line.startswith(_UTF8_BOM):
                line = line[3:]
            if not line.strip():
                continue
            if previous is not None:
                yield previous[0], previous[1], False
            previous = (number, line)
        if previous is not None:
            yield previous[0], previous[1], True


def seconds(value: float | None, where: str, scale: float = 1.0) -> tuple[float, str | None]:
    """Seconds from a JSON duration (``scale`` 0.001 for milliseconds).

    Negative or infinite: 0 and a warning, like a JUnit time.

    Raises:
        ShapeError: a whole number too large for any duration (it would overflow a float).
    """
    if value is None:
        return 0.0, None
    if type(value) is int and not -MAX_COUNT * 1000 <= value <= MAX_COUNT * 1000:
        raise ShapeError(f"{where}: {str(value)[:40]} is not a duration")
    return check_seconds(value * scale, value)


def milliseconds(value: float | None, where: str) -> tuple[float, str | None]:
    """Seconds from a duration in milliseconds (see :func:`seconds`)."""
    return seconds(value, where, 0.001)


def json_events(path: Path) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``(line number, event)`` of a JSON-lines event stream (Dart, ``go test -json``); the
    event is ``None`` for a line that is not a JSON object (the reader counts it as bad).

    Raises:
        Rejected: the last line is cut off (a truncated stream, not a bad line).
    """
    for number, line, last in json_lines(path):
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            if last and not line.endswith(b"\n"):
                raise Rejected(
                    f"truncated: line {number}, the last, is not a complete JSON event", number
                ) from None
            event = None
        yield number, event if type(event) is dict else None
