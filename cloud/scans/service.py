from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from cloud.events.service import own_event
from cloud.scans.models import Scan, ScanConflict
from cloud.scans.records import to_record
from cloud.scans.schemas import ConflictOut
from shared.messages import ScanRecord


def event_scans(session: Session, organizer_id: int, event_id: int) -> list[ScanRecord]:
    own_event(session, organizer_id, event_id)
    scans = session.scalars(
        select(Scan).where(Scan.event_id == event_id).order_by(Scan.hlc, Scan.scan_id)
    ).all()
    return [to_record(scan) for scan in scans]


def event_conflicts(
    session: Session, organizer_id: int, event_id: int, *, newest: int | None = None
) -> list[ConflictOut]:
    """The event's conflicts by ticket, or only the ``newest`` found, newest first."""
    own_event(session, organizer_id, event_id)
    loser, winner = aliased(Scan), aliased(Scan)
    query = (
        select(ScanConflict, winner, loser)
        .join(winner, winner.scan_id == ScanConflict.winner_scan_id)
        .join(loser, loser.scan_id == ScanConflict.scan_id)
        .where(ScanConflict.event_id == event_id)
    )
    if newest is None:
        query = query.order_by(ScanConflict.ticket_ref, loser.hlc)
    else:
        query = query.order_by(ScanConflict.detected_at.desc(), loser.hlc.desc()).limit(newest)
    rows = session.execute(query).all()
    return [
        ConflictOut(
            event_id=conflict.event_id,
            ticket_id=conflict.ticket_ref,
            admitted=to_record(first),
            conflicting=to_record(other),
            detected_at=conflict.detected_at,
        )
        for conflict, first, other in rows
    ]
