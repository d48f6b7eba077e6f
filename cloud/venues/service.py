from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cloud.audit.actions import Action
from cloud.audit.log import record
from cloud.clock import now_s
from cloud.errors import InvalidInput, NotFound
from cloud.venues import zones
from cloud.venues.keys import digest, new_api_key
from cloud.venues.models import Venue


def register_venue(
    session: Session, organizer_id: int, name: str, timezone: str = zones.DEFAULT
) -> tuple[Venue, str]:
    """The new venue and its API key, which is never retrievable again."""
    timezone = zones.checked(timezone)
    api_key = new_api_key()
    venue = Venue(
        organizer_id=organizer_id,
        name=name.strip(),
        timezone=timezone,
        api_key_hash=digest(api_key),
        created_at=now_s(),
    )
    session.add(venue)
    session.flush()
    record(
        session,
        Action.VENUE_KEY_CREATED,
        f"venue {venue.name!r} registered; its API key was shown once",
        target=("venue", venue.id),
        org_id=organizer_id,
    )
    session.commit()
    return venue, api_key


# How precisely a venue's last call is kept: a write a minute at most, not one per request.
SEEN_RESOLUTION_S = 60


def mark_seen(session: Session, venue: Venue, now: int) -> None:
    """Note that the venue's server called now (for the admins' list of venue servers)."""
    if venue.last_seen_at is not None and now - venue.last_seen_at < SEEN_RESOLUTION_S:
        return
    session.execute(update(Venue).where(Venue.id == venue.id).values(last_seen_at=now))
    session.commit()
    # The loaded row says so too, without counting as a change to write again.
    set_committed_value(venue, "last_seen_at", now)


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
    record(
        session,
        Action.VENUE_KEY_ROTATED,
        f"venue {venue.name!r} got a new API key; the old one stopped working",
        target=("venue", venue.id),
        org_id=organizer_id,
    )
    session.commit()
    return venue, api_key


def update_venue(
    session: Session,
    organizer_id: int,
    venue_id: int,
    *,
    name: str | None = None,
    timezone: str | None = None,
) -> Venue:
    """Rename the venue or change its time zone. Its events keep their moments: an event at
    19:00 UTC stays at 19:00 UTC and is shown in the new zone's time."""
    if name is not None and not name.strip():
        raise InvalidInput("a venue needs a name")
    checked_zone = None if timezone is None else zones.checked(timezone)
    venue = own_venue(session, organizer_id, venue_id)
    if name is not None:
        venue.name = name.strip()
    if checked_zone is not None:
        venue.timezone = checked_zone
    session.commit()
    return venue


def list_venues(session: Session, organizer_id: int) -> Sequence[Venue]:
    return session.scalars(
        select(Venue).where(Venue.organizer_id == organizer_id).order_by(Venue.id)
    ).all()


def own_venue(session: Session, organizer_id: int, venue_id: int) -> Venue:
    venue = session.get(Venue, venue_id)
    if venue is None or venue.organizer_id != organizer_id:
        raise NotFound(f"venue {venue_id} not found")
    return venue
