"""Engine and sessions. One engine per app; SQLite tuned so concurrent writers queue politely."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Row ids are SQL INTEGER: 32 bits signed on PostgreSQL. A larger id names no row, and
# must be answered as such before it reaches a query (where it would be a database error).
MAX_ROW_ID = 2**31 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Connections one process may hold open to PostgreSQL (BILTEN_DATABASE_POOL): more than the
# threads that run its requests (Litestar runs the sync handlers on asyncio's default
# executor: cores + 4 threads, at most 32), as a request's session can keep its connection
# while the request waits for a thread. Of them, this many stay open between requests.
DEFAULT_POOL = 40
POOL_KEPT = 10
# A pooled connection idle for longer than this is pinged before use (see ping_if_idle).
IDLE_PING_S = 5.0


def make_engine(url: str, *, pool: int = DEFAULT_POOL) -> Engine:
    # hide_parameters: an error's message never carries the statement's values (password
    # hashes, token digests, personal data) into a log line.
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # More connections than worker threads (see DEFAULT_POOL): a thread that waits for a
    # connection while every connection belongs to a request whose clean-up waits for a
    # thread would stall the process.
    kept = min(POOL_KEPT, pool)
    engine = create_engine(url, pool_size=kept, max_overflow=pool - kept, hide_parameters=True)
    dialect = engine.dialect

    def ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        """Ping a pooled connection before use only when it sat idle for a while: one that a
        request handed back moments ago is as good as a ping would show, and pinging every
        checkout (``pool_pre_ping``) costs each request a round trip to the database. If the
        server restarts within those seconds, the request that finds out fails and the pool
        replaces all its connections at once."""
        returned = record.info.get("checked_in_at")
        if returned is not None and time.monotonic() - returned < IDLE_PING_S:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error

    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", ping_if_idle)
    return engine


def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy so _sqlite_begin can take the write lock up front.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that reads and then writes fails with SQLITE_BUSY when another
    # writer got in between; IMMEDIATE waits for the lock instead (busy_timeout).
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class InsertOrSkip:
    """An INSERT that skips each row whose ``key`` columns (a unique constraint) are taken
    already, even by a concurrent transaction: ``ON CONFLICT DO NOTHING`` on PostgreSQL and
    SQLite alike, built once per dialect."""

    def __init__(self, table: Table, key: Sequence[str]) -> None:
        self._by_dialect = {
            name: dialect.insert(table).on_conflict_do_nothing(index_elements=list(key))
            for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
        }

    def on(self, connection: Connection) -> Insert:
        """The statement for ``connection``'s database."""
        return self._by_dialect[connection.dialect.name]


def load_models() -> None:
    """Import every model module so Base.metadata knows all tables."""
    import cloud.asks.models
    import cloud.audit.models
    import cloud.events.models
    import cloud.notifications.models
    import cloud.orders.models
    import cloud.orgs.models
    import cloud.scans.models
    import cloud.tickets.models
    import cloud.users.models
    import cloud.venues.models
    import cloud.vouchers.models  # noqa: F401


def connection_budget(engine: Engine, processes: int, pool: int) -> str | None:
    """On PostgreSQL: a warning when ``processes`` each holding up to ``pool`` connections
    could ask for more than the server accepts (max_connections, less the connections kept
    for superusers), else None. Past that limit a busy sale's requests fail."""
    if engine.dialect.name != "postgresql":
        return None
    most, reserved = server_connections(engine)
    wanted, accepted = processes * pool, most - reserved
    if wanted <= accepted:
        return None
    each = (
        "1 API process may open" if processes == 1 else f"{processes} API processes may each open"
    )
    return (
        f"{each} {pool} connections to PostgreSQL "
        f"(BILTEN_DATABASE_POOL), {wanted} in all, but the server accepts {accepted} "
        f"(max_connections {most}, {reserved} kept for superusers), before the worker and "
        "any other API host are counted: in a busy sale requests would fail with 'too many "
        "clients'. Lower BILTEN_DATABASE_POOL or --workers, raise max_connections, or put "
        "a connection pooler (PgBouncer) in front"
    )


def server_connections(engine: Engine) -> tuple[int, int]:
    """PostgreSQL's max_connections and, of them, those kept for superusers."""
    with engine.connect() as connection:
        most = int(connection.exec_driver_sql("SHOW max_connections").scalar_one())
        reserved = int(
            connection.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one()
        )
    return most, reserved
