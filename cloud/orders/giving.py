"""A buyer gives one ticket of a paid order to someone else: a friend they bought it for.

The code itself changes hands, so that the new holder alone can use it. The ticket the buyer
holds is revoked (venues learn it at their next manifest pull and their gates refuse it) and
a new one of the same type, valid as long, is issued in the same order to the new holder's
name and address, and emailed to them with its QR code. The seat stays sold. The buyer's
pages show the ticket as given, without its code; a refund or cancellation of the order
revokes it like the others.

Giving is final: the buyer cannot take a given ticket back or give it again, so a new
holder who was given a ticket can count on it. Each ticket is given at most once, so giving
cannot send more emails than the order has tickets. The organizer may turn giving off for
an event (a door that checks names). Tickets can be given until the event starts, and
never once the cloud has heard of an admission with them: a code that got someone in must
not become a fresh one for a second person. (Gates that were offline may upload an
admission later; the start of the event bounds that window.)
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from cloud.addresses import email_address
from cloud.analytics.attendance import admitted_ticket
from cloud.audit.actions import Action
from cloud.audit.actor import Actor
from cloud.audit.log import record
from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.events.models import Event, TicketType
from cloud.notifications.outbox import enqueue_email
from cloud.orders.models import Order, OrderStatus, OrderTicket
from cloud.tickets.models import Ticket
from cloud.tickets.service import add_signed_tickets, revoke_tickets
from cloud.timestamps import to_datetime
from cloud.venues import zones
from cloud.venues.models import Venue

MAX_NAME = 200


def buyers_tickets(tickets: Iterable[Ticket]) -> list[Ticket]:
    """The order's tickets as its buyer's pages list them: those replaced when they were
    given are left out (the ticket given in their place stands for them)."""
    return [ticket for ticket in tickets if ticket.replaced_by is None]


def usable_by_buyer(tickets: Iterable[Ticket]) -> list[Ticket]:
    """The tickets whose codes the buyer holds: valid and not given away."""
    return [t for t in tickets if not t.revoked and t.given_at is None]


def held_at(
    session: Session, email: str, now: int, limit: int = 20
) -> list[tuple[Ticket, Order, Event]]:
    """The valid tickets given to ``email`` (in any letter case) for events not over yet,
    newest first, each with the order it was given from and its event."""
    rows = session.execute(
        select(Ticket, Order, Event)
        .join(Order, Order.reference == Ticket.order_ref)
        .join(Event, Event.id == Ticket.event_id)
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
    return [(ticket, order, event) for ticket, order, event in rows]


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
    """Give ticket ``ticket_ref`` of ``order`` to ``name`` at ``email`` and commit; returns
    the new ticket. InvalidInput for a bad name or address (or the order's own), NotFound for
    a ticket not in the order, Conflict when it cannot be given (an order not paid, an event
    started, a ticket cancelled, given before or used at a gate)."""
    holder_name = " ".join(name.split())
    if not holder_name or len(holder_name) > MAX_NAME:
        raise InvalidInput("Enter the name of the person you give the ticket to.")
    address = email_address(email)
    if address.lower() == order.buyer_email.lower():
        raise InvalidInput("That is the address of this order: the ticket is already there.")
    if order.status != OrderStatus.PAID:
        raise Conflict("Only the tickets of a paid order can be given.")
    event = session.get_one(Event, order.event_id)
    if not event.allow_giving:
        raise Conflict("The organizer of this event does not allow giving tickets to others.")
    if event.starts_at <= now:
        raise Conflict("Tickets can be given until the event starts.")
    ticket = session.scalar(
        select(Ticket)
        .join(OrderTicket, OrderTicket.ticket_id == Ticket.id)
        .where(OrderTicket.order_id == order.id, Ticket.ticket_ref == ticket_ref)
        # Two gifts of one ticket at once: the second waits here and finds it given.
        .with_for_update()
    )
    if ticket is None:
        raise NotFound("This order has no such ticket.")
    if ticket.given_at is not None or ticket.replaced_by is not None:
        raise Conflict("This ticket was given to someone already.")
    used = session.scalar(select(Ticket.id).where(Ticket.id == ticket.id, admitted_ticket()))
    if used is not None:
        raise Conflict("This ticket was used at the door already; it cannot be given.")
    if ticket.revoked or not revoke_tickets(session, [ticket], seats_back=False):
        raise Conflict("This ticket was cancelled; it cannot be given.")
    [signed] = add_signed_tickets(
        session,
        master_key,
        event.id,
        [(ticket.type_id, 1)],
        holder_name=holder_name,
        holder_email=address,
        order_ref=order.reference,
        valid_from=ticket.valid_from,
        valid_until=ticket.valid_until,
    )
    session.execute(insert(OrderTicket), {"order_id": order.id, "ticket_id": signed.id})
    session.execute(update(Ticket).where(Ticket.id == signed.id).values(given_at=now))
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(replaced_by=signed.id))
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
        actor=Actor(order.user_id, order.buyer_email),
        now=now,
    )
    given = session.get_one(Ticket, signed.id)
    email_given_ticket(
        session, given, order, event, public_url, idempotency_key=f"ticket-given:{given.ticket_ref}"
    )
    session.commit()
    return given


def email_given_ticket(
    session: Session,
    ticket: Ticket,
    order: Order,
    event: Event,
    public_url: str | None,
    *,
    idempotency_key: str,
    again: bool = False,
) -> None:
    """Queue, in the caller's transaction, the given ``ticket`` with its QR code to its
    holder, with the event's page and calendar links when there is a ``public_url`` to
    build them on; ``again`` when they asked for it again ("Find my tickets")."""
    assert ticket.holder_email is not None
    venue = session.get_one(Venue, event.venue_id)
    kind = session.get_one(TicketType, ticket.type_id)
    context: dict[str, object] = {
        "holder_name": ticket.holder_name,
        "giver_name": order.buyer_name,
        "event_name": event.name,
        "event_starts": zones.wall_clock(to_datetime(event.starts_at), venue.timezone),
        "venue_name": venue.name,
        "tickets": [
            {"ticket_id": ticket.ticket_ref, "type_name": kind.name, "token": ticket.token}
        ],
    }
    if public_url:
        context["event_url"] = f"{public_url.rstrip('/')}/events/{event.id}"
    if again:
        context["again"] = True
    enqueue_email(
        session,
        to=ticket.holder_email,
        template="ticket_given",
        context=context,
        idempotency_key=idempotency_key,
    )
