"""Regenerate the inputs tables in gitlab/README.md from the templates' ``spec: inputs``.

Each template section of the README holds a table between
``<!-- inputs:start gitlab/<template>.yml -->`` and ``<!-- inputs:end -->``;
this script rewrites what is between the markers, so the docs cannot drift
from the YAML. ``--check`` only reports (exit 1) when a table is out of date;
the template tests run it that way.

usage: python scripts/gen_gitlab_docs.py [--check] [--readme gitlab/README.md]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
GITLAB_DIR = ROOT / "gitlab"
README = GITLAB_DIR / "README.md"

MARKERS = re.compile(
    r"(?P<start><!-- inputs:start (?P<file>[\w./-]+) -->\n)(?P<body>.*?)(?P<end><!-- inputs:end -->)",
    re.DOTALL,
)


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


def _cell(text: str) -> str:
    # "<job-prefix>" would otherwise be read as an HTML tag and vanish.
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _default(spec: Mapping[str, Any]) -> str:
    if "default" not in spec:
        return "**required**"
    value = spec["default"]
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return '`""`'
    if isinstance(value, list):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    return f"`{value}`"


def render_inputs_md(inputs: Mapping[str, Mapping[str, Any]]) -> str:
    """A Markdown table of the inputs: name, type, default, description."""
    lines = ["| input | type | default | description |", "|---|---|---|---|"]
    for name, spec in inputs.items():
        spec = spec or {}
        description = str(spec.get("description", ""))
        if spec.get("options"):
            description += " (one of: " + ", ".join(f"`{o}`" for o in spec["options"]) + ")"
        lines.append(
            f"| `{name}` | {spec.get('type', 'string')} | {_cell(_default(spec))} | {_cell(description)} |"
        )
    return "\n".join(lines) + "\n"


def update_readme(text: str, root: Path = ROOT) -> str:
    """``text`` with every marked inputs table regenerated from its template."""

    def replace(match: re.Match[str]) -> str:
        table = render_inputs_md(load_inputs(root / match["file"]))
        return match["start"] + table + match["end"]

    return MARKERS.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check`` verify) the inputs tables; 0 ok, 1 out of date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a table is out of date")
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    if not MARKERS.search(current):
        print(f"{args.readme}: no <!-- inputs:start FILE --> markers", file=sys.stderr)
        return 1
    wanted = update_readme(current)
    if wanted == current:
        return 0
    if args.check:
        print(
            f"{args.readme} is out of date: run python scripts/gen_gitlab_docs.py", file=sys.stderr
        )
        return 1
    args.readme.write_text(wanted, encoding="utf-8")
    print(f"updated {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
