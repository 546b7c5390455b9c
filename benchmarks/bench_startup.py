"""How long a command takes to start: ``testgate <command> --help`` (target: under 100 ms).

Every CI step pays the start-up of one or more testgate commands, and a command's ``--help``
and its usage errors are start-up and nothing else: the parser and the settings table. Measured
in CPU time of the child (user + system, best of ``--runs``), so that other work on these
2-core machines does not decide the figure, next to the floor in the same run: the bare
interpreter with its site (``python -c pass``) and the standard modules any argparse and
dataclass CLI loads (``import argparse, dataclasses, pathlib, re``).

    .venv/bin/python benchmarks/bench_startup.py [--runs 15] [--baseline REF]

``--baseline REF`` also times the package of another commit (``git archive REF``, run with this
venv through PYTHONPATH), interleaved with the others: the figure before a change, same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from testgate.cli import COMMANDS  # noqa: E402

TARGET_MS = 100.0
FLOOR = "pass"
STDLIB = "import argparse, dataclasses, pathlib, re"
HELP = "import sys\nfrom testgate.cli import main\nsys.exit(main(sys.argv[1:]))"


def cpu_ms(argv: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used * 1000


def baseline_tree(ref: str, dest: Path) -> Path:
    """The files of commit ``ref`` in ``dest`` (git archive: the repository is left as it is)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "scripts"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (best is kept)")
    parser.add_argument("--baseline", metavar="REF", help="also time this commit's package")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    ours = {**env, "PYTHONPATH": str(ROOT / "scripts")}
    variants = {"testgate": ours}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            tree = baseline_tree(args.baseline, Path(tmp) / "baseline")
            variants[args.baseline] = {**env, "PYTHONPATH": str(tree / "scripts")}
        python = sys.executable
        cases = [("(bare interpreter)", [python, "-c", FLOOR], env)]
        cases.append(("(argparse, dataclasses, pathlib, re)", [python, "-c", STDLIB], env))
        for name in COMMANDS:
            for label, variant_env in variants.items():
                suffix = "" if label == "testgate" else f" @ {label}"
                argv = [python, "-c", HELP, name, "--help"]
                cases.append((f"{name} --help{suffix}", argv, variant_env))
        for _, argv, case_env in cases:  # byte code written, caches warm
            cpu_ms(argv, case_env)
        best: dict[str, float] = {label: float("inf") for label, _, _ in cases}
        for _ in range(args.runs):  # interleaved, so that load changes hit every case alike
            for label, argv, case_env in cases:
                best[label] = min(best[label], cpu_ms(argv, case_env))

    floor = best["(bare interpreter)"]
    print(f"best CPU of {args.runs} runs (user + system), ratio to the bare interpreter:")
    for label, ms in best.items():
        print(f"  {label:<44} {ms:6.1f} ms  {ms / floor:4.1f}x")
    ours_ms = [best[f"{name} --help"] for name in COMMANDS]
    print(
        f"commands: median {statistics.median(ours_ms):.1f} ms, slowest {max(ours_ms):.1f} ms"
        f" (target < {TARGET_MS:.0f} ms)"
    )
    if args.baseline:
        theirs = [best[f"{name} --help @ {args.baseline}"] for name in COMMANDS]
        print(
            f"{args.baseline}: median {statistics.median(theirs):.1f} ms, slowest "
            f"{max(theirs):.1f} ms ({statistics.median(theirs) / statistics.median(ours_ms):.2f}x"
            " ours)"
        )
    return 0 if max(ours_ms) < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
