"""Settings: flag > environment variable > ``envs/<env>.env`` > ``testgate.toml`` > default.

``envs/<env>.env`` files hold the non-secret settings of one environment
(service URLs, test-data set, timeouts). ``testgate.toml`` at the project root
says where the repository's contract and API tests live and how to start the
provider. Secrets only ever come from the real environment.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testgate.errors import ConfigError

DEFAULT_ENV = "local"
PROJECT_FILE = "testgate.toml"
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def env_var_for(option: str) -> str:
    """The environment variable that an input name maps to (``to-environment`` -> ``TESTGATE_TO_ENVIRONMENT``)."""
    return "TESTGATE_" + re.sub(r"[^A-Za-z0-9]", "_", option).upper()


@dataclass(frozen=True)
class Environment:
    """One target environment: the ``envs/<name>.env`` file overlaid by the real environment."""

    name: str
    file: Path
    values: Mapping[str, str]

    def get(self, key: str, default: str | None = None) -> str | None:
        """A setting of this environment, or ``default`` when it is unset or empty."""
        value = self.values.get(key)
        return value if value not in (None, "") else default

    def require(self, *keys: str) -> dict[str, str]:
        """Return the named settings, or raise one error naming every missing one."""
        missing = [k for k in keys if not self.get(k)]
        if missing:
            names = ", ".join(missing)
            raise ConfigError(
                f"environment {self.name!r} is missing {names}",
                hint=f"set {names} in {self.file} or as an environment variable",
            )
        return {k: str(self.values[k]) for k in keys}


def list_environments(envs_dir: Path) -> list[str]:
    """Names of the environments defined in ``envs_dir`` (one ``<name>.env`` file each)."""
    if not envs_dir.is_dir():
        return []
    return sorted(p.stem for p in envs_dir.glob("*.env") if p.is_file())


def load_environment(
    name: str | None,
    environ: Mapping[str, str],
    envs_dir: Path,
    *,
    optional: bool = False,
) -> Environment:
    """Load ``envs_dir/<name>.env``; variables already in ``environ`` win over the file.

    The default environment, ``local``, may have no file (a project with no envs/ folder runs
    locally with what the real environment holds); so may any when ``optional`` is true.

    Raises:
        ConfigError: the environment does not exist (the message lists those that do).
    """
    name = name or environ.get("TESTGATE_ENV") or DEFAULT_ENV
    known = list_environments(envs_dir)
    path = envs_dir / f"{name}.env"
    if _ENV_NAME.match(name) and not path.is_file() and (optional or name == DEFAULT_ENV):
        return Environment(name=name, file=path, values={})
    if not _ENV_NAME.match(name) or not path.is_file():
        listing = ", ".join(known) if known else f"none: {envs_dir} has no *.env files"
        raise ConfigError(
            f"unknown environment {name!r} (known: {listing})",
            hint=f"pass --env with one of those, set TESTGATE_ENV, or create {path}",
        )
    try:
        from dotenv import dotenv_values  # only when an env file is read

        file_values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    merged = dict(file_values)
    for key in file_values:
        if key in environ:
            merged[key] = environ[key]
    # Variables that the file does not name still reach tests through the real
    # environment; `values` only overlays what the file defines.
    return Environment(name=name, file=path, values=merged)


@dataclass(frozen=True)
class ProjectConfig:
    """What ``testgate.toml`` says about this repository (all keys optional)."""

    root: Path
    data: Mapping[str, Any] = field(default_factory=dict)
    file: Path | None = None

    def get(self, section: str, key: str, default: Any = None) -> Any:
        """``[section] key`` from the file, or ``default``."""
        value = self.data.get(section, {}).get(key, default)
        return default if value is None else value

    def path(self, value: str | Path) -> Path:
        """A path from the file or a flag, relative to the project root."""
        p = Path(value)
        return p if p.is_absolute() else self.root / p


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``testgate.toml``; else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return start


def load_project(start: Path, environ: Mapping[str, str]) -> ProjectConfig:
    """Read ``testgate.toml`` (or the file named by ``TESTGATE_PROJECT_FILE``)."""
    explicit = environ.get("TESTGATE_PROJECT_FILE")
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
            return ProjectConfig(root=root)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {file}: {exc}", hint="fix the TOML syntax") from exc
    return ProjectConfig(root=root, data=data, file=file)


def resolve(
    flag: Any,
    environ: Mapping[str, str],
    var: str,
    *fallbacks: Any,
) -> Any:
    """First set value of: the flag, ``environ[var]``, then each fallback in order."""
    if flag not in (None, ""):
        return flag
    value = environ.get(var)
    if value not in (None, ""):
        return value
    for candidate in fallbacks:
        if candidate not in (None, ""):
            return candidate
    return None


def split_command(value: str | Sequence[str]) -> list[str]:
    """A command from TOML (a list) or an environment variable (a shell-like string)."""
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def parse_bool(value: Any, name: str) -> bool:
    """``true/false/1/0/yes/no/on/off`` from a flag, variable or file."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")
