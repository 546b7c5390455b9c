from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import JUnitXml
from testgate import pact
from testgate.errors import ReportError, ToolError

RESULTS = {
    "errors": [],
    "interactionResults": [
        {
            "consumer": "web",
            "provider": "api",
            "description": "get user",
            "duration": "28ms",
            "pending": False,
            "providerStates": ["user exists"],
            "result": "OK",
        },
        {
            "consumer": "web",
            "provider": "api",
            "description": "list users",
            "duration": "1.5s",
            "pending": False,
            "providerStates": [],
            "result": "Failed",
            "mismatch": {
                "type": "mismatches",
                "mismatches": [
                    {"type": "BodyMismatch", "path": "$[1]", "mismatch": "missing key: name"},
                    {"type": "BodyMismatch", "path": "$[0]", "mismatch": "missing key: name"},
                    {"type": "StatusMismatch", "mismatch": "expected 200 but was 500"},
                ],
            },
        },
        {
            "consumer": "mobile",
            "provider": "api",
            "description": "new endpoint",
            "duration": "3ms",
            "pending": True,
            "result": "Failed",
            "mismatch": {"type": "error", "message": "connection refused"},
        },
    ],
}


def test_parse_results() -> None:
    result = pact.parse_results("api", "http://x", RESULTS)
    assert [i.description for i in result.interactions] == [
        "new endpoint",
        "get user",
        "list users",
    ]
    assert [i.description for i in result.failed] == ["list users"]
    assert [i.description for i in result.pending_failures] == ["new endpoint"]
    assert not result.passed
    listing = result.failed[0].mismatches
    assert listing == (
        "BodyMismatch at $[0]: missing key: name",
        "BodyMismatch at $[1]: missing key: name",
        "StatusMismatch: expected 200 but was 500",
    )
    assert result.failed[0].duration == pytest.approx(1.5)


def test_pending_failures_alone_do_not_fail() -> None:
    only_pending = {
        "interactionResults": [RESULTS["interactionResults"][2], RESULTS["interactionResults"][0]]
    }
    assert pact.parse_results("api", "http://x", only_pending).passed


def test_no_interactions_never_passes() -> None:
    assert not pact.parse_results("api", "http://x", {"interactionResults": []}).passed


@pytest.mark.parametrize(
    ("text", "seconds"), [("28ms", 0.028), ("2s", 2.0), ("7µs", 7e-6), ("", 0.0), ("fast", 0.0)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert pact.parse_duration(text) == pytest.approx(seconds)


def test_junit_has_one_case_per_interaction_and_pending_is_skipped(tmp_path: Path) -> None:
    result = pact.parse_results("api", "http://x", RESULTS)
    path = pact.write_verification_junit(result, tmp_path / "v.xml")
    xml = JUnitXml.fromfile(str(path))
    cases = {case.name: case for suite in xml for case in suite}
    assert set(cases) == {"get user", "list users", "new endpoint"}
    assert cases["get user"].is_passed
    failure = cases["list users"].result[0]
    assert failure._tag == "failure"
    assert "StatusMismatch: expected 200 but was 500" in failure.text
    assert cases["new endpoint"].is_skipped
    assert "pending" in cases["new endpoint"].result[0].message


def test_markdown_names_failed_interaction_and_mismatch() -> None:
    md = pact.verification_md(pact.parse_results("api", "http://x", RESULTS))
    assert "FAIL" in md
    assert "**list users**" in md
    assert "missing key: name" in md
    assert "Pending (not failing the gate)" in md


def _pact(folder: Path, name: str, provider: str, states: list[dict]) -> None:
    doc = {
        "consumer": {"name": "web"},
        "provider": {"name": provider},
        "interactions": [{"description": "x", "providerStates": states}],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    (folder / name).write_text(json.dumps(doc))


def test_load_pacts_filters_by_provider_and_collects_states(tmp_path: Path) -> None:
    _pact(
        tmp_path,
        "a.json",
        "api",
        [{"name": "s1", "params": {"id": 1}}, {"name": "s1", "params": {"id": 1}}],
    )
    _pact(tmp_path, "b.json", "other", [{"name": "s2"}])
    pacts = pact.load_pacts(tmp_path, "api")
    assert [p.path.name for p in pacts] == ["a.json"]
    assert [(s.name, s.params) for s in pact.provider_states(pacts)] == [("s1", {"id": 1})]


def test_no_pacts_for_provider_names_the_ones_there(tmp_path: Path) -> None:
    _pact(tmp_path, "b.json", "other", [])
    with pytest.raises(ToolError, match="it has pacts for: other"):
        pact.load_pacts(tmp_path, "api")


def test_missing_pact_dir(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="does not exist"):
        pact.load_pacts(tmp_path / "nope", "api")


def test_malformed_pact_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{\n"consumer": ')
    with pytest.raises(ReportError, match=r"bad.json is not valid JSON \(line 2\)"):
        pact.load_pacts(tmp_path, "api")
