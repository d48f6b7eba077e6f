"""Read-only queries behind the organizer's pages that no domain service answers: how each
event is selling (the reports are in cloud.analytics). Callers check access first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.events.models import TicketType


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
