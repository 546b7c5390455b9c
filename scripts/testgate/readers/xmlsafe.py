"""Hardened XML for every XML report format: one parser configuration, one prolog check.

Every XML reader parses with :func:`iterparse`: lxml's streaming parser with entity
resolution, DTD loading and network access off. A DOCTYPE (and with it any entity, XXE or
"billion laughs") is refused before parsing (:func:`check_prolog`), and checked again on the
parsed tree. Control characters that XML forbids (old Ant/Jenkins writers let them through,
raw or as ``&#x1b;``) are replaced on a second attempt (:class:`ControlCharFilter`), in text
and in attributes alike.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import IO

from lxml import etree

from testgate.readers.values import Rejected

HEAD_BYTES = 1024 * 1024
_PROLOG_NOISE = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_PROLOG = re.compile(r"<(!DOCTYPE|!ENTITY|[A-Za-z_:][-\w.:]*)")
_CHAR_REF = re.compile(rb"&#(x[0-9a-fA-F]+|[0-9]+);")
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_head(head: bytes) -> str:
    """The first bytes of a file as text good enough to find its first element."""
    if head.startswith(_UTF16_BOMS):
        return head.decode("utf-16", "replace")
    return head.decode("latin-1")


def check_prolog(head: bytes) -> str | None:
    """Refuse any DOCTYPE before the root element; returns the root's tag as written, if seen.

    Raises:
        Rejected: the file declares a DOCTYPE or an entity (the message names the line).
    """
    text = decode_head(head)
    match = _PROLOG.search(_PROLOG_NOISE.sub(" ", text))
    if match is None:
        return None
    if match.group(1) in ("!DOCTYPE", "!ENTITY"):
        line = text.count("\n", 0, text.find("<" + match.group(1))) + 1
        raise Rejected(
            "refused: the file declares a DOCTYPE (DTDs and entities are never processed in "
            "test reports, which do not use them)",
            line,
        )
    return match.group(1)


def local_name(tag: str) -> str:
    """``{namespace}name`` or ``prefix:name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _valid_xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _fix_char_ref(match: re.Match[bytes]) -> bytes:
    body = match.group(1)
    try:
        code = int(body[1:], 16) if body[:1] == b"x" else int(body)
    except ValueError:  # pragma: no cover - the pattern only matches digits
        return b"&#xFFFD;"
    return match.group(0) if _valid_xml_char(code) else b"&#xFFFD;"


def _bad_char_ref(match: re.Match[bytes]) -> bool:
    return _fix_char_ref(match) != match.group(0)


def has_forbidden_chars(path: Path) -> bool:
    """Whether the file holds a control character XML forbids, raw or as a character reference.

    Only called after a strict parse failed, to decide whether a filtered second attempt
    can succeed (the parser's message differs between text, attributes and references).
    """
    with path.open("rb") as fh:
        if fh.read(2) in _UTF16_BOMS:
            return False  # raw bytes say nothing in UTF-16; the parser's message decides
        fh.seek(0)
        tail = b""
        while chunk := fh.read(1 << 20):
            data = tail + chunk
            if _RAW_CONTROL.search(chunk) or any(map(_bad_char_ref, _CHAR_REF.finditer(data))):
                return True
            tail = data[-12:]
    return False


class ControlCharFilter:
    """A binary stream that replaces control characters XML 1.0 forbids.

    Character references (``&#0;``) become ``&#xFFFD;``; raw bytes (not in UTF-16 files,
    where they cannot be told apart) become ``?``, wherever they are: text or attribute.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._tail = b""
        head = raw.read(2)
        raw.seek(0)
        self._raw_controls = head not in _UTF16_BOMS

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size if size and size > 0 else 1 << 16)
        data = self._tail + chunk
        self._tail = b""
        if chunk:
            amp = data.rfind(b"&", max(0, len(data) - 12))
            if amp != -1 and b";" not in data[amp:]:
                data, self._tail = data[:amp], data[amp:]
        data = _CHAR_REF.sub(_fix_char_ref, data)
        if self._raw_controls:
            data = _RAW_CONTROL.sub(b"?", data)
        return data


def is_char_error(message: str) -> bool:
    """Whether lxml's message is about a forbidden character (worth a filtered second try)."""
    return "xmlChar" in message or "invalid Char" in message or "CharRef" in message


def iterparse(source, tags: Iterable[str] | str, events: tuple[str, ...] = ("end",)):
    """lxml's iterparse with every door closed: no entities, no DTD, no network."""
    return etree.iterparse(
        source,
        events=events,
        tag=tags,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # long captured output is real; DTDs are refused before this point
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def prune_before(parent, el) -> None:
    """Drop the elements before ``el``'s predecessor from ``parent`` (memory stays flat while
    streaming). Only what precedes: the parser may already have built later siblings."""
    index = parent.index(el)
    if index > 1:
        del parent[: index - 1]


def check_root(root, allowed: Collection[str], what: str, expected: str) -> None:
    """Refuse a file whose root element is not one of ``allowed`` (``what``: "a JUnit report").

    Raises:
        Rejected: naming the root element found and ``expected``.
    """
    tag = root.tag if isinstance(root.tag, str) else "?"
    if tag not in allowed:
        raise Rejected(f"not {what}: the root element is <{tag}>, not {expected}", root.sourceline)


def check_no_doctype(root) -> None:
    """A DOCTYPE past the first MiB (hidden behind a long comment) is refused after parsing."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise Rejected(
            "refused: the file declares a DOCTYPE (DTDs and entities are never processed)"
        )


def root_tag(path: Path) -> tuple[str, int | None]:
    """The root element's local name and line, read with the hardened parser (first event only).

    Raises:
        etree.XMLSyntaxError: the file is not well-formed before its root element.
    """
    for _event, el in iterparse(str(path), None, ("start",)):
        return local_name(el.tag) if isinstance(el.tag, str) else "?", el.sourceline
    raise Rejected("empty file: no XML at all")  # pragma: no cover - lxml raises first


def clean_message(msg: str) -> str:
    """lxml's message without its ``(<string>, line N)`` suffix; the result carries the line."""
    return re.sub(r",? *\(<?[^()]*>?, line \d+\)$", "", msg).strip()
