"""Read-only queries behind the organizer's pages that no domain service answers: how each
event is selling, and the figures of one event's sale. Callers check access first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.events.models import TicketType
from cloud.events.stock import live_held, stale_holds
from cloud.orders.models import Order, OrderStatus


@dataclass(frozen=True, slots=True)
class Stock:
    """Tickets sold against the capacity of all an event's ticket types."""

    sold: int = 0
    capacity: int = 0


def stock_by_event(session: Session, event_ids: Sequence[int]) -> dict[int, Stock]:
    """Sold and capacity per event, in one query for a whole list of events."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(TicketType.event_id, func.sum(TicketType.sold), func.sum(TicketType.capacity))
        .where(TicketType.event_id.in_(list(event_ids)))
        .group_by(TicketType.event_id)
    ).all()
    return {
        event_id: Stock(int(sold or 0), int(capacity or 0)) for event_id, sold, capacity in rows
    }


@dataclass(frozen=True, slots=True)
class SaleFigures:
    sold: int
    # Seats in live holds and unpaid orders (expired holds not counted).
    held: int
    capacity: int
    paid_orders: int
    # Money taken and kept (refunded orders left out), per currency, in minor units.
    revenue: dict[str, int]


def sale_figures(session: Session, event_id: int, now: int) -> SaleFigures:
    types = session.scalars(select(TicketType).where(TicketType.event_id == event_id)).all()
    stale = stale_holds(session, event_id, now)
    rows = session.execute(
        select(Order.currency, func.count(Order.id), func.sum(Order.total))
        .where(Order.event_id == event_id, Order.status == OrderStatus.PAID)
        .group_by(Order.currency)
        .order_by(Order.currency)
    ).all()
    return SaleFigures(
        sold=sum(row.sold for row in types),
        held=sum(live_held(row, stale) for row in types),
        capacity=sum(row.capacity for row in types),
        paid_orders=sum(int(count) for _, count, _ in rows),
        revenue={currency: int(total or 0) for currency, _, total in rows},
    )
