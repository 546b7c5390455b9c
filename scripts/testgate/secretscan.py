"""Values that look like credentials, in ``envs/*.env`` files and in pacts.

One detector for both: the ``envs/`` scan (non-secret settings only) and the
scan of every pact before it leaves the build (``testgate publish`` refuses,
``testgate consumer`` warns). Pacts are shared across the organisation through
the broker, so a real token a consumer test put in a header would travel with
them. A finding names where the value is and what it looks like, never the value.

Own code rather than a scanner such as detect-secrets: the checks must know where
a value sits (a header name, a JSON key, an env variable) to be precise, report
a JSON path inside a pact, and stay a few regular expressions without a plugin
registry or a baseline file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testgate.errors import ConfigError


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret replaced by ``***`` (the one redactor: adapters, broker CLI,
    REST clients, trcli). Longest first, so that a secret which begins another leaves none of
    the longer one visible."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# A variable or field whose *name* says it holds a credential.
SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL|AUTH)", re.IGNORECASE
)
# A JSON key (or header) named for a credential: stricter than variable names, because
# ordinary payloads have fields like "author".
SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|api[_-]?key|private[_-]?key|credential|authorization"
    r"|^cookie$|^set-cookie$|^x-api-key$)",
    re.IGNORECASE,
)
# Values that are credentials wherever they are (key names aside).
SECRET_VALUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}")),
    ("a GitHub fine-grained token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{16,}")),
    ("an AWS access key", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Stripe key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*")),
    ("credentials in a URL", re.compile(r"://[^/\s:@]+:[^/\s@]+@")),
    ("a bearer token", re.compile(r"^\s*Bearer\s+\S{8,}", re.IGNORECASE)),
    ("basic-auth credentials", re.compile(r"^\s*Basic\s+[A-Za-z0-9+/=]{8,}", re.IGNORECASE)),
)


def looks_secret(value: str, name: str | None = None, *, strict_name: bool = True) -> str | None:
    """What ``value`` looks like if it looks like a credential (``"a JWT"``), else ``None``.

    Args:
        value: the text to check.
        name: the variable, header or JSON key holding it, if any.
        strict_name: match ``name`` as a JSON key or header (``SECRET_KEY``) rather
            than as an environment variable (``SECRET_NAME``, which also flags ``AUTH``).
    """
    for label, pattern in SECRET_VALUES:
        if pattern.search(value):
            return label
    if name and value.strip():
        rule = SECRET_KEY if strict_name else SECRET_NAME
        if rule.search(name):
            return f"a value named {name!r}"
    return None


@dataclass(frozen=True)
class EnvFinding:
    """A line of an env file that holds, or is named for, a secret."""

    file: Path
    line: int
    key: str

    def __str__(self) -> str:
        return f"{self.file.name}:{self.line}: {self.key}"


def scan_env_files(folder: Path) -> list[EnvFinding]:
    """Every ``*.env`` line in ``folder`` named for a secret or holding one (values never kept).

    ``envs/`` holds non-secret settings only: a variable *named* like a secret is a
    finding even when empty in the file, because the file is where someone would fill it in.
    """
    findings: list[EnvFinding] = []
    for path in sorted(folder.glob("*.env")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, value = line.partition("=")
            key = key.strip().removeprefix("export ").strip()
            if SECRET_NAME.search(key) or looks_secret(value):
                findings.append(EnvFinding(path, number, key))
    return findings


@dataclass(frozen=True)
class PactFinding:
    """A value in a pact that looks like a credential."""

    pact: Path
    interaction: str
    index: int
    path: str
    kind: str

    def __str__(self) -> str:
        return (
            f"{self.pact.name}: interaction {self.index} {self.interaction!r}: "
            f"{self.path} looks like {self.kind}"
        )


def _walk(node: Any, path: str, key: str | None) -> Iterator[tuple[str, str | None, str]]:
    """Every string in ``node`` with its JSON path and the key that holds it."""
    if isinstance(node, str):
        yield path, key, node
    elif isinstance(node, Mapping):
        for k, v in node.items():
            k = str(k)
            child = (
                f"{path}.{k}" if re.match(r"^[A-Za-z_][\w-]*$", k) else f"{path}[{json.dumps(k)}]"
            )
            yield from _walk(v, child, k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]", key)  # a header's values keep its name


# Parts of an interaction that are the pact's own structure, not data the consumer sent.
_STRUCTURE = ("matchingRules", "generators", "_links", "comments", "pluginConfiguration")


def scan_pact_data(
    data: Mapping[str, Any], pact: Path, allow: Collection[str] = ()
) -> list[PactFinding]:
    """Credential-like values in one pact's interactions (and ``allow``-listed fakes skipped)."""
    allowed = {a for a in allow if a}
    interactions = data.get("interactions") or data.get("messages") or []
    findings: list[PactFinding] = []
    for index, interaction in enumerate(interactions):
        if not isinstance(interaction, Mapping):
            continue
        description = str(interaction.get("description", "?"))
        for field, part in interaction.items():
            if field in _STRUCTURE or field in ("description", "type", "key", "pending"):
                continue
            for path, key, value in _walk(part, f"$.{field}", None):
                if value in allowed or value.strip() in allowed:
                    continue
                kind = looks_secret(value, key)
                if kind:
                    findings.append(PactFinding(pact, description, index, path, kind))
        for path, key, value in _encoded_bodies(interaction):
            if value in allowed:
                continue
            kind = looks_secret(value, key)
            if kind:
                findings.append(PactFinding(pact, description, index, path, kind))
    return findings


def _encoded_bodies(interaction: Mapping[str, Any]) -> Iterator[tuple[str, str | None, str]]:
    """JSON bodies that V4 pacts keep as a string (``content`` with ``encoded: "json"``)."""
    for part in ("request", "response"):
        body = (
            (interaction.get(part) or {}).get("body")
            if isinstance(interaction.get(part), Mapping)
            else None
        )
        if (
            isinstance(body, Mapping)
            and body.get("encoded") == "json"
            and isinstance(body.get("content"), str)
        ):
            try:
                decoded = json.loads(body["content"])
            except ValueError:
                continue
            yield from _walk(decoded, f"$.{part}.body.content", None)


def scan_pact_files(paths: Collection[Path], allow: Collection[str] = ()) -> list[PactFinding]:
    """:func:`scan_pact_data` over pact files; unreadable ones are left to the pact reader."""
    from testgate.errors import TestgateError
    from testgate.files import read_json

    findings: list[PactFinding] = []
    for path in sorted(paths):
        try:
            data = read_json(path, "pact file")
        except TestgateError:
            continue
        if isinstance(data, Mapping):
            findings += scan_pact_data(data, path, allow)
    return findings


def parse_allowlist(raw: Any) -> tuple[str, ...]:
    """``secrets-allowlist`` (``[consumer] secrets-allowlist``): the known fake values.

    A list from testgate.toml keeps each value whole; a string (a variable) is comma-separated.

    Raises:
        ConfigError: neither a list of strings nor a string (exit 2).
    """
    if raw in (None, ""):
        return ()
    if isinstance(raw, str):
        return tuple(v.strip() for v in raw.split(",") if v.strip())
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        raise ConfigError(
            "[consumer] secrets-allowlist in testgate.toml must be a list of strings",
            hint='list the known fake values, e.g. secrets-allowlist = ["Bearer test-token"]',
        )
    return tuple(raw)


def findings_md(findings: Collection[PactFinding], pacts: int) -> str:
    """One Markdown paragraph for a summary: the scan's verdict, then each finding."""
    if not findings:
        return f"Secret scan: no value in the {pacts} pact{'s' if pacts != 1 else ''} looks like a credential."
    lines = [
        f"**Secret scan: {len(findings)} value{'s' if len(findings) != 1 else ''} look like "
        "credentials** (values not shown; known fakes go in `[consumer] secrets-allowlist` in testgate.toml):",
        "",
    ]
    lines += [
        f"- `{f.pact.name}`: interaction {f.index} **{f.interaction}**: `{f.path}` looks like {f.kind}"
        for f in findings
    ]
    return "\n".join(lines)
