"""Measure (issue 12), the CI half: the callers `testgate init` writes, run for real.

The scratch service is the typical Flask service (tests/fixtures/flask-service) with the guide's
state glue, set up by ``testgate init --ci github,gitlab`` and nothing else, committed as a
service team would. Then:

- the GitHub caller (``.github/workflows/testgate.yml``) runs under act, its reusable workflows
  served from a copy of this checkout at the pinned tag, the actions by the harness's stubs;
- the GitLab caller (``.gitlab-ci.yml``) runs under gitlab-ci-local, its ``include: project``
  served from the include cache filled with this checkout's templates at the pinned tag.

Both must be green with the same report: 4 contract tests, 4 interactions verified, 3 API tests
(11, PASS). The times go into docs/adoption.md ("The path, measured"). When the templates
change, this is the test that says whether an adopter's generated callers still run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from adoption_snippets import glue
from conftest import require_tool

sys.path.insert(0, str(Path(__file__).resolve().parent / "github"))
import gha_harness as gha
import gitlab_harness as gl

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "tests" / "fixtures" / "flask-service"
EXPECTED_TESTS = 11  # 4 consumer contract tests + 4 interactions verified + 3 API tests


def adopted_service(dest: Path, *platforms: str) -> Path:
    """The template plus the guide's glue, after `testgate init --ci ...`, uncommitted."""
    shutil.copytree(TEMPLATE, dest)
    (dest / glue().options["file"]).write_text(glue().text)
    proc = subprocess.run(
        [sys.executable, "-m", "testgate", "init", "--ci", ",".join(platforms)],
        cwd=dest,
        env={"PATH": f"{Path(sys.executable).parent}", "TESTGATE_PLATFORM": "local"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (dest / ".gitignore").write_text(
        ".gitlab-ci-local/\n.gitlab-ci-local-home/\nreports/\npacts/\n__pycache__/\n"
    )
    return dest


def commit(repo: Path, remote: str) -> None:
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid"]
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", remote],
        ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
        ["add", "-A"],
        ["commit", "-q", "-m", "adopt testgate"],
    ):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)


def test_the_github_caller_init_wrote_is_green_under_act(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool("act")
    service = adopted_service(tmp_path / "bookshop", "github")
    commit(service, "https://github.com/example-org/bookshop.git")
    tools = gha.make_service_repo(tmp_path / "testgate")  # this checkout, as the tag's content
    box = gha.Sandbox.create(tmp_path / "box", service, gha.make_dev_site(tmp_path / "site"))
    original = gha.act_command

    def act_command(box_: gha.Sandbox, *args, **kwargs) -> list[str]:
        """The harness maps testgate/testgate to the repository act runs in; here that is
        the service, so the tools are mapped to their own copy, and the actions the reusable
        workflows use (not the caller) to the stubs."""
        cmd = [
            part.replace(f"={box_.repo}", f"={tools}")
            if part.startswith(f"{gha.TOOLS_REPOSITORY}@")
            else part
            for part in original(box_, *args, **kwargs)
        ]
        stubs: list[str] = []
        for uses in sorted(gha.remote_uses(tools / ".github" / "workflows")):
            target, ref = uses.rsplit("@", 1)
            owner_repo = "/".join(target.split("/")[:2])
            if owner_repo in gha.ACTION_STUBS:
                stub = gha.STUBS / gha.ACTION_STUBS[owner_repo]
                stubs += ["--local-repository", f"{owner_repo}@{ref}={stub}"]
        return cmd + stubs

    monkeypatch.setattr(gha, "act_command", act_command)
    started = time.monotonic()
    run = gha.run_act(
        box,
        "push",
        ".github/workflows/testgate.yml",
        env={"ACT_STUB_TESTGATE_SRC": str(tools)},
        timeout=900,
    )
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.log[-6000:]
    for job in ("consumer-contracts", "provider-verification", "test-report"):
        assert run.job(job).result == "success", job
    assert [j.result for j in run.called_jobs("api-tests", "api-tests")] == ["success"]
    report = json.loads((box.artifacts / "testgate-report" / "testgate-report.json").read_text())
    assert report["decision"] == "pass"
    assert report["totals"]["tests"] == EXPECTED_TESTS
    print(f"\nGitHub caller under act: {seconds:.1f} s")


def test_the_gitlab_caller_init_wrote_is_green_under_gitlab_ci_local(tmp_path: Path) -> None:
    if not gl.gitlab_ci_local():
        require_tool("gitlab-ci-local")
    require_tool("rsync")
    service = adopted_service(tmp_path / "bookshop", "gitlab")
    cache = service / ".gitlab-ci-local" / "includes" / gl.REMOTE_HOST / gl.TOOLS_PROJECT
    shutil.copytree(gl.GITLAB_DIR, cache / f"v{gl.VERSION}" / "gitlab")
    commit(service, f"git@{gl.REMOTE_HOST}:acme/bookshop.git")
    started = time.monotonic()
    # the jobs use the testgate of this suite's virtualenv instead of a pip install per job
    venv = Path(sys.executable).parent.parent
    run = gl.run_pipeline(
        service, {"TESTGATE_INSTALL": "skip", "TESTGATE_VENV": str(venv)}, timeout=600
    )
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.explain()
    assert run.jobs == {
        "pact-consumer-contracts": "PASS",
        "pact-provider-verification": "PASS",
        "pact-api-tests 1/1": "PASS",
        "pact-test-report": "PASS",
    }, run.explain()
    assert f"recorded run with {EXPECTED_TESTS} tests" in run.output
    print(f"\nGitLab caller under gitlab-ci-local: {seconds:.1f} s")
