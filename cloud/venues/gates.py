"""A venue's gates, as its scans name them.

Gates are set up on the venue server and the scanners (a gate name per scanner), not in the
cloud; the cloud knows a gate from the scans uploaded through the venue's key: its name, how
many scanners worked it and when it last scanned."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.analytics.scan_counts import count_if, is_admission
from cloud.scans.models import Scan
from cloud.timestamps import to_datetime
from cloud.venues.schemas import GateOut


def gates_by_venue(session: Session, venue_ids: Sequence[int]) -> dict[int, list[GateOut]]:
    """Every gate that uploaded a scan, per venue, by name."""
    if not venue_ids:
        return {}
    rows = session.execute(
        select(
            Scan.venue_id,
            Scan.gate,
            func.count(func.distinct(Scan.device_id)),
            func.count(),
            count_if(is_admission()),
            func.max(Scan.scanned_at_ms),
            func.max(Scan.received_at),
        )
        .where(Scan.venue_id.in_(list(venue_ids)))
        .group_by(Scan.venue_id, Scan.gate)
        .order_by(Scan.venue_id, Scan.gate)
    ).all()
    found: dict[int, list[GateOut]] = defaultdict(list)
    for venue_id, gate, devices, scans, admitted, last_ms, received in rows:
        found[venue_id].append(
            GateOut(
                gate=gate,
                devices=int(devices),
                scans=int(scans),
                admitted=int(admitted or 0),
                last_scan_at=to_datetime(int(last_ms) // 1000),
                last_upload_at=to_datetime(int(received)),
            )
        )
    return dict(found)
