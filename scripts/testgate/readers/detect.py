"""Which format a report file is in, from its content (never its name).

XML: the root element. JSON documents: their keys (read with a streaming parser from the
first bytes only). JSON-lines streams (Dart/Flutter ``--reporter json``, ``go test -json``):
the keys of their first events.
"""

from __future__ import annotations

import json
import re

import ijson

from testgate.readers.values import Rejected
from testgate.readers.xmlsafe import check_prolog, decode_head, local_name

XML_ROOTS = {
    "testsuites": "junit",
    "testsuite": "junit",
    "test-run": "nunit",
    "test-results": "nunit",
    "test-suite": "nunit",
    "assemblies": "xunit",
    "assembly": "xunit",
    "TestRun": "trx",
}
SNIFF_LINES = 50
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_FIRST = re.compile(r"\S")


def text_of(head: bytes) -> str:
    """The head of a file as text: a BOM decides, else UTF-8 (bytes that are not become U+FFFD)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, "replace")
    return head.decode("utf-8", "replace")


def detect(head: bytes, known: str) -> tuple[str, int | None]:
    """The format name of a file starting with ``head``, and the line that decided it.

    Args:
        head: the file's first bytes (up to 1 MiB).
        known: the list of formats testgate reads, for the message when none fits.

    Raises:
        Rejected: empty, a DOCTYPE (refused), or well-formed but in no format testgate reads.
    """
    if not head.strip():
        raise Rejected("empty file: no report at all")
    text = text_of(head)
    match = _FIRST.search(text)
    if match is None:  # only whitespace in some other encoding
        raise Rejected("empty file: no report at all")
    first = match.group(0)
    if first == "<":
        tag = check_prolog(head)  # refuses a DOCTYPE before anything else
        if tag is None:
            raise Rejected(f"not a test report testgate reads: no XML element found; {known}")
        name = XML_ROOTS.get(local_name(tag))
        if name is None:
            line = decode_head(head).count("\n", 0, decode_head(head).find("<" + tag)) + 1
            raise Rejected(
                f"not a test report testgate reads: the root element is <{tag}>; {known}", line
            )
        return name, None
    name = _sniff_lines(text)
    if name is not None:
        return name, None
    if first in "{[":
        return _sniff_document(head, text, known), None
    raise Rejected(f"not a test report testgate reads: neither XML nor JSON; {known}")


def _event_format(event: object) -> str | None:
    if not isinstance(event, dict):
        return None
    if "Action" in event and ("Package" in event or "Time" in event):
        return "golang"
    kind = event.get("type")
    if isinstance(kind, str) and (
        "protocolVersion" in event or kind in ("testStart", "testDone", "suite", "allSuites")
    ):
        return "dart"
    return None


def _sniff_lines(text: str) -> str | None:
    """Dart or Go: a JSON-lines stream whose early lines are their events."""
    for number, line in enumerate(text.splitlines()):
        if number >= SNIFF_LINES:
            break
        line = line.strip()
        if not line.startswith("{") or not line.endswith("}"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            return None  # a multi-line document, or not JSON: decided elsewhere
        found = _event_format(event)
        if found is not None:
            return found
        return None  # one complete JSON object per line, but not an event we know
    return None


def _sniff_document(head: bytes, text: str, known: str) -> str:
    """CTRF, Mocha or RSpec: from the keys of the JSON document's first bytes."""
    top: list[str] = []
    results: list[str] = []
    stats: list[str] = []
    try:
        for prefix, event, value in ijson.parse(text.encode("utf-8")):
            if event != "map_key":
                continue
            if prefix == "":
                top.append(value)
            elif prefix == "results":
                results.append(value)
            elif prefix == "stats":
                stats.append(value)
            else:
                continue
            found = _by_keys(top, results, stats)
            if found:
                return found
    except ijson.JSONError as exc:
        found = _by_keys(top, results, stats)
        if found:
            return found
        if len(head) < (1 << 20):  # the whole file was read: it is not well-formed JSON
            raise Rejected(f"malformed JSON: {_json_message(exc)}") from None
    found = _by_keys(top, results, stats)
    if found:
        return found
    if text.lstrip().startswith("["):
        what = "a JSON array"
    elif top:
        what = "a JSON object with the keys " + ", ".join(repr(k[:40]) for k in top[:8])
    else:
        what = "an empty JSON object"
    raise Rejected(f"not a test report testgate reads: {what}; {known}")


def _by_keys(top: list[str], results: list[str], stats: list[str]) -> str | None:
    keys = set(top)
    if "reportFormat" in keys or {"tests", "tool", "summary"} & set(results):
        return "ctrf"
    if "stats" in keys and (
        {"tests", "passes", "failures", "pending"} & keys
        or {"suites", "passes", "failures"} & set(stats)
    ):
        return "mocha"
    if "examples" in keys or "summary_line" in keys:
        return "rspec"
    return None


def _json_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
