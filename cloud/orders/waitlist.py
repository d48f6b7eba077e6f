"""The waiting list of an event with no tickets to buy: sold out, or not on sale yet.

A buyer leaves an address on the event's page. When seats can be bought again (a hold runs
out, an order is cancelled or refunded, the organizer adds capacity or the sale opens), the
worker emails as many of the first in line as there are seats, once each. Nothing is held for
them: the first to buy gets the seats, and the email says so. A seat told about counts as
spoken for during :data:`TOLD_FOR_S`, or until that address buys; if it is still free after
that, the next in line hears of it. Addresses are forgotten that long after they were told, as
soon as they have bought tickets for the event (told or not), and when the event is over.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.addresses import email_address
from cloud.db import InsertOrSkip
from cloud.errors import Conflict, NotFound
from cloud.events.catalog import EventPage, event_page
from cloud.events.models import Event
from cloud.notifications.outbox import enqueue_email
from cloud.orders.models import Order, OrderStatus, WaitlistEntry
from cloud.venues import zones

# More addresses than this for one event are refused: the list is for seats coming back,
# not a mailing list.
MAX_WAITING = 10_000
# Addresses told per event in one pass of the worker; the next pass tells more.
BATCH = 500
# How long a told address has to buy before the seat it heard of is offered to the next.
TOLD_FOR_S = 1800


def _can_buy(page: EventPage) -> int:
    """Seats buyers can take now."""
    return sum(kind.available for kind in page.ticket_types if kind.on_sale)


def join(session: Session, event_id: int, email: str, now: int) -> None:
    """Put ``email`` in the event's line (once, however often asked) and commit. NotFound
    for an event buyers cannot see; Conflict when tickets can be bought now, the event is
    over or the list is full."""
    address = email_address(email).lower()
    page = event_page(session, event_id, now)
    if page is None:
        raise NotFound("There is no such event, or it is not on sale.")
    if int(page.ends_at.timestamp()) <= now:
        raise Conflict("This event is over.")
    if _can_buy(page) > 0:
        raise Conflict("Tickets are on sale now: reserve them on the event's page.")
    if page.ticket_types and all(
        kind.sale_ends_at is not None and int(kind.sale_ends_at.timestamp()) <= now
        for kind in page.ticket_types
    ):
        raise Conflict("The sale of this event has ended: no tickets will come back.")
    waiting = session.scalar(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(WaitlistEntry.event_id == event_id, WaitlistEntry.told_at.is_(None))
    )
    if (waiting or 0) >= MAX_WAITING:
        raise Conflict("The waiting list of this event is full.")
    connection = session.connection()
    connection.execute(
        _JOIN.on(connection), {"event_id": event_id, "email": address, "created_at": now}
    )
    session.commit()


# The first ask of an address keeps its place in line; asking again changes nothing.
_JOIN = InsertOrSkip(WaitlistEntry.__table__, ["event_id", "email"])

# The address paid for tickets to the event after it joined the line: the seat it was told
# of (if any) is taken, and it has no more need to hear of others. (A buyer may join after
# buying, to hear when more come back; an order from before joining does not count.)
_bought_since_joining = exists().where(
    and_(
        Order.event_id == WaitlistEntry.event_id,
        func.lower(Order.buyer_email) == WaitlistEntry.email,
        Order.status == OrderStatus.PAID,
        Order.paid_at >= WaitlistEntry.created_at,
    )
)


def tell_waiting(sessions: sessionmaker[Session], now: int, public_url: str) -> int:
    """The worker's pass: forget the addresses of events that are over, those told long
    enough ago and those that have bought since they joined, then, for each event whose seats
    can be bought again, email the first in line, one address per seat not already spoken
    for. Returns how many were told."""
    with sessions() as session:
        session.execute(
            delete(WaitlistEntry).where(
                WaitlistEntry.event_id.in_(select(Event.id).where(Event.ends_at <= now))
                | (WaitlistEntry.told_at <= now - TOLD_FOR_S)
                | _bought_since_joining
            )
        )
        session.commit()
        event_ids = session.scalars(
            select(WaitlistEntry.event_id).where(WaitlistEntry.told_at.is_(None)).distinct()
        ).all()
    told = 0
    for event_id in event_ids:
        with sessions() as session:
            told += _tell(session, event_id, now, public_url)
    return told


def _tell(session: Session, event_id: int, now: int, public_url: str) -> int:
    page = event_page(session, event_id, now)
    spoken_for = session.scalar(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(WaitlistEntry.event_id == event_id, WaitlistEntry.told_at.is_not(None))
    )
    seats = 0 if page is None else _can_buy(page) - (spoken_for or 0)
    if page is None or seats <= 0:
        # Unpublished for now, nothing to buy, or every free seat already told about.
        session.rollback()
        return 0
    entries = session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.event_id == event_id, WaitlistEntry.told_at.is_(None))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(min(seats, BATCH))
        # Another worker's pass skips the addresses this one is telling.
        .with_for_update(skip_locked=True)
    ).all()
    context = {
        "event_name": page.name,
        "event_starts": zones.wall_clock(page.starts_at, page.timezone),
        "event_url": f"{public_url.rstrip('/')}/events/{event_id}",
    }
    for entry in entries:
        enqueue_email(
            session,
            to=entry.email,
            template="tickets_available",
            context=context,
            idempotency_key=f"waitlist:{event_id}:{entry.id}",
        )
        entry.told_at = now
    session.commit()
    return len(entries)
