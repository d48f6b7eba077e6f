from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.errors import CloudError, Conflict, Forbidden, InvalidInput, NotFound
from cloud.events.models import Event, SigningKey, TicketType
from cloud.events.schemas import MAX_DESCRIPTION, MAX_ENTRIES_LIMIT
from cloud.events.signing import create_signing_key, current_key
from cloud.events.stock import set_capacity, set_currency
from cloud.media.images import prepare_image
from cloud.media.store import MediaStore, Rendition
from cloud.orgs.models import Organisation
from cloud.timestamps import stored_moment, to_unix
from cloud.venues.models import Venue
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
    description: str = "",
    published: bool = False,
    allow_giving: bool = True,
) -> tuple[Event, SigningKey]:
    """A new event, a draft unless ``published``: drafts can be set up, issued and synced to
    venues, but buyers neither see nor buy them."""
    own_venue(session, organizer_id, venue_id)
    if published:
        check_may_publish(session, organizer_id)
    start, end = _check_dates(to_unix(starts_at), to_unix(ends_at))
    now = now_s()
    event = Event(
        organizer_id=organizer_id,
        venue_id=venue_id,
        name=_check_event_name(name),
        starts_at=start,
        ends_at=end,
        last_seq=0,
        created_at=now,
        description=check_description(description),
        image=None,
        image_thumbnail=None,
        published_at=now if published else None,
        allow_giving=allow_giving,
    )
    session.add(event)
    session.flush()
    if event.id > _U32_MAX:
        raise CloudError("event ids are exhausted (they must fit in 32 bits)")
    key = create_signing_key(session, event.id, master_key)
    session.commit()
    return event, key


def _check_dates(start: int, end: int) -> tuple[int, int]:
    if not 0 <= start < end <= _U32_MAX:
        raise InvalidInput("starts_at must be before ends_at, both between 1970 and 2106")
    return start, end


def _check_event_name(name: str) -> str:
    if not name.strip():
        raise InvalidInput("an event needs a name")
    return name.strip()


def check_description(text: str) -> str:
    """Plain text as buyers will read it: line breaks kept, other control characters
    refused (pages escape it; it is never rendered as markup)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"a description may be at most {MAX_DESCRIPTION} characters")
    if any(not (c.isprintable() or c in "\n\t") for c in text):
        raise InvalidInput("a description must be plain text without control characters")
    return text


def update_event(
    session: Session, organizer_id: int, event_id: int, changes: dict[str, Any]
) -> Event:
    """Apply ``changes`` (name, starts_at, ends_at as datetimes, description,
    allow_giving)."""
    event = own_event(session, organizer_id, event_id)
    if "name" in changes:
        event.name = _check_event_name(changes["name"])
    if "description" in changes:
        event.description = check_description(changes["description"])
    if "allow_giving" in changes:
        event.allow_giving = bool(changes["allow_giving"])
    if "starts_at" in changes or "ends_at" in changes:
        start = to_unix(changes["starts_at"]) if "starts_at" in changes else event.starts_at
        end = to_unix(changes["ends_at"]) if "ends_at" in changes else event.ends_at
        event.starts_at, event.ends_at = _check_dates(start, end)
    session.commit()
    return event


def publish_event(session: Session, organizer_id: int, event_id: int, now: int) -> Event:
    """Buyers see the event and may buy it; publishing twice keeps the first moment. Refused
    while the organisation waits for approval, or the platform has hidden the event."""
    event = own_event(session, organizer_id, event_id)
    check_may_publish(session, organizer_id, event)
    if event.published_at is None:
        event.published_at = now
    session.commit()
    return event


def check_may_publish(session: Session, organizer_id: int, event: Event | None = None) -> None:
    org = session.get(Organisation, organizer_id)
    if org is not None and org.approved_at is None:
        session.rollback()
        raise Forbidden(
            "your organisation is waiting for approval by the platform's team; events can be "
            "prepared as drafts meanwhile and published once it is approved"
        )
    if event is not None and event.hidden_at is not None:
        reason = event.hidden_reason or ""
        session.rollback()
        raise Conflict(
            f"the platform's team took this event off sale: {reason}; it can be published "
            "again once they restore it"
        )


def unpublish_event(session: Session, organizer_id: int, event_id: int) -> Event:
    """Back to a draft: no new holds. Holds and orders already made are not touched, and
    tickets sold stay valid at the gates."""
    event = own_event(session, organizer_id, event_id)
    event.published_at = None
    session.commit()
    return event


def set_event_image(
    session: Session, organizer_id: int, event_id: int, data: bytes, store: MediaStore
) -> Event:
    """Check, re-encode and store an uploaded picture, then show it on the event. Earlier
    pictures stay stored: cached pages may still point at them."""
    own_event(session, organizer_id, event_id)
    # Decoding is slow: no transaction stays open meanwhile.
    session.rollback()
    renditions = prepare_image(data)
    image = store.put(renditions.image, renditions.content_type)
    thumbnail = store.put(renditions.thumbnail, renditions.content_type)
    store.put_renditions(
        image,
        [
            Rendition(size.width, store.put(size.data, renditions.content_type))
            for size in renditions.sizes
        ],
    )
    event = own_event(session, organizer_id, event_id)
    event.image, event.image_thumbnail = image, thumbnail
    session.commit()
    return event


def venue_name(session: Session, venue_id: int) -> str:
    venue = session.get(Venue, venue_id)
    return "" if venue is None else venue.name


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


def own_event_zone(session: Session, organizer_id: int, event_id: int) -> str:
    """The time zone of the organizer's event's venue: what its times are typed and shown in
    (NotFound for another organizer's event)."""
    event = own_event(session, organizer_id, event_id)
    return own_venue(session, organizer_id, event.venue_id).timezone


def rotate_key(session: Session, organizer_id: int, event_id: int, master_key: bytes) -> SigningKey:
    """A new signing key for the event: every ticket issued from now on carries it, and
    every ticket signed before stays valid, as venues and gates keep each key they were given
    (the manifest lists them all). Nothing is revoked; a leaked key calls for refunds too."""
    own_event(session, organizer_id, event_id)
    key = create_signing_key(session, event_id, master_key)
    session.commit()
    return key


@dataclass(frozen=True, slots=True)
class SaleTerms:
    """How a ticket type is sold; every field already in the units the database keeps."""

    price: int = 0
    currency: str = "EUR"
    sale_starts_at: int | None = None
    sale_ends_at: int | None = None
    per_order_limit: int = 10


def sale_window(
    starts_at: datetime | None, ends_at: datetime | None
) -> tuple[int | None, int | None]:
    start = stored_moment(starts_at, "sale_starts_at")
    end = stored_moment(ends_at, "sale_ends_at")
    _check_window(start, end)
    return start, end


def _check_window(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and start >= end:
        raise InvalidInput("sale_starts_at must be before sale_ends_at")


def _check_entries(max_entries: int) -> None:
    if not 0 <= max_entries <= MAX_ENTRIES_LIMIT:
        raise InvalidInput(
            f"max_entries must be between 0 (no limit) and {MAX_ENTRIES_LIMIT}, not {max_entries}"
        )


def _check_name(name: str) -> str:
    if not name.strip():
        raise InvalidInput("a ticket type needs a name")
    return name.strip()


def add_ticket_type(
    session: Session,
    organizer_id: int,
    event_id: int,
    name: str,
    capacity: int,
    *,
    max_entries: int = 1,
    reentry: bool = False,
    terms: SaleTerms | None = None,
) -> TicketType:
    """A new kind of ticket for the event. ``max_entries`` is how many admissions one ticket
    allows (0: no limit); with ``reentry`` a holder who went out comes back in for free."""
    own_event(session, organizer_id, event_id)
    _check_entries(max_entries)
    terms = terms or SaleTerms()
    _check_window(terms.sale_starts_at, terms.sale_ends_at)
    ticket_type = TicketType(
        event_id=event_id,
        name=_check_name(name),
        capacity=capacity,
        max_entries=max_entries,
        reentry=reentry,
        price=terms.price,
        currency=terms.currency,
        sale_starts_at=terms.sale_starts_at,
        sale_ends_at=terms.sale_ends_at,
        per_order_limit=terms.per_order_limit,
        held=0,
        sold=0,
    )
    session.add(ticket_type)
    session.commit()
    return ticket_type


def own_ticket_type(session: Session, organizer_id: int, event_id: int, type_id: int) -> TicketType:
    own_event(session, organizer_id, event_id)
    ticket_type = session.get(TicketType, type_id)
    if ticket_type is None or ticket_type.event_id != event_id:
        raise NotFound(f"ticket type {type_id} not found in event {event_id}")
    return ticket_type


def update_ticket_type(
    session: Session,
    organizer_id: int,
    event_id: int,
    type_id: int,
    changes: dict[str, Any],
) -> TicketType:
    """Apply ``changes`` (column name to new value, already in database units). A capacity
    below what is sold and held is refused; the stock counters are never written here."""
    ticket_type = own_ticket_type(session, organizer_id, event_id, type_id)
    if "name" in changes:
        changes["name"] = _check_name(changes["name"])
    if "max_entries" in changes:
        _check_entries(changes["max_entries"])
    _check_window(
        changes.get("sale_starts_at", ticket_type.sale_starts_at),
        changes.get("sale_ends_at", ticket_type.sale_ends_at),
    )
    capacity = changes.pop("capacity", None)
    if capacity is not None and not set_capacity(session, type_id, capacity):
        session.rollback()
        session.refresh(ticket_type)
        raise Conflict(
            f"capacity cannot go below the {ticket_type.sold} sold and {ticket_type.held} "
            f"held tickets of {ticket_type.name!r}; wait for holds to expire or cancel orders"
        )
    currency = changes.pop("currency", None)
    if (
        currency is not None
        and currency != ticket_type.currency
        and not set_currency(session, type_id, currency)
    ):
        session.rollback()
        raise Conflict(
            f"the currency of {ticket_type.name!r} cannot change once tickets are held or "
            "sold; add a ticket type in the new currency instead"
        )
    for column, value in changes.items():
        setattr(ticket_type, column, value)
    session.commit()
    session.refresh(ticket_type)
    return ticket_type


def ticket_types(session: Session, event_id: int) -> Sequence[TicketType]:
    return session.scalars(
        select(TicketType).where(TicketType.event_id == event_id).order_by(TicketType.id)
    ).all()


def on_sale(ticket_type: TicketType, now: int) -> bool:
    """Whether buyers may hold this type at ``now`` (its sale window, if any, is open)."""
    return sale_open(ticket_type.sale_starts_at, ticket_type.sale_ends_at, now)


def sale_open(starts_at: int | None, ends_at: int | None, now: int) -> bool:
    started = starts_at is None or starts_at <= now
    ended = ends_at is not None and ends_at <= now
    return started and not ended


def events_at_venue(session: Session, venue_id: int) -> Sequence[Event]:
    return session.scalars(select(Event).where(Event.venue_id == venue_id).order_by(Event.id)).all()
