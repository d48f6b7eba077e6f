from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.errors import NotFound
from cloud.venues.keys import digest, new_api_key
from cloud.venues.models import Venue


def register_venue(session: Session, organizer_id: int, name: str) -> tuple[Venue, str]:
    """The new venue and its API key, which is never retrievable again."""
    api_key = new_api_key()
    venue = Venue(
        organizer_id=organizer_id,
        name=name.strip(),
        api_key_hash=digest(api_key),
        created_at=now_s(),
    )
    session.add(venue)
    session.commit()
    return venue, api_key


def rotate_key(session: Session, organizer_id: int, venue_id: int) -> tuple[Venue, str]:
    """Give the venue a new API key, shown only now; the old one stops working with this
    commit (every venue request looks its key up anew). The venue server must be paired
    again with the new key."""
    # Locked, so of two rotations at once the second waits and its key is the one that works.
    venue = session.get(Venue, venue_id, with_for_update=True)
    if venue is None or venue.organizer_id != organizer_id:
        session.rollback()
        raise NotFound(f"venue {venue_id} not found")
    api_key = new_api_key()
    venue.api_key_hash = digest(api_key)
    session.commit()
    return venue, api_key


def list_venues(session: Session, organizer_id: int) -> Sequence[Venue]:
    return session.scalars(
        select(Venue).where(Venue.organizer_id == organizer_id).order_by(Venue.id)
    ).all()


def own_venue(session: Session, organizer_id: int, venue_id: int) -> Venue:
    venue = session.get(Venue, venue_id)
    if venue is None or venue.organizer_id != organizer_id:
        raise NotFound(f"venue {venue_id} not found")
    return venue
