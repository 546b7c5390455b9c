"""Hostile test names in a real runner's log: act executes none of them (issue 11, item 1).

A workflow runs ``testgate report`` on ``tests/fixtures/untrusted/workflow-commands.xml``
(names and messages with ``::add-mask::``, ``::stop-commands::``, ``::set-output``,
``::error title=``, ``##[add-mask]``, CRs) under act, which implements workflow commands,
and a step that uses the adapter's own commands (mask, group, error) around a child tool
writing hostile lines straight to stdout. act must execute none of the hostile lines, and
testgate's own commands must still work.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import ci_logs
import pytest
from conftest import require_tool

sys.path.insert(0, str(Path(__file__).resolve().parent / "github"))
import gha_harness as gha

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "untrusted" / "workflow-commands.xml"
SECRET = "s3cr3t-act-value-42"
HEX_TOKEN = re.compile(r"[0-9a-f]{32}")
OWN_OUTPUTS = {"decision", "tests", "failed", "passed", "errors", "skipped", "flaky", "own"}

pytestmark = pytest.mark.slow

OWN_STEP = f"""\
import os, subprocess, sys
from testgate import platforms
p = platforms.detect(os.environ)
p.mask("{SECRET}")
with p.group("child tool\\n::add-mask::from-the-title"):
    subprocess.run([sys.executable, "-c", "print('child line\\\\n::add-mask::child-word\\\\n::set-output name=a::child')"], check=True)
    p.error("an annotation of testgate's own", file="tests/api/test_items.py", line=3)
    p.info("the secret {SECRET} stays hidden")
p.output("own", "value")
"""

WORKFLOW = """\
on: push
permissions: {}
jobs:
  hostile:
    runs-on: ubuntu-latest
    steps:
      - id: report
        name: Report test names that try to run workflow commands
        run: |
          "$DEV_BIN/testgate" report "$FIXTURE" || echo "report exit $?"
        env:
          DEV_BIN: ${{ env.ACT_STUB_DEV_BIN }}
          FIXTURE: %(fixture)s
      - id: own
        name: testgate's own commands still work
        run: |
          "$DEV_BIN/python" - <<'EOF'
%(own)s
          EOF
        env:
          DEV_BIN: ${{ env.ACT_STUB_DEV_BIN }}
      - name: What the hostile lines would have changed
        run: |
          echo "plain words: x masked-word child-word ado-word after-resume"
          echo "output a: [$A] own: [$OWN]"
        env:
          A: ${{ steps.report.outputs.a }}${{ steps.own.outputs.a }}
          OWN: ${{ steps.own.outputs.own }}
"""


def test_act_executes_no_command_from_test_names(tmp_path, repo_root):
    require_tool("act")
    base = tmp_path / "act"
    repo = gha.make_service_repo(base / "service", repo_root)
    box = gha.Sandbox.create(base, repo, gha.make_dev_site(base / "site"))
    own = textwrap.indent(OWN_STEP, " " * 10)
    (repo / ".github" / "workflows" / "zz-untrusted.yml").write_text(
        WORKFLOW % {"fixture": FIXTURE, "own": own}, encoding="utf-8"
    )
    run = gha.run_act(box, "push", ".github/workflows/zz-untrusted.yml", timeout=240)
    assert run.returncode == 0, run.log[-4000:]
    # outputs ($GITHUB_OUTPUT and ::set-output alike): only testgate's own
    outputs = [r for r in run.records if r.get("command") == "set-output"]
    assert {r.get("name") for r in outputs} <= OWN_OUTPUTS, outputs
    # commands act read from the log (file commands such as the summary carry no "raw")
    commands = [r for r in run.records if r.get("command") and "raw" in r]
    executed = [r for r in commands if r["command"] != "ignored"]
    ignored = [r.get("raw", "") for r in commands if r["command"] == "ignored"]

    # the hostile lines reached act, which saw them as commands and ignored them
    assert any("::add-mask::x" in raw for raw in ignored)
    assert any("::set-output name=a::b" in raw for raw in ignored)
    assert any("::add-mask::child-word" in raw for raw in ignored)
    for record in executed:
        name = record["command"]
        if name == "stop-commands":
            assert HEX_TOKEN.fullmatch(record["arg"]), record  # only testgate's fences
        elif name == "add-mask":
            assert record["arg"] == SECRET, record  # only testgate's own mask
        elif name == "set-output":
            raise AssertionError(f"act set an output from the log: {record}")
        else:
            # act splits testgate's "::error::a::b" at the last "::" (command "error::a")
            assert ci_logs.act_own_command(name) or HEX_TOKEN.fullmatch(name), record
            assert "title" not in (record.get("kvPairs") or {}), record

    # testgate's own commands: 6 failures + the decision, then the annotation inside the group
    errors = [r for r in executed if r["command"].split("::")[0] == "error"]
    assert len(errors) == 8, [r.get("raw") for r in errors]
    assert "an annotation of testgate's own" in errors[-1]["raw"]
    assert [r["command"].split("::")[0] for r in executed].count("group") == 1
    text = "\n".join(run.output_lines())
    assert SECRET not in text  # testgate's ::add-mask:: worked
    # no hostile mask, no hostile output
    assert "plain words: x masked-word child-word ado-word after-resume" in text
    assert "output a: [] own: [value]" in text
