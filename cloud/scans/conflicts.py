"""Conflict detection: when partitioned gates admitted one ticket more often than its type
allows, the admissions that fit count (``shared.rules.split_admissions``, exits and free
re-entries included) and every other is flagged, never dropped."""

from __future__ import annotations

from sqlalchemy import and_, delete, func, select, union
from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.events.models import TicketType
from cloud.scans.models import Scan, ScanConflict
from cloud.scans.records import to_record
from cloud.tickets.models import Ticket
from shared.reasons import Reason
from shared.rules import split_admissions

# A ticket the cloud does not know (only a hostile upload names one) is judged the way a
# gate judges an unlisted ticket: single entry, no re-entry.
_UNLISTED = (1, False)
_MOVEMENTS = (Reason.ADMITTED.value, Reason.EXITED.value)


def detect_conflicts(session_factory: sessionmaker[Session]) -> int:
    """Bring the conflict table in line with the uploaded scans; returns conflicts added."""
    added = 0
    with session_factory() as session:
        tickets = _candidates(session)
        session.rollback()
    for event_id, ticket_ref in tickets:
        with session_factory() as session:
            added += _settle_ticket(session, event_id, ticket_ref)
    return added


def _candidates(session: Session) -> list[tuple[int, str]]:
    """Tickets that may hold a conflict: admitted more often than their type allows (re-entries
    only lower the count that matters), plus those flagged before, whose flags may now be
    stale."""
    admissions = (
        select(Scan.event_id, Scan.ticket_ref, func.count().label("admissions"))
        .where(
            Scan.reason == Reason.ADMITTED.value,
            Scan.event_id.is_not(None),
            Scan.ticket_ref.is_not(None),
        )
        .group_by(Scan.event_id, Scan.ticket_ref)
        .subquery()
    )
    limit = func.coalesce(TicketType.max_entries, _UNLISTED[0])
    over_limit = (
        select(admissions.c.event_id, admissions.c.ticket_ref)
        .outerjoin(
            Ticket,
            and_(
                Ticket.ticket_ref == admissions.c.ticket_ref,
                Ticket.event_id == admissions.c.event_id,
            ),
        )
        .outerjoin(TicketType, TicketType.id == Ticket.type_id)
        .where(limit > 0, admissions.c.admissions > limit)
    )
    flagged = select(ScanConflict.event_id, ScanConflict.ticket_ref)
    return [(event_id, ref) for event_id, ref in session.execute(union(over_limit, flagged))]


def _limits(session: Session, event_id: int, ticket_ref: str) -> tuple[int, bool]:
    row = session.execute(
        select(TicketType.max_entries, TicketType.reentry)
        .join(Ticket, Ticket.type_id == TicketType.id)
        .where(Ticket.ticket_ref == ticket_ref, Ticket.event_id == event_id)
    ).first()
    return _UNLISTED if row is None else (row[0], row[1])


def _settle_ticket(session: Session, event_id: int, ticket_ref: str) -> int:
    max_entries, reentry = _limits(session, event_id, ticket_ref)
    movements = session.scalars(
        select(Scan).where(
            Scan.event_id == event_id,
            Scan.ticket_ref == ticket_ref,
            Scan.reason.in_(_MOVEMENTS),
        )
    ).all()
    first, rest = split_admissions((to_record(scan) for scan in movements), max_entries, reentry)
    winner = first.scan_id if first is not None else None
    wanted = {record.scan_id for record in rest}
    known = {
        row.scan_id: row.winner_scan_id
        for row in session.scalars(
            select(ScanConflict).where(
                ScanConflict.event_id == event_id, ScanConflict.ticket_ref == ticket_ref
            )
        )
    }
    # A late upload can hold an earlier admission (which then becomes the winner) or an exit
    # that makes a later admission a legal re-entry.
    stale = [
        scan_id
        for scan_id, known_winner in known.items()
        if scan_id not in wanted or known_winner != winner
    ]
    if stale:
        session.execute(delete(ScanConflict).where(ScanConflict.scan_id.in_(stale)))
    if winner is None:
        session.commit()
        return 0
    detected_at = now_s()
    added = 0
    for scan_id in sorted(wanted):
        if scan_id in known and scan_id not in stale:
            continue
        session.add(
            ScanConflict(
                scan_id=scan_id,
                winner_scan_id=winner,
                event_id=event_id,
                ticket_ref=ticket_ref,
                detected_at=detected_at,
            )
        )
        added += 1
    session.commit()
    return added
