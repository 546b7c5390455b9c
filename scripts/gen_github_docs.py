#!/usr/bin/env python3
"""Keep the GitHub templates' input descriptions and inputs tables equal to the settings table.

Every input of a reusable workflow (``.github/workflows/*.yml`` with ``on: workflow_call``)
and of a composite action (``.github/actions/<name>/action.yml``) is a setting of
``scripts/testgate/settings_table.py`` with the same name. This script:

- writes each input's ``description:`` in the YAML from the setting's help (one place for
  the text: the table);
- regenerates the tables of ``.github/workflows/README.md`` (one ``## `<file>.yml` `` section
  per workflow) and ``.github/actions/README.md`` (one ``## `<name>` `` section per action)
  between ``<!-- inputs:start -->`` and ``<!-- inputs:end -->``: inputs (with the default
  testgate applies when the input is empty, and the variable each input becomes), secrets
  and outputs, read from the YAML and the table.

usage:
  python scripts/gen_github_docs.py            # rewrite descriptions and tables in place
  python scripts/gen_github_docs.py --check    # exit 1 when anything is out of date (tests, CI)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / ".github" / "actions"
README = WORKFLOWS / "README.md"
ACTIONS_README = ACTIONS / "README.md"
START, END = "<!-- inputs:start -->", "<!-- inputs:end -->"
_INPUT_REF = re.compile(r"\binputs\.([A-Za-z0-9_-]+)")
_SECTION = re.compile(r"^## `([^`]+\.yml)`", re.MULTILINE)
_ACTION_SECTION = re.compile(r"^## `([a-z0-9-]+)`", re.MULTILINE)


def _settings() -> Mapping[str, Any]:
    """The settings table (testgate from this checkout, also when not installed)."""
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    from testgate.settings_table import SETTINGS

    return SETTINGS


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


def composite_actions(folder: Path = ACTIONS) -> dict[str, dict]:
    """``{action name: action.yml as data}`` for every action under ``folder``."""
    return {
        path.parent.name: yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for path in sorted(folder.glob("*/action.yml"))
    }


def input_env_vars(workflow: dict) -> dict[str, list[str]]:
    """``{input: [where it goes]}``: the env vars it is passed through, else the action input
    (``setup-python: python-version``) or job key (``timeout-minutes``) that consumes it.

    Works for a workflow (``jobs``) and a composite action (``runs.steps``) alike.
    """
    env_vars: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}

    def note(target: dict[str, list[str]], text: object, where: str) -> None:
        for name in _INPUT_REF.findall(str(text)):
            if where not in target.setdefault(name, []):
                target[name].append(where)

    jobs = list((workflow.get("jobs") or {}).values())
    if "runs" in workflow:  # a composite action: its steps are one "job"
        jobs.append({"steps": (workflow.get("runs") or {}).get("steps") or []})
    for job in jobs:
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


# -- input descriptions from the table ---------------------------------------------------------


def sync_descriptions(text: str, settings: Mapping[str, Any]) -> str:
    """``text`` (a workflow or action.yml) with every input's ``description:`` set to the help
    of the setting of the same name (inputs with no setting are left for the tests to report).

    Only the first ``inputs:`` block is touched: ``on.workflow_call.inputs`` of a workflow, the
    top-level ``inputs`` of an action.
    """
    lines = text.splitlines(keepends=True)
    block = next((i for i, line in enumerate(lines) if line.strip() == "inputs:"), None)
    if block is None:
        return text
    base = len(lines[block]) - len(lines[block].lstrip(" "))
    current = None
    for i in range(block + 1, len(lines)):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent <= base:
            break
        key = line.strip().split(":", 1)[0]
        if indent == base + 2:
            current = key
        elif indent == base + 4 and key == "description" and current in settings:
            value = json.dumps(settings[current].help, ensure_ascii=False)
            lines[i] = f"{' ' * indent}description: {value}\n"
    return "".join(lines)


# -- the README tables -------------------------------------------------------------------------


def _cell(value: object) -> str:
    """Text for a table cell: pipes escaped, and ``<...>`` outside code spans shown as text
    (GitHub would drop it as an unknown HTML tag)."""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # outside `code`
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def _default(spec: dict, setting: Any | None) -> str:
    """The input's default; for an empty one, the default testgate applies instead."""
    if spec.get("required"):
        return "*required*"
    value = spec.get("default", "")
    if isinstance(value, bool):
        value = str(value).lower()
    if value not in ("", None):
        return f"`{value}`"
    shown = setting.describe_default() if setting is not None else None
    where = f"testgate.toml `{setting.toml}`, else " if setting is not None and setting.toml else ""
    if shown:
        return f'`""` ({where}{_cell(shown)})'
    return f'`""` (testgate.toml `{setting.toml}`)' if where else '`""`'


def _inputs_table(
    call: dict, env_vars: dict[str, list[str]], settings: Mapping[str, Any], typed: bool
) -> list[str]:
    head = "| input | type | default | env var (or where it goes) | description |"
    lines = [head if typed else head.replace(" type |", ""), "|---|---|---|---|---|"]
    if not typed:
        lines[1] = "|---|---|---|---|"
    for input_name, spec in (call.get("inputs") or {}).items():
        spec = spec or {}
        setting = settings.get(input_name)
        env = ", ".join(env_vars.get(input_name, [])) or "–"
        help_text = setting.help if setting is not None else spec.get("description", "")
        kind = f" {spec.get('type', 'string')} |" if typed else ""
        lines.append(
            f"| `{input_name}` |{kind} {_default(spec, setting)} | {env} | {_cell(help_text)} |"
        )
    return lines


def render_tables(
    name: str,
    call: dict,
    env_vars: dict[str, list[str]],
    settings: Mapping[str, Any] | None = None,
    typed: bool = True,
) -> str:
    """The generated Markdown for one workflow or action (inputs, secrets, outputs)."""
    settings = _settings() if settings is None else settings
    lines = [
        f"<!-- generated from {name} and the settings table by scripts/gen_github_docs.py: "
        "do not edit by hand -->",
        "",
        *_inputs_table(call, env_vars, settings, typed),
    ]
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


def _replace_sections(text: str, pattern: re.Pattern[str], tables: dict[str, str]) -> str:
    sections = list(pattern.finditer(text))
    named = {m.group(1) for m in sections}
    missing = sorted(set(tables) - named)
    if missing:
        raise ValueError(f"README has no '## `<name>`' section for: {', '.join(missing)}")
    out, pos = [], 0
    for index, match in enumerate(sections):
        name = match.group(1)
        end = sections[index + 1].start() if index + 1 < len(sections) else len(text)
        if name not in tables:
            continue
        body = text[match.start() : end]
        if START not in body or END not in body:
            raise ValueError(f"section {name}: add the {START} ... {END} markers")
        head, rest = body.split(START, 1)
        _, tail = rest.split(END, 1)
        out.append(text[pos : match.start()])
        out.append(f"{head}{START}\n{tables[name]}\n{END}{tail}")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def render_readme(text: str, folder: Path = WORKFLOWS) -> str:
    """The workflows README ``text`` with every section's generated block replaced.

    Raises:
        ValueError: a reusable workflow has no section, or a section has no markers.
    """
    tables = {
        name: render_tables(name, call, input_env_vars(load_workflow(folder / name)))
        for name, call in reusable_workflows(folder).items()
    }
    return _replace_sections(text, _SECTION, tables)


def render_actions_readme(text: str, folder: Path = ACTIONS) -> str:
    """The actions README ``text`` with every action's generated block replaced."""
    tables = {
        name: render_tables(f"{name}/action.yml", action, input_env_vars(action), typed=False)
        for name, action in composite_actions(folder).items()
    }
    return _replace_sections(text, _ACTION_SECTION, tables)


def wanted_files(workflows: Path = WORKFLOWS, actions: Path = ACTIONS) -> dict[Path, str]:
    """Every file this script writes, with the content it should have."""
    settings = _settings()
    wanted: dict[Path, str] = {}
    templates = [workflows / name for name in reusable_workflows(workflows)]
    for path in [*templates, *sorted(actions.glob("*/action.yml"))]:
        wanted[path] = sync_descriptions(path.read_text(encoding="utf-8"), settings)
    return wanted


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check``, verify) the descriptions and tables; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--workflows", type=Path, default=WORKFLOWS)
    parser.add_argument("--actions-readme", type=Path, default=ACTIONS_README)
    parser.add_argument("--actions", type=Path, default=ACTIONS)
    args = parser.parse_args(argv)
    try:
        # the YAML first: the README tables are read from it
        yaml_files = wanted_files(args.workflows, args.actions)
        stale = [path for path, text in yaml_files.items() if text != path.read_text("utf-8")]
        if not args.check:
            for path in stale:
                path.write_text(yaml_files[path], encoding="utf-8")
                print(f"updated {path}")
            stale = []
        docs = {
            args.readme: render_readme(args.readme.read_text("utf-8"), args.workflows),
            args.actions_readme: render_actions_readme(
                args.actions_readme.read_text("utf-8"), args.actions
            ),
        }
    except (ValueError, OSError) as exc:
        print(f"gen_github_docs: {exc}", file=sys.stderr)
        return 2
    for path, text in docs.items():
        if text != path.read_text(encoding="utf-8"):
            if args.check:
                stale.append(path)
            else:
                path.write_text(text, encoding="utf-8")
                print(f"updated {path}")
    if stale:
        names = ", ".join(str(p) for p in stale)
        print(f"out of date: {names}: run python scripts/gen_github_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
