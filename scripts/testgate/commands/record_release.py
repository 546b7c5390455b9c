"""``testgate record-release``: the release flavour of :mod:`testgate.commands.record_deployment`."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from testgate.commands._common import run
from testgate.commands.record_deployment import build_parser as _build_parser
from testgate.commands.record_deployment import record

HELP = "record that a version is released (and supported) in an environment"


def build_parser():
    """The ``record-release`` options."""
    return _build_parser("release")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``testgate record-release``."""
    return run(build_parser(), argv, environ, lambda a, p, e: record("release", a, p, e))


if __name__ == "__main__":
    sys.exit(main())
