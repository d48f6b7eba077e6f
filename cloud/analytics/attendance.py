"""Who came: live tickets admitted versus sold, no-shows, per ticket type and per gate, and
admissions per minute, from the scans venue servers uploaded.

A ticket counts as checked in once any gate admitted it (a re-entry or a conflicting second
admission does not count it twice); revoked tickets are neither sold nor no-shows. Scan
times are the gates' own clocks (``scanned_at_ms``), in UTC."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Exists, func, select
from sqlalchemy.orm import Session

from cloud.analytics.buckets import MINUTE_S, minute_of, starts_between
from cloud.analytics.scan_counts import (
    count_if,
    is_admission,
    is_exit,
    is_manual_admission,
    is_refusal,
)
from cloud.analytics.schemas import (
    AttendanceFigures,
    AttendanceReport,
    GateFigures,
    MinuteCount,
    TypeAttendance,
)
from cloud.events.models import TicketType
from cloud.scans.models import Scan, ScanConflict
from cloud.tickets.models import Ticket
from cloud.timestamps import to_datetime

WINDOW_MINUTES = 60


def admitted_ticket() -> Exists:
    """For a query over tickets: this ticket was admitted at least once."""
    return (
        select(Scan.scan_id)
        .where(
            Scan.event_id == Ticket.event_id,
            Scan.ticket_ref == Ticket.ticket_ref,
            is_admission(),
        )
        .exists()
    )


def checked_in_by_type(session: Session, event_id: int) -> dict[int, int]:
    """Live tickets admitted at least once, per type."""
    rows = session.execute(
        select(Ticket.type_id, func.count())
        .where(Ticket.event_id == event_id, Ticket.revoked.is_(False), admitted_ticket())
        .group_by(Ticket.type_id)
    ).all()
    return {type_id: int(count) for type_id, count in rows}


@dataclass(frozen=True, slots=True)
class _GateRow:
    gate: str
    devices: int
    admitted: int
    exited: int
    rejected: int
    manual: int
    first_ms: int
    last_ms: int
    received_at: int


def _gate_rows(session: Session, event_id: int) -> list[_GateRow]:
    rows = session.execute(
        select(
            Scan.gate,
            func.count(func.distinct(Scan.device_id)),
            count_if(is_admission()),
            count_if(is_exit()),
            count_if(is_refusal()),
            count_if(is_manual_admission()),
            func.min(Scan.scanned_at_ms),
            func.max(Scan.scanned_at_ms),
            func.max(Scan.received_at),
        )
        .where(Scan.event_id == event_id)
        .group_by(Scan.gate)
        .order_by(Scan.gate)
    ).all()
    return [_GateRow(gate, *(int(value) for value in counts)) for gate, *counts in rows]


def _conflicts_by_gate(session: Session, event_id: int) -> dict[str, int]:
    """Flagged admissions per gate that made them."""
    rows = session.execute(
        select(Scan.gate, func.count())
        .select_from(ScanConflict)
        .join(Scan, Scan.scan_id == ScanConflict.scan_id)
        .where(ScanConflict.event_id == event_id)
        .group_by(Scan.gate)
    ).all()
    return {gate: int(count) for gate, count in rows}


def _window(now_ms: int, last_ms: int | None) -> tuple[int, int]:
    """The minutes shown per minute, [start, end) in Unix seconds: the hour up to now while
    scans keep arriving, else the hour up to the last scan (an event that is over, scans
    uploaded long after they were made, or a gate whose clock runs ahead)."""
    end_ms = now_ms
    if last_ms is not None and not now_ms - WINDOW_MINUTES * 60_000 <= last_ms <= now_ms:
        end_ms = last_ms
    end = end_ms // 60_000 * MINUTE_S + MINUTE_S
    return end - WINDOW_MINUTES * MINUTE_S, end


def per_minute(session: Session, event_id: int, start: int, end: int) -> list[MinuteCount]:
    """Admissions and exits per minute in [start, end) (Unix seconds, minute starts)."""
    minute = minute_of(Scan.scanned_at_ms)
    rows = session.execute(
        select(minute, count_if(is_admission()), count_if(is_exit()))
        .where(
            Scan.event_id == event_id,
            Scan.scanned_at_ms >= start * 1000,
            Scan.scanned_at_ms < end * 1000,
        )
        .group_by(minute)
    ).all()
    counts = {int(at): (int(admitted), int(exited)) for at, admitted, exited in rows}
    return [
        MinuteCount(
            minute=to_datetime(at),
            admitted=counts.get(at, (0, 0))[0],
            exited=counts.get(at, (0, 0))[1],
        )
        for at in starts_between(start, end - MINUTE_S, MINUTE_S)
    ]


def attendance_report(session: Session, event_id: int, now: int) -> AttendanceReport:
    """Everything the check-in page shows, as of ``now`` (Unix seconds)."""
    types = session.scalars(
        select(TicketType).where(TicketType.event_id == event_id).order_by(TicketType.id)
    ).all()
    checked_in = checked_in_by_type(session, event_id)
    gates = _gate_rows(session, event_id)
    conflicts = _conflicts_by_gate(session, event_id)
    last_ms = max((gate.last_ms for gate in gates), default=None)
    start, end = _window(now * 1000, last_ms)
    sold = sum(row.sold for row in types)
    inside = sum(checked_in.values())
    admissions = sum(gate.admitted for gate in gates)
    exits = sum(gate.exited for gate in gates)
    figures = AttendanceFigures(
        sold=sold,
        checked_in=inside,
        no_shows=max(sold - inside, 0),
        admissions=admissions,
        exits=exits,
        inside=max(admissions - exits, 0),
        rejected=sum(gate.rejected for gate in gates),
        manual=sum(gate.manual for gate in gates),
        conflicts=sum(conflicts.values()),
        last_scan_at=None if last_ms is None else to_datetime(last_ms // 1000),
        last_upload_at=max((to_datetime(gate.received_at) for gate in gates), default=None),
    )
    return AttendanceReport(
        event_id=event_id,
        figures=figures,
        types=[
            TypeAttendance(
                type_id=row.id,
                name=row.name,
                sold=row.sold,
                checked_in=checked_in.get(row.id, 0),
                no_shows=max(row.sold - checked_in.get(row.id, 0), 0),
            )
            for row in types
        ],
        gates=[
            GateFigures(
                gate=gate.gate,
                devices=gate.devices,
                admitted=gate.admitted,
                exited=gate.exited,
                rejected=gate.rejected,
                manual=gate.manual,
                conflicts=conflicts.get(gate.gate, 0),
                first_scan_at=to_datetime(gate.first_ms // 1000),
                last_scan_at=to_datetime(gate.last_ms // 1000),
            )
            for gate in gates
        ],
        per_minute=per_minute(session, event_id, start, end),
    )
