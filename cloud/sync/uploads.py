"""Scan uploads from venues: all or nothing, idempotent by scan id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.db import MAX_ROW_ID, InsertOrSkip
from cloud.errors import InvalidInput
from cloud.events.models import Event
from cloud.ops.metrics import record_scans
from cloud.scans.models import Scan
from cloud.venues.models import Venue
from shared.errors import ProtocolError
from shared.messages import ScanAck, ScanBatch, decode

# A scan stored once, however often its batch is sent again.
_STORE = InsertOrSkip(Scan.__table__, ["scan_id"])


def parse_batch(body: bytes) -> ScanBatch:
    try:
        return decode(body, ScanBatch)
    except ProtocolError as exc:
        raise InvalidInput(str(exc)) from exc


def store_scans(session: Session, venue: Venue, batch: ScanBatch) -> ScanAck:
    """Store every scan of ``batch`` once.

    A gate records every scan, including a ticket for an event this venue does not hold (a
    wrong-event rejection, or claims no key vouches for). Such a scan is kept, at the venue,
    without its claimed event: refusing it would block every later upload of that venue, and
    filing it under that event would let one venue write into another organizer's event.
    """
    # A ticket's event id has 32 bits; one past the database's integer names no event here.
    event_ids = {
        scan.event_id
        for scan in batch.scans
        if scan.event_id is not None and scan.event_id <= MAX_ROW_ID
    }
    here: set[int] = set()
    if event_ids:
        here = set(
            session.scalars(
                select(Event.id).where(Event.venue_id == venue.id, Event.id.in_(event_ids))
            )
        )
    received_at = now_s()
    rows: dict[str, dict[str, Any]] = {}
    for scan in batch.scans:
        rows.setdefault(
            scan.scan_id,
            {
                "scan_id": scan.scan_id,
                "venue_id": venue.id,
                "event_id": scan.event_id if scan.event_id in here else None,
                "ticket_ref": scan.ticket_id,
                "device_id": scan.device_id,
                "device_name": scan.device_name,
                "gate": scan.gate,
                "hlc": scan.hlc,
                "scanned_at_ms": scan.scanned_at_ms,
                "reason": scan.reason.value,
                "raw": scan.raw,
                "direction": scan.direction.value,
                "zone": scan.zone,
                "manual": scan.manual,
                "note": scan.note,
                "staff": scan.staff,
                "received_at": received_at,
            },
        )
    new: set[str] = set()
    if rows:
        connection = session.connection()
        statement = _STORE.on(connection).returning(Scan.scan_id)
        new = set(connection.execute(statement, list(rows.values())).scalars())
    session.commit()
    first_of_each = {scan.scan_id: scan for scan in reversed(batch.scans)}
    record_scans(venue.id, (first_of_each[scan_id] for scan_id in new))
    return ScanAck(stored=len(new), duplicates=len(batch.scans) - len(new), acked=list(rows))
