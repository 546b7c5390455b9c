"""A fake ``pact`` executable that records its argv and environment, for command tests.

Point ``TESTGATE_PACT_CLI`` at :func:`install` 's result. Each run appends a JSON
line ``{"argv": [...], "env": {...}}`` to the log; it prints ``FAKE_PACT_STDOUT``
(or the next line of ``FAKE_PACT_SCRIPT``, a JSON list of ``[rc, stdout]`` pairs
consumed one per run) and exits with ``FAKE_PACT_RC``.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

_SCRIPT = """#!{python}
import json, os, sys
from pathlib import Path
log = Path({log!r})
keys = [k for k in os.environ if k.startswith(("PACT_", "SSL_"))]
with log.open("a") as fh:
    fh.write(json.dumps({{"argv": sys.argv[1:], "env": {{k: os.environ[k] for k in keys}}}}) + "\\n")
script = os.environ.get("FAKE_PACT_SCRIPT")
if script:
    steps = json.loads(Path(script).read_text())
    count = sum(1 for _ in log.open()) - 1
    rc, out = steps[min(count, len(steps) - 1)]
else:
    rc, out = int(os.environ.get("FAKE_PACT_RC", "0")), os.environ.get("FAKE_PACT_STDOUT", "")
print(out)
sys.exit(rc)
"""


def install(folder: Path) -> tuple[Path, Path]:
    """Write the fake CLI into ``folder``; return (executable, log file)."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "pact-calls.jsonl"
    exe = folder / "pact"
    exe.write_text(_SCRIPT.format(python=sys.executable, log=str(log)))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe, log


def calls(log: Path) -> list[dict[str, Any]]:
    """Every recorded run, oldest first."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def script(folder: Path, steps: list[tuple[int, str]]) -> Path:
    """A ``FAKE_PACT_SCRIPT`` file: one ``(exit code, stdout)`` per successive run."""
    path = folder / "pact-script.json"
    path.write_text(json.dumps(steps))
    return path
