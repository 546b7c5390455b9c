"""``testgate record-release``: the release flavour of :mod:`testgate.commands.record_deployment`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from testgate.commands import _common
from testgate.commands.record_deployment import record, spec
from testgate.settings import build_parser as build_spec_parser

SPEC = spec("release")
HELP = SPEC.help


def build_parser() -> argparse.ArgumentParser:
    """The ``record-release`` options."""
    return build_spec_parser(SPEC)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate record-release``."""
    return _common.execute(SPEC, argv, environ, lambda c, p: record("release", c, p))


if __name__ == "__main__":
    sys.exit(main())
