"""The fenced snippets of docs/adoption.md, by the marker before each one.

Every fenced block in the guide is preceded by ``<!-- run: KIND [word ...] [key=value ...] -->``
and run by tests/integration/test_adoption_guide.py according to KIND (``toml``, ``sh``,
``python``, ``github-workflow``, ``gitlab-ci``, ``jenkinsfile``). The state glue the guide shows
is also the glue the measurement adds to the scratch Flask service (:func:`glue`): one text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "adoption.md"

_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.M | re.S)
_MARKER = re.compile(r"<!-- run: ([\w-]+)((?: [^>]*?)?) -->\s*$")


@dataclass(frozen=True)
class Snippet:
    """One fenced block: its marker's kind, words and key=value options, language and text."""

    kind: str | None
    words: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)
    lang: str = ""
    text: str = ""
    line: int = 0

    @property
    def id(self) -> str:
        return f"line{self.line}-{self.kind}"


def snippets(path: Path = GUIDE) -> list[Snippet]:
    text = path.read_text(encoding="utf-8")
    out = []
    for match in _BLOCK.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _MARKER.search(before)
        line = text.count("\n", 0, match.start()) + 1
        if marker is None:
            out.append(Snippet(None, (), {}, match.group(1), match.group(2), line))
            continue
        words, options = [], {}
        for part in marker.group(2).split():
            if "=" in part:
                key, value = part.split("=", 1)
                options[key] = value
            else:
                words.append(part)
        out.append(
            Snippet(marker.group(1), tuple(words), options, match.group(1), match.group(2), line)
        )
    return out


def glue() -> Snippet:
    """The state glue of the measured Flask service (the python block marked ``glue``)."""
    (found,) = [s for s in snippets() if s.kind == "python" and "glue" in s.words]
    return found
