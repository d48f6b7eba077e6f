"""Conflict detection: when partitioned gates admitted one ticket more than once, the first
admission (``shared.rules.split_admissions``) counts and every other is flagged, never dropped."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.scans.models import Scan, ScanConflict
from cloud.scans.records import to_record
from shared.reasons import Reason
from shared.rules import split_admissions


def detect_conflicts(session_factory: sessionmaker[Session]) -> int:
    """Bring the conflict table in line with the uploaded scans; returns conflicts added."""
    added = 0
    with session_factory() as session:
        tickets = session.execute(
            select(Scan.event_id, Scan.ticket_ref)
            .where(
                Scan.reason == Reason.ADMITTED.value,
                Scan.event_id.is_not(None),
                Scan.ticket_ref.is_not(None),
            )
            .group_by(Scan.event_id, Scan.ticket_ref)
            .having(func.count() > 1)
        ).all()
        session.rollback()
    for event_id, ticket_ref in tickets:
        with session_factory() as session:
            added += _settle_ticket(session, event_id, ticket_ref)
    return added


def _settle_ticket(session: Session, event_id: int, ticket_ref: str) -> int:
    admissions = session.scalars(
        select(Scan).where(
            Scan.event_id == event_id,
            Scan.ticket_ref == ticket_ref,
            Scan.reason == Reason.ADMITTED.value,
        )
    ).all()
    first, rest = split_admissions(to_record(scan) for scan in admissions)
    if first is None:
        session.rollback()
        return 0
    wanted = {record.scan_id for record in rest}
    known = {
        row.scan_id: row.winner_scan_id
        for row in session.scalars(
            select(ScanConflict).where(
                ScanConflict.event_id == event_id, ScanConflict.ticket_ref == ticket_ref
            )
        )
    }
    # A late upload can hold an earlier admission, which then becomes the winner.
    stale = [
        scan_id
        for scan_id, winner in known.items()
        if scan_id not in wanted or winner != first.scan_id
    ]
    if stale:
        session.execute(delete(ScanConflict).where(ScanConflict.scan_id.in_(stale)))
    detected_at = now_s()
    added = 0
    for scan_id in sorted(wanted):
        if scan_id in known and scan_id not in stale:
            continue
        session.add(
            ScanConflict(
                scan_id=scan_id,
                winner_scan_id=first.scan_id,
                event_id=event_id,
                ticket_ref=ticket_ref,
                detected_at=detected_at,
            )
        )
        added += 1
    session.commit()
    return added
