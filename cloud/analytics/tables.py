"""Each report as a table (a header and rows) for its CSV file. Money is written in major
units (``12.50``), one column per currency, named after it; moments in the venue's time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cloud.analytics.csv_export import Cell
from cloud.analytics.schemas import (
    AttendanceReport,
    AttendeeOut,
    Money,
    PortfolioReport,
    SalesReport,
    ThroughputReport,
)
from cloud.currencies import major
from cloud.scans.schemas import ConflictOut
from cloud.timestamps import to_datetime
from cloud.venues import zones

Row = Sequence[Cell]


@dataclass(frozen=True, slots=True)
class Table:
    header: list[str]
    rows: list[Row]
    # The zone its moments are written in; None: each in the offset it carries (the rows of
    # an organisation's events, each in its own venue's time).
    zone: str | None = "UTC"


def _currencies(moneys: Iterable[Money]) -> list[str]:
    return sorted({currency for money in moneys for currency in money})


def _amounts(money: Money, currencies: list[str]) -> list[Cell]:
    return [major(money.get(currency, 0), currency) for currency in currencies]


ATTENDEE_HEADER = [
    "ticket_id",
    "holder_name",
    "holder_email",
    "ticket_type",
    "order_ref",
    "issued_at",
    "status",
    "checked_in",
    "admissions",
    "first_admitted_at",
    "first_gate",
    "given",
]


def attendee_rows(attendees: Iterable[AttendeeOut]) -> list[Row]:
    return [
        [
            row.ticket_id,
            row.holder_name,
            row.holder_email,
            row.type_name,
            row.order_ref,
            row.issued_at,
            _status(row),
            row.admissions > 0,
            row.admissions,
            row.first_admitted_at,
            row.first_gate,
            row.given,
        ]
        for row in attendees
    ]


def _status(row: AttendeeOut) -> str:
    if row.replaced:
        return "given away"  # revoked: its holder gave it, the ticket given replaces it
    return "revoked" if row.revoked else "valid"


def sales_table(report: SalesReport) -> Table:
    moneys = [money for b in report.buckets for money in (b.revenue, b.refunds, b.total_revenue)]
    currencies = _currencies(moneys)
    header = ["period_start", "orders", "tickets", "cancelled_tickets", "tickets_total"]
    for kind in ("revenue", "refunds", "revenue_total"):
        header += [f"{kind}_{currency}" for currency in currencies]
    rows: list[Row] = [
        [
            bucket.start,
            bucket.orders,
            bucket.tickets,
            bucket.cancelled_tickets,
            bucket.total_tickets,
            *_amounts(bucket.revenue, currencies),
            *_amounts(bucket.refunds, currencies),
            *_amounts(bucket.total_revenue, currencies),
        ]
        for bucket in report.buckets
    ]
    return Table(header, rows, report.timezone)


def ticket_types_table(sales: SalesReport, attendance: AttendanceReport) -> Table:
    checked = {row.type_id: row for row in attendance.types}
    header = [
        "type_id",
        "name",
        "currency",
        "price",
        "capacity",
        "sold",
        "complimentary",
        "held",
        "available",
        "revenue",
        "checked_in",
        "no_shows",
    ]
    rows: list[Row] = []
    for row in sales.types:
        came = checked.get(row.type_id)
        rows.append(
            [
                row.type_id,
                row.name,
                row.currency,
                major(row.price, row.currency),
                row.capacity,
                row.sold,
                row.complimentary,
                row.held,
                row.available,
                major(row.revenue, row.currency),
                came.checked_in if came else 0,
                came.no_shows if came else row.sold,
            ]
        )
    return Table(header, rows)


def conflicts_table(conflicts: Iterable[ConflictOut], zone: str) -> Table:
    """Each ticket admitted more often than it allows: the admission that counts and the one
    flagged, with gate, device and time."""
    header = [
        "ticket_id",
        "admitted_gate",
        "admitted_device",
        "admitted_at",
        "again_gate",
        "again_device",
        "again_at",
        "found_at",
    ]
    rows: list[Row] = [
        [
            conflict.ticket_id,
            conflict.admitted.gate,
            conflict.admitted.device_name or conflict.admitted.device_id,
            to_datetime(conflict.admitted.scanned_at_ms // 1000),
            conflict.conflicting.gate,
            conflict.conflicting.device_name or conflict.conflicting.device_id,
            to_datetime(conflict.conflicting.scanned_at_ms // 1000),
            to_datetime(conflict.detected_at),
        ]
        for conflict in conflicts
    ]
    return Table(header, rows, zone)


def gates_table(attendance: AttendanceReport, zone: str) -> Table:
    header = [
        "gate",
        "devices",
        "admitted",
        "exited",
        "rejected",
        "manual",
        "conflicts",
        "first_scan_at",
        "last_scan_at",
    ]
    rows: list[Row] = [
        [
            gate.gate,
            gate.devices,
            gate.admitted,
            gate.exited,
            gate.rejected,
            gate.manual,
            gate.conflicts,
            gate.first_scan_at,
            gate.last_scan_at,
        ]
        for gate in attendance.gates
    ]
    return Table(header, rows, zone)


def throughput_table(report: ThroughputReport, zone: str) -> Table:
    header = ["gate", "minute", "admitted", "exited", "rejected"]
    rows: list[Row] = [
        [row.gate, row.minute, row.admitted, row.exited, row.rejected] for row in report.minutes
    ]
    return Table(header, rows, zone)


def portfolio_table(report: PortfolioReport) -> Table:
    currencies = _currencies(
        [e.revenue for e in report.events] + [e.refunds for e in report.events]
    )
    header = [
        "event_id",
        "name",
        "starts_at",
        "ends_at",
        "published",
        "capacity",
        "sold",
        "paid_orders",
        "checked_in",
        "no_shows",
        "conflicts",
        *(f"revenue_{currency}" for currency in currencies),
        *(f"refunds_{currency}" for currency in currencies),
    ]
    rows: list[Row] = [
        [
            event.event_id,
            event.name,
            event.starts_at.astimezone(zones.zone(event.timezone)),
            event.ends_at.astimezone(zones.zone(event.timezone)),
            event.published,
            event.capacity,
            event.sold,
            event.paid_orders,
            event.checked_in,
            event.no_shows,
            event.conflicts,
            *_amounts(event.revenue, currencies),
            *_amounts(event.refunds, currencies),
        ]
        for event in report.events
    ]
    return Table(header, rows, zone=None)
