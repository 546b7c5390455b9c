"""``testgate consumer`` with any test runner, and a pact folder where nothing is lost.

The runner here is a small script run as ``[consumer] command`` (not pytest): it writes the
pacts it is told to into TESTGATE_PACT_DIR and a JUnit report to ``{junit}``, as a pact-js
suite under ``node --test`` does (tests/integration/test_js_consumer.py runs that one for real).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from testgate.commands import consumer

# A test runner of its own: reads what to do from runner.json beside it.
RUNNER = r"""
import json, os, sys
from pathlib import Path

plan = json.loads(Path("runner.json").read_text())
junit = Path(sys.argv[1])
pact_dir = Path(os.environ["TESTGATE_PACT_DIR"])
Path("cwd.txt").write_text(os.getcwd())
for name, (consumer, provider, description) in plan.get("pacts", {}).items():
    target = Path(plan["write_into"]) if plan.get("write_into") else pact_dir
    doc = {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [{"type": "Synchronous/HTTP", "description": description,
                          "request": {"method": "GET", "path": "/"},
                          "response": {"status": 200}}],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    (target / name).write_text(json.dumps(doc))
cases = "".join(
    f'<testcase classname="runner" name="case {i}">'
    + ("<failure message='boom'/>" if outcome == "failed" else "")
    + ("<skipped/>" if outcome == "skipped" else "")
    + "</testcase>"
    for i, outcome in enumerate(plan.get("cases", []))
)
if plan.get("junit", True):
    junit.write_text(f'<testsuites><testsuite name="runner">{cases}</testsuite></testsuites>')
sys.exit(plan.get("exit", 0))
"""


@pytest.fixture
def env(clean_environ: dict[str, str]) -> dict[str, str]:
    return dict(clean_environ, TESTGATE_PLATFORM="local")


def make_project(
    root: Path,
    *,
    pacts: dict[str, tuple[str, str, str]] | None = None,
    cases: tuple[str, ...] = ("passed", "passed"),
    exit: int = 0,
    junit: bool = True,
    write_into: str | None = None,
    toml_extra: str = "",
) -> Path:
    """A project whose consumer tests are run by RUNNER from tests/contract."""
    tests = root / "tests" / "contract"
    tests.mkdir(parents=True)
    (tests / "runner.py").write_text(RUNNER)
    plan = {
        "pacts": pacts
        if pacts is not None
        else {"web-inventory.json": ("web", "inventory", "a request for all products")},
        "cases": list(cases),
        "exit": exit,
        "junit": junit,
        "write_into": write_into,
    }
    (tests / "runner.json").write_text(json.dumps(plan))
    (root / "testgate.toml").write_text(
        "[consumer]\n"
        'tests = "tests/contract"\n'
        'command = ["{python}", "runner.py", "{junit}"]\n'
        'junit = "reports/junit/consumer.xml"\n' + toml_extra
    )
    return root


def pact_doc(consumer_name: str, provider: str, description: str = "old") -> str:
    return json.dumps(
        {
            "consumer": {"name": consumer_name},
            "provider": {"name": provider},
            "interactions": [{"description": description}],
            "metadata": {"pactSpecification": {"version": "4.0"}},
        }
    )


def run(root: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.chdir(root)
    env = {k: v for k, v in env.items() if k != "TESTGATE_REPORTS_DIR"}
    return consumer.main(list(args), env)


# -- any test runner ---------------------------------------------------------------------------


def test_a_command_writes_pacts_and_junit_where_told_and_passes(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = make_project(tmp_path / "svc")
    code = run(root, env, monkeypatch)
    out = capsys.readouterr().out
    assert code == 0, out
    pact = json.loads((root / "pacts" / "web-inventory.json").read_text())
    assert pact["consumer"]["name"] == "web"
    # the JUnit folder was created before the runner ran (node's reporter needs it)
    assert (root / "reports" / "junit" / "consumer.xml").is_file()
    assert "2 tests, 2 passed, 0 failed" in out
    assert "`web-inventory.json`: web → inventory, 1 interactions" in out
    # the command ran in the tests' folder, with the pacts written aside, not into pacts/
    assert Path((root / "tests" / "contract" / "cwd.txt").read_text()) == (
        root / "tests" / "contract"
    )
    assert not list(root.glob(".testgate-fresh-pacts-*"))  # the aside folder is gone


def test_the_cwd_key_moves_where_the_command_runs(
    tmp_path: Path, env: dict[str, str], monkeypatch
) -> None:
    root = make_project(tmp_path / "svc", toml_extra='cwd = "tests/contract"\n')
    toml = (root / "testgate.toml").read_text().replace('tests = "tests/contract"\n', "")
    (root / "testgate.toml").write_text(toml)  # a command needs no tests key: cwd is enough
    assert run(root, env, monkeypatch) == 0
    assert (root / "pacts" / "web-inventory.json").is_file()


def test_a_failing_test_is_exit_1_and_removes_no_pact(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    """The failed run's pacts are there to look at (never published or verified), as
    pact-python leaves them; a run that stopped early removes none and touches nothing else."""
    root = make_project(tmp_path / "svc", cases=("passed", "failed"), exit=1)
    pacts = root / "pacts"
    pacts.mkdir()
    (pacts / "web-inventory.json").write_text(pact_doc("web", "inventory"))
    (pacts / "web-pricing.json").write_text(pact_doc("web", "pricing"))  # not written this run
    (pacts / "mobile-inventory.json").write_text(pact_doc("mobile", "inventory"))
    code = run(root, env, monkeypatch)
    out = capsys.readouterr().out
    assert code == 1, out
    assert "1 failed and 0 errors of 2 tests" in out
    assert "no pact is published or verified" in out
    assert sorted(p.name for p in pacts.glob("*.json")) == [
        "mobile-inventory.json",
        "web-inventory.json",
        "web-pricing.json",
    ]
    assert json.loads((pacts / "web-inventory.json").read_text())["interactions"][0][
        "description"
    ] == ("a request for all products")


def test_a_nonzero_exit_fails_even_when_the_report_shows_no_failure(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = make_project(tmp_path / "svc", exit=2)
    assert run(root, env, monkeypatch) == 1
    assert "exited 2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        pytest.param({"cases": ()}, "counts no tests", id="zero-tests"),
        pytest.param({"junit": False}, "wrote no JUnit report", id="no-junit"),
    ],
)
def test_no_report_or_zero_tests_cannot_decide(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys, kwargs, said: str
) -> None:
    root = make_project(tmp_path / "svc", **kwargs)
    code = run(root, env, monkeypatch)
    err = capsys.readouterr().err
    assert code == 3, err
    assert said in err
    assert "{junit}" in err or "zero tests" in err  # the fix is named


def test_neither_tests_nor_command_names_both_settings(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    (tmp_path / "testgate.toml").write_text('[consumer]\nname = "web"\n')
    assert run(tmp_path, env, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "consumer-tests is required" in err
    assert "[consumer] command" in err


# -- nothing lost ------------------------------------------------------------------------------


def test_an_unrelated_pact_survives_and_only_this_consumers_pacts_are_replaced(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = make_project(tmp_path / "svc")
    pacts = root / "pacts"
    pacts.mkdir()
    other = pacts / "mobile-inventory.json"  # another consumer's pact, put there by hand
    other.write_text(pact_doc("mobile", "inventory"))
    notes = pacts / "README.json"  # not a pact at all
    notes.write_text('{"note": "kept"}')
    same = pacts / "web-inventory.json"  # this contract, written before by hand
    same.write_text(pact_doc("web", "inventory"))
    assert run(root, env, monkeypatch) == 0, capsys.readouterr()
    assert other.read_text() == pact_doc("mobile", "inventory")
    assert notes.read_text() == '{"note": "kept"}'
    assert json.loads(same.read_text())["interactions"][0]["description"] == (
        "a request for all products"
    )


def test_a_pact_testgate_wrote_is_removed_when_the_consumer_stops_writing_it(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = make_project(
        tmp_path / "svc",
        pacts={
            "web-inventory.json": ("web", "inventory", "a"),
            "web-pricing.json": ("web", "pricing", "b"),
        },
    )
    assert run(root, env, monkeypatch) == 0
    # the consumer no longer calls pricing; someone also drops a stale pact of its own
    plan = json.loads((root / "tests/contract/runner.json").read_text())
    plan["pacts"] = {"web-inventory.json": ["web", "inventory", "a"]}
    (root / "tests/contract/runner.json").write_text(json.dumps(plan))
    hand = root / "pacts" / "web-billing.json"
    hand.write_text(pact_doc("web", "billing"))
    capsys.readouterr()
    assert run(root, env, monkeypatch) == 0
    out = capsys.readouterr()
    assert not (root / "pacts" / "web-pricing.json").exists()  # testgate's, unchanged: removed
    assert hand.read_text() == pact_doc("web", "billing")  # not testgate's: kept, with a warning
    assert "web-billing.json is a pact of this consumer" in out.out + out.err


def test_a_pact_testgate_wrote_then_someone_edited_is_not_deleted(
    tmp_path: Path, env: dict[str, str], monkeypatch
) -> None:
    root = make_project(
        tmp_path / "svc",
        pacts={
            "web-inventory.json": ("web", "inventory", "a"),
            "web-pricing.json": ("web", "pricing", "b"),
        },
    )
    assert run(root, env, monkeypatch) == 0
    edited = root / "pacts" / "web-pricing.json"
    edited.write_text(pact_doc("web", "pricing", "edited by hand"))
    plan = json.loads((root / "tests/contract/runner.json").read_text())
    plan["pacts"] = {"web-inventory.json": ["web", "inventory", "a"]}
    (root / "tests/contract/runner.json").write_text(json.dumps(plan))
    assert run(root, env, monkeypatch) == 0
    assert edited.read_text() == pact_doc("web", "pricing", "edited by hand")


def test_a_fresh_pact_never_overwrites_a_file_that_is_another_contract(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = make_project(tmp_path / "svc")
    pacts = root / "pacts"
    pacts.mkdir()
    clash = pacts / "web-inventory.json"
    clash.write_text(pact_doc("someone-else", "inventory"))
    assert run(root, env, monkeypatch) == 2
    err = capsys.readouterr().err
    assert str(clash) in err
    assert "not the same contract" in err
    assert clash.read_text() == pact_doc("someone-else", "inventory")
    assert sorted(p.name for p in pacts.iterdir()) == ["web-inventory.json"]


def test_tests_writing_straight_into_the_pact_folder_merge_nothing_old(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    """Tests with a fixed pacts/ folder (as pact-python's examples write): this consumer's old
    pact is moved aside while they run, so their merging write_file() starts from nothing."""
    root = tmp_path / "svc"
    (root / "pacts").mkdir(parents=True)
    make_project(root, write_into=str(root / "pacts"), toml_extra='name = "web"\n')
    merged_into = root / "pacts" / "web-inventory.json"
    merged_into.write_text(pact_doc("web", "inventory", "a removed interaction"))
    other = root / "pacts" / "mobile-inventory.json"
    other.write_text(pact_doc("mobile", "inventory"))
    assert run(root, env, monkeypatch) == 0, capsys.readouterr()
    descriptions = [i["description"] for i in json.loads(merged_into.read_text())["interactions"]]
    assert descriptions == ["a request for all products"]
    assert other.read_text() == pact_doc("mobile", "inventory")
    assert "written straight into" in capsys.readouterr().out


def test_a_failing_run_writing_in_place_merged_nothing_old_either(
    tmp_path: Path, env: dict[str, str], monkeypatch
) -> None:
    root = tmp_path / "svc"
    (root / "pacts").mkdir(parents=True)
    make_project(
        root,
        write_into=str(root / "pacts"),
        cases=("failed",),
        exit=1,
        toml_extra='name = "web"\n',
    )
    old = root / "pacts" / "web-inventory.json"
    old.write_text(pact_doc("web", "inventory", "a removed interaction"))
    assert run(root, env, monkeypatch) == 1
    descriptions = [i["description"] for i in json.loads(old.read_text())["interactions"]]
    assert descriptions == ["a request for all products"]  # the run's own, nothing merged in
    assert sorted(p.name for p in (root / "pacts").iterdir()) == [
        ".testgate-written",
        "web-inventory.json",
    ]


def test_tests_writing_elsewhere_are_told_where_to_write(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys
) -> None:
    root = tmp_path / "svc"
    (root / "elsewhere").mkdir(parents=True)
    make_project(root, write_into=str(root / "elsewhere"))
    assert run(root, env, monkeypatch) == 3
    err = capsys.readouterr().err
    assert "TESTGATE_PACT_DIR" in err
    assert "pact-dir" in err


def test_the_record_has_no_json_suffix_so_pact_readers_never_see_it(
    tmp_path: Path, env: dict[str, str], monkeypatch
) -> None:
    root = make_project(tmp_path / "svc")
    assert run(root, env, monkeypatch) == 0
    assert sorted(p.name for p in (root / "pacts").glob("*.json")) == ["web-inventory.json"]
    record = json.loads((root / "pacts" / ".testgate-written").read_text())
    assert list(record["files"]) == ["web-inventory.json"]


def test_the_old_behaviour_is_gone_every_json_is_no_longer_deleted(
    tmp_path: Path, env: dict[str, str], monkeypatch
) -> None:
    """Issue 12 point 7, as the adopter met it: pytest consumer tests, an unrelated pact."""
    root = tmp_path / "svc"
    tests = root / "tests"
    tests.mkdir(parents=True)
    (tests / "test_pact.py").write_text(
        "import json, os, pathlib\n\n"
        "def test_writes_a_pact():\n"
        "    folder = pathlib.Path(os.environ['TESTGATE_PACT_DIR'])\n"
        "    doc = {'consumer': {'name': 'web'}, 'provider': {'name': 'inventory'},\n"
        "           'interactions': [{'description': 'x'}]}\n"
        "    (folder / 'web-inventory.json').write_text(json.dumps(doc))\n"
    )
    (root / "testgate.toml").write_text('[consumer]\ntests = "tests"\n')
    unrelated = root / "pacts" / "mobile-inventory.json"
    unrelated.parent.mkdir()
    unrelated.write_text(pact_doc("mobile", "inventory"))
    env = dict(env, PYTEST_ADDOPTS="-p no:hypothesispytest")
    assert run(root, env, monkeypatch) == 0
    assert unrelated.read_text() == pact_doc("mobile", "inventory")
    assert (root / "pacts" / "web-inventory.json").is_file()
    assert os.listdir(root / "pacts")  # both there


def test_publish_sends_only_the_pacts_consumer_wrote(
    tmp_path: Path, env: dict[str, str], monkeypatch, capsys, fake_pact_cli
) -> None:
    """Nothing lost means another consumer's pact may share the folder: it is never published
    under this consumer's version."""
    from testgate.commands import publish

    root = make_project(tmp_path / "svc")
    assert run(root, env, monkeypatch) == 0
    other = root / "pacts" / "mobile-inventory.json"
    other.write_text(pact_doc("mobile", "inventory"))
    capsys.readouterr()
    fake_pact_cli.answer("published")
    environ = {k: v for k, v in fake_pact_cli.environ.items() if k != "TESTGATE_REPORTS_DIR"}
    assert publish.main(["--version", "1a2b3c"], dict(environ, TESTGATE_PLATFORM="local")) == 0
    (call,) = fake_pact_cli.calls()
    published = [a for a in call["argv"] if a.endswith(".json")]
    assert [Path(a).name for a in published] == ["web-inventory.json"]
    assert f"not published: {other}, a pact of 'mobile'" in capsys.readouterr().err
