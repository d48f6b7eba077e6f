"""An organizer's message to every ticket holder of an event: by email to every buyer of a
paid order and every holder of a live ticket with an address, and optionally by text to
buyers whose account has a confirmed mobile number. Each address and number gets one copy,
however many tickets it holds; every copy is queued in the transaction that records the
message, and sending the same form twice (same key) queues nothing the second time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.audit.actions import Action
from cloud.audit.log import record
from cloud.errors import InvalidInput
from cloud.events.models import Event
from cloud.events.service import own_event
from cloud.notifications.models import Channel, HolderMessage
from cloud.notifications.outbox import Progress, enqueue_many, is_deliverable, progress
from cloud.orders.models import Order, OrderStatus
from cloud.orgs.models import Organisation
from cloud.tickets.models import Ticket
from cloud.users.models import User

MAX_SUBJECT = 200
MAX_BODY = 5000
TEMPLATE = "organizer_message"


@dataclass(frozen=True, slots=True)
class Recipients:
    emails: list[str]
    phones: list[str]
    # Addresses on tickets that no message can reach (typed in wrong when issued).
    unreachable: int = 0


def recipients(session: Session, event_id: int) -> Recipients:
    """Who a message to the event's ticket holders reaches, each once, in a stable order."""
    buyers = session.scalars(
        select(Order.buyer_email).where(
            Order.event_id == event_id, Order.status == OrderStatus.PAID
        )
    ).all()
    holders = session.scalars(
        select(Ticket.holder_email).where(
            Ticket.event_id == event_id,
            Ticket.revoked.is_(False),
            Ticket.holder_email.is_not(None),
        )
    ).all()
    found = {address.strip().lower() for address in [*buyers, *holders] if address}
    emails = {address for address in found if is_deliverable(Channel.EMAIL, address)}
    phones = session.scalars(
        select(User.phone)
        .join(Order, Order.user_id == User.id)
        .where(
            Order.event_id == event_id,
            Order.status == OrderStatus.PAID,
            User.phone.is_not(None),
            User.phone_verified_at.is_not(None),
            User.suspended_at.is_(None),
        )
        .distinct()
    ).all()
    return Recipients(
        sorted(emails), sorted({phone for phone in phones if phone}), len(found) - len(emails)
    )


def check_text(subject: str, body: str) -> tuple[str, str]:
    subject = " ".join(subject.split())
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not subject:
        raise InvalidInput("a message needs a subject")
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(f"a subject may be at most {MAX_SUBJECT} characters")
    if not body:
        raise InvalidInput("a message needs a text")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"a message may be at most {MAX_BODY} characters")
    if any(not (c.isprintable() or c in "\n\t") for c in body) or not subject.isprintable():
        raise InvalidInput("a message must be plain text without control characters")
    return subject, body


def check_key(key: str | None) -> str:
    """The form's or client's key for this message (a UUID), or a new one."""
    if key is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(key))
    except ValueError:
        raise InvalidInput("the message key must be a UUID") from None


@dataclass(frozen=True, slots=True)
class Sent:
    message: HolderMessage
    # False when this key was sent before: nothing was queued again.
    new: bool


def message_holders(
    session: Session,
    org_id: int,
    event_id: int,
    sender_id: int,
    *,
    subject: str,
    body: str,
    texts: bool,
    key: str | None,
    now: int,
) -> Sent:
    event = own_event(session, org_id, event_id)
    subject, body = check_text(subject, body)
    message_id = check_key(key)
    # The event row's lock makes two sends of one key wait for each other. NO KEY UPDATE, the
    # mode an UPDATE takes: sales of the event, whose new rows only check that the event
    # exists (KEY SHARE), go on while the copies are queued.
    session.execute(select(Event.id).where(Event.id == event_id).with_for_update(key_share=True))
    earlier = session.get(HolderMessage, message_id)
    if earlier is not None:
        session.commit()
        if earlier.event_id != event_id:
            raise InvalidInput("this message key belongs to another event")
        return Sent(earlier, new=False)
    org = session.get(Organisation, org_id)
    context = {
        "organizer_name": org.name if org is not None else "",
        "event_name": event.name,
        "subject": subject,
        "body": body,
    }
    reach = recipients(session, event_id)
    emails = enqueue_many(
        session,
        Channel.EMAIL,
        recipients=reach.emails,
        template=TEMPLATE,
        context=context,
        batch=message_id,
    )
    sent_texts = 0
    if texts:
        sent_texts = enqueue_many(
            session,
            Channel.SMS,
            recipients=reach.phones,
            template=TEMPLATE,
            context=context,
            batch=message_id,
        )
    message = HolderMessage(
        id=message_id,
        event_id=event_id,
        sender_id=sender_id,
        subject=subject,
        body=body,
        emails=emails,
        texts=sent_texts,
        created_at=now,
    )
    session.add(message)
    record(
        session,
        Action.HOLDERS_MESSAGED,
        f"message {subject!r} to the ticket holders of event {event_id} {event.name!r}: "
        f"{emails} emails, {sent_texts} texts",
        target=("event", event_id),
        org_id=org_id,
        detail={"message_id": message_id, "emails": emails, "texts": sent_texts},
        now=now,
    )
    session.commit()
    return Sent(message, new=True)


def sent_messages(
    session: Session, org_id: int, event_id: int, limit: int = 50
) -> list[tuple[HolderMessage, Progress]]:
    """The event's messages, newest first, with how far their copies have gone."""
    own_event(session, org_id, event_id)
    rows = list(
        session.scalars(
            select(HolderMessage)
            .where(HolderMessage.event_id == event_id)
            .order_by(HolderMessage.created_at.desc(), HolderMessage.id)
            .limit(limit)
        )
    )
    done = progress(session, [row.id for row in rows])
    return [(row, done.get(row.id, Progress())) for row in rows]
