"""Gate throughput: how many people each gate moved per minute, and its busiest minute.

Only minutes in which a gate scanned anything are listed; the mean is over those active
minutes, so a gate that stood idle for an hour between two rushes is not made to look slow."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.analytics.buckets import minute_of
from cloud.analytics.scan_counts import count_if, is_admission, is_exit, is_refusal
from cloud.analytics.schemas import GateMinute, GateThroughput, ThroughputReport
from cloud.scans.models import Scan
from cloud.timestamps import to_datetime


def gate_minutes(session: Session, event_id: int) -> list[GateMinute]:
    """Admissions, exits and refusals per gate and minute, by gate then time."""
    minute = minute_of(Scan.scanned_at_ms)
    rows = session.execute(
        select(
            Scan.gate, minute, count_if(is_admission()), count_if(is_exit()), count_if(is_refusal())
        )
        .where(Scan.event_id == event_id)
        .group_by(Scan.gate, minute)
        .order_by(Scan.gate, minute)
    ).all()
    return [
        GateMinute(
            gate=gate,
            minute=to_datetime(int(at)),
            admitted=int(admitted),
            exited=int(exited),
            rejected=int(rejected),
        )
        for gate, at, admitted, exited, rejected in rows
    ]


def summarise(minutes: list[GateMinute]) -> list[GateThroughput]:
    by_gate: dict[str, list[GateMinute]] = defaultdict(list)
    for row in minutes:
        by_gate[row.gate].append(row)
    summaries = []
    for gate in sorted(by_gate):
        rows = by_gate[gate]
        peak = max(rows, key=lambda row: (row.admitted, -row.minute.timestamp()))
        admitted = sum(row.admitted for row in rows)
        summaries.append(
            GateThroughput(
                gate=gate,
                admitted=admitted,
                exited=sum(row.exited for row in rows),
                rejected=sum(row.rejected for row in rows),
                active_minutes=len(rows),
                peak_per_minute=peak.admitted,
                peak_minute=peak.minute if peak.admitted else None,
                mean_per_active_minute=round(admitted / len(rows), 2),
            )
        )
    return summaries


def throughput_report(session: Session, event_id: int) -> ThroughputReport:
    minutes = gate_minutes(session, event_id)
    return ThroughputReport(event_id=event_id, gates=summarise(minutes), minutes=minutes)
