"""A buyer gives one ticket of a paid order to someone else: a friend they bought it for.

The code itself changes hands, so that the new holder alone can use it. The ticket the buyer
holds is revoked (venues learn it at their next manifest pull and their gates refuse it) and
a new one of the same type, valid as long, is issued in the same order to the new holder's
name and address, and emailed to them with its QR code. The seat stays sold. The buyer's
pages show the ticket as given, without its code; a refund or cancellation of the order
revokes it like the others.

The new holder's email links to the ticket's own page (a secret link, as an order's), where
they see and print it and may give it on in turn: the same again, from their ticket.

Giving is final: the buyer cannot take a given ticket back or give it again, so a new
holder who was given a ticket can count on it. Each ticket is given at most once, and only
by whoever holds it (its link reaches the new holder's inbox alone), so giving cannot send
anyone more emails than the tickets given to them. The organizer may turn giving off for
an event (a door that checks names). Tickets can be given until the event starts, and
never once the cloud has heard of an admission with them: a code that got someone in must
not become a fresh one for a second person. (Gates that were offline may upload an
admission later; the start of the event bounds that window.)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, aliased

from cloud.addresses import email_address
from cloud.analytics.attendance import admitted_ticket
from cloud.audit.actions import Action
from cloud.audit.actor import Actor
from cloud.audit.log import record
from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.events.models import Event, TicketType
from cloud.events.signing import current_private_key
from cloud.notifications.outbox import enqueue_email
from cloud.orders import links
from cloud.orders.holds import token_digest
from cloud.orders.models import Order, OrderStatus, OrderTicket, TicketLink
from cloud.tickets.models import Ticket
from cloud.tickets.service import add_signed_tickets, revoke_tickets
from cloud.timestamps import to_datetime
from cloud.venues import zones
from cloud.venues.models import Venue

MAX_NAME = 200
# The length of a given ticket's link token, as of an order's (cloud.orders.holds).
LINK_TOKEN_BYTES = 32
_NO_SUCH_LINK = "There is no ticket with this link; it may have been mistyped."


@dataclass(frozen=True, slots=True)
class BuyersTicket:
    """A ticket as its buyer's pages show it: their own, or, once given, the one given in its
    place (to the person they gave it to, even if that person gave it on)."""

    ticket: Ticket
    # Its seat is no longer valid (the order cancelled or refunded), whoever holds it now.
    revoked: bool

    @property
    def given(self) -> bool:
        return self.ticket.given_at is not None


@dataclass(frozen=True, slots=True)
class Received:
    """A ticket given to someone, with what its holder's page and emails say of it: who gave
    it, and its link (None for tickets given before links were kept)."""

    ticket: Ticket
    order: Order
    event: Event
    giver_name: str
    link: TicketLink | None


def buyers_tickets(tickets: Sequence[Ticket]) -> list[BuyersTicket]:
    """The order's ``tickets`` (all of them, given ones too) as its buyer's pages list them:
    each ticket issued to the buyer, or the ticket they gave in its place. Who the new holder
    gave it to, if they did, is theirs to know, not the buyer's."""
    by_id = {ticket.id: ticket for ticket in tickets}
    shown = []
    for own in tickets:
        if own.given_at is not None:
            continue
        first = by_id.get(own.replaced_by, own) if own.replaced_by is not None else own
        last = first
        while last.replaced_by is not None and last.replaced_by in by_id:
            last = by_id[last.replaced_by]
        shown.append(BuyersTicket(first, last.revoked))
    return shown


def usable_by_buyer(tickets: Iterable[Ticket]) -> list[Ticket]:
    """The tickets whose codes the buyer holds: valid and not given away."""
    return [t for t in tickets if not t.revoked and t.given_at is None]


def held_at(session: Session, email: str, now: int, limit: int = 20) -> list[Received]:
    """The valid tickets given to ``email`` (in any letter case) for events not over yet,
    newest first."""
    giver = aliased(Ticket)
    rows = session.execute(
        select(Ticket, Order, Event, giver.holder_name, giver.given_at, TicketLink)
        .join(Order, Order.reference == Ticket.order_ref)
        .join(Event, Event.id == Ticket.event_id)
        .outerjoin(giver, giver.replaced_by == Ticket.id)
        .outerjoin(TicketLink, TicketLink.ticket_id == Ticket.id)
        .where(
            Ticket.given_at.is_not(None),
            # Both sides lower-cased by the database (see cloud.orders.lost_tickets).
            func.lower(Ticket.holder_email) == func.lower(email),
            Ticket.revoked.is_(False),
            Event.ends_at > now,
        )
        .order_by(Ticket.id.desc())
        .limit(limit)
    ).all()
    return [
        Received(ticket, order, event, _giver_name(order, name, given_at), link)
        for ticket, order, event, name, given_at, link in rows
    ]


def received(session: Session, token: str) -> Received:
    """The ticket whose link token is ``token``, whatever became of it since (cancelled,
    given on); NotFound when no ticket has this link."""
    row = session.execute(
        select(Ticket, TicketLink)
        .join(TicketLink, TicketLink.ticket_id == Ticket.id)
        .where(TicketLink.token_hash == token_digest(token))
    ).one_or_none()
    if row is None:
        raise NotFound(_NO_SUCH_LINK)
    ticket, link = row
    order = session.scalars(select(Order).where(Order.reference == ticket.order_ref)).one()
    event = session.get_one(Event, ticket.event_id)
    giver = session.execute(
        select(Ticket.holder_name, Ticket.given_at).where(Ticket.replaced_by == ticket.id)
    ).one_or_none()
    name, given_at = giver if giver is not None else (None, None)
    return Received(ticket, order, event, _giver_name(order, name, given_at), link)


def next_holder(session: Session, ticket: Ticket) -> Ticket | None:
    """The ticket issued in place of ``ticket`` when its holder gave it on, if they did."""
    return None if ticket.replaced_by is None else session.get(Ticket, ticket.replaced_by)


def may_give(held: Received, now: int) -> bool:
    """Whether the page of ``held`` offers to give it on: a valid ticket not given on yet,
    of a paid order, for an event that allows giving and has not started. (A ticket the
    cloud has heard was used at the door is refused when it is tried.)"""
    return (
        not held.ticket.revoked
        and held.ticket.replaced_by is None
        and held.order.status == OrderStatus.PAID
        and held.event.allow_giving
        and held.event.starts_at > now
    )


@dataclass(frozen=True, slots=True)
class HoldersView:
    """What the holder of a given ticket is shown of it now, on its page and through the
    API."""

    type_name: str
    venue: Venue
    # Its code, while the ticket is valid; None once it was given on or cancelled.
    token: str | None
    # No longer valid: the order was cancelled or refunded (not given on: see given_on).
    revoked: bool
    # The ticket issued in its place when its holder gave it on.
    given_on: Ticket | None
    can_give: bool


def holders_view(session: Session, held: Received, now: int) -> HoldersView:
    """What the holder of ``held`` is shown of it at ``now``."""
    ticket = held.ticket
    after = next_holder(session, ticket)
    return HoldersView(
        type_name=session.get_one(TicketType, ticket.type_id).name,
        venue=session.get_one(Venue, held.event.venue_id),
        token=None if ticket.revoked else ticket.token,
        revoked=ticket.revoked and after is None,
        given_on=after,
        can_give=may_give(held, now),
    )


def _giver_name(order: Order, name: str | None, given_at: int | None) -> str:
    """Who gave a ticket: the holder of the ticket it replaced when that was given too, else
    the buyer."""
    return name if given_at is not None and name else order.buyer_name


def give_ticket(
    session: Session,
    order: Order,
    ticket_ref: str,
    *,
    name: str,
    email: str,
    master_key: bytes,
    public_url: str,
    now: int,
) -> Ticket:
    """The buyer gives ticket ``ticket_ref`` of ``order`` to ``name`` at ``email``; commits
    and returns the new ticket. InvalidInput for a bad name or address (or the order's own),
    NotFound for a ticket not in the order, Conflict when it cannot be given (an order not
    paid, an event started, a ticket cancelled, given before or used at a gate)."""
    holder_name, address = _recipient(
        name, email, order.buyer_email, "That is the address of this order"
    )
    event = _giving_open(session, order, now)
    ticket = session.scalar(
        select(Ticket)
        .join(OrderTicket, OrderTicket.ticket_id == Ticket.id)
        .where(OrderTicket.order_id == order.id, Ticket.ticket_ref == ticket_ref)
        # Two gifts of one ticket at once: the second waits here and finds it given.
        .with_for_update()
    )
    if ticket is None:
        raise NotFound("This order has no such ticket.")
    if ticket.given_at is not None:
        # The buyer gave it; the new holder may give it on, from their own link.
        raise Conflict("This ticket was given to someone already.")
    return _hand_over(
        session,
        order,
        event,
        ticket,
        holder_name=holder_name,
        address=address,
        giver=Actor(order.user_id, order.buyer_email),
        giver_name=order.buyer_name,
        master_key=master_key,
        public_url=public_url,
        now=now,
    )


def give_on(
    session: Session,
    token: str,
    *,
    name: str,
    email: str,
    master_key: bytes,
    public_url: str,
    now: int,
) -> Ticket:
    """The holder of a given ticket gives it on from its page (``token`` is its link's), to
    ``name`` at ``email``; commits and returns the new ticket. Refused as :func:`give_ticket`
    refuses, and with NotFound for an unknown link."""
    ticket = session.scalar(
        select(Ticket)
        .join(TicketLink, TicketLink.ticket_id == Ticket.id)
        .where(TicketLink.token_hash == token_digest(token))
        .with_for_update(of=Ticket)
    )
    if ticket is None:
        raise NotFound(_NO_SUCH_LINK)
    assert ticket.holder_email is not None  # given tickets go to an address
    holder_name, address = _recipient(name, email, ticket.holder_email, "That is your address")
    order = session.scalars(select(Order).where(Order.reference == ticket.order_ref)).one()
    event = _giving_open(session, order, now)
    return _hand_over(
        session,
        order,
        event,
        ticket,
        holder_name=holder_name,
        address=address,
        giver=Actor(None, ticket.holder_email),
        giver_name=ticket.holder_name,
        master_key=master_key,
        public_url=public_url,
        now=now,
    )


def _recipient(name: str, email: str, own: str, own_words: str) -> tuple[str, str]:
    """The new holder's name and address, checked; not the giver's ``own`` address."""
    holder_name = " ".join(name.split())
    if not holder_name or len(holder_name) > MAX_NAME:
        raise InvalidInput("Enter the name of the person you give the ticket to.")
    address = email_address(email)
    if address.lower() == own.lower():
        raise InvalidInput(f"{own_words}: the ticket is already there.")
    return holder_name, address


def _giving_open(session: Session, order: Order, now: int) -> Event:
    """The order's event, when its tickets may be given now; Conflict when not."""
    if order.status != OrderStatus.PAID:
        raise Conflict("Only the tickets of a paid order can be given.")
    event = session.get_one(Event, order.event_id)
    if not event.allow_giving:
        raise Conflict("The organizer of this event does not allow giving tickets to others.")
    if event.starts_at <= now:
        raise Conflict("Tickets can be given until the event starts.")
    return event


def _hand_over(
    session: Session,
    order: Order,
    event: Event,
    ticket: Ticket,
    *,
    holder_name: str,
    address: str,
    giver: Actor,
    giver_name: str,
    master_key: bytes,
    public_url: str,
    now: int,
) -> Ticket:
    """Revoke ``ticket`` (locked by the caller) and issue its replacement to the new holder,
    with a link of its own; record, email and commit."""
    if ticket.replaced_by is not None:
        raise Conflict("This ticket was given to someone already.")
    used = session.scalar(select(Ticket.id).where(Ticket.id == ticket.id, admitted_ticket()))
    if used is not None:
        raise Conflict("This ticket was used at the door already; it cannot be given.")
    if ticket.revoked or not revoke_tickets(session, [ticket], seats_back=False):
        raise Conflict("This ticket was cancelled; it cannot be given.")
    [signed] = add_signed_tickets(
        session,
        current_private_key(session, master_key, event.id),
        event.id,
        [(ticket.type_id, 1)],
        holder_name=holder_name,
        holder_email=address,
        order_ref=order.reference,
        valid_from=ticket.valid_from,
        valid_until=ticket.valid_until,
    )
    signed_id = session.execute(
        select(Ticket.id).where(Ticket.ticket_ref == signed.ticket_ref)
    ).scalar_one()
    session.execute(insert(OrderTicket), {"order_id": order.id, "ticket_id": signed_id})
    session.execute(update(Ticket).where(Ticket.id == signed_id).values(given_at=now))
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(replaced_by=signed_id))
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    link = TicketLink(
        ticket_id=signed_id,
        token_hash=token_digest(token),
        sealed_token=links.seal_ticket_link(master_key, signed.ticket_ref, token),
    )
    session.add(link)
    record(
        session,
        Action.TICKET_GIVEN,
        f"ticket {ticket.ticket_ref} of order {order.reference} given to {address} "
        f"as ticket {signed.ticket_ref}",
        target=("ticket", signed.ticket_ref),
        org_id=event.organizer_id,
        detail={
            "event_id": event.id,
            "order_ref": order.reference,
            "replaces": ticket.ticket_ref,
            "to": address,
        },
        actor=giver,
        now=now,
    )
    given = session.get_one(Ticket, signed_id)
    email_given_ticket(
        session,
        Received(given, order, event, giver_name, link),
        public_url,
        master_key,
        idempotency_key=f"ticket-given:{given.ticket_ref}",
    )
    session.commit()
    return given


def email_given_ticket(
    session: Session,
    held: Received,
    public_url: str | None,
    master_key: bytes,
    *,
    idempotency_key: str,
    again: bool = False,
) -> None:
    """Queue, in the caller's transaction, the given ticket with its QR code to its holder,
    with the links to its page and to the event's when there is a ``public_url`` to build
    them on; ``again`` when they asked for it again ("Find my tickets")."""
    ticket, event = held.ticket, held.event
    assert ticket.holder_email is not None
    venue = session.get_one(Venue, event.venue_id)
    kind = session.get_one(TicketType, ticket.type_id)
    context: dict[str, object] = {
        "holder_name": ticket.holder_name,
        "giver_name": held.giver_name,
        "event_name": event.name,
        "event_starts": zones.wall_clock(to_datetime(event.starts_at), venue.timezone),
        "venue_name": venue.name,
        "tickets": [
            {"ticket_id": ticket.ticket_ref, "type_name": kind.name, "token": ticket.token}
        ],
    }
    if public_url:
        base = public_url.rstrip("/")
        context["event_url"] = f"{base}/events/{event.id}"
        path = links.ticket_path(master_key, ticket.ticket_ref, held.link)
        if path is not None:
            context["ticket_url"] = base + path
    if again:
        context["again"] = True
    enqueue_email(
        session,
        to=ticket.holder_email,
        template="ticket_given",
        context=context,
        idempotency_key=idempotency_key,
    )
