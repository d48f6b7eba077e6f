"""Row locks seen from outside, for the tests that race transactions on PostgreSQL."""

from __future__ import annotations

import time

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
