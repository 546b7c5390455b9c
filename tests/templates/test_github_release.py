"""release.yml's scripts, run with bash and a recording fake `gh` (no act: its `ci` job would
run the whole test suite again). The moving major tag is created once, then re-pointed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

RELEASE = ROOT / ".github" / "workflows" / "release.yml"
VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()

FAKE_GH = """\
#!/usr/bin/env python3
import json, os, sys
state = os.environ["FAKE_GH_REFS"]
refs = json.load(open(state)) if os.path.exists(state) else {}
args = sys.argv[1:]
with open(state + ".calls", "a") as fh:
    fh.write(json.dumps(args) + "\\n")
method = args[args.index("--method") + 1] if "--method" in args else "GET"
endpoint = next(a for a in args if a.startswith("repos/"))
fields = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a in ("-f", "-F"))
if method == "GET":
    name = endpoint.split("/git/ref/", 1)[1]
    sys.exit(0 if name in refs else 1)
if method == "POST":
    refs[fields["ref"].removeprefix("refs/")] = fields["sha"]
if method == "PATCH":
    refs[endpoint.split("/git/refs/", 1)[1]] = fields["sha"]
json.dump(refs, open(state, "w"))
"""


def _step(job: str, name: str) -> dict:
    data = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    (step,) = [s for s in data["jobs"][job]["steps"] if s.get("name") == name]
    return step


def _bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("tag", "ok"),
    [
        pytest.param(f"v{VERSION}", True, id="tag-equals-VERSION"),
        pytest.param("v9.9.9", False, id="tag-differs"),
    ],
)
def test_release_checks_version_against_the_tag(tag, ok):
    step = _step("check-version", "Compare VERSION with the tag")
    result = _bash(step["run"], {"TAG": tag}, ROOT)
    assert (result.returncode == 0) is ok, result.stdout + result.stderr
    if not ok:
        assert "::error file=VERSION::" in result.stdout


def test_release_creates_then_moves_the_major_tag(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(f"#!{sys.executable}\n" + FAKE_GH.split("\n", 1)[1], "utf-8")
    (bin_dir / "gh").chmod(0o755)
    state = tmp_path / "refs.json"
    step = _step("move-major-tag", "Point the major tag at this release")
    assert "${{" not in step["run"]
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GH_REPO": "testgate/testgate",
        "FAKE_GH_REFS": str(state),
    }
    first = _bash(step["run"], {**env, "TAG": "v1.2.0", "SHA": "a" * 40}, tmp_path)
    assert first.returncode == 0, first.stderr
    second = _bash(step["run"], {**env, "TAG": "v1.3.0", "SHA": "b" * 40}, tmp_path)
    assert second.returncode == 0, second.stderr
    assert json.loads(state.read_text()) == {"tags/v1": "b" * 40}
    calls = [json.loads(x) for x in Path(f"{state}.calls").read_text().splitlines()]
    methods = [c[c.index("--method") + 1] if "--method" in c else "GET" for c in calls]
    assert methods == ["GET", "POST", "GET", "PATCH"]
    patch = calls[-1]
    assert "force=true" in patch
