"""The same example pipeline on GitHub (act), GitLab (gitlab-ci-local) and Jenkins (the Groovy
harness) must decide the same and count the same tests.

Each platform's executed example tests write what their run decided to
``<basetemp>/template-results/<platform>-<run>.json`` (``run``: ``pass`` with the contract
intact, ``fail`` with ``EXAMPLE_BREAK=provider``). This module compares whatever records this
session produced; ``tests/conftest.py`` runs it after every other test, so it sees them all. With
fewer than two platforms run (a tool missing locally, or ``-k``), there is nothing to compare.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PLATFORMS = ("github", "gitlab", "jenkins")
# what may differ between platforms: wall time, and the per-platform job/stage listing
IGNORED_TOTALS = {"time"}


def _records(base: Path, run: str) -> dict[str, dict]:
    folder = base / "template-results"
    return {
        path.name.removesuffix(f"-{run}.json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob(f"*-{run}.json"))
    }


def _counts(record: dict) -> dict[str, int]:
    return {k: v for k, v in record["totals"].items() if k not in IGNORED_TOTALS}


@pytest.mark.parametrize(("run", "decision"), [("pass", "pass"), ("fail", "fail")])
def test_every_platform_decides_the_same_on_the_example(tmp_path_factory, run, decision):
    records = _records(tmp_path_factory.getbasetemp(), run)
    for platform, record in records.items():
        assert platform in PLATFORMS, f"{platform}-{run}.json: unknown platform"
        assert record["platform"] == platform
        assert record["decision"] == decision, f"{platform}: the {run} example decided otherwise"
        assert record["totals"]["tests"] > 0, platform
    if len(records) < 2:
        pytest.skip(f"{run}: example runs of {sorted(records) or 'no platform'} only")
    counts = {platform: _counts(record) for platform, record in records.items()}
    first = next(iter(counts.values()))
    assert all(c == first for c in counts.values()), json.dumps(counts, indent=2)


def test_the_comparison_notices_a_difference(tmp_path):
    """The check above can fail: two records with one test apart do not compare equal."""
    folder = tmp_path / "template-results"
    folder.mkdir()
    totals = {"tests": 15, "passed": 15, "failed": 0, "errors": 0, "skipped": 0, "time": 1.0}
    for platform, tests in (("github", 15), ("gitlab", 14)):
        record = {"platform": platform, "decision": "pass", "totals": {**totals, "tests": tests}}
        (folder / f"{platform}-pass.json").write_text(json.dumps(record), encoding="utf-8")
    counts = {p: _counts(r) for p, r in _records(tmp_path, "pass").items()}
    assert sorted(counts) == ["github", "gitlab"]
    assert counts["github"] != counts["gitlab"]
    assert _counts({"totals": {**totals, "time": 9.0}}) == _counts({"totals": totals})
