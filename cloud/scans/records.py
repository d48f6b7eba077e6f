from __future__ import annotations

from cloud.scans.models import Scan
from shared.messages import Direction, ScanRecord
from shared.reasons import Reason


def to_record(scan: Scan) -> ScanRecord:
    return ScanRecord(
        scan_id=scan.scan_id,
        device_id=scan.device_id,
        device_name=scan.device_name,
        gate=scan.gate,
        hlc=scan.hlc,
        scanned_at_ms=scan.scanned_at_ms,
        reason=Reason(scan.reason),
        event_id=scan.event_id,
        ticket_id=scan.ticket_ref,
        raw=scan.raw,
        direction=Direction(scan.direction),
        zone=scan.zone,
        manual=scan.manual,
        note=scan.note,
        staff=scan.staff,
    )
