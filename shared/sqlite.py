"""SQLite as the edge tiers keep it: every commit on disk, one writer at a time, and numbered
schema migrations. Shared by the scanner's and the venue server's stores."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from shared.errors import BiltenError


class SchemaTooNew(BiltenError):
    """The file was written by a newer release; opening it here could lose its data."""

    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            f"{path} has schema version {found}, newer than the {supported} this release "
            "knows; update Bilten on this machine"
        )
        self.found = found
        self.supported = supported


def open_durable(path: Path, busy_timeout_ms: int = 5000) -> sqlite3.Connection:
    """A connection whose commits survive a power cut (WAL with synchronous=FULL).

    Transactions are opened explicitly (``isolation_level=None``); the caller serialises use
    of the connection across threads.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction that takes the write lock up front; on any error nothing of it stays.

    SQLite rolls back by itself after some errors (a full disk, an I/O error): the original
    error is what the caller sees then, not a failed ROLLBACK of a transaction that is gone."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        _roll_back(conn)
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error:
        _roll_back(conn)
        raise


def _roll_back(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def split_script(script: str) -> list[str]:
    """The statements of a SQL script, keeping trigger bodies (which hold ';') whole."""
    statements: list[str] = []
    current = ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


def migrate(conn: sqlite3.Connection, path: Path, migrations: Sequence[Sequence[str]]) -> int:
    """Apply the migrations this file has not had yet, in one transaction; returns the
    schema version. Refuses a file from a newer release rather than rewind its version."""
    with write_transaction(conn):
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            version = 0
        else:
            version = int(row[0])
        if version > len(migrations):
            raise SchemaTooNew(path, version, len(migrations))
        for statements in migrations[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute("UPDATE schema_version SET version = ?", (len(migrations),))
    return len(migrations)
