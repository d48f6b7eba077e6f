"""Each ticket type's stock counters, changed only by conditional single-row UPDATEs.

``UPDATE ticket_types SET held = held + n WHERE id = t AND sold + held + n <= capacity`` is
atomic on PostgreSQL (the row lock is taken, and the condition re-checked on the newest row
version, before the write) and on SQLite (one writer at a time). A rowcount of 0 means the
seats are not there. Only the type's own row is locked, until the transaction ends, so two
types of one event sell in parallel and nothing ever locks the whole event for a sale.

Transactions that touch several types lock them in ascending id order, after any hold or
order row and before any voucher row (cloud.vouchers.service), so two of them can never
deadlock.

Every buyer of an event waits for its type's row while another holds the lock, so the busiest
writers (holds, checkouts) change it last and commit in a :func:`committed_together` block:
on PostgreSQL their writes, this change last, and the COMMIT reach the server together, so
the lock is released the moment the commit is durable, never held while this process is
busy with other requests. A hold's change there is a plain increment, which the database's
own constraint (``sold + held <= capacity``, see :data:`WITHIN_CAPACITY`) refuses when the
seats are not there; SQLite, one writer at a time, keeps the conditional UPDATE.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    CursorResult,
    Engine,
    Executable,
    Integer,
    String,
    Update,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from cloud.audit.log import writes_at_commit
from cloud.events.models import TicketType
from cloud.orders.models import Hold, HoldItem, HoldState

# Built once, on the table rather than the mapped class: every hold and checkout of an on-sale
# runs them, and a statement built anew costs more to prepare than to send.
_TYPES = TicketType.__table__
_type = _TYPES.c
_ID = bindparam("type_id", type_=Integer)
_COUNT = bindparam("count", type_=Integer)
_TAKE = {
    column: update(_TYPES)
    .where(_type.id == _ID, _type.sold + _type.held + _COUNT <= _type.capacity)
    .values({column: _type[column] + _COUNT})
    for column in ("held", "sold")
}
# PostgreSQL only: the constraint named below refuses it when the seats are not there.
_ADD_HELD = update(_TYPES).where(_type.id == _ID).values(held=_type.held + _COUNT)
WITHIN_CAPACITY = "ck_ticket_types_within_capacity"
_RELEASE = update(_TYPES).where(_type.id == _ID).values(held=_type.held - _COUNT)
_SELL_HELD = (
    update(_TYPES).where(_type.id == _ID).values(held=_type.held - _COUNT, sold=_type.sold + _COUNT)
)
_RETURN = update(_TYPES).where(_type.id == _ID).values(sold=_type.sold - _COUNT)
_CAPACITY = bindparam("new_capacity", type_=Integer)
_SET_CAPACITY = (
    update(_TYPES)
    .where(_type.id == _ID, _type.sold + _type.held <= _CAPACITY)
    .values(capacity=_CAPACITY)
)
_CURRENCY = bindparam("currency", type_=String)
_SET_CURRENCY = (
    update(_TYPES).where(_type.id == _ID, _type.sold + _type.held == 0).values(currency=_CURRENCY)
)
_STALE = (
    select(HoldItem.type_id, func.sum(HoldItem.quantity))
    .join(Hold, Hold.id == HoldItem.hold_id)
    .where(
        Hold.event_id == bindparam("event_id", type_=Integer),
        Hold.state == HoldState.ACTIVE,
        Hold.expires_at <= bindparam("now", type_=BigInteger),
    )
    .group_by(HoldItem.type_id)
)


Change = tuple[Executable, Mapping[str, Any]]


@contextmanager
def committed_together(session: Session) -> Iterator[Connection]:
    """Run the block's statements on the connection it is given and commit. On PostgreSQL
    they go to the server with the COMMIT in one round trip (a pipeline): nothing waits for
    an answer until the commit, so the rows they lock stay locked as long as the server
    needs, not until this thread is scheduled again, and a transaction of many statements
    costs one wait, not one per statement. So the block's statements must not need each
    other's results (no RETURNING: reading a result waits for everything queued before it);
    a later row refers to an earlier one by its unique key instead.

    The database's errors are raised as usual (IntegrityError for a refused write) when the
    block ends; the caller rolls back. A transaction with audit entries to write commits
    the usual way: those are written at commit, after everything else."""
    connection = session.connection()
    session.flush()
    if connection.dialect.name != "postgresql" or writes_at_commit(session):
        yield connection
        session.commit()
        return
    driver = connection.connection.driver_connection
    dbapi_error = connection.dialect.loaded_dbapi.Error
    refused: DBAPIError | None = None
    failed: BaseException | None = None
    try:
        with driver.pipeline():
            # A refusal usually comes back with the commit; under load it can arrive while a
            # later statement is being sent. Either way it is kept here, so the pipeline ends
            # without an error passing through it (which the driver would log as a warning).
            try:
                yield connection
                driver.commit()
            except DBAPIError as error:
                refused = error
            except dbapi_error as error:
                refused = _as_sqlalchemy_error(error, dbapi_error)
            except BaseException as error:  # noqa: BLE001 - raised again below
                # The block's own failure: nothing is committed, and it is what the caller
                # hears of, not what ending the pipeline reports after it.
                failed = error
    except dbapi_error as error:
        # Ending the pipeline after a refusal reports the statements it skipped.
        refused = refused or _as_sqlalchemy_error(error, dbapi_error)
    if failed is not None:
        raise failed
    if refused is not None:
        raise refused
    # Nothing left to send: this ends the session's transaction.
    session.commit()


def _as_sqlalchemy_error(error: Exception, dbapi_error: type[Exception]) -> DBAPIError:
    """A driver's error where SQLAlchemy did not see it, as SQLAlchemy would have raised it
    (IntegrityError for a refused write)."""
    wrapped = DBAPIError.instance(None, None, error, dbapi_error, hide_parameters=True)
    wrapped.__cause__ = error
    return wrapped


def refused_by(error: IntegrityError, constraint: str) -> bool:
    """Whether ``error`` is PostgreSQL refusing a write because of ``constraint``."""
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None) == constraint


def _changed(session: Session, statement: Update, **params: int) -> bool:
    # Pending ORM changes (a hold or order row) go first, as the lock order above requires;
    # statements on a connection do not flush the session by themselves.
    session.flush()
    result = session.connection().execute(statement, params)
    return cast(CursorResult[Any], result).rowcount == 1


_Hint = tuple[float, int, str]


class SoldOutHints:
    """Ticket types this process found sold out a moment ago (no seat left, none of them in
    a hold whose time ran out), so the buyers who keep asking after a sell-out are refused
    without a query: in a popular on-sale they are half of all holds asked for. A hint lasts
    ``ttl_s`` on the wall clock and on the clock the caller passes (so a test moving time
    on finds none); seats coming back through this process drop it at once, seats coming
    back elsewhere (the worker, another API process) are offered here ``ttl_s`` later at
    worst. Hints are per database, so two apps in one process never share them."""

    def __init__(self, ttl_s: float = 1.0) -> None:
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        # Per database: (event_id, type_id) -> (wall time noted, caller's now, type name).
        self._hints: weakref.WeakKeyDictionary[Engine, dict[tuple[int, int], _Hint]]
        self._hints = weakref.WeakKeyDictionary()

    def note(self, session: Session, event_id: int, type_id: int, name: str, now: int) -> None:
        with self._lock:
            self._hints.setdefault(_engine(session), {})[(event_id, type_id)] = (
                time.monotonic(),
                now,
                name,
            )

    def sold_out(self, session: Session, event_id: int, type_id: int, now: int) -> str | None:
        """The type's name if it was found sold out a moment ago, else None."""
        with self._lock:
            hint = self._hints.get(_engine(session), {}).get((event_id, type_id))
        if hint is None:
            return None
        noted, noted_now, name = hint
        if time.monotonic() - noted > self._ttl_s or not 0 <= now - noted_now <= self._ttl_s:
            return None
        return name

    def forget(self, session: Session, type_id: int) -> None:
        with self._lock:
            hints = self._hints.get(_engine(session), {})
            for key in [key for key in hints if key[1] == type_id]:
                del hints[key]


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


SOLD_OUT = SoldOutHints()


def hold_seats(session: Session, type_id: int, count: int) -> bool:
    """Reserve ``count`` seats for a hold, only while capacity allows; False when fewer are
    left."""
    return _changed(session, _TAKE["held"], type_id=type_id, count=count)


def held_seats_change(type_id: int, count: int) -> Change:
    """For a :func:`committed_together` block on PostgreSQL: reserve ``count`` seats for a
    hold; the commit fails (IntegrityError, :data:`WITHIN_CAPACITY`) when fewer are left."""
    return _ADD_HELD, {"type_id": type_id, "count": count}


def release_seats(session: Session, type_id: int, count: int) -> None:
    """Give back ``count`` held seats (an expired hold, an unpaid order cancelled)."""
    _changed(session, _RELEASE, type_id=type_id, count=count)
    SOLD_OUT.forget(session, type_id)


def sold_held_seats_change(type_id: int, count: int) -> Change:
    """Turn ``count`` held seats into sold ones (an order was paid): a plain update, so it
    can be sent without waiting for its answer (:func:`committed_together`)."""
    return _SELL_HELD, {"type_id": type_id, "count": count}


def sell_seats(session: Session, type_id: int, count: int) -> bool:
    """Sell ``count`` seats without a hold (complimentary tickets), only while capacity
    allows; False when too few are left."""
    return _changed(session, _TAKE["sold"], type_id=type_id, count=count)


def return_seats(session: Session, type_id: int, count: int) -> None:
    """Put ``count`` sold seats back on sale (their tickets were revoked)."""
    _changed(session, _RETURN, type_id=type_id, count=count)
    SOLD_OUT.forget(session, type_id)


def set_capacity(session: Session, type_id: int, capacity: int) -> bool:
    """Change the capacity, refusing (False) to go below what is sold and held."""
    SOLD_OUT.forget(session, type_id)
    return _changed(session, _SET_CAPACITY, type_id=type_id, new_capacity=capacity)


def set_currency(session: Session, type_id: int, currency: str) -> bool:
    """Change the currency, refusing (False) once any seat is held or sold: holds keep their
    unit prices, and an order must be paid in the currency its seats were held in."""
    return _changed(session, _SET_CURRENCY, type_id=type_id, currency=currency)


def stale_holds(session: Session, event_id: int, now: int) -> dict[int, int]:
    """Seats per type still counted in ``held`` by holds whose time ran out; reads subtract
    them, so what a buyer sees never waits for the release job."""
    rows = session.connection().execute(_STALE, {"event_id": event_id, "now": now}).all()
    return {type_id: int(total) for type_id, total in rows}


def live_held(ticket_type: TicketType, stale: dict[int, int]) -> int:
    return max(ticket_type.held - stale.get(ticket_type.id, 0), 0)


def available(ticket_type: TicketType, stale: dict[int, int]) -> int:
    return seats_left(
        ticket_type.capacity, ticket_type.sold, ticket_type.held, stale.get(ticket_type.id, 0)
    )


def seats_left(capacity: int, sold: int, held: int, stale: int) -> int:
    """Seats a buyer could still hold: ``stale`` of the ``held`` ones belong to holds whose
    time ran out."""
    return max(capacity - sold - max(held - stale, 0), 0)
