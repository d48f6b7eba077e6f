"""Work a request does after its answer has gone, for answers that must not tell by their
timing what that work found (whether an address has an account, or bought tickets).

Before the answer goes, the ask is written: one row, the same whoever asks, so writing it
tells nothing. Once the answer has gone, the process that answered does the work (the asker's
email is usually queued within moments) and deletes the row. Should that process crash, or
the work fail, the row stays, and the worker's ``answer-asks`` job does it: an asker who was
told "on its way" is not let down by a crash.

A process takes an ask by setting its ``claimed_at``, a lease of :data:`LEASE_S`, so two
processes do not do it at once, and one that died holding it gives it back when the lease
runs out. The work is done at least once: a crash between the work and the row's deletion
does it again (a second reset link; tickets emailed again carry an idempotency key per 10
minutes, so they are not sent twice). After :data:`MAX_ATTEMPTS` failures an ask is dropped
and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from litestar.background_tasks import BackgroundTask
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from cloud.asks.models import PendingAsk
from cloud.clock import now_s
from cloud.errors import CloudError
from cloud.orders import lost_tickets
from cloud.settings import CloudSettings
from cloud.users import service as users

log = logging.getLogger("bilten.cloud.asks")

PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind of ask
TICKETS_AGAIN = "tickets_again"

# How long a process may take over an ask before another may take it.
LEASE_S = 300
MAX_ATTEMPTS = 5
# Asks the worker takes in one pass.
BATCH = 100

Work = Callable[[Session, str, int, CloudSettings], object]
KINDS: dict[str, Work] = {
    PASSWORD_RESET: lambda session, email, now, settings: users.request_password_reset(
        session, email, settings.public_url, now
    ),
    TICKETS_AGAIN: lambda session, email, now, settings: lost_tickets.email_tickets_again(
        session, email, now, master_key=settings.master_key, public_url=settings.public_url
    ),
}


def answer_later(
    sessions: sessionmaker[Session], settings: CloudSettings, kind: str, email: str
) -> BackgroundTask:
    """Write the ask now (committed before the caller answers) and return the task, for the
    response's ``background``, that does its work once the answer has gone."""
    if kind not in KINDS:
        raise ValueError(f"no such kind of ask: {kind}")
    with sessions() as session:
        row = PendingAsk(
            kind=kind, email=email.strip()[:254], asked_at=now_s(), claimed_at=None, attempts=0
        )
        session.add(row)
        session.commit()
        ask_id = row.id
    return BackgroundTask(answer, sessions, settings, ask_id)


def answer(
    sessions: sessionmaker[Session], settings: CloudSettings, ask_id: int, now: int | None = None
) -> bool:
    """Take ask ``ask_id``, do its work and delete it; False when another process has it (or
    had it done), or the work failed (it stays for a later pass, or is dropped after
    :data:`MAX_ATTEMPTS`)."""
    now = now_s() if now is None else now
    with sessions() as session:
        taken = session.execute(
            update(PendingAsk)
            .where(
                PendingAsk.id == ask_id,
                or_(PendingAsk.claimed_at.is_(None), PendingAsk.claimed_at <= now - LEASE_S),
            )
            .values(claimed_at=now, attempts=PendingAsk.attempts + 1)
            .returning(PendingAsk.kind, PendingAsk.email, PendingAsk.attempts)
        ).one_or_none()
        session.commit()
    if taken is None:
        return False
    kind, email, attempts = taken
    done = True
    try:
        with sessions() as session:
            KINDS[kind](session, email, now, settings)
    except (SQLAlchemyError, CloudError):
        if attempts < MAX_ATTEMPTS:
            log.exception("%s failed (attempt %d); it is tried again later", kind, attempts)
            return False
        log.exception("%s failed %d times; dropped", kind, attempts)
        done = False
    with sessions() as session:
        session.execute(delete(PendingAsk).where(PendingAsk.id == ask_id))
        session.commit()
    return done


def answer_waiting(sessions: sessionmaker[Session], settings: CloudSettings, now: int) -> int:
    """The worker's pass: do the asks nobody holds (their process died, or their work
    failed and its lease ran out). Returns how many were done."""
    with sessions() as session:
        ids = session.scalars(
            select(PendingAsk.id)
            .where(or_(PendingAsk.claimed_at.is_(None), PendingAsk.claimed_at <= now - LEASE_S))
            .order_by(PendingAsk.id)
            .limit(BATCH)
        ).all()
    return sum(answer(sessions, settings, ask_id, now) for ask_id in ids)
