"""The rule every platform's template inputs follow, checked the same way for GitHub and GitLab:
an input is the settings table's setting of that name, with its help as description, and its
default is empty (testgate.toml and the table's default then apply the same way everywhere),
except: a boolean or a setting that testgate.toml and envs/ cannot set may carry the table's own
default; a template-only input with no default in the table is the template's (a stage, a job
timeout, an artifact name); and the listed exceptions, each with its reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def same_default(value: object, default: object) -> bool:
    """A YAML default (typed, or a string in an action) equals the table's (true/"true",
    600/600.0)."""

    def norm(v: object) -> str:
        if isinstance(v, bool):
            return str(v).lower()
        try:
            return repr(float(str(v)))
        except ValueError:
            return str(v)

    return norm(value) == norm(default)


def input_problems(
    where: str,
    inputs: Mapping[str, Mapping[str, Any]],
    table: Mapping[str, Any],
    exceptions: Mapping[str, tuple[object, str]],
    docs_script: str,
) -> list[str]:
    """Where the ``inputs`` of one template (``where``, named in each problem) are not the
    table's: name, description, default. ``exceptions``: input name -> (default, reason)."""
    from testgate.settings import Derived

    problems = []
    for name, spec in inputs.items():
        setting = table.get(name)
        if setting is None:
            problems.append(f"{where}: input {name} is not a setting in settings_table.py")
            continue
        if not setting.input:
            problems.append(f"{where}: {name} is not marked input=True in settings_table.py")
        if spec.get("description") != setting.help:
            problems.append(
                f"{where}: {name}: description {spec.get('description')!r} is not the table's "
                f"help {setting.help!r} (run python {docs_script})"
            )
        default = spec.get("default", "")
        if name in exceptions:  # an exception must carry its default, required or not
            wanted = exceptions[name][0]
            if not same_default(default, wanted):
                problems.append(f"{where}: {name}: default {default!r}, expected {wanted!r}")
            continue
        if spec.get("required") or default in ("", None):
            continue
        table_default = setting.default
        if setting.kind == "template" and table_default is None:
            continue  # the template's own wiring value
        overridable = bool(setting.toml or setting.env_file)
        if table_default is None or isinstance(table_default, Derived) or overridable:
            problems.append(
                f"{where}: {name}: default {default!r} must be empty: testgate decides "
                f"({setting.describe_default() or 'no default'}"
                + (f", testgate.toml {setting.toml}" if setting.toml else "")
                + ")"
            )
        elif not same_default(default, table_default):
            problems.append(
                f"{where}: {name}: default {default!r} is not the table's {table_default!r}"
            )
    return problems
