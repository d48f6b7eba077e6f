"""Tickets emailed again to the address they were bought with, for the buyer who lost the
confirmation and has no account to log in to ("Find my tickets"), and to the address a
ticket was given to (cloud.orders.giving); the same email one order at a time
(:func:`email_order_again`) for its page's button and the organizer's resend.

Anyone may ask for any address, and the answer never says whether it bought anything: the
tickets go only to that address, so asking for someone else's sends them nothing they do not
already have. What a flood of asks could still do (fill someone's inbox) is stopped by the
rate limits on the routes and by one email per order per :data:`WINDOW_S`. The routes answer
before looking anything up (cloud.asks), so neither the answer nor its timing says
whether the address bought anything.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.addresses import email_address
from cloud.events.models import Event
from cloud.orders import links
from cloud.orders.checkout import EventNote, email_tickets, order_lines, order_tickets
from cloud.orders.giving import email_given_ticket, held_at, usable_by_buyer
from cloud.orders.models import Order, OrderStatus
from cloud.venues.models import Venue

# An order's tickets are emailed again at most once in this long, however often asked.
WINDOW_S = 600
# The most recent orders sent at one ask; older ones are rarely what a buyer is looking for.
MAX_ORDERS = 20


def email_tickets_again(
    session: Session, email: str, now: int, *, master_key: bytes, public_url: str | None
) -> int:
    """Queue, in one transaction, an email for each paid order bought with ``email`` (in any
    letter case) for an event not yet over, carrying its tickets that are still valid and a
    link to its page (cloud.orders.links), and one for each valid ticket given to ``email``
    for such an event, and commit. Returns how many were queued; callers must not tell the
    asker (see above). InvalidInput when ``email`` cannot be an address."""
    address = email_address(email)
    orders = session.scalars(
        select(Order)
        .join(Event, Event.id == Order.event_id)
        .where(
            # Both sides lower-cased by the database, which may know fewer letters' cases
            # than Python does (SQLite: only A to Z).
            func.lower(Order.buyer_email) == func.lower(address),
            Order.status == OrderStatus.PAID,
            Event.ends_at > now,
        )
        .order_by(Order.id.desc())
        .limit(MAX_ORDERS)
    ).all()
    queued = sum(
        email_order_again(session, order, now, master_key=master_key, public_url=public_url)
        for order in reversed(orders)
    )
    given = held_at(session, address, now, MAX_ORDERS)
    for held in reversed(given):
        email_given_ticket(
            session,
            held,
            public_url,
            master_key,
            idempotency_key=f"ticket-given-again:{held.ticket.ticket_ref}:{now // WINDOW_S}",
            again=True,
        )
    session.commit()
    return queued + len(given)


def email_order_again(
    session: Session, order: Order, now: int, *, master_key: bytes, public_url: str | None
) -> bool:
    """Queue, in the caller's transaction, one order's tickets that are still valid to its
    buyer again ("Email me these tickets" on the order page, an organizer's resend, and each
    order of "Find my tickets"): at most once per address and :data:`WINDOW_S`, whoever
    asks. False when the order has no valid ticket to send."""
    # Given tickets went to their holders; only the buyer's own come again.
    tickets = usable_by_buyer(order_tickets(session, order.id))
    if order.status != OrderStatus.PAID or not tickets:
        return False
    event = session.get_one(Event, order.event_id)
    venue = session.get_one(Venue, event.venue_id)
    email_tickets(
        session,
        order,
        EventNote(event.name, event.starts_at, venue.timezone),
        tickets,
        {line.type_id: line.name for line in order_lines(session, order.id)},
        # Per address too: tickets sent to a mistyped address go again to the corrected one.
        idempotency_key=f"order-tickets-again:{order.reference}:{_digest(order.buyer_email)}:"
        f"{now // WINDOW_S}",
        order_url=links.order_url(public_url, master_key, order),
        again=True,
    )
    return True


def _digest(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()[:16]


def answer(email: str) -> str:
    """What the asker is told, whatever was found."""
    return (
        f"If tickets for an upcoming event were bought with {email.strip()}, they are on their "
        "way to it now. Nothing arrived? Check the spam folder, and the address you used."
    )
