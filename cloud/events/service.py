from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.errors import CloudError, InvalidInput, NotFound
from cloud.events.models import Event, SigningKey, TicketType
from cloud.events.schemas import MAX_ENTRIES_LIMIT
from cloud.events.signing import create_signing_key, current_key
from cloud.timestamps import to_unix
from cloud.venues.service import own_venue

_U32_MAX = 2**32 - 1


def create_event(
    session: Session,
    organizer_id: int,
    master_key: bytes,
    *,
    name: str,
    venue_id: int,
    starts_at: datetime,
    ends_at: datetime,
) -> tuple[Event, SigningKey]:
    own_venue(session, organizer_id, venue_id)
    start, end = to_unix(starts_at), to_unix(ends_at)
    if not 0 <= start < end <= _U32_MAX:
        raise InvalidInput("starts_at must be before ends_at, both between 1970 and 2106")
    event = Event(
        organizer_id=organizer_id,
        venue_id=venue_id,
        name=name.strip(),
        starts_at=start,
        ends_at=end,
        last_seq=0,
        created_at=now_s(),
    )
    session.add(event)
    session.flush()
    if event.id > _U32_MAX:
        raise CloudError("event ids are exhausted (they must fit in 32 bits)")
    key = create_signing_key(session, event.id, master_key)
    session.commit()
    return event, key


def list_events(session: Session, organizer_id: int) -> list[tuple[Event, int]]:
    events = session.scalars(
        select(Event).where(Event.organizer_id == organizer_id).order_by(Event.id)
    ).all()
    return [(event, current_key(session, event.id).id) for event in events]


def own_event(session: Session, organizer_id: int, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None or event.organizer_id != organizer_id:
        raise NotFound(f"event {event_id} not found")
    return event


def add_ticket_type(
    session: Session,
    organizer_id: int,
    event_id: int,
    name: str,
    capacity: int,
    *,
    max_entries: int = 1,
    reentry: bool = False,
) -> TicketType:
    """A new kind of ticket for the event. ``max_entries`` is how many admissions one ticket
    allows (0: no limit); with ``reentry`` a holder who went out comes back in for free."""
    own_event(session, organizer_id, event_id)
    if not 0 <= max_entries <= MAX_ENTRIES_LIMIT:
        raise InvalidInput(
            f"max_entries must be between 0 (no limit) and {MAX_ENTRIES_LIMIT}, not {max_entries}"
        )
    if not name.strip():
        raise InvalidInput("a ticket type needs a name")
    ticket_type = TicketType(
        event_id=event_id,
        name=name.strip(),
        capacity=capacity,
        max_entries=max_entries,
        reentry=reentry,
    )
    session.add(ticket_type)
    session.commit()
    return ticket_type


def events_at_venue(session: Session, venue_id: int) -> Sequence[Event]:
    return session.scalars(select(Event).where(Event.venue_id == venue_id).order_by(Event.id)).all()
