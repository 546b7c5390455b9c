#!/usr/bin/env python3
"""Regenerate the inputs/secrets/outputs tables of ``.github/workflows/README.md``.

Each reusable workflow has a ``## `<file>.yml` `` section in the README; the text between
``<!-- inputs:start -->`` and ``<!-- inputs:end -->`` in that section is generated from the
workflow's ``on.workflow_call`` block, so the docs cannot drift from the YAML. The env-var
column is read from the workflow too: it is the variable each input is passed through.

usage:
  python scripts/gen_github_docs.py            # rewrite the tables in place
  python scripts/gen_github_docs.py --check    # exit 1 when the README is out of date (tests, CI)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
README = WORKFLOWS / "README.md"
START, END = "<!-- inputs:start -->", "<!-- inputs:end -->"
_INPUT_REF = re.compile(r"\binputs\.([A-Za-z0-9_-]+)")
_SECTION = re.compile(r"^## `([^`]+\.yml)`", re.MULTILINE)


def load_workflow(path: Path) -> dict:
    """A workflow file as data, with PyYAML's boolean ``on`` key turned back into ``"on"``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if True in data:
        data["on"] = data.pop(True)
    return data


def reusable_workflows(folder: Path = WORKFLOWS) -> dict[str, dict]:
    """``{file name: workflow_call block}`` for every template in ``folder``.

    A template is a workflow triggered by ``workflow_call`` only; this repository's own CI
    (also callable, by release.yml) has other triggers and is not documented as a template.
    """
    found = {}
    for path in sorted(folder.glob("*.yml")):
        on = load_workflow(path).get("on")
        if isinstance(on, dict) and list(on) == ["workflow_call"]:
            found[path.name] = on["workflow_call"] or {}
    return found


def input_env_vars(workflow: dict) -> dict[str, list[str]]:
    """``{input: [where it goes]}``: the env vars it is passed through, else the action input
    (``setup-python: python-version``) or job key (``timeout-minutes``) that consumes it."""
    env_vars: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}

    def note(target: dict[str, list[str]], text: object, where: str) -> None:
        for name in _INPUT_REF.findall(str(text)):
            if where not in target.setdefault(name, []):
                target[name].append(where)

    for job in (workflow.get("jobs") or {}).values():
        for var, value in (job.get("env") or {}).items():
            note(env_vars, value, f"`{var}`")
        for key in ("timeout-minutes", "if", "runs-on"):
            note(other, job.get(key, ""), f"job `{key}`")
        for step in job.get("steps") or []:
            for var, value in (step.get("env") or {}).items():
                note(env_vars, value, f"`{var}`")
            action = str(step.get("uses", "")).split("@")[0].removeprefix("actions/")
            for key, value in (step.get("with") or {}).items():
                note(other, value, f"{action} `{key}`")
            note(other, step.get("if", ""), "step `if`")
    return {name: env_vars.get(name) or other.get(name, []) for name in {*env_vars, *other}}


def _cell(value: object) -> str:
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text


def _default(spec: dict) -> str:
    if spec.get("required"):
        return "*required*"
    if "default" not in spec:
        return ""
    value = spec["default"]
    if isinstance(value, bool):
        value = str(value).lower()
    return f"`{value}`" if value != "" else '`""`'


def render_tables(name: str, call: dict, env_vars: dict[str, list[str]]) -> str:
    """The generated Markdown for one workflow (inputs, secrets, outputs)."""
    lines = [
        f"<!-- generated from {name} by scripts/gen_github_docs.py: do not edit by hand -->",
        "",
        "| input | type | default | env var (or where it goes) | description |",
        "|---|---|---|---|---|",
    ]
    for input_name, spec in (call.get("inputs") or {}).items():
        spec = spec or {}
        env = ", ".join(env_vars.get(input_name, [])) or "–"
        lines.append(
            f"| `{input_name}` | {spec.get('type', 'string')} | {_default(spec)} | {env} "
            f"| {_cell(spec.get('description', ''))} |"
        )
    secrets = call.get("secrets") or {}
    if secrets:
        lines += ["", "| secret | required | description |", "|---|---|---|"]
        for secret, spec in secrets.items():
            spec = spec or {}
            required = "yes" if spec.get("required") else "no"
            lines.append(f"| `{secret}` | {required} | {_cell(spec.get('description', ''))} |")
    outputs = call.get("outputs") or {}
    if outputs:
        lines += ["", "| output | description |", "|---|---|"]
        for output, spec in outputs.items():
            lines.append(f"| `{output}` | {_cell((spec or {}).get('description', ''))} |")
    return "\n".join(lines)


def render_readme(text: str, folder: Path = WORKFLOWS) -> str:
    """``text`` with every section's generated block replaced.

    Raises:
        ValueError: a reusable workflow has no section, or a section has no markers.
    """
    calls = reusable_workflows(folder)
    sections = list(_SECTION.finditer(text))
    named = {m.group(1) for m in sections}
    missing = sorted(set(calls) - named)
    if missing:
        raise ValueError(f"README has no '## `<file>`' section for: {', '.join(missing)}")
    out, pos = [], 0
    for index, match in enumerate(sections):
        name = match.group(1)
        end = sections[index + 1].start() if index + 1 < len(sections) else len(text)
        if name not in calls:
            continue
        body = text[match.start() : end]
        if START not in body or END not in body:
            raise ValueError(f"section {name}: add the {START} ... {END} markers")
        head, rest = body.split(START, 1)
        _, tail = rest.split(END, 1)
        tables = render_tables(name, calls[name], input_env_vars(load_workflow(folder / name)))
        out.append(text[pos : match.start()])
        out.append(f"{head}{START}\n{tables}\n{END}{tail}")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check``, verify) the README tables; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--workflows", type=Path, default=WORKFLOWS)
    args = parser.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    try:
        wanted = render_readme(current, args.workflows)
    except ValueError as exc:
        print(f"gen_github_docs: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if wanted != current:
            print(
                f"{args.readme} is out of date: run python scripts/gen_github_docs.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if wanted != current:
        args.readme.write_text(wanted, encoding="utf-8")
        print(f"updated {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
