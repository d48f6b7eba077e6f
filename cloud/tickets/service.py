from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.events.models import Event, TicketType
from cloud.events.service import own_event
from cloud.events.signing import current_key, unseal
from cloud.tickets.changes import claim_changes
from cloud.tickets.models import Ticket
from cloud.timestamps import to_unix
from shared.ids import new_ticket_id
from shared.token import TicketClaims, sign_ticket

_U32_MAX = 2**32 - 1


def _seconds(moment: datetime | None, name: str) -> int | None:
    if moment is None:
        return None
    seconds = to_unix(moment)
    if not 0 <= seconds <= _U32_MAX:
        raise InvalidInput(f"{name} must be between 1970 and 2106")
    return seconds


def _holder_email(value: str | None) -> str | None:
    """The address as given, trimmed; refused when it cannot be one (staff search by it)."""
    email = (value or "").strip()
    if not email:
        return None
    local, at, domain = email.rpartition("@")
    if not (at and local and domain) or any(c.isspace() or not c.isprintable() for c in email):
        raise InvalidInput(f"holder_email {email[:60]!r} is not an email address (name@domain)")
    return email


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
) -> list[Ticket]:
    """Issue ``count`` signed tickets, never more than the type's capacity. ``order_ref``
    ties them to the order they were sold in, so staff can find them at the gate."""
    own_event(session, organizer_id, event_id)
    email, order = _holder_email(holder_email), _order_ref(order_ref)
    ticket_type = session.get(TicketType, type_id)
    if ticket_type is None or ticket_type.event_id != event_id:
        raise NotFound(f"ticket type {type_id} not found in event {event_id}")
    start, end = _seconds(valid_from, "valid_from"), _seconds(valid_until, "valid_until")
    if start is not None and end is not None and start >= end:
        raise InvalidInput("valid_from must be before valid_until")

    seqs = claim_changes(session, event_id, count)
    # Counted under the event lock just taken, so concurrent issuers cannot both fit.
    issued = session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.type_id == type_id, Ticket.revoked.is_(False))
    )
    if (issued or 0) + count > ticket_type.capacity:
        session.rollback()
        left = max(ticket_type.capacity - (issued or 0), 0)
        raise Conflict(f"only {left} tickets of type {type_id} are left")

    key = current_key(session, event_id)
    private_key = unseal(master_key, key.id, key.sealed_private_key)
    issued_at = now_s()
    tickets = []
    for seq in seqs:
        claims = TicketClaims(
            key_id=key.id,
            event_id=event_id,
            ticket_id=new_ticket_id(),
            type_id=type_id,
            issued_at=issued_at,
            valid_from=start,
            valid_until=end,
        )
        ticket = Ticket(
            ticket_ref=claims.ticket_ref,
            event_id=event_id,
            type_id=type_id,
            key_id=key.id,
            holder_name=holder_name.strip(),
            holder_email=email,
            order_ref=order,
            token=sign_ticket(claims, private_key),
            issued_at=issued_at,
            valid_from=start,
            valid_until=end,
            revoked=False,
            seq=seq,
        )
        session.add(ticket)
        tickets.append(ticket)
    session.commit()
    return tickets


def revoke_ticket(session: Session, organizer_id: int, ticket_ref: str) -> Ticket:
    ticket = session.scalar(
        select(Ticket)
        .join(Event, Event.id == Ticket.event_id)
        .where(Ticket.ticket_ref == ticket_ref, Event.organizer_id == organizer_id)
    )
    if ticket is None:
        raise NotFound(f"ticket {ticket_ref} not found")
    if ticket.revoked:
        return ticket
    (seq,) = claim_changes(session, ticket.event_id, 1)
    ticket.revoked = True
    ticket.seq = seq
    session.commit()
    return ticket
