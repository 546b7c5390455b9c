"""Environments: ``envs/<env>.env`` files, overlaid by the real environment.

Each file holds the non-secret settings of one environment (service URLs, test-data set,
timeouts); secrets only ever come from the real environment. The settings of testgate itself
(flags, ``TESTGATE_*`` variables, ``testgate.toml``) are resolved in :mod:`testgate.settings`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from testgate.errors import ConfigError

_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


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
    name: str,
    environ: Mapping[str, str],
    envs_dir: Path,
    *,
    optional: bool = False,
) -> Environment:
    """Load ``envs_dir/<name>.env``; variables already in ``environ`` win over the file.

    The default environment (the ``env`` setting's, ``local``) may have no file: a project with
    no envs/ folder runs locally with what the real environment holds; so may any when
    ``optional`` is true.

    Raises:
        ConfigError: the environment does not exist (the message lists those that do).
    """
    from testgate.settings import setting

    env = setting("env")
    known = list_environments(envs_dir)
    path = envs_dir / f"{name}.env"
    if _ENV_NAME.match(name) and not path.is_file() and (optional or name == env.default):
        return Environment(name=name, file=path, values={})
    if not _ENV_NAME.match(name) or not path.is_file():
        listing = ", ".join(known) if known else f"none: {envs_dir} has no *.env files"
        raise ConfigError(
            f"unknown environment {name!r} (known: {listing})",
            hint=f"pass {env.flag} with one of those, set {env.env}, or create {path}",
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
