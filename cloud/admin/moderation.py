"""Event moderation: a platform admin takes an event off sale with a reason, which its
organisation's owners and managers are emailed and see on the event; only an admin can
restore it. Hiding unpublishes the event at once (no new holds, gone from the shop); holds,
orders and tickets already made are not touched, so people who bought still get in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from cloud.audit.actions import Action
from cloud.audit.log import record
from cloud.errors import InvalidInput, NotFound
from cloud.events.models import Event, TicketType
from cloud.notifications.outbox import enqueue_email
from cloud.orgs.models import Membership, Organisation, Role
from cloud.users.models import User
from cloud.venues.models import Venue

MAX_REASON = 500


class EventState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    HIDDEN = "hidden"


def event_state(event: Event) -> EventState:
    if event.hidden_at is not None:
        return EventState.HIDDEN
    return EventState.DRAFT if event.published_at is None else EventState.PUBLISHED


@dataclass(frozen=True, slots=True)
class ModeratedEvent:
    event: Event
    org_name: str
    venue_name: str
    sold: int
    # The venue's time zone, which the event's times are shown in.
    timezone: str = "UTC"

    @property
    def state(self) -> EventState:
        return event_state(self.event)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _rows(
    session: Session, *conditions: ColumnElement[bool], limit: int = 1, offset: int = 0
) -> list[ModeratedEvent]:
    sold = (
        select(func.coalesce(func.sum(TicketType.sold), 0))
        .where(TicketType.event_id == Event.id)
        .scalar_subquery()
    )
    statement = (
        select(Event, Organisation.name, Venue.name, sold, Venue.timezone)
        .join(Organisation, Organisation.id == Event.organizer_id)
        .join(Venue, Venue.id == Event.venue_id)
        .where(*conditions)
        .order_by(Event.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        ModeratedEvent(event, org, venue, int(count or 0), zone)
        for event, org, venue, count, zone in session.execute(statement).all()
    ]


def list_events(
    session: Session,
    *,
    query: str | None,
    state: EventState | None,
    limit: int,
    offset: int,
) -> list[ModeratedEvent]:
    """Every organisation's events, newest first, with tickets sold."""
    conditions: list[ColumnElement[bool]] = []
    if query and query.strip():
        pattern = f"%{_escape_like(query.strip().lower())}%"
        conditions.append(
            or_(
                func.lower(Event.name).like(pattern, escape="\\"),
                func.lower(Organisation.name).like(pattern, escape="\\"),
                func.lower(Venue.name).like(pattern, escape="\\"),
            )
        )
    if state == EventState.HIDDEN:
        conditions.append(Event.hidden_at.is_not(None))
    elif state == EventState.PUBLISHED:
        conditions += [Event.hidden_at.is_(None), Event.published_at.is_not(None)]
    elif state == EventState.DRAFT:
        conditions += [Event.hidden_at.is_(None), Event.published_at.is_(None)]
    return _rows(session, *conditions, limit=limit, offset=offset)


def one_event(session: Session, event_id: int) -> ModeratedEvent:
    found = _rows(session, Event.id == event_id)
    if not found:
        raise NotFound("no such event")
    return found[0]


def check_reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise InvalidInput("say why the event is hidden; the organizer is shown the reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"a reason may be at most {MAX_REASON} characters")
    if not text.isprintable():
        raise InvalidInput("a reason must be plain text")
    return text


def hide_event(session: Session, event_id: int, reason: str, now: int, public_url: str) -> Event:
    """Take the event off sale with ``reason``; hiding a hidden event changes nothing."""
    text = check_reason(reason)
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("no such event")
    if event.hidden_at is not None:
        session.commit()
        return event
    event.hidden_at = now
    event.hidden_reason = text
    event.published_at = None
    record(
        session,
        Action.EVENT_HIDDEN,
        f"event {event.id} {event.name!r} hidden: {text}",
        target=("event", event.id),
        org_id=event.organizer_id,
        detail={"reason": text},
        now=now,
    )
    _tell_organisation(session, event, "event_hidden", public_url, reason=text)
    session.commit()
    return event


def restore_event(session: Session, event_id: int, now: int, public_url: str) -> Event:
    """Lift the moderation: the organisation may publish the event again (it stays a draft
    until they do). Restoring an event that is not hidden changes nothing."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("no such event")
    if event.hidden_at is None:
        session.commit()
        return event
    event.hidden_at = None
    event.hidden_reason = None
    record(
        session,
        Action.EVENT_RESTORED,
        f"event {event.id} {event.name!r} restored; its organizer may publish it again",
        target=("event", event.id),
        org_id=event.organizer_id,
        now=now,
    )
    _tell_organisation(session, event, "event_restored", public_url)
    session.commit()
    return event


def _tell_organisation(
    session: Session, event: Event, template: str, public_url: str, **extra: str
) -> None:
    """Email the organisation's owners and managers, who can act on the event."""
    org = session.get(Organisation, event.organizer_id)
    people = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.org_id == event.organizer_id,
            Membership.role.in_([Role.OWNER.value, Role.MANAGER.value]),
            User.suspended_at.is_(None),
        )
        .order_by(User.id)
    ).all()
    url = f"{public_url.rstrip('/')}/organizer/orgs/{event.organizer_id}/events/{event.id}"
    for person in people:
        enqueue_email(
            session,
            to=person.email,
            template=template,
            context={
                "name": person.name,
                "organisation": org.name if org is not None else "",
                "event_name": event.name,
                "event_url": url,
                **extra,
            },
        )
