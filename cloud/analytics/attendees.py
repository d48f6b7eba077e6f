"""An event's attendees: every ticket with its holder, type, order and whether it was used.

The list is searched by holder name or email (anywhere in them, any case), order reference
or ticket id (exactly), and filtered by ticket type, check-in and validity. The CSV export
reads the same rows in batches by ticket id (each batch its own short transaction), so an
event of any size is streamed in constant memory and never holds a lock for the whole
download; it stops at the last ticket that existed when it was counted, so it contains the
number of rows announced."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.analytics.attendance import admitted_ticket
from cloud.analytics.scan_counts import is_admission
from cloud.analytics.schemas import AttendeeOut, AttendeePage
from cloud.analytics.search import contains
from cloud.events.models import TicketType
from cloud.scans.models import Scan
from cloud.tickets.models import Ticket
from cloud.timestamps import to_datetime

EXPORT_BATCH = 1000
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class AttendeeFilter:
    """What to list. ``None`` means either way: ``checked_in=None`` lists everyone, and
    ``revoked=None`` valid and revoked tickets alike (by default, valid ones only)."""

    query: str = ""
    type_id: int | None = None
    checked_in: bool | None = None
    revoked: bool | None = False


def _conditions(event_id: int, wanted: AttendeeFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Ticket.event_id == event_id]
    if wanted.type_id is not None:
        conditions.append(Ticket.type_id == wanted.type_id)
    if wanted.revoked is not None:
        conditions.append(Ticket.revoked.is_(wanted.revoked))
    if wanted.checked_in is True:
        conditions.append(admitted_ticket())
    elif wanted.checked_in is False:
        conditions.append(~admitted_ticket())
    if wanted.query:
        pattern = contains(wanted.query)
        conditions.append(
            or_(
                Ticket.holder_name.ilike(pattern, escape="\\"),
                Ticket.holder_email.ilike(pattern, escape="\\"),
                # Shop references and ticket ids are capitals; an outside system's order
                # number is matched as typed too.
                Ticket.order_ref.in_({wanted.query, wanted.query.upper()}),
                Ticket.ticket_ref == wanted.query.upper(),
            )
        )
    return conditions


@dataclass(frozen=True, slots=True)
class _Admission:
    count: int
    first_ms: int
    first_gate: str


def _tally(rows: Iterable[tuple[str | None, str, int]]) -> dict[str, _Admission]:
    """Admissions per ticket from (ticket, gate, time) rows in the shared order of the hybrid
    clock (as conflicts are decided): how many, and the first."""
    found: dict[str, _Admission] = {}
    for ref, gate, at_ms in rows:
        if ref is None:
            continue
        seen = found.get(ref)
        if seen is None:
            found[ref] = _Admission(1, at_ms, gate)
        else:
            found[ref] = _Admission(seen.count + 1, seen.first_ms, seen.first_gate)
    return found


_ADMISSION = select(Scan.ticket_ref, Scan.gate, Scan.scanned_at_ms).order_by(
    Scan.ticket_ref, Scan.hlc, Scan.scan_id
)


def _admissions(session: Session, event_id: int, refs: Sequence[str]) -> dict[str, _Admission]:
    """The admissions of a page's tickets."""
    if not refs:
        return {}
    rows = session.execute(
        _ADMISSION.where(Scan.event_id == event_id, Scan.ticket_ref.in_(list(refs)), is_admission())
    ).all()
    return _tally(rows)


def _admissions_between(
    session: Session, event_id: int, low_id: int, high_id: int
) -> dict[str, _Admission]:
    """The admissions of the event's tickets with ids in [low_id, high_id]: an export batch's,
    by one statement of the same shape for every batch (a list of a thousand ticket ids
    would make each batch's statement new to the database)."""
    rows = session.execute(
        _ADMISSION.join(
            Ticket, and_(Ticket.event_id == Scan.event_id, Ticket.ticket_ref == Scan.ticket_ref)
        ).where(
            Scan.event_id == event_id,
            is_admission(),
            Ticket.id >= low_id,
            Ticket.id <= high_id,
        )
    ).all()
    return _tally(rows)


def _rows(
    tickets: Sequence[tuple[Ticket, str]], admissions: dict[str, _Admission]
) -> list[AttendeeOut]:
    out = []
    for ticket, type_name in tickets:
        used = admissions.get(ticket.ticket_ref)
        out.append(
            AttendeeOut(
                ticket_id=ticket.ticket_ref,
                holder_name=ticket.holder_name,
                holder_email=ticket.holder_email,
                type_id=ticket.type_id,
                type_name=type_name,
                order_ref=ticket.order_ref,
                issued_at=to_datetime(ticket.issued_at),
                revoked=ticket.revoked,
                admissions=used.count if used else 0,
                first_admitted_at=to_datetime(used.first_ms // 1000) if used else None,
                first_gate=used.first_gate if used else None,
                given=ticket.given_at is not None,
                replaced=ticket.replaced_by is not None,
            )
        )
    return out


def count_attendees(session: Session, event_id: int, wanted: AttendeeFilter) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Ticket).where(*_conditions(event_id, wanted))
        )
        or 0
    )


def attendee_page(
    session: Session, event_id: int, wanted: AttendeeFilter, *, offset: int, limit: int
) -> AttendeePage:
    """One page of the list, by holder name (then issue order), and how many match."""
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    tickets = session.execute(
        select(Ticket, TicketType.name)
        .join(TicketType, TicketType.id == Ticket.type_id)
        .where(*_conditions(event_id, wanted))
        .order_by(func.lower(Ticket.holder_name), Ticket.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return AttendeePage(
        total=count_attendees(session, event_id, wanted),
        offset=offset,
        limit=limit,
        attendees=_rows(
            tickets, _admissions(session, event_id, [ticket.ticket_ref for ticket, _ in tickets])
        ),
    )


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """What an export will contain: ``rows`` tickets, none issued after ``last_id``."""

    rows: int
    last_id: int


def plan_export(session: Session, event_id: int, wanted: AttendeeFilter) -> ExportPlan:
    rows, last_id = session.execute(
        select(func.count(), func.max(Ticket.id)).where(*_conditions(event_id, wanted))
    ).one()
    return ExportPlan(rows=int(rows or 0), last_id=int(last_id or 0))


def export_batches(
    sessions: sessionmaker[Session],
    event_id: int,
    wanted: AttendeeFilter,
    plan: ExportPlan,
    batch: int = EXPORT_BATCH,
) -> Iterator[list[AttendeeOut]]:
    """The planned rows in issue order, ``batch`` at a time, each batch read in its own
    short transaction."""
    after = 0
    while after < plan.last_id:
        with sessions() as session:
            tickets = session.execute(
                select(Ticket, TicketType.name)
                .join(TicketType, TicketType.id == Ticket.type_id)
                .where(*_conditions(event_id, wanted), Ticket.id > after, Ticket.id <= plan.last_id)
                .order_by(Ticket.id)
                .limit(batch)
            ).all()
            if not tickets:
                return
            low, high = tickets[0][0].id, tickets[-1][0].id
            rows = _rows(tickets, _admissions_between(session, event_id, low, high))
            session.commit()
        after = tickets[-1][0].id
        yield rows
