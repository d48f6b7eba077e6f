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


def list_venues(session: Session, organizer_id: int) -> Sequence[Venue]:
    return session.scalars(
        select(Venue).where(Venue.organizer_id == organizer_id).order_by(Venue.id)
    ).all()


def own_venue(session: Session, organizer_id: int, venue_id: int) -> Venue:
    venue = session.get(Venue, venue_id)
    if venue is None or venue.organizer_id != organizer_id:
        raise NotFound(f"venue {venue_id} not found")
    return venue
