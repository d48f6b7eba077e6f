"""Each ticket type's stock counters, changed only by conditional single-row UPDATEs.

``UPDATE ticket_types SET held = held + n WHERE id = t AND sold + held + n <= capacity`` is
atomic on PostgreSQL (the row lock is taken, and the condition re-checked on the newest row
version, before the write) and on SQLite (one writer at a time). A rowcount of 0 means the
seats are not there. Only the type's own row is locked, until the transaction ends, so two
types of one event sell in parallel and nothing ever locks the whole event for a sale.

Transactions that touch several types lock them in ascending id order, after any hold or
order row and before any voucher row (cloud.vouchers.service) and the event's change counter,
so two of them can never deadlock.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Update, func, select, update
from sqlalchemy.orm import Session

from cloud.events.models import TicketType
from cloud.orders.models import Hold, HoldItem, HoldState


def _changed(session: Session, statement: Update) -> bool:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def _take_seats(session: Session, type_id: int, count: int, column: str) -> bool:
    """Add ``count`` to ``column`` (held or sold) only while capacity allows it."""
    return _changed(
        session,
        update(TicketType)
        .where(
            TicketType.id == type_id,
            TicketType.sold + TicketType.held + count <= TicketType.capacity,
        )
        .values({column: getattr(TicketType, column) + count}),
    )


def hold_seats(session: Session, type_id: int, count: int) -> bool:
    """Reserve ``count`` seats for a hold; False when fewer are left."""
    return _take_seats(session, type_id, count, "held")


def release_seats(session: Session, type_id: int, count: int) -> None:
    """Give back ``count`` held seats (an expired hold, an unpaid order cancelled)."""
    _changed(
        session,
        update(TicketType).where(TicketType.id == type_id).values(held=TicketType.held - count),
    )


def sell_held_seats(session: Session, type_id: int, count: int) -> None:
    """Turn ``count`` held seats into sold ones (an order was paid)."""
    _changed(
        session,
        update(TicketType)
        .where(TicketType.id == type_id)
        .values(held=TicketType.held - count, sold=TicketType.sold + count),
    )


def sell_seats(session: Session, type_id: int, count: int) -> bool:
    """Sell ``count`` seats without a hold (complimentary tickets); False when too few."""
    return _take_seats(session, type_id, count, "sold")


def return_seats(session: Session, type_id: int, count: int) -> None:
    """Put ``count`` sold seats back on sale (their tickets were revoked)."""
    _changed(
        session,
        update(TicketType).where(TicketType.id == type_id).values(sold=TicketType.sold - count),
    )


def set_capacity(session: Session, type_id: int, capacity: int) -> bool:
    """Change the capacity, refusing (False) to go below what is sold and held."""
    return _changed(
        session,
        update(TicketType)
        .where(TicketType.id == type_id, TicketType.sold + TicketType.held <= capacity)
        .values(capacity=capacity),
    )


def stale_holds(session: Session, event_id: int, now: int) -> dict[int, int]:
    """Seats per type still counted in ``held`` by holds whose time ran out; reads subtract
    them, so what a buyer sees never waits for the release job."""
    rows = session.execute(
        select(HoldItem.type_id, func.sum(HoldItem.quantity))
        .join(Hold, Hold.id == HoldItem.hold_id)
        .where(
            Hold.event_id == event_id,
            Hold.state == HoldState.ACTIVE,
            Hold.expires_at <= now,
        )
        .group_by(HoldItem.type_id)
    ).all()
    return {type_id: int(total) for type_id, total in rows}


def live_held(ticket_type: TicketType, stale: dict[int, int]) -> int:
    return max(ticket_type.held - stale.get(ticket_type.id, 0), 0)


def available(ticket_type: TicketType, stale: dict[int, int]) -> int:
    left = ticket_type.capacity - ticket_type.sold - live_held(ticket_type, stale)
    return max(left, 0)
