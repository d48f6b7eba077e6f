from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cloud.addresses import email_address
from cloud.audit.actions import Action
from cloud.audit.log import record
from cloud.clock import now_s
from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.events.models import Event, TicketType
from cloud.events.service import own_event
from cloud.events.signing import current_private_key
from cloud.events.stock import return_seats, sell_seats
from cloud.tickets.changes import UNNUMBERED
from cloud.tickets.models import Ticket
from cloud.timestamps import stored_moment
from shared.ids import new_ticket_id
from shared.token import TicketClaims, sign_ticket


def _holder_email(value: str | None) -> str | None:
    """The address as given, trimmed; refused when it cannot be one (staff search by it)."""
    if not (value or "").strip():
        return None
    return email_address(value or "", "holder_email")


def _order_ref(value: str | None) -> str | None:
    """An order number as given, trimmed; it is shown at the gate, so it must be printable."""
    ref = (value or "").strip()
    if not ref:
        return None
    if not ref.isprintable():
        raise InvalidInput("order_ref must be printable text (no control characters)")
    return ref


def issue_tickets(
    session: Session,
    organizer_id: int,
    master_key: bytes,
    event_id: int,
    *,
    type_id: int,
    holder_name: str,
    holder_email: str | None,
    count: int,
    order_ref: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> list[SignedTicket]:
    """Issue ``count`` signed tickets, never more than the type's capacity. ``order_ref``
    ties them to the order they were sold in, so staff can find them at the gate."""
    own_event(session, organizer_id, event_id)
    email, order = _holder_email(holder_email), _order_ref(order_ref)
    ticket_type = session.get(TicketType, type_id)
    if ticket_type is None or ticket_type.event_id != event_id:
        raise NotFound(f"ticket type {type_id} not found in event {event_id}")
    start, end = stored_moment(valid_from, "valid_from"), stored_moment(valid_until, "valid_until")
    if start is not None and end is not None and start >= end:
        raise InvalidInput("valid_from must be before valid_until")

    # The same stock counter buyers' holds draw from, so the two can never together exceed it.
    if not sell_seats(session, type_id, count):
        session.rollback()
        session.refresh(ticket_type)
        left = max(ticket_type.capacity - ticket_type.sold - ticket_type.held, 0)
        raise Conflict(f"only {left} tickets of type {type_id} are left")
    tickets = add_signed_tickets(
        session,
        current_private_key(session, master_key, event_id),
        event_id,
        [(type_id, count)],
        holder_name=holder_name.strip(),
        holder_email=email,
        order_ref=order,
        valid_from=start,
        valid_until=end,
    )
    session.commit()
    return tickets


@dataclass(frozen=True, slots=True)
class SignedTicket:
    """A ticket just issued, as its buyer or the organizer is shown it."""

    ticket_ref: str
    type_id: int
    token: str
    holder_name: str
    holder_email: str | None
    order_ref: str | None
    revoked: bool = False


# Built once: every checkout runs them.
_TICKETS = Ticket.__table__
_INSERT_TICKETS = insert(_TICKETS).inline()
# Revokes the live ones of some tickets; returns their ids (see revoke_tickets). Their rows
# are locked first, in ticket order, as the manifest reader locks them (cloud.tickets.changes),
# whatever order the plan then updates them in: the two cannot deadlock.
_LOCKING = _TICKETS.alias("locking")
_REVOKE = (
    update(_TICKETS)
    .where(
        _TICKETS.c.id.in_(
            select(_LOCKING.c.id)
            .where(_LOCKING.c.id.in_(bindparam("ids", expanding=True)))
            .order_by(_LOCKING.c.id)
            .with_for_update(key_share=True)
        ),
        _TICKETS.c.revoked.is_(False),
    )
    .values(revoked=True, seq=UNNUMBERED)
    .returning(_TICKETS.c.id)
)


def add_signed_tickets(
    session: Session,
    key: tuple[int, Ed25519PrivateKey],
    event_id: int,
    lines: list[tuple[int, int]],
    *,
    holder_name: str,
    holder_email: str | None,
    order_ref: str | None,
    valid_from: int | None = None,
    valid_until: int | None = None,
) -> list[SignedTicket]:
    """Sign ``count`` tickets per ``(type_id, count)`` line with ``key`` (the event's
    current one, cloud.events.signing) and insert them in the caller's transaction, in one
    statement that waits for no answer (cloud.events.stock.committed_together): they are
    known by their ``ticket_ref``. The venues' next manifest pull numbers them
    (cloud.tickets.changes). Capacity is the caller's business (cloud.events.stock)."""
    key_id, private_key = key
    issued_at = now_s()
    tickets, rows = [], []
    for type_id, count in lines:
        for _ in range(count):
            claims = TicketClaims(
                key_id=key_id,
                event_id=event_id,
                ticket_id=new_ticket_id(),
                type_id=type_id,
                issued_at=issued_at,
                valid_from=valid_from,
                valid_until=valid_until,
            )
            ticket = SignedTicket(
                ticket_ref=claims.ticket_ref,
                type_id=type_id,
                token=sign_ticket(claims, private_key),
                holder_name=holder_name,
                holder_email=holder_email,
                order_ref=order_ref,
            )
            tickets.append(ticket)
            rows.append(
                {
                    "ticket_ref": ticket.ticket_ref,
                    "event_id": event_id,
                    "type_id": type_id,
                    "key_id": key_id,
                    "holder_name": holder_name,
                    "holder_email": holder_email,
                    "order_ref": order_ref,
                    "token": ticket.token,
                    "issued_at": issued_at,
                    "valid_from": valid_from,
                    "valid_until": valid_until,
                    "revoked": False,
                    "seq": UNNUMBERED,
                }
            )
    if rows:
        session.connection().execute(_INSERT_TICKETS, rows)
    return tickets


def revoke_ticket(session: Session, organizer_id: int, ticket_ref: str) -> Ticket:
    ticket = session.scalar(
        select(Ticket)
        .join(Event, Event.id == Ticket.event_id)
        .where(Ticket.ticket_ref == ticket_ref, Event.organizer_id == organizer_id)
    )
    if ticket is None:
        raise NotFound(f"ticket {ticket_ref} not found")
    if ticket.revoked or not revoke_tickets(session, [ticket]):
        # Revoked before, or by another request a moment ago: nothing more to record.
        return ticket
    record(
        session,
        Action.TICKET_REVOKED,
        f"ticket {ticket.ticket_ref} of event {ticket.event_id} revoked",
        target=("ticket", ticket.ticket_ref),
        org_id=organizer_id,
        detail={"event_id": ticket.event_id, "order_ref": ticket.order_ref},
    )
    session.commit()
    return ticket


def revoke_tickets(
    session: Session, tickets: list[Ticket], *, seats_back: bool = True
) -> list[Ticket]:
    """Revoke the live ones of ``tickets`` in the caller's transaction and, unless not
    ``seats_back`` (a ticket replaced by another), put their seats back on sale; venues learn
    of it on their next manifest pull. Returns the tickets this call revoked.

    One UPDATE decides, on the rows as they are now rather than as ``tickets`` were read: a
    ticket another transaction revoked meanwhile is not revoked (nor its seat returned)
    twice, and a ticket a manifest reader numbered meanwhile is unnumbered again, so venues
    that saw it live learn of the revocation."""
    live = [ticket for ticket in tickets if not ticket.revoked]
    if not live:
        return []
    session.flush()
    revoked = set(
        session.connection().execute(_REVOKE, {"ids": [ticket.id for ticket in live]}).scalars()
    )
    now_revoked = [ticket for ticket in live if ticket.id in revoked]
    for ticket in live:
        # Revoked now, by this call or by another meanwhile: the objects say what the rows
        # hold, without another UPDATE at the next flush.
        set_committed_value(ticket, "revoked", True)
        if ticket.id in revoked:
            set_committed_value(ticket, "seq", UNNUMBERED)
    if not seats_back:
        return now_revoked
    per_type = Counter(ticket.type_id for ticket in now_revoked)
    for type_id in sorted(per_type):
        return_seats(session, type_id, per_type[type_id])
    return now_revoked
