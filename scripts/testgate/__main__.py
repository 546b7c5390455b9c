"""``python -m testgate`` runs the command-line tool."""

import sys

from testgate.cli import main

if __name__ == "__main__":
    sys.exit(main())
