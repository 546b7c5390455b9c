"""A terminal: everything goes to stdout and stderr."""

from testgate.platforms.base import Platform


class LocalPlatform(Platform):
    """Runs outside CI, or on a CI system testgate does not know."""

    name = "local"
