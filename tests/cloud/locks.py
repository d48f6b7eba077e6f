"""Locks seen and held from outside: row locks for the tests that race transactions on
PostgreSQL, and SQLite's write lock for the tests of what must not wait for the database."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator

from sqlalchemy import Engine, text


def wait_until_someone_waits_for(engine: Engine, transaction: str | None) -> None:
    """Until another session waits for a row that ``transaction`` has locked."""
    deadline = time.monotonic() + 20
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted "
                    "AND locktype = 'transactionid' AND transactionid::text = :waited"
                ),
                {"waited": transaction},
            )
            connection.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("nobody came to wait for the locked row")


@contextlib.contextmanager
def sqlite_write_locked(database_url: str) -> Iterator[None]:
    """Another writer holds the SQLite database at ``database_url`` meanwhile."""
    blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


def eventually(condition: Callable[[], bool], timeout: float = 20) -> bool:
    """Whether ``condition()`` holds within ``timeout`` seconds, asked every 50 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
