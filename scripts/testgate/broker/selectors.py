"""Consumer version selectors: the short form people type, the broker's JSON, pact-python's kwargs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from testgate.errors import ConfigError

DEFAULT_SELECTORS: tuple[dict[str, Any], ...] = (
    {"mainBranch": True},
    {"deployedOrReleased": True},
    {"matchingBranch": True},
)

_SHORT_SELECTORS = {
    "mainbranch": {"mainBranch": True},
    "deployedorreleased": {"deployedOrReleased": True},
    "matchingbranch": {"matchingBranch": True},
    "deployed": {"deployed": True},
    "released": {"released": True},
    "latest": {"latest": True},
}


def parse_selectors(text: str) -> tuple[dict[str, Any], ...]:
    """Consumer version selectors from JSON or a short form.

    The short form is comma-separated: ``mainBranch``, ``deployedOrReleased``,
    ``matchingBranch``, ``deployed``, ``released``, ``latest``, ``branch=NAME``,
    ``environment=NAME``, ``tag=NAME``; ``consumer=NAME`` applies to the entry before it
    with ``+`` (``branch=feat-x+consumer=web``). JSON is the broker's own format:
    ``[{"mainBranch": true}, {"branch": "feat-x", "consumer": "web"}]``.

    Raises:
        ConfigError: unknown or malformed selectors.
    """
    text = text.strip()
    if not text:
        return DEFAULT_SELECTORS
    if text.startswith("["):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"consumer version selectors are not valid JSON: {exc}") from None
        if not isinstance(data, list) or not all(isinstance(s, dict) and s for s in data):
            raise ConfigError("consumer version selectors must be a JSON list of objects")
        return tuple(data)
    selectors: list[dict[str, Any]] = []
    for entry in text.split(","):
        selector: dict[str, Any] = {}
        for part in entry.strip().split("+"):
            key, sep, value = part.strip().partition("=")
            short = _SHORT_SELECTORS.get(key.lower())
            if short and not sep:
                selector.update(short)
            elif sep and key in ("branch", "environment", "tag", "consumer", "fallbackBranch"):
                if not value:
                    raise ConfigError(f"consumer version selector {part!r} has no value")
                selector[key] = value
            else:
                raise ConfigError(
                    f"unknown consumer version selector {part!r}",
                    hint="use mainBranch, deployedOrReleased, matchingBranch, deployed, released, "
                    "latest, branch=NAME, environment=NAME, tag=NAME (or the broker's JSON form)",
                )
        if selector:
            selectors.append(selector)
    if not selectors:
        raise ConfigError("no consumer version selectors given")
    return tuple(selectors)


_SELECTOR_KWARGS = {
    "consumer": "consumer",
    "tag": "tag",
    "fallbackTag": "fallback_tag",
    "latest": "latest",
    "deployedOrReleased": "deployed_or_released",
    "deployed": "deployed",
    "released": "released",
    "environment": "environment",
    "mainBranch": "main_branch",
    "branch": "branch",
    "matchingBranch": "matching_branch",
    "fallbackBranch": "fallback_branch",
}


def selector_kwargs(selector: Mapping[str, Any]) -> dict[str, Any]:
    """A broker JSON selector as the keyword arguments of pact-python's ``consumer_version``.

    Raises:
        ConfigError: a key pact-python does not take.
    """
    unknown = set(selector) - set(_SELECTOR_KWARGS)
    if unknown:
        raise ConfigError(
            f"unknown consumer version selector keys: {', '.join(sorted(unknown))}",
            hint=f"use {', '.join(_SELECTOR_KWARGS)}",
        )
    return {_SELECTOR_KWARGS[k]: v for k, v in selector.items()}
