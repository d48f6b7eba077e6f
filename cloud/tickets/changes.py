"""Change numbers for the venues' manifests, handed out by the reader, in commit order.

Whatever changes a ticket (a sale, a revocation) sets its ``seq`` to ``UNNUMBERED`` in its
own transaction and locks nothing of the event: sales of one event never queue behind a
shared row. Before a manifest is read, ``number_changes`` numbers the event's changes that
have committed: ``UPDATE events SET last_seq = last_seq ... RETURNING`` takes the event row's
write lock (PostgreSQL row lock; SQLite's database write lock), then the unnumbered tickets
are read afresh (each statement of a READ COMMITTED transaction sees every commit before it)
and numbered after ``last_seq``. A change that commits later is numbered by a later reader,
above every number handed out before, so a venue that has seen number N can never find a
smaller number appear behind it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, bindparam, select, update
from sqlalchemy.orm import Session

from cloud.events.models import Event
from cloud.tickets.models import Ticket

# A changed ticket's change number until a manifest reader numbers it; readers never list it.
UNNUMBERED = 0

_EVENTS = Event.__table__
_TICKETS = Ticket.__table__
_EVENT = bindparam("event_id", type_=Integer)
_PENDING = (
    select(_TICKETS.c.id)
    .where(_TICKETS.c.event_id == _EVENT, _TICKETS.c.seq == UNNUMBERED)
    .order_by(_TICKETS.c.id)
)
_ANY_PENDING = _PENDING.limit(1)
_LOCK = (
    update(_EVENTS)
    .where(_EVENTS.c.id == _EVENT)
    .values(last_seq=_EVENTS.c.last_seq)
    .returning(_EVENTS.c.last_seq)
)
_SET_LAST = update(_EVENTS).where(_EVENTS.c.id == _EVENT).values(last_seq=bindparam("last"))
_NUMBER = (
    update(_TICKETS)
    .where(
        _TICKETS.c.id == bindparam("ticket_id", type_=Integer),
        _TICKETS.c.seq == UNNUMBERED,
    )
    .values(seq=bindparam("number", type_=BigInteger))
)


def number_changes(session: Session, event_id: int) -> int:
    """Number the event's committed, unnumbered ticket changes in the caller's transaction
    (commit it soon: the event's counter stays locked until then); how many. Costs one
    indexed read when there are none."""
    connection = session.connection()
    if connection.execute(_ANY_PENDING, {"event_id": event_id}).first() is None:
        return 0
    last: int = connection.execute(_LOCK, {"event_id": event_id}).scalar_one()
    pending = connection.execute(_PENDING, {"event_id": event_id}).scalars().all()
    if not pending:
        return 0
    connection.execute(
        _NUMBER,
        [
            {"ticket_id": ticket_id, "number": last + place}
            for place, ticket_id in enumerate(pending, start=1)
        ],
    )
    connection.execute(_SET_LAST, {"event_id": event_id, "last": last + len(pending)})
    return len(pending)
