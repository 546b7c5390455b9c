"""How each CI system reads a job log: which lines it executes, which sections it opens.

Tests print untrusted text through a platform adapter and hand the log to these models,
which follow the CI systems' own parsers:

- GitHub: actions/runner ``ActionCommandManager.TryProcessCommand`` and ``ActionCommand``
  (lines split like .NET ``ReadLine`` on CR, LF and CRLF; ``::cmd props::data`` after
  ``TrimStart()``; the older ``##[cmd props]data`` anywhere in a line; ``stop-commands``
  pauses everything until ``::<token>::``; command names are case-insensitive).
- act: ``pkg/runner/command.go`` (lines split on LF; ``^::...::`` and ``^##[...]`` only).
- GitLab: the job log renderer (``Gitlab::Ci::Ansi2json``): a section marker
  ``section_start|end:<time>:<name>[opts]\\r\\e[0K`` anywhere in the stream; a bare CR
  clears the line drawn so far.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# The commands a current runner registers (ActionCommandManager + its extensions).
GITHUB_COMMANDS = frozenset(
    {
        "stop-commands",
        "set-env",
        "set-output",
        "save-state",
        "add-mask",
        "add-path",
        "add-matcher",
        "remove-matcher",
        "warning",
        "error",
        "notice",
        "debug",
        "group",
        "endgroup",
        "echo",
    }
)
_NET_WHITESPACE = frozenset("\t\n\x0b\x0c\r\x85\xa0")


@dataclass(frozen=True)
class Command:
    """One command a runner executed."""

    name: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""
    line: str = ""


def _net_trim_start(line: str) -> str:
    """.NET ``String.TrimStart()``: drops leading ``Char.IsWhiteSpace`` characters."""
    i = 0
    while i < len(line) and (
        line[i] in _NET_WHITESPACE or unicodedata.category(line[i]) in ("Zs", "Zl", "Zp")
    ):
        i += 1
    return line[i:]


def _unescape(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for escaped, raw in pairs:
        text = text.replace(escaped, raw)
    return text


_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_V1 = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))


def _parse_v2(line: str, registered: set[str]) -> Command | None:
    message = _net_trim_start(line)
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    name = info.split(" ", 1)[0]
    if name.lower() not in registered:
        return None
    props: dict[str, str] = {}
    if " " in info:
        for prop in info.split(" ", 1)[1].strip().split(","):
            key, sep, value = prop.partition("=")
            if sep and key and value:
                props[key] = _unescape(value, _PROPERTY)
    return Command(name.lower(), props, _unescape(message[end + 2 :], _DATA), line)


def _parse_v1(line: str, registered: set[str]) -> Command | None:
    start = line.find("##[")
    if start < 0:
        return None
    close = line.find("]", start)
    if close < 0:
        return None
    info = line[start + 3 : close]
    name = info.split(" ", 1)[0]
    if name.lower() not in registered:
        return None
    props: dict[str, str] = {}
    if " " in info:
        for prop in info.split(" ", 1)[1].split(";"):
            key, sep, value = prop.partition("=")
            if sep and key and value:
                props[key] = _unescape(value, _V1)
    return Command(name.lower(), props, _unescape(line[close + 1 :], _V1), line)


@dataclass
class GitHubLog:
    """What the runner made of a step's output."""

    executed: list[Command]
    stopped_at_end: bool

    def names(self) -> list[str]:
        return [c.name for c in self.executed]


def github_runner(log: str) -> GitHubLog:
    """Feed ``log`` to a model of the GitHub runner; returns the commands it executed.

    ``stop-commands`` and the matching resume are included (``name`` ``stop-commands`` and
    ``resume``), so a test can see that testgate's fences open and close.
    """
    registered = set(GITHUB_COMMANDS)
    token: str | None = None
    executed: list[Command] = []
    for line in re.split(r"\r\n|\r|\n", log):
        if not line:
            continue
        command = _parse_v2(line, registered) or _parse_v1(line, registered)
        if command is None:
            continue
        if token is not None:
            if command.name == token.lower():
                executed.append(Command("resume", {}, token, line))
                registered.discard(token.lower())
                token = None
            continue
        if command.name == "stop-commands":
            token = command.data
            registered.add(token.lower())
            executed.append(command)
            continue
        executed.append(command)
    return GitHubLog(executed, token is not None)


_ACT_GA = re.compile(r"^::([^ ]+)( (.+))?::([^\r\n]*)[\r\n]+$")
_ACT_ADO = re.compile(r"^##\[([^ ]+)( (.+))?\]([^\r\n]*)[\r\n]+$")


def act_runner(log: str) -> list[Command]:
    """Feed ``log`` to a model of act's command handler; returns what it executed."""
    resume = ""
    executed: list[Command] = []
    for line in re.findall(r"[^\n]*\n", log):  # bytes.Buffer.ReadString('\n'): LF only
        m = _ACT_GA.match(line) or _ACT_ADO.match(line)
        if not m:
            continue
        name, data = m.group(1), m.group(4)
        if resume and name != resume:
            continue
        if name == "stop-commands":
            resume = data
        elif resume and name == resume:
            resume = ""
            name = "resume"
        executed.append(Command(name, {}, data, line))
    return executed


def act_own_command(name: str) -> bool:
    """Whether act's command ``name`` is one testgate writes itself (or act's greedy split of
    one: ``::error::a::b`` is command ``error::a`` to act, which it ignores as unknown)."""
    own = ("stop-commands", "resume", "group", "endgroup", "warning", "error")
    return name in own or name.startswith(("error::", "warning::", "group::"))


GITLAB_SECTION = re.compile(
    r"section_((?:start)|(?:end)):(\d+):([a-zA-Z0-9_.-]+)"
    r"((?:\[(?:\w+=\w+)(?:, ?(?:\w+=\w+))*\])?)\r\x1b\[0K"
)


def gitlab_sections(log: str) -> list[tuple[str, str]]:
    """The (start|end, name) section markers GitLab's log renderer finds in ``log``."""
    return [(m.group(1), m.group(3)) for m in GITLAB_SECTION.finditer(log)]


def gitlab_visible_lines(log: str) -> list[str]:
    """The lines as GitLab shows them: section markers removed, a bare CR clears the line."""
    log = GITLAB_SECTION.sub("", log)
    shown = []
    for raw in re.split(r"\r?\n", log):
        shown.append(raw.split("\r")[-1])
    return shown


_SGR_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def raw_controls(log: str, *, own_sections: tuple[str, ...] = ()) -> list[str]:
    """Control characters (CR, ESC outside colour codes, ...) left in ``log``.

    The markers of the sections named ``own_sections`` (GitLab groups the platform opened
    itself, with their CR and ESC) are not counted.
    """
    log = re.sub(
        "(?:\x1b\\[0K)?" + GITLAB_SECTION.pattern,
        lambda m: "" if m.group(3) in own_sections else m.group(0),
        log,
    )
    log = _SGR_COLOUR.sub("", log).replace("\r\n", "\n")
    return [repr(c) for c in log if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
