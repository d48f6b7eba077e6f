"""Locks seen and held from outside: row locks for the tests that race transactions on
PostgreSQL, and a table locked on PostgreSQL for the tests of what must not wait for it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import psycopg
from sqlalchemy import Engine, make_url, text


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
def postgres_table_locked(database_url: str, table: str) -> Iterator[None]:
    """Another transaction holds ``table`` of the PostgreSQL database at ``database_url``,
    locked against every read and write, meanwhile."""
    plain = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False)) as blocker:
        blocker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            blocker.rollback()


def eventually(condition: Callable[[], bool], timeout: float = 20) -> bool:
    """Whether ``condition()`` holds within ``timeout`` seconds, asked every 50 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
