"""The reports' typed results, returned by the services and served as JSON as they are.

Money is in the currency's minor unit (cents) and kept per currency (``{"EUR": 5000}``):
an event may sell ticket types in different currencies, which are never added up. Moments
are UTC."""

from __future__ import annotations

from datetime import datetime

import msgspec

from cloud.analytics.buckets import Granularity

Money = dict[str, int]


class TypeSales(msgspec.Struct, frozen=True):
    type_id: int
    name: str
    price: int
    currency: str
    capacity: int
    # Live tickets (paid orders and complimentary ones); revoked tickets are not counted.
    sold: int
    # Seats in live holds and unpaid orders.
    held: int
    available: int
    # Live tickets issued without an order (guest list, press, external sales).
    complimentary: int
    # Money kept from this type's paid orders: paid, less what was refunded.
    revenue: int


class SalesBucket(msgspec.Struct, frozen=True):
    start: datetime
    # Orders paid in this bucket, with their tickets and money (what they paid then).
    orders: int
    tickets: int
    revenue: Money
    # Tickets of paid orders that were cancelled or refunded in this bucket, and the money
    # refunded.
    cancelled_tickets: int
    refunds: Money
    # Running totals to the end of this bucket: tickets sold in orders less those given up,
    # money taken less money refunded.
    total_tickets: int
    total_revenue: Money


class SalesFigures(msgspec.Struct, frozen=True):
    sold: int
    held: int
    capacity: int
    available: int
    complimentary: int
    paid_orders: int
    # Paid orders given up later: cancelled (the money kept) or refunded (given back).
    cancelled_orders: int
    refunded_orders: int
    gross: Money
    refunds: Money
    # gross less refunds: the money the event keeps.
    revenue: Money


class SalesReport(msgspec.Struct, frozen=True):
    event_id: int
    granularity: Granularity
    figures: SalesFigures
    types: list[TypeSales]
    # Each starts at an hour, midnight or Monday midnight of the venue's time zone.
    buckets: list[SalesBucket]
    # The venue's IANA time zone, whose hours, days and weeks the buckets are.
    timezone: str = "UTC"


class TypeAttendance(msgspec.Struct, frozen=True):
    type_id: int
    name: str
    sold: int
    checked_in: int
    no_shows: int


class GateFigures(msgspec.Struct, frozen=True):
    gate: str
    devices: int
    admitted: int
    exited: int
    # Scans that let nobody through (revoked, forged, already admitted, ...).
    rejected: int
    # Admissions staff granted by hand.
    manual: int
    # Admissions at this gate that lost to an earlier one of the same ticket elsewhere.
    conflicts: int
    first_scan_at: datetime | None
    last_scan_at: datetime | None


class MinuteCount(msgspec.Struct, frozen=True):
    minute: datetime
    admitted: int
    exited: int


class AttendanceFigures(msgspec.Struct, frozen=True):
    # Live tickets.
    sold: int
    # Live tickets admitted at least once.
    checked_in: int
    # Live tickets never admitted (no-shows once doors have closed).
    no_shows: int
    # Every admission scan (re-entries and conflicting admissions included), every exit.
    admissions: int
    exits: int
    # Admissions less exits: about how many are inside now.
    inside: int
    rejected: int
    manual: int
    conflicts: int
    last_scan_at: datetime | None
    # When the cloud last received a scan of this event from a venue server.
    last_upload_at: datetime | None


class AttendanceReport(msgspec.Struct, frozen=True):
    event_id: int
    figures: AttendanceFigures
    types: list[TypeAttendance]
    gates: list[GateFigures]
    # Admissions and exits per minute over ``window_minutes`` minutes ending at the later of
    # now and the last scan (the last hour of the doors while they are open).
    per_minute: list[MinuteCount]


class GateMinute(msgspec.Struct, frozen=True):
    gate: str
    minute: datetime
    admitted: int
    exited: int
    rejected: int


class GateThroughput(msgspec.Struct, frozen=True):
    gate: str
    admitted: int
    exited: int
    rejected: int
    # Minutes in which the gate scanned anything.
    active_minutes: int
    peak_per_minute: int
    peak_minute: datetime | None
    mean_per_active_minute: float


class ThroughputReport(msgspec.Struct, frozen=True):
    event_id: int
    gates: list[GateThroughput]
    minutes: list[GateMinute]


class AttendeeOut(msgspec.Struct, frozen=True):
    ticket_id: str
    holder_name: str
    holder_email: str | None
    type_id: int
    type_name: str
    order_ref: str | None
    issued_at: datetime
    revoked: bool
    admissions: int
    first_admitted_at: datetime | None
    first_gate: str | None
    # Given to this holder by whoever had it, the buyer or the holder before
    # (cloud.orders.giving) / revoked because it was given away, replaced by the ticket given.
    given: bool = False
    replaced: bool = False


class AttendeePage(msgspec.Struct, frozen=True):
    # How many tickets match the search and filters, on every page.
    total: int
    offset: int
    limit: int
    attendees: list[AttendeeOut]


class OrderRow(msgspec.Struct, frozen=True):
    reference: str
    status: str
    buyer_name: str
    buyer_email: str
    tickets: int
    total: int
    currency: str
    payment_provider: str
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None


class OrderPage(msgspec.Struct, frozen=True):
    total: int
    offset: int
    limit: int
    orders: list[OrderRow]
    # Orders of the event per status, whatever the search.
    statuses: dict[str, int]


class EventSummary(msgspec.Struct, frozen=True):
    event_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    published: bool
    sold: int
    capacity: int
    paid_orders: int
    revenue: Money
    refunds: Money
    checked_in: int
    no_shows: int
    conflicts: int
    # The venue's IANA time zone, in which its dates are meant to be read.
    timezone: str = "UTC"


class PortfolioReport(msgspec.Struct, frozen=True):
    org_id: int
    events: list[EventSummary]
    sold: int
    capacity: int
    revenue: Money
    refunds: Money
    checked_in: int
