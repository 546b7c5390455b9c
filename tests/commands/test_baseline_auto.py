"""``--baseline auto``: a pull request fails only on failures the default branch does not have.

The newest run of the default branch in the history (recorded by ``testgate ci report`` on
that branch) is the baseline; failures already there are "still failing", tests that pass now
are "fixed"; with no such run, or on the default branch itself, the full gate applies and the
summary says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from testgate.commands import ci, report

CASES = {"ok": None, "old": "broken since last week", "new": "broken by this pull request"}


def junit(folder: Path, failing: set[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    cases = []
    for name, message in CASES.items():
        if name in failing:
            cases.append(
                f'<testcase classname="tests.test_api" name="test_{name}">'
                f'<failure message="{message}">AssertionError</failure></testcase>'
            )
        else:
            cases.append(f'<testcase classname="tests.test_api" name="test_{name}"/>')
    (folder / "api.xml").write_text(
        f'<testsuite name="api" tests="{len(cases)}">{"".join(cases)}</testsuite>',
        encoding="utf-8",
    )


@pytest.fixture
def env(tmp_path: Path, clean_environ: dict[str, str]) -> dict[str, str]:
    return {
        **clean_environ,
        "TESTGATE_PLATFORM": "local",
        "TESTGATE_REPORTS_DIR": str(tmp_path / "reports"),
        "TESTGATE_HISTORY_FILE": str(tmp_path / "history.json"),
        "TESTGATE_DEFAULT_BRANCH": "main",
        "TESTGATE_REPORT_PATHS": str(tmp_path / "junit"),
    }


def run_main(tmp_path: Path, env: dict[str, str], failing: set[str]) -> int:
    junit(tmp_path / "junit", failing)
    return ci.main(["report"], {**env, "TESTGATE_BRANCH": "main", "TESTGATE_COMMIT": "a" * 40})


def run_pr(tmp_path: Path, env: dict[str, str], failing: set[str], capsys) -> tuple[int, str]:
    junit(tmp_path / "junit", failing)
    capsys.readouterr()
    code = ci.main(
        ["report"],
        {
            **env,
            "TESTGATE_BRANCH": "feature",
            "TESTGATE_COMMIT": "b" * 40,
            "TESTGATE_BASELINE": "auto",
        },
    )
    md = (tmp_path / "reports" / "testgate-report.md").read_text(encoding="utf-8")
    return code, capsys.readouterr().out + md


def test_a_new_failure_beside_an_old_one_fails_naming_only_the_new_one(
    tmp_path: Path, env: dict[str, str], capsys
) -> None:
    assert run_main(tmp_path, env, {"old"}) == 1  # main is red: the full gate there
    code, text = run_pr(tmp_path, env, {"old", "new"}, capsys)
    assert code == 1
    assert "baseline: run 1 of main at aaaaaaaaaaaa" in text
    assert "1 new failing test (max-failures 0)" in text
    new_part = text.split("**New**", 1)[1].split("**Still failing**", 1)[0]
    assert "test_new" in new_part
    assert "test_old" not in new_part
    still = text.split("**Still failing**", 1)[1]
    assert "test_old" in still.split("**", 1)[0]


def test_only_the_new_failure_is_annotated_as_an_error(
    tmp_path: Path, env: dict[str, str], capsys
) -> None:
    run_main(tmp_path, env, {"old"})
    junit(tmp_path / "junit", {"old", "new"})
    capsys.readouterr()
    pr = {**env, "TESTGATE_BRANCH": "feature", "TESTGATE_BASELINE": "auto"}
    assert ci.main(["report"], pr) == 1
    errors = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error: ")]
    assert any("test_new" in x and "broken by this pull request" in x for x in errors), errors
    assert not any("test_old" in x for x in errors), errors


def test_only_old_failures_pass_the_pull_request_and_are_listed(
    tmp_path: Path, env: dict[str, str], capsys
) -> None:
    run_main(tmp_path, env, {"old"})
    code, text = run_pr(tmp_path, env, {"old"}, capsys)
    assert code == 0
    assert "0 new, 1 still failing, 0 fixed" in text


def test_fixed_tests_are_listed(tmp_path: Path, env: dict[str, str], capsys) -> None:
    run_main(tmp_path, env, {"old"})
    code, text = run_pr(tmp_path, env, set(), capsys)
    assert code == 0
    assert "0 new, 0 still failing, 1 fixed" in text
    assert "**Fixed**" in text


def test_no_run_of_the_default_branch_says_so_and_the_full_gate_applies(
    tmp_path: Path, env: dict[str, str], capsys
) -> None:
    code, text = run_pr(tmp_path, env, {"old"}, capsys)
    assert code == 1
    assert "no run of main in the history" in text
    assert "**No baseline:**" in text


def test_on_the_default_branch_the_full_gate_applies(
    tmp_path: Path, env: dict[str, str], capsys
) -> None:
    run_main(tmp_path, env, {"old"})
    junit(tmp_path / "junit", {"old"})
    code = report.main(
        [str(tmp_path / "junit"), "--baseline", "auto"],
        {**env, "TESTGATE_BRANCH": "main"},
    )
    assert code == 1
    assert (
        "this build is of the default branch main: the full gate applies" in capsys.readouterr().out
    )


def test_a_baseline_file_still_works(tmp_path: Path, env: dict[str, str], capsys) -> None:
    junit(tmp_path / "junit", {"old"})
    assert report.main([str(tmp_path / "junit"), "--json", str(tmp_path / "main.json")], env) == 1
    junit(tmp_path / "junit", {"old", "new"})
    code = report.main([str(tmp_path / "junit"), "--baseline", str(tmp_path / "main.json")], env)
    assert code == 1
    assert "1 new failing test" in capsys.readouterr().out
