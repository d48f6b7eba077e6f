"""The worker's part in selling: expired holds go back on sale."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.orders.holds import RELEASE_BATCH, release_expired


def release_expired_holds(sessions: sessionmaker[Session], now: int | None = None) -> int:
    """Release every hold expired at ``now``, a batch per transaction; returns how many."""
    moment = now_s() if now is None else now
    total = 0
    with sessions() as session:
        while (released := release_expired(session, moment)) > 0:
            total += released
            if released < RELEASE_BATCH:
                break
    return total
