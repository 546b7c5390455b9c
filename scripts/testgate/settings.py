"""One settings model: every setting declared once (``settings_table.py``), resolved one way.

A :class:`Setting` is data: its name (the template input, kebab-case), its type, its default,
its flag, its environment variable, its ``testgate.toml`` key, whether it is a secret, and its
help. Every command declares which settings it uses (:class:`CommandSpec`); from that one
declaration come its argparse parser (flags, help with the variable, toml key and default), the
typed, frozen :class:`Settings` it receives, the README's settings reference, the templates'
inputs tables and the tests that keep templates, flags, variables and toml keys in step.

Precedence, the same for every setting of every command::

    flag  >  environment variable  >  envs/<env>.env (environment settings only)
          >  testgate.toml  >  default

Every missing or invalid setting of a command is reported in one error (exit 2), before any
work is done. ``testgate.toml`` is validated strictly: an unknown section or key is an error
naming the file, the line and the nearest valid key.

Why not pydantic-settings: it has the sources we need (TOML, environment, CLI) and
``extra="forbid"``, but importing it costs 170-230 ms here (measured: ``python -c "import
pydantic_settings"`` on this 2-core machine), more than testgate's whole 100 ms start-up
budget, it would not generate our argparse help or the templates' inputs tables, and its error
messages name pydantic's field paths, not our flags and variables. This loader is ~400 lines of
plain Python with no dependency.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from testgate.errors import ConfigError

if TYPE_CHECKING:
    from testgate.buildinfo import BuildInfo
    from testgate.platforms.base import Platform

PROJECT_FILE = "testgate.toml"

KINDS = (
    "str",  # text
    "int",  # a whole number (minimum/maximum)
    "float",  # a finite number (minimum/maximum)
    "bool",  # true/false/1/0/yes/no/on/off
    "path",  # an input file or folder, relative to the project root
    "paths",  # one or more input files or folders (a list in testgate.toml), each like "path"
    "outfile",  # an output file: its folder can be written, it is not a folder or a device
    "outdir",  # an output folder: it can be created and written
    "url",  # an http(s) URL
    "list",  # comma- or space-separated words (a list in testgate.toml)
    "command",  # argv: a list in testgate.toml, a shell-like string elsewhere
    "date",  # YYYY-MM-DD
    "choice",  # one of ``choices``
    "secret",  # text from the environment only; masked in every output
    "table",  # a TOML table or array of tables (structure checked by its own reader)
    "template",  # a template-only input (job name, runner image...): no flag, no variable
)

_UNSET = object()


class Derived:
    """A default computed when the command runs (from the build, the reports folder...)."""

    def __init__(self, text: str, compute: Callable[[Settings], Any]) -> None:
        self.text = text
        self.compute = compute

    def __repr__(self) -> str:
        return self.text


def from_build(attr: str, text: str) -> Derived:
    """Default to a field of the build identity (commit, branch, build URL...)."""
    return Derived(text, lambda s: getattr(s.build, attr) or None)


def in_reports(name: str) -> Derived:
    """Default to a file in the reports folder."""
    return Derived(f"<reports-dir>/{name}", lambda s: s.reports_dir / name)


def from_setting(name: str, fallback: Any = None) -> Derived:
    """Default to another setting's value (then ``fallback``)."""

    def compute(s: Settings) -> Any:
        value = s.lookup(name)
        if value not in (None, ""):
            return value
        return fallback.compute(s) if isinstance(fallback, Derived) else fallback

    text = f"{name}" + (f", else {fallback!r}" if fallback not in (None, "") else "")
    return Derived(text.replace("'", ""), compute)


@dataclass(frozen=True)
class Setting:
    """One setting, declared once.

    Attributes:
        name: kebab-case; the template input (GitHub, GitLab), camelCase in Jenkins.
        help: one line, without the default or the variable (added where shown).
        kind: one of :data:`KINDS`.
        default: a value, a :class:`Derived`, or ``None``.
        env: the environment variable; ``""`` derives ``TESTGATE_<NAME>``; ``None`` for none.
        env_aliases: further variables read, in order, after ``env`` (CI variables, old names).
        flag: the long option; ``""`` derives ``--<name>``; ``None`` for none.
        flag_aliases: older spellings still accepted (shown in the help).
        short: a short option (``-m``).
        toml: ``section.key`` in testgate.toml, or ``None``.
        env_file: may also be set in ``envs/<env>.env``.
        input: a template input of that name exists (checked by the template tests).
        choices, minimum, maximum: validation.
        metavar: shown in the help.
        nargs: for list settings given as several words on the command line.
    """

    name: str
    help: str
    kind: str = "str"
    default: Any = None
    env: str | None = ""
    env_aliases: tuple[str, ...] = ()
    flag: str | None = ""
    flag_aliases: tuple[str, ...] = ()
    short: str | None = None
    toml: str | None = None
    env_file: bool = False
    input: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    metavar: str | None = None
    deprecated_env: tuple[str, ...] = ()
    secret: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.env == "":
            object.__setattr__(self, "env", env_var_for(self.name))
        if self.flag == "":
            object.__setattr__(self, "flag", f"--{self.name}")
        if self.kind == "secret":
            object.__setattr__(self, "secret", True)
        if self.kind in ("secret", "template", "table"):
            object.__setattr__(self, "flag", None)  # secrets only from the environment
        if self.kind == "template":
            object.__setattr__(self, "input", True)

    @property
    def attr(self) -> str:
        """The Python attribute name (``pact-dir`` -> ``pact_dir``)."""
        return self.name.replace("-", "_")

    @property
    def variables(self) -> tuple[str, ...]:
        """Every environment variable read, in order."""
        return ((self.env,) if self.env else ()) + self.env_aliases + self.deprecated_env

    @property
    def toml_section(self) -> str | None:
        return self.toml.rsplit(".", 1)[0] if self.toml else None

    @property
    def toml_key(self) -> str | None:
        return self.toml.rsplit(".", 1)[1] if self.toml else None

    def describe_default(self, default: Any = _UNSET) -> str | None:
        value = self.default if default is _UNSET else default
        if value is None or value == "" or value == ():
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list | tuple):
            return ",".join(str(v) for v in value)
        return str(value)


def env_var_for(name: str) -> str:
    """The variable an input maps to (``to-environment`` -> ``TESTGATE_TO_ENVIRONMENT``)."""
    return "TESTGATE_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


@dataclass(frozen=True)
class Use:
    """A command's use of a setting: required or not, and a default of its own."""

    name: str
    required: bool = False
    default: Any = _UNSET
    help: str | None = None
    positional: bool = False


def use(
    name: str,
    *,
    required: bool = False,
    default: Any = _UNSET,
    help: str | None = None,
    positional: bool = False,
) -> Use:
    """Declare that a command uses setting ``name`` (see :class:`Use`)."""
    return Use(name, required, default, help, positional)


@dataclass(frozen=True)
class CommandSpec:
    """What a command is: its help, examples, actions and the settings it uses."""

    name: str
    help: str
    description: str
    examples: str
    uses: tuple[Use, ...] = ()
    actions: tuple[str, ...] = ()
    action_help: str = ""
    groups: Mapping[str, str] = field(default_factory=dict)

    def use_of(self, name: str) -> Use | None:
        for u in self.uses:
            if u.name == name:
                return u
        return None


# Settings every command reads (added to each spec by :func:`spec_uses`).
COMMON = ("platform", "reports-dir", "project-file", "debug")


def spec_uses(spec: CommandSpec) -> tuple[Use, ...]:
    """The command's uses plus the common settings, each once."""
    names = {u.name for u in spec.uses}
    return tuple(spec.uses) + tuple(Use(n) for n in COMMON if n not in names)


# -- the table ------------------------------------------------------------------------------


def table() -> Mapping[str, Setting]:
    """Every setting by name (imported lazily: only commands need it)."""
    from testgate.settings_table import SETTINGS

    return SETTINGS


def setting(name: str) -> Setting:
    try:
        return table()[name]
    except KeyError:
        raise KeyError(f"no setting {name!r} in settings_table.py") from None


def toml_keys() -> dict[str, dict[str, Setting]]:
    """``{section: {key: setting}}`` of every setting testgate.toml may hold."""
    keys: dict[str, dict[str, Setting]] = {}
    for s in table().values():
        if s.toml:
            keys.setdefault(s.toml_section or "", {})[s.toml_key or ""] = s
    return keys


# -- argparse -------------------------------------------------------------------------------

EXIT_CODES_EPILOG = (
    "exit codes: 0 passed, 1 gate failed, 2 usage or configuration error, 3 could not decide"
)


class _Parser(argparse.ArgumentParser):
    """argparse, exiting 2 on a usage error as documented."""


def flag_help(s: Setting, u: Use | None = None) -> str:
    """The help of a flag: the text, then where else it can be set and its default."""
    text = (u.help if u and u.help else None) or s.help
    where: list[str] = []
    if s.env:
        where.append(f"env {s.env}")
    if s.env_aliases:
        where.append("or " + ", ".join(s.env_aliases))
    if s.toml:
        where.append(f"testgate.toml [{s.toml_section}] {s.toml_key}")
    if s.env_file:
        where.append("or envs/<env>.env")
    default = s.describe_default(u.default if u else _UNSET)
    if default:
        where.append(f"default {default}")
    return f"{text} ({'; '.join(where)})" if where else text


def build_parser(spec: CommandSpec) -> argparse.ArgumentParser:
    """The argparse parser of a command, from its spec and the table."""
    parser = _Parser(
        prog=f"testgate {spec.name}",
        description=spec.description,
        epilog=f"examples:\n{spec.examples.rstrip()}\n\n{EXIT_CODES_EPILOG}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if spec.actions:
        parser.add_argument("action", choices=spec.actions, help=spec.action_help or "what to do")
    groups: dict[str, Any] = {}
    for title, description in spec.groups.items():
        groups[title] = parser.add_argument_group(title, description)
    common = parser.add_argument_group("common options")
    for u in spec_uses(spec):
        s = setting(u.name)
        if u.positional:
            parser.add_argument(
                s.attr,
                nargs="*" if s.kind == "list" else "?",
                metavar=s.metavar or s.name.upper(),
                help=flag_help(s, u),
                default=None,
            )
            continue
        if not s.flag:
            continue
        target = common if u.name in COMMON else parser
        group_name = _group_of(spec, s)
        if group_name:
            target = groups[group_name]
        names = [n for n in (s.short, s.flag, *s.flag_aliases) if n]
        kwargs: dict[str, Any] = {"dest": s.attr, "default": None, "help": flag_help(s, u)}
        if s.kind == "bool":
            kwargs["action"] = argparse.BooleanOptionalAction
        elif s.kind == "choice":
            kwargs["choices"] = s.choices
            kwargs["metavar"] = s.metavar or "{" + ",".join(s.choices) + "}"
        elif s.kind == "list" and s.metavar and s.metavar.endswith("..."):
            kwargs["action"] = "append"
            kwargs["metavar"] = s.metavar[:-3]
        else:
            kwargs["metavar"] = s.metavar or _metavar(s)
            if len(names) > 1:
                kwargs["action"] = _StoreSpelled
        target.add_argument(*names, **kwargs)
    return parser


class _StoreSpelled(argparse.Action):
    """Store the value, and the option the user typed: an error names ``--last``, not the
    canonical ``--history-window``, when ``--last`` is what was given."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        setattr(namespace, self.dest, values)
        spelled = dict(getattr(namespace, "_spelled", None) or {})
        spelled[self.dest] = option_string
        namespace._spelled = spelled


def _group_of(spec: CommandSpec, s: Setting) -> str | None:
    for title in spec.groups:
        prefix = title.split(":", 1)[0]
        if s.name in _GROUP_MEMBERS.get(prefix, ()):
            return title
    return None


# Help groups a spec may ask for, by the settings they hold.
_GROUP_MEMBERS: dict[str, tuple[str, ...]] = {
    "Pact Broker": (
        "broker-url",
        "skip-ssl-verification",
        "broker-timeout",
        "broker-retries",
        "broker-retry-backoff",
    ),
    "pacts from the Pact Broker": (
        "broker",
        "pact-url",
        "broker-url",
        "consumer-version-selectors",
        "include-pending",
        "include-wip-pacts-since",
        "provider-version",
        "provider-branch",
        "publish-results",
        "skip-ssl-verification",
        "broker-timeout",
    ),
    "sharding": ("shards", "shard-index", "history-file", "durations"),
    "metrics": ("metrics-file", "pushgateway-url", "service"),
    "build": ("commit", "branch", "build-url"),
}


def _metavar(s: Setting) -> str:
    return {
        "int": "N",
        "float": "NUMBER",
        "path": "PATH",
        "paths": "PATH...",
        "outfile": "FILE",
        "outdir": "DIR",
        "url": "URL",
        "date": "DATE",
        "command": "CMD",
        "list": "LIST",
    }.get(s.kind, s.name.split("-")[-1].upper())


# -- testgate.toml -------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """``testgate.toml`` (validated) and the folder its relative paths start from."""

    root: Path
    data: Mapping[str, Any] = field(default_factory=dict)
    file: Path | None = None

    def get(self, section: str, key: str, default: Any = None) -> Any:
        value = self.data.get(section, {}).get(key, default)
        return default if value is None else value

    def path(self, value: str | os.PathLike[str]) -> Path:
        p = Path(value)
        return p if p.is_absolute() else self.root / p


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``testgate.toml``; else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return start


def load_project(start: Path, explicit: str | None = None) -> Project:
    """Read and validate ``testgate.toml`` (or ``explicit``), found from ``start`` upwards.

    Raises:
        ConfigError: unreadable, not TOML, or an unknown section or key (naming the file,
            the line and the nearest valid key).
    """
    if explicit:
        file = Path(explicit)
        if not file.is_file():
            raise ConfigError(
                f"TESTGATE_PROJECT_FILE names {file}, which does not exist",
                hint="point it at your testgate.toml or unset it",
            )
        root = file.resolve().parent
    else:
        root = find_project_root(start)
        file = root / PROJECT_FILE
        if not file.is_file():
            return Project(root=root)
    import tomllib  # only when there is a file: --help stays fast

    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {file}: {exc}", hint="fix the TOML syntax") from exc
    validate_project(data, text, file)
    return Project(root=root, data=data, file=file)


def validate_project(data: Mapping[str, Any], text: str, file: Path) -> None:
    """Refuse unknown sections and keys, and values of the wrong type, all in one error."""
    import difflib  # only here: it costs start-up time

    known = toml_keys()
    problems: list[str] = []
    for section, body in data.items():
        if section not in known:
            near = difflib.get_close_matches(section, list(known), n=1)
            problems.append(
                f"{file}:{_line_of(text, section, None)}: unknown section [{section}]"
                + (f"; did you mean [{near[0]}]?" if near else "")
                + f" (sections: {', '.join(sorted(known))})"
            )
            continue
        if not isinstance(body, dict):
            problems.append(f"{file}:{_line_of(text, section, None)}: {section} must be a table")
            continue
        for key, value in body.items():
            s = known[section].get(key)
            if s is None:
                near = difflib.get_close_matches(key, list(known[section]), n=1, cutoff=0.5)
                problems.append(
                    f"{file}:{_line_of(text, section, key)}: unknown key {key!r} in [{section}]"
                    + (f"; did you mean {near[0]!r}?" if near else "")
                    + f" (keys: {', '.join(sorted(known[section]))})"
                )
                continue
            error = _toml_type_error(s, value)
            if error:
                problems.append(f"{file}:{_line_of(text, section, key)}: [{section}] {key} {error}")
    if problems:
        raise ConfigError(
            "testgate.toml has "
            + ("an error" if len(problems) == 1 else f"{len(problems)} errors")
            + ":\n  "
            + "\n  ".join(problems),
            hint="fix the keys named above (the settings reference is in docs/settings.md)",
        )


def _toml_type_error(s: Setting, value: Any) -> str | None:
    if s.kind == "table":
        return None if isinstance(value, dict | list) else "must be a table"
    if s.kind == "command":
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        return None if ok else "must be a list of strings"
    if s.kind == "list":
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str | int | float) for v in value)
        )
        return None if ok else "must be a list"
    if s.kind == "paths":
        ok = isinstance(value, str) or (
            isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        )
        return None if ok else "must be a path or a list of paths"
    if s.kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if s.kind in ("int", "float"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    return None if isinstance(value, str | int | float) else "must be a string"


def _line_of(text: str, section: str, key: str | None) -> int:
    """The line number of ``[section]`` (or of ``key`` inside it), 1-based; 1 if not found."""
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\[?\s*(" + re.escape(section) + r")\s*\]\]?\s*(#.*)?$")
    start = None
    for i, line in enumerate(lines):
        if header.match(line):
            start = i
            if key is None:
                return i + 1
            break
    if key is None:
        return 1
    begin = start + 1 if start is not None else 0
    pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
    for i in range(begin, len(lines)):
        if start is not None and i > begin - 1 and re.match(r"^\s*\[", lines[i]):
            break
        if pattern.match(lines[i]):
            return i + 1
    return (start or 0) + 1


# -- values --------------------------------------------------------------------------------


def parse_bool(value: Any, name: str) -> bool:
    """``true/false/1/0/yes/no/on/off``."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def split_list(value: Any) -> list[str]:
    """Words from a TOML list, repeated flags, or a comma/space-separated string."""
    if isinstance(value, list | tuple):
        out: list[str] = []
        for v in value:
            out.extend(split_list(v) if isinstance(v, str) and ("," in v) else [str(v)])
        return [v.strip() for v in out if str(v).strip()]
    return [w for w in re.split(r"[,\s]+", str(value)) if w]


def split_command(value: str | Sequence[str]) -> list[str]:
    """A command from TOML (a list) or a variable (a shell-like string)."""
    if isinstance(value, str):
        import shlex

        return shlex.split(value)
    return [str(v) for v in value]


class _Invalid(Exception):
    pass


def convert(s: Setting, raw: Any, project: Project) -> Any:
    """``raw`` as the setting's type, or :class:`_Invalid` with the reason."""
    kind = s.kind
    if kind in ("str", "secret", "template"):
        return str(raw)
    if kind == "table":
        return raw
    if kind == "bool":
        try:
            return parse_bool(raw, s.name)
        except ConfigError:
            raise _Invalid("must be true or false") from None
    if kind in ("int", "float"):
        try:
            number: float = int(str(raw).strip()) if kind == "int" else float(str(raw).strip())
        except ValueError:
            raise _Invalid(f"must be {'a whole number' if kind == 'int' else 'a number'}") from None
        if isinstance(number, float) and not math.isfinite(number):
            raise _Invalid("must be a finite number")
        if s.minimum is not None and number < s.minimum:
            raise _Invalid(f"must be at least {_num(s.minimum)}")
        if s.maximum is not None and number > s.maximum:
            raise _Invalid(f"must be at most {_num(s.maximum)}")
        return number
    if kind == "choice":
        text = str(raw)
        if text not in s.choices:
            raise _Invalid(f"must be one of {', '.join(s.choices)}")
        return text
    if kind == "list":
        return tuple(split_list(raw))
    if kind == "command":
        try:
            argv = split_command(raw)
        except ValueError as exc:
            raise _Invalid(f"is not a command line: {exc}") from None
        if not argv:
            raise _Invalid("is an empty command")
        return tuple(argv)
    if kind == "date":
        from datetime import date

        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise _Invalid("must be a date (YYYY-MM-DD)") from None
    if kind == "url":
        return check_url(str(raw))
    if kind == "path":
        return project.path(str(raw))
    if kind == "paths":
        # a list from testgate.toml or repeated flags; a string is comma-separated (not on
        # spaces: a path may hold one)
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        found = tuple(project.path(str(p).strip()) for p in items if str(p).strip())
        if not found:
            raise _Invalid("names no path")
        return found
    if kind == "outfile":
        path = project.path(str(raw))
        check_output_file(path)
        return path
    if kind == "outdir":
        return project.path(str(raw))
    raise AssertionError(kind)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def check_url(text: str) -> str:
    """An absolute http(s) URL, or :class:`_Invalid`."""
    try:
        parts = urlsplit(text.strip())
        _ = parts.port  # raises on a bad port
    except ValueError as exc:
        raise _Invalid(f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _Invalid("must be an http:// or https:// URL")
    if any(c.isspace() for c in text.strip()):
        raise _Invalid("must not contain spaces")
    return text.strip()


def check_output_file(path: Path) -> None:
    """Refuse an output path that is a folder or not a regular file, or whose folder cannot be
    written or created: checked before any work and without doing any (no folder is created;
    a probe file, created exclusively in the nearest existing folder, never follows a link and
    never touches the target)."""
    if path.is_dir():
        raise _Invalid("is a folder, not a file")
    if path.exists() and not path.is_file():
        raise _Invalid("exists and is not a regular file (a device, FIFO or socket)")
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise _Invalid(
            f"its folder {folder} is not a folder"
            if existing == folder
            else f"cannot create its folder {folder}: {existing} is not a folder"
        )
    probe = existing / f".testgate-probe-{os.urandom(8).hex()}"
    try:
        # O_EXCL: never follows a planted link, never touches an existing file.
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise _Invalid(
            f"its folder {folder} cannot be written: {reason}"
            if existing == folder
            else f"cannot create its folder {folder}: {existing} cannot be written ({reason})"
        ) from None
    os.close(fd)
    os.unlink(probe)


# -- the loaded settings --------------------------------------------------------------------


class Settings:
    """The typed, frozen settings of one command run.

    Attribute access by Python name (``s.pact_dir``); only the settings the command declared
    are there, so a command cannot read one it did not declare (an AttributeError in tests).
    """

    __slots__ = ("_build", "_platform", "_sources", "_values", "environ", "project", "spec")

    def __init__(
        self,
        spec: CommandSpec,
        values: dict[str, Any],
        sources: dict[str, str],
        project: Project,
        environ: Mapping[str, str],
        platform: Platform | None,
    ) -> None:
        object.__setattr__(self, "spec", spec)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_sources", sources)
        object.__setattr__(self, "project", project)
        object.__setattr__(self, "environ", environ)
        object.__setattr__(self, "_platform", platform)
        object.__setattr__(self, "_build", None)

    def __getattr__(self, attr: str) -> Any:
        values = object.__getattribute__(self, "_values")
        name = attr.replace("_", "-")
        if name in values:
            return values[name]
        raise AttributeError(
            f"setting {name!r} is not declared by `testgate "
            f"{object.__getattribute__(self, 'spec').name}` (add use({name!r}) to its SPEC)"
        )

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError("settings are frozen")

    def get(self, name: str, default: Any = None) -> Any:
        value = self._values.get(name, default)
        return default if value is None else value

    def lookup(self, name: str) -> Any:
        """A setting's value even when the command did not declare it (variable, toml, default;
        no flag): for defaults derived from another setting."""
        if name in self._values:
            return self._values[name]
        s = setting(name)
        raw, _ = _raw_value(s, argparse.Namespace(), self.environ, None, self.project, Use(name))
        if raw is None:
            return None if isinstance(s.default, Derived) else s.default
        try:
            return convert(s, raw, self.project)
        except _Invalid:
            return None

    def source(self, name: str) -> str:
        """Where a value came from: ``flag``, ``env VAR``, ``envs/<env>.env``, ``testgate.toml``,
        ``default`` or ``unset``."""
        return self._sources.get(name, "unset")

    def items(self) -> Iterable[tuple[str, Any]]:
        return self._values.items()

    @property
    def reports_dir(self) -> Path:
        return self._values.get("reports-dir") or self.project.path("reports")

    @property
    def build(self) -> BuildInfo:
        """This build's identity: the platform's, with the TESTGATE_* overrides applied."""
        if self._build is None:
            object.__setattr__(self, "_build", _build_info(self))
        return self._build  # type: ignore[return-value]

    def with_values(self, **changes: Any) -> Settings:
        """A copy with some values changed (for composite commands)."""
        values = dict(self._values)
        for attr, value in changes.items():
            values[attr.replace("_", "-")] = value
        return Settings(
            self.spec, values, dict(self._sources), self.project, self.environ, self._platform
        )


BUILD_OVERRIDES = {
    # setting name -> BuildInfo field
    "commit": "commit",
    "branch": "branch",
    "build-url": "build_url",
    "default-branch": "default_branch",
    "repository": "repository",
}


def _build_info(s: Settings) -> BuildInfo:
    from testgate.buildinfo import BuildInfo, build_info_for

    platform = s._platform
    info = platform.build_info() if platform is not None else BuildInfo(platform="local")
    if platform is None:
        info = build_info_for("local", s.environ)
    changes: dict[str, Any] = {}
    for name, attr in BUILD_OVERRIDES.items():
        s_def = table()[name]
        value = s._values.get(name)
        if value in (None, ""):
            for var in s_def.variables:
                if s.environ.get(var):
                    value = s.environ[var]
                    break
        if value not in (None, ""):
            changes[attr] = str(value)
    return replace(info, **changes) if changes else info


def load(
    spec: CommandSpec,
    args: argparse.Namespace,
    environ: Mapping[str, str],
    platform: Platform | None = None,
    *,
    cwd: Path | None = None,
) -> Settings:
    """Resolve every setting ``spec`` uses: flag > variable > envs/<env>.env > toml > default.

    Raises:
        ConfigError: every missing or invalid setting, in one message.
    """
    uses = spec_uses(spec)
    project_file = getattr(args, "project_file", None) or environ.get("TESTGATE_PROJECT_FILE")
    project = load_project(cwd or Path.cwd(), project_file or None)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    env_file_values: Mapping[str, str] | None = None

    # Settings that may come from envs/<env>.env need the environment first.
    if any(setting(u.name).env_file for u in uses):
        env_file_values = _env_file_values(args, environ, project)

    settings_obj = Settings(spec, values, sources, project, environ, platform)
    if spec.actions:  # the positional action, as ``cfg.action``
        values["action"] = getattr(args, "action", None)
    derived: list[tuple[Use, Setting, Derived]] = []
    for u in uses:
        s = setting(u.name)
        raw, source = _raw_value(s, args, environ, env_file_values, project, u)
        if raw is None:
            default = s.default if u.default is _UNSET else u.default
            if isinstance(default, Derived):
                derived.append((u, s, default))
                values[s.name] = None
                continue
            if default is not None and s.kind in ("path", "outdir", "outfile"):
                default = project.path(str(default))
            values[s.name] = default
            sources[s.name] = "default" if default is not None else "unset"
            continue
        try:
            values[s.name] = convert(s, raw, project)
            sources[s.name] = source
        except _Invalid as exc:
            values[s.name] = None
            typed = (getattr(args, "_spelled", None) or {}).get(s.attr)
            problems.append(f"{_spelled(s, source, typed)} {exc} (got {_shown(s, raw)})")
    for _u, s, default in derived:
        value = default.compute(settings_obj)
        if (
            value is not None
            and s.kind in ("path", "outfile", "outdir")
            and not isinstance(value, Path)
        ):
            value = project.path(str(value))
        if value is not None and s.kind == "outfile":
            try:
                check_output_file(Path(value))
            except _Invalid as exc:
                problems.append(f"{_spelled(s, 'default')} {exc} (got {value})")
        values[s.name] = value
        sources[s.name] = "default" if value is not None else "unset"
    missing = [u for u in uses if u.required and values.get(u.name) in (None, "", ())]
    for u in missing:
        s = setting(u.name)
        problems.append(f"{u.name} is required ({_how_to_set(s, u.positional)})")
    if problems:
        raise ConfigError(
            problems[0]
            if len(problems) == 1
            else f"{len(problems)} settings need fixing:\n  " + "\n  ".join(problems),
            hint="see `testgate " + spec.name + " --help` for every setting and where it is read",
        )
    if platform is not None:
        for s in table().values():
            if s.secret:
                for var in s.variables:
                    if environ.get(var):
                        platform.mask(environ[var])
    return settings_obj


def spelled(name: str) -> str:
    """A setting as a person types it: its flag and its variable (``--broker / <its variable>``)."""
    s = setting(name)
    return " / ".join(x for x in (s.flag, s.env) if x) or name


def _how_to_set(s: Setting, positional: bool = False) -> str:
    ways = []
    if positional:
        ways.append(f"{s.metavar or s.name.upper()} arguments")
    elif s.flag:
        ways.append(f"--{s.flag.lstrip('-')}")
    if s.env:
        ways.append(f"env {s.env}")
    if s.toml:
        ways.append(f"testgate.toml [{s.toml_section}] {s.toml_key}")
    if s.input:
        ways.append(f'template input "{s.name}"')
    return ", ".join(ways) if ways else "no way to set it"


def _spelled(s: Setting, source: str, typed: str | None = None) -> str:
    if source == "flag":
        # The old spelling the user typed (--last), unless several settings share it (--junit
        # of five commands): then the setting's own flag says which one is meant.
        shared = sum(typed in t.flag_aliases for t in table().values()) > 1
        return typed if typed and not shared else f"{s.flag}"
    if source.startswith("env "):
        return source.removeprefix("env ")
    if source == "testgate.toml":
        return f"testgate.toml [{s.toml_section}] {s.toml_key}"
    if source.startswith("envs/"):
        return f"{s.env} in {source}"
    return s.name


def _shown(s: Setting, raw: Any) -> str:
    if s.secret:  # a secret URL (a webhook) is masked too, not only kind "secret"
        return "***"
    # user:password@ in a URL (a broker, a Pushgateway) is a credential: never echoed.
    text = re.sub(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/@\s]*@", r"\1***@", repr(raw))
    return text if len(text) <= 200 else text[:197] + "..."


def _raw_value(
    s: Setting,
    args: argparse.Namespace,
    environ: Mapping[str, str],
    env_file: Mapping[str, str] | None,
    project: Project,
    u: Use,
) -> tuple[Any, str]:
    if s.flag or u.positional:
        value = getattr(args, s.attr, None)
        if value not in (None, "", []):
            return value, "flag"
    for var in s.variables:
        value = environ.get(var)
        if value not in (None, ""):
            return value, f"env {var}"
    if s.env_file and env_file and s.env and env_file.get(s.env) not in (None, ""):
        return env_file[s.env], "envs/<env>.env"
    if s.toml:
        value = project.get(s.toml_section or "", s.toml_key or "")
        if value not in (None, "", []):
            return value, "testgate.toml"
    return None, "unset"


def _env_file_values(
    args: argparse.Namespace, environ: Mapping[str, str], project: Project
) -> Mapping[str, str] | None:
    from testgate.config import load_environment

    # Which env file: the env and envs-dir settings, resolved before the others (their own
    # values cannot come from the env file they choose).
    name, _ = _raw_value(setting("env"), args, environ, None, project, Use("env"))
    folder, _ = _raw_value(setting("envs-dir"), args, environ, None, project, Use("envs-dir"))
    envs_dir = project.path(str(folder or setting("envs-dir").default))
    try:
        return load_environment(
            str(name or setting("env").default), {}, envs_dir, optional=True
        ).values
    except ConfigError:
        return None  # the command reports the unknown environment itself
