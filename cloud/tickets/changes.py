"""The per-event change counter that makes the manifest cursor safe.

``UPDATE events SET last_seq = last_seq + n ... RETURNING`` takes the event row's write lock
(PostgreSQL row lock; SQLite's database write lock) until the transaction ends. A second
writer for the same event waits, then reads the committed value. So within an event,
change numbers are handed out in commit order, and a reader that has seen number N can never
later find a smaller number committing behind it.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from cloud.events.models import Event


def claim_changes(session: Session, event_id: int, count: int) -> range:
    """Reserve ``count`` consecutive change numbers for this event, locking it until commit."""
    last = session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(last_seq=Event.last_seq + count)
        .returning(Event.last_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return range(last - count + 1, last + 1)
