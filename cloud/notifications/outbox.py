"""The outbox table's operations: add a message (an email or a text message) in the
caller's transaction, claim due ones, record how sending went, list what waits or died,
and give a dead one another chance."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from cloud.addresses import email_address
from cloud.audit.actions import Action
from cloud.audit.log import record
from cloud.clock import now_s
from cloud.db import InsertOrSkip
from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.notifications.kinds import KINDS
from cloud.notifications.models import Channel, OutboxMessage, OutboxStatus
from cloud.notifications.phones import is_phone
from cloud.timestamps import to_datetime

MAX_ERROR_CHARS = 1000


def enqueue_email(
    session: Session,
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    idempotency_key: str | None = None,
    batch: str | None = None,
) -> None:
    """Queue an email in ``session``'s transaction: it is sent only if that transaction
    commits. With an ``idempotency_key`` the first message queued under it wins and later
    ones (a retried request, a replayed webhook) are dropped, even from concurrent
    transactions. Mistakes a retry cannot fix are refused here, not in the worker."""
    _check(Channel.EMAIL, to, template, context)
    _insert(
        session,
        Channel.EMAIL,
        to=to,
        template=template,
        context=context,
        key=idempotency_key,
        batch=batch,
    )


def enqueue_text(
    session: Session,
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    idempotency_key: str | None = None,
    batch: str | None = None,
) -> None:
    """Queue a text message (SMS) to the E.164 number ``to``, like ``enqueue_email``."""
    _check(Channel.SMS, to, template, context)
    _insert(
        session,
        Channel.SMS,
        to=to,
        template=template,
        context=context,
        key=idempotency_key,
        batch=batch,
    )


def enqueue_many(
    session: Session,
    channel: str,
    *,
    recipients: list[str],
    template: str,
    context: dict[str, Any],
    batch: str,
) -> int:
    """Queue the same message to each of ``recipients`` in one statement, as copies of
    ``batch`` (each keyed by it, so queueing the batch twice adds nothing). Every recipient
    is checked first: one bad address refuses the whole batch. Returns how many were
    queued."""
    for to in recipients:
        _check(channel, to, template, context)
    if not recipients:
        return 0
    now = now_s()
    rows = [
        {
            "id": str(uuid.uuid4()),
            "channel": channel,
            "recipient": to,
            "template": template,
            "context": context,
            "idempotency_key": f"{batch}:{_digest(channel, to)}",
            "status": OutboxStatus.QUEUED,
            "attempts": 0,
            "next_attempt_at": 0,
            "created_at": now,
            "batch": batch,
        }
        for to in recipients
    ]
    session.execute(insert(OutboxMessage), rows)
    return len(rows)


def _insert(
    session: Session,
    channel: str,
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    key: str | None,
    batch: str | None,
) -> None:
    values = {
        "id": str(uuid.uuid4()),
        "channel": channel,
        "recipient": to,
        "template": template,
        "context": context,
        "idempotency_key": key,
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": 0,
        "created_at": now_s(),
        "batch": batch,
    }
    connection = session.connection()
    connection.execute(_ENQUEUE.on(connection), values)


# Built once (every checkout queues a confirmation): the first message under an idempotency
# key wins.
_ENQUEUE = InsertOrSkip(OutboxMessage.__table__, ["idempotency_key"])


def _digest(channel: str, to: str) -> str:
    # Keys stay short whatever the address's length.
    return hashlib.sha256(f"{channel}:{to}".encode()).hexdigest()[:40]


def is_deliverable(channel: str, to: str) -> bool:
    """Whether ``to`` is an address (or number) the channel can send to at all."""
    if channel == Channel.SMS:
        return is_phone(to)
    try:
        email_address(to, "recipient")
    except InvalidInput:
        return False
    return True


def _check(channel: str, to: str, template: str, context: dict[str, Any]) -> None:
    kind = KINDS.get(template)
    if kind is None:
        raise InvalidInput(f"no message template {template!r}; known: {', '.join(sorted(KINDS))}")
    if channel not in kind.channels:
        raise InvalidInput(f"{template!r} messages are not sent by {channel}")
    missing = [name for name in kind.required if name not in context]
    if missing:
        raise InvalidInput(f"the {template} message needs {', '.join(missing)} in its context")
    if channel == Channel.SMS:
        if not is_phone(to):
            raise InvalidInput(f"{to!r} is not a mobile number in international form (+49...)")
    else:
        email_address(to, "recipient")
    try:
        json.dumps(context)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"a message context must be plain JSON values: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message one worker holds for ``lease_s`` seconds while it sends it."""

    id: str
    recipient: str
    template: str
    context: dict[str, Any]
    attempts: int
    channel: str = Channel.EMAIL


def claim_next(
    session: Session, *, now: int, lease_s: int, channel: str = Channel.EMAIL
) -> Claimed | None:
    """Take the oldest due message of ``channel`` and push it ``lease_s`` ahead, counting
    the attempt, then commit: no transaction stays open while it is sent. PostgreSQL skips
    rows another worker is claiming (``FOR UPDATE SKIP LOCKED``); SQLite serialises claims
    through its write lock (``BEGIN IMMEDIATE``, see ``cloud.db``)."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.channel == channel,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = session.scalars(query).first()
    if row is None:
        session.rollback()
        return None
    row.attempts += 1
    row.next_attempt_at = now + lease_s
    claimed = Claimed(
        row.id, row.recipient, row.template, dict(row.context), row.attempts, row.channel
    )
    session.commit()
    return claimed


def mark_sent(session: Session, message_id: str, *, now: int) -> None:
    _set(session, message_id, status=OutboxStatus.SENT, sent_at=now, last_error=None)


def mark_retry(session: Session, message_id: str, *, error: str, at: int) -> None:
    _set(session, message_id, next_attempt_at=at, last_error=error[:MAX_ERROR_CHARS])


def mark_dead(session: Session, message_id: str, *, error: str) -> None:
    _set(session, message_id, status=OutboxStatus.DEAD, last_error=error[:MAX_ERROR_CHARS])


def _set(session: Session, message_id: str, **values: Any) -> None:
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    session.commit()


def waiting(
    session: Session, *, dead: bool = False, limit: int = 200, offset: int = 0
) -> list[OutboxMessage]:
    """Queued messages in the order they will go, or dead ones, newest first."""
    if dead:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.DEAD)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
        )
    else:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.created_at)
        )
    return list(session.scalars(query.limit(limit).offset(offset)))


def retry_dead(session: Session, message_id: str, now: int) -> OutboxMessage:
    """Queue a dead message again, due at once and with every attempt of the retry policy
    ahead of it (after its cause was fixed: a mailbox restored, a number corrected at the
    provider). Only dead messages can be retried; the retry is audited."""
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    ).first()
    if message is None:
        session.rollback()
        raise NotFound("no such message")
    if message.status != OutboxStatus.DEAD:
        session.rollback()
        raise Conflict(f"only dead messages can be retried; this one is {message.status}")
    message.status = OutboxStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = now
    record(
        session,
        Action.MESSAGE_RETRIED,
        f"dead {message.channel} message {message.template} to {message.recipient} queued again",
        target=("message", message.id),
        detail={"last_error": (message.last_error or "")[:200]},
        now=now,
    )
    session.commit()
    return message


@dataclass(frozen=True, slots=True)
class Progress:
    """How far the copies of one batch (a holder message) have gone."""

    queued: int = 0
    sent: int = 0
    dead: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.dead

    @property
    def done(self) -> bool:
        return self.queued == 0

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else round(100 * (self.sent + self.dead) / self.total)


def progress(session: Session, batches: list[str]) -> dict[str, Progress]:
    if not batches:
        return {}
    rows = session.execute(
        select(OutboxMessage.batch, OutboxMessage.status, func.count())
        .where(OutboxMessage.batch.in_(batches))
        .group_by(OutboxMessage.batch, OutboxMessage.status)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for batch, status, number in rows:
        if batch is not None:
            counts.setdefault(batch, {})[status] = int(number)
    return {
        batch: Progress(
            queued=found.get(OutboxStatus.QUEUED, 0),
            sent=found.get(OutboxStatus.SENT, 0),
            dead=found.get(OutboxStatus.DEAD, 0),
        )
        for batch, found in counts.items()
    }


def status_counts(session: Session) -> dict[tuple[str, str], int]:
    """How many messages there are per (channel, status)."""
    rows = session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
            OutboxMessage.channel, OutboxMessage.status
        )
    ).all()
    return {(channel, status): int(number) for channel, status, number in rows}


def table(rows: list[OutboxMessage]) -> str:
    """The rows as aligned columns for a terminal, one message a line."""
    header = ("ID", "CHANNEL", "TO", "TEMPLATE", "ATTEMPTS", "NEXT ATTEMPT (UTC)", "LAST ERROR")
    lines = [header] + [
        (
            row.id,
            row.channel,
            row.recipient,
            row.template,
            str(row.attempts),
            "-" if row.status == OutboxStatus.DEAD else _when(row.next_attempt_at),
            " ".join((row.last_error or "-").split()),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(line, widths, strict=False)), line[-1]])
        for line in lines
    )


def _when(seconds: int) -> str:
    return "now" if seconds == 0 else to_datetime(seconds).strftime("%Y-%m-%d %H:%M:%S")
