#!/usr/bin/env python3
"""Keep the GitLab templates' input descriptions and gitlab/README.md's inputs tables generated.

Every input of gitlab/*.yml is a setting of the same name in ``settings_table.py``: its
``description:`` in the ``spec: inputs`` header is that setting's help (this script writes it
there), and each template section of the README holds a table between
``<!-- inputs:start gitlab/<template>.yml -->`` and ``<!-- inputs:end -->`` with the input's
type, its default (and, when the template leaves it empty, what testgate takes instead) and the
variable it becomes. ``--check`` only reports (exit 1) when something is out of date; the
template tests run it that way.

usage: python scripts/gen_gitlab_docs.py [--check] [--readme gitlab/README.md]
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
sys.path.insert(0, str(ROOT / "scripts"))

GITLAB_DIR = ROOT / "gitlab"
README = GITLAB_DIR / "README.md"

MARKERS = re.compile(
    r"(?P<start><!-- inputs:start (?P<file>[\w./-]+) -->\n)(?P<body>.*?)(?P<end><!-- inputs:end -->)",
    re.DOTALL,
)
_INPUT_KEY = re.compile(r"^    (?P<name>[A-Za-z0-9_-]+):\s*$")
_DESCRIPTION = re.compile(r"^      description: .*$")


def settings() -> Mapping[str, Any]:
    """The settings table (``testgate.settings_table.SETTINGS``)."""
    from testgate.settings_table import SETTINGS

    return SETTINGS


def split_spec(text: str) -> tuple[str, str]:
    """Split an include file into its ``spec:`` header and its jobs document.

    Returns:
        ``(header, jobs)``; ``header`` is empty when the file has no ``spec:`` header.
    """
    if text.startswith("---\n"):
        text = text[4:]
    parts = re.split(r"^---[ \t]*$\n?", text, maxsplit=1, flags=re.MULTILINE)
    if len(parts) == 2 and re.search(r"^spec:", parts[0], flags=re.MULTILINE):
        return parts[0], parts[1]
    return "", text


def load_inputs(path: Path) -> dict[str, dict[str, Any]]:
    """The ``spec: inputs`` mapping of one template, in file order."""
    header, _ = split_spec(path.read_text(encoding="utf-8"))
    spec = yaml.safe_load(header) or {}
    return dict((spec.get("spec") or {}).get("inputs") or {})


def templates(folder: Path = GITLAB_DIR) -> list[Path]:
    """The include files with a ``spec:`` header (not base.yml, not the examples)."""
    return [
        p
        for p in sorted(folder.glob("*.yml"))
        if not p.name.startswith("example") and split_spec(p.read_text(encoding="utf-8"))[0]
    ]


def sync_descriptions(text: str, table: Mapping[str, Any] | None = None) -> str:
    """``text`` (an include file) with each input's ``description:`` set to its setting's help.

    An input that is no setting keeps its description (the template tests fail on it).
    """
    table = settings() if table is None else table
    header, _ = split_spec(text)
    if not header:
        return text
    lines, current = [], None
    for line in header.splitlines(keepends=True):
        key = _INPUT_KEY.match(line)
        if key:
            current = key["name"]
        elif current in table and _DESCRIPTION.match(line.rstrip("\n")):
            line = f"      description: {json.dumps(table[current].help, ensure_ascii=False)}\n"
        lines.append(line)
    return text[: text.index(header)] + "".join(lines) + text[text.index(header) + len(header) :]


def _cell(text: str) -> str:
    # "<job-prefix>" would otherwise be read as an HTML tag and vanish.
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _default(spec: Mapping[str, Any], setting: Any = None) -> str:
    if "default" not in spec:
        return "**required**"
    value = spec["default"]
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return '`""`' + _instead(setting)
    if isinstance(value, list):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    return f"`{value}`"


def _instead(setting: Any) -> str:
    """What testgate takes for an empty input: testgate.toml's key, then the table's default."""
    if setting is None or setting.kind == "template":
        return ""
    parts = []
    if setting.toml:
        parts.append(f"testgate.toml `{setting.toml}`")
    default = setting.describe_default()
    if default:
        parts.append(f"`{default}`" if not _is_derived(setting.default) else default)
    return f" (testgate: {', else '.join(parts)})" if parts else ""


def _is_derived(value: Any) -> bool:
    from testgate.settings import Derived

    return isinstance(value, Derived)


def _variable(name: str, body: str) -> str:
    """The job variable the input becomes, as the jobs document says."""
    match = re.search(
        rf"^\s+([A-Z][A-Z0-9_]*): \$\[\[ inputs\.{re.escape(name)} \]\]\s*$", body, re.MULTILINE
    )
    return f"`{match[1]}`" if match else "–"


def render_inputs_md(
    inputs: Mapping[str, Mapping[str, Any]],
    body: str = "",
    table: Mapping[str, Any] | None = None,
) -> str:
    """A Markdown table of the inputs: name, type, default, description, variable."""
    table = {} if table is None else table
    lines = [
        "| input | type | default | description | variable |",
        "|---|---|---|---|---|",
    ]
    for name, spec in inputs.items():
        spec = spec or {}
        setting = table.get(name)
        description = str(spec.get("description", ""))
        options = [o for o in spec.get("options") or () if o != ""]
        if options:
            description += " (one of: " + ", ".join(f"`{o}`" for o in options) + ")"
        lines.append(
            f"| `{name}` | {spec.get('type', 'string')} | {_cell(_default(spec, setting))} | "
            f"{_cell(description)} | {_variable(name, body)} |"
        )
    return "\n".join(lines) + "\n"


def update_readme(text: str, root: Path = ROOT) -> str:
    """``text`` with every marked inputs table regenerated from its template."""

    def replace(match: re.Match[str]) -> str:
        path = root / match["file"]
        _, body = split_spec(path.read_text(encoding="utf-8"))
        rendered = render_inputs_md(load_inputs(path), body, settings())
        return match["start"] + rendered + match["end"]

    return MARKERS.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check`` verify) descriptions and tables; 0 ok, 1 out of date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if anything is out of date")
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--templates", type=Path, default=GITLAB_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stale: list[tuple[Path, str]] = []
    for path in templates(args.templates):
        text = path.read_text(encoding="utf-8")
        wanted = sync_descriptions(text)
        if wanted != text:
            stale.append((path, wanted))
    current = args.readme.read_text(encoding="utf-8")
    if not MARKERS.search(current):
        print(f"{args.readme}: no <!-- inputs:start FILE --> markers", file=sys.stderr)
        return 1
    for path, wanted in stale:  # the README's tables read the descriptions
        if not args.check:
            path.write_text(wanted, encoding="utf-8")
    wanted_readme = update_readme(current)
    if wanted_readme != current:
        stale.append((args.readme, wanted_readme))
    if not stale:
        return 0
    if args.check:
        names = ", ".join(str(p) for p, _ in stale)
        print(f"out of date: {names}: run python scripts/gen_gitlab_docs.py", file=sys.stderr)
        return 1
    if wanted_readme != current:
        args.readme.write_text(wanted_readme, encoding="utf-8")
    for path, _ in stale:
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
