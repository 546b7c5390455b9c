"""inventory-api's database: SQLite (standard library), one file per running service.

The schema is the one thing the provider states, the API tests' data sets and
the service share: states insert exactly the rows they name and delete them
again on teardown; a data set (``tests/api/data/<TEST_DATA_SET>.json``,
``"products"``) seeds a fresh database for the local API tests.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    stock     INTEGER NOT NULL CHECK (stock >= 0),
    warehouse TEXT NOT NULL
)
"""
COLUMNS = ("id", "name", "stock", "warehouse")


class Database:
    """The products table of one SQLite file; a connection per call, so threads never share one."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        with self.connect() as conn:
            conn.execute(SCHEMA)

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction: committed on success, rolled back on error, closed."""
        conn = sqlite3.connect(self.path, timeout=5)
        conn.row_factory = sqlite3.Row
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def products(self) -> list[dict[str, Any]]:
        with self.connect() as conn:
            rows = conn.execute("SELECT id, name, stock, warehouse FROM products ORDER BY id")
            return [dict(row) for row in rows]

    def product(self, product_id: str) -> dict[str, Any] | None:
        with self.connect() as conn:
            row = conn.execute(
                "SELECT id, name, stock, warehouse FROM products WHERE id = ?", (product_id,)
            ).fetchone()
            return dict(row) if row else None

    def insert(self, rows: Iterable[Mapping[str, Any]], *, replace: bool = False) -> None:
        """Insert rows (``replace``: overwrite rows with the same id).

        Raises:
            sqlite3.IntegrityError: a row with that id exists (and not ``replace``).
        """
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        values = [tuple(_row(row)[c] for c in COLUMNS) for row in rows]
        with self.connect() as conn:
            conn.executemany(
                f"{verb} INTO products (id, name, stock, warehouse) VALUES (?, ?, ?, ?)",
                values,
            )

    def delete(self, product_ids: Iterable[str]) -> None:
        with self.connect() as conn:
            conn.executemany("DELETE FROM products WHERE id = ?", [(i,) for i in product_ids])

    def snapshot(self, product_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        """The current rows (``None``: absent) of ``product_ids``, for :meth:`restore`."""
        return {i: self.product(i) for i in product_ids}

    def restore(self, snapshot: Mapping[str, Mapping[str, Any] | None]) -> None:
        """Put the rows of ``snapshot`` back: re-insert those that were there, delete the rest."""
        self.delete(i for i, row in snapshot.items() if row is None)
        self.insert((row for row in snapshot.values() if row is not None), replace=True)

    def count(self) -> int:
        with self.connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM products").fetchone()[0])


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "name": str(row["name"]),
        "stock": int(row.get("stock", 0)),
        "warehouse": str(row.get("warehouse", "main")),
    }
