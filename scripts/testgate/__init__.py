"""testgate: API tests and Pact contract tests as CI gates.

The package is the only place where decisions are made; the CI templates in
``.github/``, ``gitlab/`` and ``jenkins/`` only wire inputs to environment
variables and call the ``testgate`` command.
"""

from pathlib import Path

# The one place the version is written (the root VERSION is a link to it): read as a file,
# because importlib.metadata costs ~40 ms of every command's start-up.
__version__ = (Path(__file__).with_name("VERSION")).read_text(encoding="utf-8").strip()
