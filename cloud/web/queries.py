"""Reads the pages need that no service offers: who may see the organizer pages, and the
orders of an account."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.events.models import Event, TicketType
from cloud.orders.models import Order
from cloud.orgs.models import Membership
from cloud.venues.models import Venue


def belongs_to_organisation(session: Session, user_id: int) -> bool:
    found = session.scalar(select(Membership.org_id).where(Membership.user_id == user_id).limit(1))
    return found is not None


def orders_of_user(
    session: Session, user_id: int, limit: int = 200
) -> Sequence[tuple[Order, Event, str]]:
    """The account's orders with their events and the time zones of their venues, newest
    first."""
    rows = session.execute(
        select(Order, Event, Venue.timezone)
        .join(Event, Event.id == Order.event_id)
        .join(Venue, Venue.id == Event.venue_id)
        .where(Order.user_id == user_id)
        .order_by(Order.id.desc())
        .limit(limit)
    ).all()
    return [(order, event, zone) for order, event, zone in rows]


def owned_order(session: Session, user_id: int, reference: str) -> Order | None:
    """The order with this reference when it belongs to this account, else None."""
    return session.scalar(
        select(Order).where(Order.reference == reference, Order.user_id == user_id)
    )


def event_with_venue(session: Session, event_id: int) -> tuple[Event, Venue]:
    row = session.execute(
        select(Event, Venue).join(Venue, Venue.id == Event.venue_id).where(Event.id == event_id)
    ).one()
    return row[0], row[1]


def type_names(session: Session, type_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(type_ids))
    if not wanted:
        return {}
    rows = session.execute(select(TicketType.id, TicketType.name).where(TicketType.id.in_(wanted)))
    return dict(rows.all())
