"""Keep it closed: structure-aware fuzzing of real report files through ``testgate report``.

Each example takes a real file of the repository's fixtures (JUnit dialects and every other
format), mutates it the way a broken writer or an attacker would (attributes with absurd,
empty or control-character values; elements moved, duplicated, deleted, wrapped or renamed;
DOCTYPEs, entities and character references; other encodings, BOMs, wrong declarations,
truncation; for JSON: values of the wrong type, missing keys, nested or duplicated items,
shuffled or garbage lines) and runs the real command on it beside a good file. It must end
with exit 0, 1 or 3 (never 2, never an internal error), write a report JSON whose decision
matches the exit code, keep the counts consistent, count the good file, and fail closed:
a file it could not read is never a pass.

``make test`` runs a fixed (derandomised) set of examples in well under a minute;
``make fuzz`` (``python tests/unit/test_junit_fuzz.py``) runs random ones for ``FUZZ_SECONDS``
(600) and prints the figures.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from testgate.commands import report as report_command

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted(
    p
    for folder in ("junit", "formats")
    for p in (ROOT / "tests" / "fixtures" / folder).iterdir()
    if p.suffix in (".xml", ".trx", ".json") and p.name not in ("expected.json", "ctrf.schema.json")
)
GOOD = b'<testsuite name="good"><testcase classname="g" name="passes" time="0.1"/></testsuite>'
EXAMPLES = int(os.environ.get("TESTGATE_FUZZ_EXAMPLES", "300"))
STATS: Counter = Counter()

CTRL = "\x00\x01\x1b\x07"  # placeholders become these bytes after serialising
VALUES = [
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "-1",
    "",
    " ",
    "99999999999999999999999",
    "0,5",
    "1.2.3",
    "00:00:01.5",
    "Passed",
    "Failed",
    "Error",
    "Skipped",
    "Inconclusive",
    "NotExecuted",
    "Pass",
    "Fail",
    "Skip",
    "True",
    "False",
    "TearDown",
    "x" * 5000,
    "é✓\U0001f600",
    "&amp;lt;",
    "@CTRL@",
    "@CHARREF@",
]
ATTRIBUTES = [
    "name",
    "classname",
    "time",
    "duration",
    "tests",
    "failures",
    "errors",
    "skipped",
    "failed",
    "total",
    "result",
    "outcome",
    "status",
    "label",
    "site",
    "executed",
    "success",
    "type",
    "testId",
    "testName",
    "id",
    "line",
    "file",
    "message",
]
TAGS = [
    "testcase",
    "testsuite",
    "failure",
    "error",
    "skipped",
    "flakyFailure",
    "rerunFailure",
    "test-case",
    "test-suite",
    "results",
    "reason",
    "test",
    "collection",
    "class",
    "errors",
    "UnitTestResult",
    "InnerResults",
    "Output",
    "ErrorInfo",
    "system-out",
    "unknown",
]
DOCTYPES = [
    b'<!DOCTYPE x [<!ENTITY e "boom">]>',
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    b"<!DOCTYPE x>",
]
JSON_VALUES = [
    None,
    True,
    0,
    -1,
    1.5,
    10**400,
    "12",
    "",
    "passed",
    "failed",
    "other",
    "error",
    "pass",
    "fail",
    "run",
    "output",
    [],
    {},
    ["x"],
    {"a": 1},
    "x" * 5000,
]


# -- XML mutations -------------------------------------------------------------------------------------
def _elements(root) -> list:
    return [el for el in root.iter() if isinstance(el.tag, str)]


def _mutate_tree(draw, root) -> None:
    for _ in range(draw(st.integers(1, 4))):
        elements = _elements(root)
        el = draw(st.sampled_from(elements))
        op = draw(
            st.sampled_from(
                ["attr", "attr", "drop-attr", "move", "copy", "delete", "wrap", "rename", "text"]
            )
        )
        if op == "attr":  # mostly an attribute the element has: the values readers use
            names = sorted(el.attrib) if el.attrib and draw(st.booleans()) else ATTRIBUTES
            el.set(draw(st.sampled_from(names)), draw(st.sampled_from(VALUES)))
        elif op == "drop-attr" and el.attrib:
            del el.attrib[draw(st.sampled_from(sorted(el.attrib)))]
        elif op in ("move", "copy") and el is not root:
            target = draw(st.sampled_from(elements))
            if any(a is el for a in [target, *target.iterancestors()]):
                continue  # never into itself
            node = copy.deepcopy(el) if op == "copy" else el
            target.insert(draw(st.integers(0, len(target))), node)
        elif op == "delete" and el is not root:
            el.getparent().remove(el)
        elif op == "wrap" and el is not root:
            parent = el.getparent()
            wrapper = etree.Element(draw(st.sampled_from(TAGS)))
            parent.replace(el, wrapper)
            wrapper.append(el)
        elif op == "rename":
            el.tag = draw(st.sampled_from(TAGS))
        elif op == "text":
            el.text = draw(st.sampled_from(["@CTRL@", "@CHARREF@", "&e;", "]]>", "x" * 3000]))


def _encode_xml(draw, root) -> bytes:
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "iso-8859-1", "windows-1252"]))
    try:
        data = etree.tostring(root, encoding=encoding, xml_declaration=draw(st.booleans()))
    except (UnicodeEncodeError, LookupError, ValueError):
        data = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    ctrl = draw(st.sampled_from(CTRL)).encode()
    data = data.replace(b"@CTRL@", ctrl).replace(
        b"@CHARREF@", draw(st.sampled_from([b"&#0;", b"&#x1b;", b"&#xD800;"]))
    )
    data = data.replace(b"&amp;e;", b"&e;")
    trick = draw(st.sampled_from(["none", "none", "doctype", "bom", "lie", "truncate"]))
    if trick == "doctype":
        at = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
        data = data[:at] + draw(st.sampled_from(DOCTYPES)) + data[at:]
    elif trick == "bom" and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    elif trick == "lie":
        data = b'<?xml version="1.0" encoding="UTF-16"?>' + data.split(b"?>", 1)[-1]
    elif trick == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    return data


# -- JSON mutations ---------------------------------------------------------------------------------------
def _containers(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _containers(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:50]):
            yield from _containers(v, (*path, i))


def _mutate_json(draw, doc):
    for _ in range(draw(st.integers(1, 3))):
        spots = [(p, v) for p, v in _containers(doc) if isinstance(v, dict | list) and v]
        if not spots:
            return draw(st.sampled_from(JSON_VALUES))
        _path, box = draw(st.sampled_from(spots))
        key = draw(st.sampled_from(sorted(box) if isinstance(box, dict) else list(range(len(box)))))
        op = draw(st.sampled_from(["set", "set", "delete", "nest", "duplicate", "rename"]))
        if op == "set":
            box[key] = copy.deepcopy(draw(st.sampled_from(JSON_VALUES)))
        elif op == "delete":
            del box[key]
        elif op == "nest":
            box[key] = [box[key]] if draw(st.booleans()) else {"x": box[key]}
        elif op == "duplicate" and isinstance(box, list):
            box.insert(key, copy.deepcopy(box[key]))
        elif op == "rename" and isinstance(box, dict):
            box[f"{key}_"] = box.pop(key)
    return doc


def _encode_json(draw, text: str) -> bytes:
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16"]))
    data = text.encode(encoding)
    if draw(st.integers(0, 5)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


GROUPS = [
    [p for p in SEEDS if p.parent.name == "junit"],
    [p for p in SEEDS if p.parent.name == "formats" and p.suffix != ".json"],
    [p for p in SEEDS if p.parent.name == "formats" and p.suffix == ".json"],
]


@st.composite
def mutations(draw):
    seed = draw(st.sampled_from(draw(st.sampled_from(GROUPS))))  # each kind as often
    raw = seed.read_bytes()
    if seed.suffix in (".xml", ".trx"):
        kind = "xml"
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
        )
        try:
            root = etree.fromstring(raw, parser)
        except etree.XMLSyntaxError:
            root = None  # a deliberately broken fixture: mutate its bytes instead
        if root is None:
            at = draw(st.integers(0, len(raw)))
            data = (
                raw[:at] + draw(st.sampled_from([b"<", b"&e;", b"\x00", b"</x>", b""])) + raw[at:]
            )
        else:
            _mutate_tree(draw, root)
            data = _encode_xml(draw, root)
    else:
        text = raw.decode("utf-8-sig")
        lines = [x for x in text.splitlines() if x.strip()]
        ndjson = len(lines) > 1 and all(x.startswith("{") and x.endswith("}") for x in lines[:3])
        if ndjson:
            kind = "ndjson"
            events = [json.loads(x) for x in lines]
            for _ in range(draw(st.integers(1, 3))):
                i = draw(st.integers(0, len(events) - 1))
                op = draw(
                    st.sampled_from(["mutate", "mutate", "delete", "duplicate", "garbage", "swap"])
                )
                if op == "mutate":
                    events[i] = _mutate_json(draw, events[i])
                elif op == "delete" and len(events) > 1:
                    del events[i]
                elif op == "duplicate":
                    events.insert(i, copy.deepcopy(events[i]))
                elif op == "swap":
                    j = draw(st.integers(0, len(events) - 1))
                    events[i], events[j] = events[j], events[i]
                else:
                    events.insert(i, "garbage line {")
            body = "".join(
                (e if isinstance(e, str) else json.dumps(e, allow_nan=True)) + "\n" for e in events
            )
            data = _encode_json(draw, body)
        else:
            kind = "json"
            doc = _mutate_json(draw, json.loads(text))
            data = _encode_json(
                draw, json.dumps(doc, allow_nan=True, indent=draw(st.sampled_from([None, 1])))
            )
    return seed.name, kind, seed.suffix, data


# -- the property ------------------------------------------------------------------------------------------
def check(case) -> None:
    name, kind, suffix, data = case
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="testgate-fuzz-") as tmp:
        folder = Path(tmp)
        bad = folder / f"mutated{suffix}"
        bad.write_bytes(data)
        good = folder / "good.xml"
        good.write_bytes(GOOD)
        out = folder / "report.json"
        stdout, stderr = io.StringIO(), io.StringIO()
        env = {"PATH": os.environ.get("PATH", ""), "TESTGATE_REPORTS_DIR": str(folder / "r")}
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = report_command.main(
                [str(bad), str(good), "--platform", "local", "--json", str(out)], env
            )
        text = stdout.getvalue() + stderr.getvalue()
        STATS[f"exit {rc}"] += 1
        STATS[f"kind {kind}"] += 1
        STATS["examples"] += 1
        STATS["seconds"] += time.perf_counter() - started
        assert "internal error" not in text, (name, text[-2000:])
        assert rc in (0, 1, 3), (name, rc, text[-2000:])
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert {0: "pass", 1: "fail", 3: "error"}[rc] == doc["decision"]
        t = doc["totals"]
        assert t["tests"] == t["passed"] + t["failed"] + t["errors"] + t["skipped"]
        assert len(doc["failures"]) == t["failed"] + t["errors"]  # every failure is counted
        assert len(doc["flaky"]) == t["flaky"]
        mutated, good_file = doc["files"]
        assert good_file["tests"] == 1
        assert good_file["error"] is None
        assert t["tests"] == mutated["tests"] + 1
        if mutated["error"]:
            STATS["file errors"] += 1
            assert rc == 3  # a file it could not read is never a pass
            assert mutated["tests"] == 0
        if rc == 0:
            STATS["passes"] += 1
            assert mutated["error"] is None
            assert doc["suite_errors"] == []


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_there_are_seeds_of_every_format():
    kinds = {p.suffix for p in SEEDS}
    assert kinds == {".xml", ".trx", ".json"}
    assert len(SEEDS) >= 40


@FUZZ
@given(case=mutations())
def test_mutated_reports_never_crash_and_fail_closed(case):
    check(case)


def fuzz_for(seconds: float) -> dict:
    """``make fuzz``: random examples for ``seconds``, then the figures (a failure raises)."""

    @settings(
        max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=mutations())
    def batch(case):
        check(case)

    STATS.clear()
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        batch()
    elapsed = time.monotonic() - started
    n = STATS["examples"]
    return {
        "examples": n,
        "seconds": round(elapsed, 1),
        "examples_per_second": round(n / elapsed, 1),
        "internal_errors": 0,
        "exit_codes": {k: v for k, v in sorted(STATS.items()) if k.startswith("exit")},
        "kinds": {k: v for k, v in sorted(STATS.items()) if k.startswith("kind")},
        "files_rejected": STATS["file errors"],
        "passes": STATS["passes"],
    }


def test_the_timed_fuzz_runs_and_counts():
    figures = fuzz_for(1.0)
    assert figures["examples"] >= 1
    assert sum(figures["exit_codes"].values()) == figures["examples"]


if __name__ == "__main__":  # make fuzz
    print(
        "fuzz figures: "
        + json.dumps(fuzz_for(float(os.environ.get("FUZZ_SECONDS", "600"))), indent=1)
    )
