"""Change numbers for the venues' manifests, handed out by the reader, in commit order.

Whatever changes a ticket (a sale, a revocation) sets its ``seq`` to ``UNNUMBERED`` in its
own transaction and locks nothing of the event: sales of one event never queue behind a
shared row. Before a manifest is read, ``number_changes`` numbers the event's changes that
have committed: ``UPDATE events SET last_seq = last_seq ... RETURNING`` takes the event row's
write lock (PostgreSQL row lock; SQLite's database write lock), then one statement numbers
the unnumbered tickets after ``last_seq`` (each statement of a READ COMMITTED transaction
sees every commit before it). A change that commits later is numbered by a later reader,
above every number handed out before, so a venue that has seen number N can never find a
smaller number appear behind it.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import BigInteger, CursorResult, Integer, bindparam, func, select, update
from sqlalchemy.orm import Session

from cloud.events.models import Event
from cloud.tickets.models import Ticket

# A changed ticket's change number until a manifest reader numbers it; readers never list it.
UNNUMBERED = 0

_EVENTS = Event.__table__
_TICKETS = Ticket.__table__
_EVENT = bindparam("of_event", type_=Integer)
_LAST = bindparam("last", type_=BigInteger)
_UNNUMBERED_OF_EVENT = (_TICKETS.c.event_id == _EVENT, _TICKETS.c.seq == UNNUMBERED)
_ANY_PENDING = select(_TICKETS.c.id).where(*_UNNUMBERED_OF_EVENT).limit(1)
_LOCK = (
    update(_EVENTS)
    .where(_EVENTS.c.id == _EVENT)
    .values(last_seq=_EVENTS.c.last_seq)
    .returning(_EVENTS.c.last_seq)
)
_SET_LAST = update(_EVENTS).where(_EVENTS.c.id == _EVENT).values(last_seq=_LAST)
# One statement, so one snapshot: the changes it sees are numbered last + 1, last + 2, ... in
# ticket order, with no gap; a change committing meanwhile waits for the next reader. Their
# rows are locked first, in ticket order, as a revocation locks them (cloud.tickets.service):
# for a big event PostgreSQL may update them in storage order, and two transactions locking
# the same rows in different orders can deadlock.
_LOCKED = (
    select(_TICKETS.c.id)
    .where(*_UNNUMBERED_OF_EVENT)
    .order_by(_TICKETS.c.id)
    .with_for_update(key_share=True)
    .subquery()
)
_PLACES = select(
    _LOCKED.c.id, func.row_number().over(order_by=_LOCKED.c.id).label("place")
).subquery()
_NUMBER = update(_TICKETS).where(_TICKETS.c.id == _PLACES.c.id).values(seq=_LAST + _PLACES.c.place)


def number_changes(session: Session, event_id: int) -> int:
    """Number the event's committed, unnumbered ticket changes in the caller's transaction
    (commit it soon: the event's counter stays locked until then); how many. Costs one
    indexed read when there are none."""
    connection = session.connection()
    if connection.execute(_ANY_PENDING, {"of_event": event_id}).first() is None:
        return 0
    last: int = connection.execute(_LOCK, {"of_event": event_id}).scalar_one()
    result = connection.execute(_NUMBER, {"of_event": event_id, "last": last})
    numbered = cast(CursorResult[Any], result).rowcount
    if numbered:
        connection.execute(_SET_LAST, {"of_event": event_id, "last": last + numbered})
    return numbered
