"""What the example-pipeline tests of every platform share: the service workspace and the results.

Each platform's test runs the example pipeline on a copy of the example services, then checks
that the decision and totals its report job made equal what ``testgate report --json`` says on
the same JUnit files (``direct_report``), and records them as
``<basetemp>/template-results/<platform>-<run>.json`` (``write_record``) so that one test can
compare the platforms of the same pytest session (``other_records``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
SERVICE_FILES = ("examples", "envs", "testgate.toml")
# Files in reports/ that testgate report itself wrote: not test results to count again.
REPORT_OUTPUTS = ("testgate-report", "merged.xml")


def copy_service_files(dest: Path) -> Path:
    """Copy the example services (examples/, envs/, testgate.toml) into ``dest``, without caches."""
    ignore = shutil.ignore_patterns(
        "__pycache__", "*.pyc", ".pytest_cache", "reports", "pacts", "node_modules"
    )
    dest.mkdir(parents=True, exist_ok=True)
    for name in SERVICE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    return dest


def junit_files(repo: Path) -> list[str]:
    """The JUnit files a pipeline's test jobs left in ``repo/reports``, relative to ``repo``."""
    return sorted(
        str(p.relative_to(repo))
        for p in (repo / "reports").glob("*.xml")
        if not p.name.startswith(REPORT_OUTPUTS)
    )


def direct_report(repo: Path, tmp: Path) -> dict[str, Any]:
    """``testgate report --json`` run directly on the JUnit files a pipeline left in ``repo``.

    Args:
        repo: the service repository or workspace the pipeline ran in.
        tmp: a folder for the JSON (``direct.json``) and testgate's other outputs.

    Returns:
        The report JSON.
    """
    out = tmp / "direct.json"
    xmls = junit_files(repo)
    assert xmls, "the pipeline left no JUnit files"
    proc = subprocess.run(
        [
            str(VENV / "bin" / "testgate"),
            "report",
            "--platform",
            "local",
            "--json",
            str(out),
            *xmls,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": f"{VENV / 'bin'}:/usr/bin:/bin", "TESTGATE_REPORTS_DIR": str(tmp / "r")},
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def results_dir(factory: pytest.TempPathFactory) -> Path:
    """``<basetemp>/template-results``, where every platform records its example runs."""
    path = factory.getbasetemp() / "template-results"
    path.mkdir(exist_ok=True)
    return path


def write_record(
    factory: pytest.TempPathFactory, platform: str, run: str, report: dict[str, Any], **extra: Any
) -> Path:
    """Record what ``platform``'s example run ``run`` (pass, fail) decided, for the comparison."""
    path = results_dir(factory) / f"{platform}-{run}.json"
    record = {"platform": platform, **extra, "decision": report["decision"]}
    record["totals"] = report["totals"]
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return path


def other_records(factory: pytest.TempPathFactory, platform: str, run: str) -> list[Path]:
    """The records of run ``run`` that the other platforms' tests wrote in this session."""
    return sorted(
        p
        for p in results_dir(factory).glob(f"*-{run}.json")
        if not p.name.startswith(f"{platform}-")
    )


# -- one run of each platform's example per session, shared by the tests that need it ---------

_SESSION_RUNS: dict[tuple[str, str, str], Any] = {}


def session_run(factory: pytest.TempPathFactory, platform: str, name: str, run: Any) -> Any:
    """``run()`` once per pytest session for ``(platform, name)``; later calls get its result.

    An example pipeline takes a minute or more: a platform's own example tests and the
    cross-platform comparison (tests/templates/test_cross_platform.py) call the same driver
    through this, so it runs once however many tests look at it. A driver that failed
    (raised) is run again by the next caller, so each test reports the failure itself.
    """
    key = (str(factory.getbasetemp()), platform, name)
    if key not in _SESSION_RUNS:
        _SESSION_RUNS[key] = run()
    return _SESSION_RUNS[key]


def counts(totals: dict[str, Any]) -> dict[str, Any]:
    """The totals two platforms must agree on (all but the wall time)."""
    return {k: v for k, v in totals.items() if k != "time"}


# -- the baseline example (issue 13 item 4): an old failure on the default branch, and a pull /
# merge request that adds a new one ----------------------------------------------------------

# A test module the service copy gets in the baseline example runs: what a team's repository
# looks like with a known failure on its default branch, and a pull request adding another.
KNOWN_FAILURES = "examples/inventory-api/tests/api/test_known_failures.py"
OLD_FAILURE = "test_old_failure"
NEW_FAILURE = "test_new_failure"


def add_failing_tests(repo: Path, *names: str) -> Path:
    """Write ``KNOWN_FAILURES`` into the service copy ``repo``: one failing test per name.

    The default-branch run gets ``OLD_FAILURE``; the pull / merge request run gets
    ``OLD_FAILURE`` and ``NEW_FAILURE``. With ``--baseline auto`` the request's gate must fail
    naming only the new one. The tests need no service, so they fail the same everywhere.
    """
    path = repo / KNOWN_FAILURES
    body = ['"""Known failures of the baseline example (written by the template tests)."""\n']
    for name in names:
        body.append(f"\n\ndef {name}() -> None:\n    assert False, {f'{name} fails'!r}\n")
    path.write_text("".join(body), encoding="utf-8")
    return path


def failure_ids(report: dict[str, Any]) -> list[str]:
    """The ids of the failed tests in a ``testgate-report/1`` JSON, sorted."""
    return sorted(str(f["id"]) for f in report.get("failures") or ())


# -- the example pipeline of each platform, driven the way its own tests drive it ---------------
# Each returns the report JSON the pipeline's report job wrote, with the platform's job results
# beside it ("jobs"), once per session (session_run). The parity test compares them; a
# platform's own example tests may call the same driver to share the run.

GITHUB_EXAMPLE = ".github/workflows/example-pipeline.yml"
GITLAB_EXAMPLES = {"pass": "example.gitlab-ci.yml", "fail": "example-local.gitlab-ci.yml"}
BREAK = {"pass": {}, "fail": {"EXAMPLE_BREAK": "provider"}}


def _github_harness() -> Any:
    folder = str(Path(__file__).resolve().parent / "github")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import gha_harness

    return gha_harness


def github_example(factory: pytest.TempPathFactory, run: str) -> dict[str, Any]:
    """The GitHub example pipeline (act): ``pass``, or ``fail`` with EXAMPLE_BREAK=provider.

    act stops a run at the first failed called workflow (GitHub goes on with the jobs that do
    not need it, and with ``if: always()``), so the failing run is taken job by job on one
    artifact store: the verification, then the API tests, then the example's own test-report
    job alone on all the JUnit artifacts (``gha_harness.detached_jobs``).
    """

    def drive() -> dict[str, Any]:
        gha = _github_harness()
        base = factory.mktemp(f"github-example-{run}")
        repo = gha.make_service_repo(base / "service")
        box = gha.Sandbox.create(base / "box", repo, gha.make_dev_site(base / "site"))
        env = BREAK[run]
        runs = []
        if run == "pass":
            runs.append(gha.run_act(box, "push", GITHUB_EXAMPLE, timeout=600))
        else:
            runs.append(
                gha.run_act(
                    box, "push", GITHUB_EXAMPLE, env=env, job="provider-verification", timeout=600
                )
            )
            workflow = gha.load_workflow(box.repo / GITHUB_EXAMPLE)
            needs = workflow["jobs"]["api-tests"].get("needs") or []
            if "consumer-contracts" in ([needs] if isinstance(needs, str) else needs):
                # act runs the consumer job again for the API tests, and uploads its
                # artifacts again, which a run may do once
                for artifact in ("testgate-junit-consumer-contracts", "pacts"):
                    shutil.rmtree(box.artifacts / artifact, ignore_errors=True)
            runs.append(
                gha.run_act(box, "push", GITHUB_EXAMPLE, env=env, job="api-tests", timeout=600)
            )
            detached = gha.detached_jobs(
                box.repo / GITHUB_EXAMPLE,
                ["test-report"],
                box.repo / ".github" / "workflows" / "zz-example-report.yml",
            )
            try:
                runs.append(
                    gha.run_act(box, "push", str(detached.relative_to(box.repo)), timeout=300)
                )
            finally:
                detached.unlink()
        report = box.artifacts / "testgate-report" / "testgate-report.json"
        jobs = {j.name.strip(): j.result for r in runs for j in r.jobs.values() if j.result}
        logs = "\n".join(r.log[-3000:] for r in runs)
        assert report.is_file(), f"the GitHub {run} example wrote no report: {jobs}\n{logs}"
        return {**json.loads(report.read_text(encoding="utf-8")), "jobs": jobs}

    return session_run(factory, "github", f"example-{run}", drive)


def gitlab_example(factory: pytest.TempPathFactory, run: str) -> dict[str, Any]:
    """The GitLab example pipeline (gitlab-ci-local): ``pass`` with the service repository's
    example.gitlab-ci.yml (include: project at the pinned tag), ``fail`` with the include: local
    variant and EXAMPLE_BREAK=provider. The jobs use this suite's virtualenv
    (TESTGATE_INSTALL=skip), as the GitLab tests run them."""

    def drive() -> dict[str, Any]:
        import gitlab_harness as glh

        base = factory.mktemp(f"gitlab-example-{run}")
        repo = glh.make_service_repo(base / "inventory-api", glh.GITLAB_DIR / GITLAB_EXAMPLES[run])
        variables = {"TESTGATE_INSTALL": "skip", "TESTGATE_VENV": str(VENV), **BREAK[run]}
        result = glh.run_pipeline(repo, variables, timeout=900)
        report = repo / "reports" / "testgate-report.json"
        assert report.is_file(), f"the GitLab {run} example wrote no report: {result.explain()}"
        return {**json.loads(report.read_text(encoding="utf-8")), "jobs": result.jobs}

    return session_run(factory, "gitlab", f"example-{run}", drive)
