"""Manifest pages for a venue: its events, their public keys, and ticket changes in order."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.events.models import TicketType
from cloud.events.service import events_at_venue
from cloud.events.signing import public_entries
from cloud.sync.cursor import decode_cursor, encode_cursor
from cloud.tickets.changes import number_changes
from cloud.tickets.models import Ticket
from cloud.venues.models import Venue
from shared.messages import EventEntry, ManifestPage, TicketEntry


def manifest_page(session: Session, venue: Venue, cursor: str | None, limit: int) -> ManifestPage:
    """Up to ``limit`` ticket changes after ``cursor``, event by event in change order.

    Each event is read independently, after its committed changes are numbered in commit
    order (``cloud.tickets.changes``), so "everything after N" never skips a late commit.
    """
    seen = decode_cursor(cursor)
    events = events_at_venue(session, venue.id)
    for event in events:
        if number_changes(session, event.id):
            # Each event's counter stays locked only for its own numbering.
            session.commit()
    positions = {event.id: seen.get(event.id, 0) for event in events}
    tickets: list[TicketEntry] = []
    for event in events:
        budget = limit - len(tickets)
        if budget <= 0:
            break
        rows = session.execute(
            select(Ticket, TicketType)
            .join(TicketType, TicketType.id == Ticket.type_id)
            .where(Ticket.event_id == event.id, Ticket.seq > positions[event.id])
            .order_by(Ticket.seq)
            .limit(budget)
        ).all()
        tickets.extend(ticket_entry(ticket, ticket_type) for ticket, ticket_type in rows)
        if rows:
            positions[event.id] = rows[-1][0].seq
    remaining = 0
    for event in events:
        remaining += (
            session.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.event_id == event.id, Ticket.seq > positions[event.id])
            )
            or 0
        )
    session.rollback()
    return ManifestPage(
        next_cursor=encode_cursor(positions),
        has_more=remaining > 0,
        remaining=remaining,
        events=[
            EventEntry(
                event_id=event.id,
                name=event.name,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                venue_name=venue.name,
            )
            for event in events
        ],
        keys=public_entries(session, positions),
        tickets=tickets,
    )


def ticket_entry(ticket: Ticket, ticket_type: TicketType) -> TicketEntry:
    """What a gate needs of one ticket: to decide (type limits, validity, revocation) and to
    find it by name, email or order number when the holder's phone is dead."""
    return TicketEntry(
        ticket_id=ticket.ticket_ref,
        event_id=ticket.event_id,
        type_id=ticket.type_id,
        type_name=ticket_type.name,
        holder_name=ticket.holder_name,
        holder_email=ticket.holder_email or "",
        order_ref=ticket.order_ref or "",
        revoked=ticket.revoked,
        max_entries=ticket_type.max_entries,
        reentry=ticket_type.reentry,
        valid_from=ticket.valid_from,
        valid_until=ticket.valid_until,
    )
