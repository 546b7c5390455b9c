"""testgate: API tests and Pact contract tests as CI gates.

The package is the only place where decisions are made; the CI templates in
``.github/``, ``gitlab/`` and ``jenkins/`` only wire inputs to environment
variables and call the ``testgate`` command.
"""

from importlib import metadata

try:
    __version__ = metadata.version("testgate")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
