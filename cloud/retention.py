"""What the cloud stops keeping, and when: the worker's clean-up.

Credentials that can no longer be used are deleted once they expire (web sessions, API
refresh tokens, email links). Sent emails and texts hold ticket codes and single-use links,
so the transactional ones go some days after they were sent, and the dead ones (which an
admin may still send again) some time later; the copies of an organizer's message to ticket
holders stay, as they count that message's progress and hold nothing secret. Holds that
expired without a checkout go too (a checked-out hold stays with its order).

Every deletion runs in batches of :data:`BATCH` rows, each in its own short transaction, so
the clean-up never holds locks long during a sale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.notifications.models import OutboxMessage, OutboxStatus
from cloud.orders.models import Hold, HoldItem, HoldState
from cloud.users.models import AccountToken, RefreshToken, WebSession

BATCH = 1000
DAY_S = 86_400
# How long a sent message is kept (a buyer who lost the email may ask support within days),
# and a dead one (an admin may send it again once the cause is fixed).
SENT_MESSAGE_DAYS = 30
DEAD_MESSAGE_DAYS = 90
# How long a hold that expired unpaid stays, for questions about an on-sale.
EXPIRED_HOLD_DAYS = 7


@dataclass(frozen=True, slots=True)
class Purged:
    sessions: int = 0
    refresh_tokens: int = 0
    account_tokens: int = 0
    messages: int = 0
    holds: int = 0

    @property
    def total(self) -> int:
        return (
            self.sessions + self.refresh_tokens + self.account_tokens + self.messages + self.holds
        )


def purge(sessions: sessionmaker[Session], now: int) -> Purged:
    """Delete everything past its keeping time at ``now``; returns how much of each."""
    sent_before = now - SENT_MESSAGE_DAYS * DAY_S
    dead_before = now - DEAD_MESSAGE_DAYS * DAY_S
    transactional = OutboxMessage.batch.is_(None)
    return Purged(
        sessions=_delete_in_batches(sessions, WebSession.token_hash, WebSession.expires_at <= now),
        refresh_tokens=_delete_in_batches(
            sessions, RefreshToken.id, RefreshToken.expires_at <= now
        ),
        account_tokens=_delete_in_batches(
            sessions, AccountToken.token_hash, AccountToken.expires_at <= now
        ),
        messages=_delete_in_batches(
            sessions,
            OutboxMessage.id,
            transactional,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at < sent_before,
        )
        + _delete_in_batches(
            sessions,
            OutboxMessage.id,
            transactional,
            OutboxMessage.status == OutboxStatus.DEAD,
            OutboxMessage.created_at < dead_before,
        ),
        holds=_delete_in_batches(
            sessions,
            Hold.id,
            Hold.state == HoldState.EXPIRED,
            Hold.expires_at < now - EXPIRED_HOLD_DAYS * DAY_S,
            before=_drop_hold_items,
        ),
    )


def _drop_hold_items(session: Session, hold_ids: list[Any]) -> None:
    session.execute(delete(HoldItem).where(HoldItem.hold_id.in_(hold_ids)))


def _delete_in_batches(
    sessions: sessionmaker[Session],
    key: Any,
    *conditions: ColumnElement[bool],
    before: Callable[[Session, list[Any]], None] | None = None,
) -> int:
    """Delete the rows of ``key``'s table that meet ``conditions``, :data:`BATCH` at a time;
    ``before`` removes what refers to them first, in the same transaction."""
    total = 0
    while True:
        with sessions() as session:
            ids = list(session.scalars(select(key).where(*conditions).limit(BATCH)))
            if not ids:
                return total
            if before is not None:
                before(session, ids)
            result = session.execute(delete(key.class_).where(key.in_(ids)))
            session.commit()
        total += cast(CursorResult[Any], result).rowcount
        if len(ids) < BATCH:
            return total
