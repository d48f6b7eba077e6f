"""The outbox table's operations: add a message in the caller's transaction, claim due ones,
record how sending went, list what waits or died."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cloud.addresses import email_address
from cloud.clock import now_s
from cloud.errors import InvalidInput
from cloud.notifications.kinds import KINDS
from cloud.notifications.models import OutboxMessage, OutboxStatus
from cloud.timestamps import to_datetime

MAX_ERROR_CHARS = 1000


def enqueue_email(
    session: Session,
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    idempotency_key: str | None = None,
) -> None:
    """Queue an email in ``session``'s transaction: it is sent only if that transaction
    commits. With an ``idempotency_key`` the first message queued under it wins and later
    ones (a retried request, a replayed webhook) are dropped, even from concurrent
    transactions. Mistakes a retry cannot fix are refused here, not in the worker."""
    _check(to, template, context)
    values = {
        "id": str(uuid.uuid4()),
        "recipient": to,
        "template": template,
        "context": context,
        "idempotency_key": idempotency_key,
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": 0,
        "created_at": now_s(),
    }
    connection = session.connection()
    connection.execute(_ENQUEUE[connection.dialect.name == "sqlite"], values)


# Built once per dialect (every checkout queues a confirmation): the first message under an
# idempotency key wins.
_ENQUEUE = {
    embedded: dialect.insert(OutboxMessage.__table__).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )
    for embedded, dialect in ((True, sqlite), (False, postgresql))
}


def _check(to: str, template: str, context: dict[str, Any]) -> None:
    kind = KINDS.get(template)
    if kind is None:
        raise InvalidInput(f"no email template {template!r}; known: {', '.join(sorted(KINDS))}")
    missing = [name for name in kind.required if name not in context]
    if missing:
        raise InvalidInput(f"the {template} email needs {', '.join(missing)} in its context")
    email_address(to, "recipient")
    try:
        json.dumps(context)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"an email context must be plain JSON values: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message one worker holds for ``lease_s`` seconds while it sends it."""

    id: str
    recipient: str
    template: str
    context: dict[str, Any]
    attempts: int


def claim_next(session: Session, *, now: int, lease_s: int) -> Claimed | None:
    """Take the oldest due message and push it ``lease_s`` ahead, counting the attempt, then
    commit: no transaction stays open during the SMTP exchange. PostgreSQL skips rows another
    worker is claiming (``FOR UPDATE SKIP LOCKED``); SQLite serialises claims through its
    write lock (``BEGIN IMMEDIATE``, see ``cloud.db``)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
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
    claimed = Claimed(row.id, row.recipient, row.template, dict(row.context), row.attempts)
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


def waiting(session: Session, *, dead: bool = False, limit: int = 200) -> list[OutboxMessage]:
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
    return list(session.scalars(query.limit(limit)))


def table(rows: list[OutboxMessage]) -> str:
    """The rows as aligned columns for a terminal, one message a line."""
    header = ("ID", "TO", "TEMPLATE", "ATTEMPTS", "NEXT ATTEMPT (UTC)", "LAST ERROR")
    lines = [header] + [
        (
            row.id,
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
