"""The pact folder: fresh pacts are written aside, then only this consumer's files are replaced.

pact-python (and pact-js) merge into a pact file that already exists, so a consumer run must
start from an empty folder, or a removed interaction lingers in the contract. Emptying the
shared pact folder itself would lose what testgate did not write: another consumer's pact,
a pact fetched by hand. So ``testgate consumer`` hands its tests an empty folder of its own
(:func:`fresh_folder`) and then :func:`replace_pacts` moves the fresh files in:

- a fresh pact replaces the file of the same name when that file is testgate's (listed in the
  folder's record, unchanged since) or is the same contract (a pact of the same consumer and
  provider: what these tests wrote before, by hand or by an older testgate);
- a file of the same name that is anything else (another pair's pact, not a pact at all) is
  never overwritten: nothing is moved, and the error names it;
- a pact of this run's consumers that this run did not write again (a provider the consumer
  no longer calls) is removed only if testgate wrote it and nobody changed it since; otherwise
  it stays, with a warning;
- every other file (another consumer's pact, anything else) is left alone.

Tests that ignore ``TESTGATE_PACT_DIR`` and write into the pact folder itself (a fixed
``pacts/``, as pact-python's own examples do) work too: :func:`holding` moves this consumer's
pacts out of the way before the run (so nothing is merged into them), the files the run wrote
in place are then taken as the fresh pacts (:func:`written_since`), the held files go back, and
the same rules apply. A run whose tests failed replaces this consumer's pacts the same way (its
pacts are there to look at, never published or verified) but removes none.

The record is ``<pact folder>/.testgate-written``: JSON ``{"files": {name: sha256}}``, written
with the atomic writer. It has no ``.json`` suffix, so nothing that reads ``*.json`` (pact
loading, ``pact broker publish``) sees it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from testgate.errors import ConfigError, TestgateError
from testgate.files import read_json, write_bytes, write_text

RECORD = ".testgate-written"


@dataclass(frozen=True)
class PactUpdate:
    """What :func:`replace_pacts` did to the pact folder (file names)."""

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept_stale: tuple[str, ...] = ()
    """Pacts of this run's consumers that it did not write again, left because testgate did
    not write them (or they changed since)."""


@contextlib.contextmanager
def fresh_folder(pact_dir: Path) -> Iterator[Path]:
    """An empty folder for one consumer run, removed afterwards (never the pact folder).

    It is made next to the pact folder when that can be written (same file system: the
    moves are renames), else in the system's temporary folder.
    """
    parent = pact_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=".testgate-fresh-pacts-", dir=parent))
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="testgate-fresh-pacts-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pair(path: Path) -> tuple[str, str] | None:
    """(consumer, provider) of a pact file, or None when it is not a readable pact."""
    try:
        data = read_json(path, "pact file")
        return str(data["consumer"]["name"]), str(data["provider"]["name"])
    except (TestgateError, KeyError, TypeError):
        return None


def pair_of(path: Path) -> tuple[str, str] | None:
    """(consumer, provider) of a pact file, or None when it is not a readable pact."""
    return _pair(path)


def recorded_consumers(pact_dir: Path) -> set[str]:
    """The consumers of the pacts testgate's record lists (that are still there)."""
    out = set()
    for name in read_record(pact_dir):
        pair = _pair(pact_dir / name) if "/" not in name else None
        if pair is not None:
            out.add(pair[0])
    return out


def read_record(pact_dir: Path) -> dict[str, str]:
    """``{file name: sha256}`` of the pacts testgate wrote into ``pact_dir``.

    An unreadable record counts as none: then nothing in the folder is taken for testgate's.
    """
    try:
        data = read_json(pact_dir / RECORD, "record of written pacts", default={})
    except TestgateError:
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def written_by_testgate(pact_dir: Path) -> set[str]:
    """Names of the files in ``pact_dir`` that testgate wrote and nobody changed since."""
    out = set()
    for name, digest in read_record(pact_dir).items():
        path = pact_dir / name
        if "/" not in name and path.is_file() and not path.is_symlink() and _sha256(path) == digest:
            out.add(name)
    return out


def replace_pacts(fresh: Path, pact_dir: Path, *, remove_stale: bool = True) -> PactUpdate:
    """Move the pacts in ``fresh`` into ``pact_dir`` by the rules in the module's docstring.

    With ``remove_stale`` false (a run whose tests failed), no pact is removed: a run that
    stopped early proves nothing about the contracts it did not write.

    Raises:
        ConfigError: a fresh pact would overwrite a file that is not testgate's and not the
            same contract (nothing is moved then; exit 2 naming it).
    """
    pact_dir.mkdir(parents=True, exist_ok=True)
    mine = written_by_testgate(pact_dir)
    fresh_files = sorted(p for p in fresh.glob("*.json") if p.is_file())
    pairs = {p.name: _pair(p) for p in fresh_files}
    consumers = {pair[0] for pair in pairs.values() if pair}
    conflicts = []
    for path in fresh_files:
        target = pact_dir / path.name
        if not (target.exists() or target.is_symlink()) or path.name in mine:
            continue
        if target.is_symlink() or not target.is_file() or _pair(target) != pairs[path.name]:
            conflicts.append(target)
    if conflicts:
        names = ", ".join(str(t) for t in conflicts)
        raise ConfigError(
            f"the consumer tests wrote pacts that would overwrite {names}, which testgate did "
            "not write and which is not the same contract (another consumer's or provider's "
            "pact, or not a pact)",
            hint="move the file out of the pact folder, or give the pacts a folder of their own "
            "(pact-dir); the fresh pacts were not copied",
        )
    added, replaced = [], []
    for path in fresh_files:
        target = pact_dir / path.name
        (replaced if target.exists() else added).append(path.name)
        write_bytes(target, path.read_bytes(), what="pact file")
    written = {p.name for p in fresh_files}
    removed, kept = [], []
    for old in sorted(pact_dir.glob("*.json")):
        if old.name in written or not old.is_file() or old.is_symlink():
            continue
        pair = _pair(old)
        if pair is None or pair[0] not in consumers:
            continue  # not this consumer's: never touched
        if old.name in mine and remove_stale:
            old.unlink()
            removed.append(old.name)
        elif remove_stale:
            kept.append(old.name)
    record = {n: d for n, d in read_record(pact_dir).items() if n in mine and n not in removed}
    record.update({p.name: _sha256(pact_dir / p.name) for p in fresh_files})
    write_text(
        pact_dir / RECORD,
        json.dumps({"files": dict(sorted(record.items()))}, indent=2) + "\n",
        what="record of written pacts",
    )
    return PactUpdate(tuple(added), tuple(replaced), tuple(removed), tuple(kept))


def _consumer_pacts(pact_dir: Path, consumer: str | None) -> list[Path]:
    """Pacts in ``pact_dir`` of ``consumer`` (by content), or that testgate wrote."""
    mine = written_by_testgate(pact_dir) if pact_dir.is_dir() else set()
    out = []
    for path in sorted(pact_dir.glob("*.json")) if pact_dir.is_dir() else []:
        if not path.is_file() or path.is_symlink():
            continue
        pair = _pair(path)
        if path.name in mine or (consumer and pair and pair[0] == consumer):
            out.append(path)
    return out


class Held:
    """This consumer's pacts, moved out of the pact folder while its tests run."""

    def __init__(self, pact_dir: Path, folder: Path, names: list[str]) -> None:
        self.pact_dir = pact_dir
        self.folder = folder
        self.names = names
        self._restored = False

    def restore(self) -> None:
        """Put every held file back (over a file of the same name the run wrote)."""
        if self._restored:
            return
        for name in self.names:
            shutil.move(self.folder / name, self.pact_dir / name)  # a move, not an output
        self._restored = True


@contextlib.contextmanager
def holding(pact_dir: Path, consumer: str | None) -> Iterator[Held]:
    """Move ``consumer``'s pacts (and the ones testgate wrote) aside for the run; they always
    come back, by :meth:`Held.restore` or at the end."""
    paths = _consumer_pacts(pact_dir, consumer)
    folder = Path(tempfile.mkdtemp(prefix=".testgate-held-pacts-", dir=pact_dir)) if paths else None
    held = Held(pact_dir, folder or pact_dir, [])
    try:
        for path in paths:
            shutil.move(path, held.folder / path.name)
            held.names.append(path.name)
        yield held
    finally:
        held.restore()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def written_since(pact_dir: Path, started: float) -> list[Path]:
    """Pact files the run wrote straight into ``pact_dir`` (changed since ``started``)."""
    if not pact_dir.is_dir():
        return []
    return sorted(
        p
        for p in pact_dir.glob("*.json")
        if p.is_file() and not p.is_symlink() and p.stat().st_mtime >= started
    )
