"""The per-event change counter that makes the manifest cursor safe.

``UPDATE events SET last_seq = last_seq + n ... RETURNING`` takes the event row's write lock
(PostgreSQL row lock; SQLite's database write lock) until the transaction ends. A second
writer for the same event waits, then reads the committed value. So within an event,
change numbers are handed out in commit order, and a reader that has seen number N can never
later find a smaller number committing behind it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, bindparam, update
from sqlalchemy.orm import Session

from cloud.events.models import Event

_EVENTS = Event.__table__
# Built once: every checkout runs it.
_CLAIM = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id", type_=Integer))
    .values(last_seq=_EVENTS.c.last_seq + bindparam("count", type_=BigInteger))
    .returning(_EVENTS.c.last_seq)
)


def claim_changes(session: Session, event_id: int, count: int) -> range:
    """Reserve ``count`` consecutive change numbers for this event, locking it until commit."""
    # Pending ORM changes go first: this lock comes last (see cloud.orders.checkout).
    session.flush()
    last: int = (
        session.connection().execute(_CLAIM, {"event_id": event_id, "count": count}).scalar_one()
    )
    return range(last - count + 1, last + 1)
