"""What buyers browse: published events that have not ended, and one event's page. Plain
frozen results for the storefront's pages and its JSON API alike; drafts never appear."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from cloud.events.models import Event, TicketType
from cloud.events.service import sale_open
from cloud.events.stock import available, seats_left
from cloud.orders.models import Hold, HoldItem, HoldState
from cloud.orgs.models import Organisation
from cloud.timestamps import to_datetime
from cloud.venues.models import Venue


@dataclass(frozen=True, slots=True)
class EventCard:
    event_id: int
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    # The venue's time zone, which buyers read its times in (cloud.venues.zones).
    timezone: str
    # The cheapest ticket type's price and currency; None while the event has no types.
    lowest_price: int | None
    currency: str | None
    # Whether some type still has seats and has not closed its sale.
    available: bool
    # Stored media names (cloud.media), or None.
    image: str | None
    thumbnail: str | None


@dataclass(frozen=True, slots=True)
class PageTicketType:
    type_id: int
    name: str
    price: int
    currency: str
    per_order_limit: int
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    # Buyers may hold it now (its sale window is open).
    on_sale: bool
    # Seats left, expired holds not counted.
    available: int


@dataclass(frozen=True, slots=True)
class EventPage:
    event_id: int
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    timezone: str
    image: str | None
    thumbnail: str | None
    ticket_types: tuple[PageTicketType, ...]
    # Whether buyers may give their tickets to others (cloud.orders.giving).
    allow_giving: bool = True


# What buyers may see and buy: published events of organisations that are not suspended (a
# suspended organisation's sold tickets stay valid; it only stops selling).
ON_SALE = (Event.published_at.is_not(None), Organisation.suspended_at.is_(None))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def published_events(
    session: Session, *, query: str | None, now: int, limit: int, offset: int
) -> list[EventCard]:
    """Published events not yet ended, soonest first; ``query`` matches (in any case) part of
    the name, the description or the venue's name."""
    statement = (
        select(Event, Venue.name, Venue.timezone)
        .join(Venue, Venue.id == Event.venue_id)
        .join(Organisation, Organisation.id == Event.organizer_id)
        .where(*ON_SALE, Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
        .offset(offset)
    )
    words = (query or "").split()
    for word in words:
        # Every word must appear somewhere, as a search box user expects.
        pattern = f"%{_escape_like(word.lower())}%"
        statement = statement.where(
            or_(
                func.lower(Event.name).like(pattern, escape="\\"),
                func.lower(Event.description).like(pattern, escape="\\"),
                func.lower(Venue.name).like(pattern, escape="\\"),
            )
        )
    rows = session.execute(statement).all()
    ids = [event.id for event, _, _ in rows]
    types = _types_of(session, ids)
    stale = _stale_seats(session, ids, now)
    return [
        _card(event, venue, types.get(event.id, []), stale, now, zone=zone)
        for event, venue, zone in rows
    ]


def _card(
    event: Event,
    venue: str,
    types: Sequence[TicketType],
    stale: dict[int, int],
    now: int,
    *,
    zone: str,
) -> EventCard:
    cheapest = min(types, key=lambda row: (row.price, row.id), default=None)
    return EventCard(
        event_id=event.id,
        name=event.name,
        description=event.description,
        starts_at=to_datetime(event.starts_at),
        ends_at=to_datetime(event.ends_at),
        venue_name=venue,
        timezone=zone,
        lowest_price=None if cheapest is None else cheapest.price,
        currency=None if cheapest is None else cheapest.currency,
        available=any(
            available(row, stale) > 0 and (row.sale_ends_at is None or row.sale_ends_at > now)
            for row in types
        ),
        image=event.image,
        thumbnail=event.image_thumbnail,
    )


def _types_of(session: Session, event_ids: list[int]) -> dict[int, list[TicketType]]:
    if not event_ids:
        return {}
    rows = session.scalars(
        select(TicketType).where(TicketType.event_id.in_(event_ids)).order_by(TicketType.id)
    ).all()
    out: dict[int, list[TicketType]] = defaultdict(list)
    for row in rows:
        out[row.event_id].append(row)
    return out


def _stale_seats(session: Session, event_ids: list[int], now: int) -> dict[int, int]:
    """Seats per type still counted as held by holds whose time ran out (see
    cloud.events.stock.stale_holds), for several events in one query."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(HoldItem.type_id, func.sum(HoldItem.quantity))
        .join(Hold, Hold.id == HoldItem.hold_id)
        .where(
            Hold.event_id.in_(event_ids),
            Hold.state == HoldState.ACTIVE,
            Hold.expires_at <= now,
        )
        .group_by(HoldItem.type_id)
    ).all()
    return {type_id: int(total) for type_id, total in rows}


def _event_page_query() -> Select[Any]:
    event_id, now = bindparam("event_id", type_=Integer), bindparam("now", type_=BigInteger)
    stale = (
        select(HoldItem.type_id, func.sum(HoldItem.quantity).label("seats"))
        .join(Hold, Hold.id == HoldItem.hold_id)
        .where(Hold.event_id == event_id, Hold.state == HoldState.ACTIVE, Hold.expires_at <= now)
        .group_by(HoldItem.type_id)
        .subquery()
    )
    return (
        select(
            Event.id,
            Event.name,
            Event.description,
            Event.starts_at,
            Event.ends_at,
            Event.image,
            Event.image_thumbnail,
            Event.allow_giving,
            Venue.name.label("venue_name"),
            Venue.timezone,
            TicketType.id.label("type_id"),
            TicketType.name.label("type_name"),
            TicketType.price,
            TicketType.currency,
            TicketType.per_order_limit,
            TicketType.sale_starts_at,
            TicketType.sale_ends_at,
            TicketType.capacity,
            TicketType.sold,
            TicketType.held,
            func.coalesce(stale.c.seats, 0).label("stale"),
        )
        .join(Venue, Venue.id == Event.venue_id)
        .outerjoin(TicketType, TicketType.event_id == Event.id)
        .outerjoin(stale, stale.c.type_id == TicketType.id)
        .join(Organisation, Organisation.id == Event.organizer_id)
        .where(Event.id == event_id, *ON_SALE)
        .order_by(TicketType.id)
    )


# Built once: every buyer of an on-sale loads the event's page first.
_EVENT_PAGE = _event_page_query()


def event_page(session: Session, event_id: int, now: int) -> EventPage | None:
    """A published event as buyers see it, ended or not; None for drafts and unknown ids.

    One query of plain columns, its seats left counted fresh: every buyer of an on-sale loads
    this page first, so it must cost next to nothing and still tell the truth."""
    rows = session.connection().execute(_EVENT_PAGE, {"event_id": event_id, "now": now}).all()
    if not rows:
        return None
    first = rows[0]
    return EventPage(
        event_id=first.id,
        name=first.name,
        description=first.description,
        starts_at=to_datetime(first.starts_at),
        ends_at=to_datetime(first.ends_at),
        venue_name=first.venue_name,
        timezone=first.timezone,
        image=first.image,
        thumbnail=first.image_thumbnail,
        allow_giving=first.allow_giving,
        ticket_types=tuple(
            PageTicketType(
                type_id=row.type_id,
                name=row.type_name,
                price=row.price,
                currency=row.currency,
                per_order_limit=row.per_order_limit,
                sale_starts_at=_moment(row.sale_starts_at),
                sale_ends_at=_moment(row.sale_ends_at),
                on_sale=sale_open(row.sale_starts_at, row.sale_ends_at, now),
                available=seats_left(row.capacity, row.sold, row.held, int(row.stale)),
            )
            for row in rows
            if row.type_id is not None
        ),
    )


def _moment(seconds: int | None) -> datetime | None:
    return None if seconds is None else to_datetime(seconds)
