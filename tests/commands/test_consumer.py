"""``testgate consumer``: what it tells a project whose tests write no pact."""

from __future__ import annotations

from pathlib import Path

import pytest
from testgate.commands import consumer


def test_tests_that_write_no_pact_are_told_where_to_write(
    clean_environ: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = tmp_path / "ctests"
    tests.mkdir()
    (tests / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    env = dict(clean_environ, TESTGATE_PLATFORM="local", PYTEST_ADDOPTS="-p no:hypothesispytest")
    code = consumer.main(["--consumer-tests", str(tests), "--pact-dir", str(tmp_path / "p")], env)
    err = capsys.readouterr().err
    assert code == 3, err
    assert f"wrote no pact into {tmp_path / 'p'}" in err
    assert "TESTGATE_PACT_DIR" in err  # the variable the tests read the folder from
    assert "examples/" not in err  # a folder only testgate's own repository has
