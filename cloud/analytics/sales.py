"""What an event sold: headline figures, sales by ticket type and sales over time.

Tickets and money are counted from orders: an order counts when it was paid (``paid_at``),
and a paid order that is later cancelled or refunded counts again, negatively, when that
happened (``cancelled_at``), so the running total always ends at what the sale stands at now.
A cancelled order keeps its money (nothing was given back), a refunded one does not.
Complimentary tickets (issued without an order) are stock but not sales: they appear in the
capacity figures and by type, never in the money."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.analytics.buckets import (
    Granularity,
    auto_granularity,
    local_start,
    local_starts,
    quarter_start,
)
from cloud.analytics.money import add, minus
from cloud.analytics.schemas import Money, SalesBucket, SalesFigures, SalesReport, TypeSales
from cloud.events.models import Event, TicketType
from cloud.events.stock import available, live_held, stale_holds
from cloud.orders.models import Order, OrderLine, OrderStatus, OrderTicket
from cloud.tickets.models import Ticket
from cloud.timestamps import to_datetime
from cloud.venues import zones
from cloud.venues.models import Venue

# More buckets than this make a plot unreadable: a finer granularity asked for over a long
# sale falls back to a coarser one.
MAX_BUCKETS = 750
_GIVEN_UP = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
_COARSER = {Granularity.HOUR: Granularity.DAY, Granularity.DAY: Granularity.WEEK}


def _types(session: Session, event_id: int) -> Sequence[TicketType]:
    return session.scalars(
        select(TicketType).where(TicketType.event_id == event_id).order_by(TicketType.id)
    ).all()


def _order_totals(session: Session, event_id: int) -> list[tuple[str, str, int, int]]:
    """(currency, status, orders, money) of the event's orders that were ever paid."""
    rows = session.execute(
        select(Order.currency, Order.status, func.count(), func.sum(Order.total))
        .where(Order.event_id == event_id, Order.paid_at.is_not(None))
        .group_by(Order.currency, Order.status)
    ).all()
    return [(currency, status, int(n), int(total or 0)) for currency, status, n, total in rows]


def _in_orders(session: Session, event_id: int) -> dict[int, int]:
    """Live tickets per type that an order issued."""
    rows = session.execute(
        select(Ticket.type_id, func.count())
        .select_from(Order)
        .join(OrderTicket, OrderTicket.order_id == Order.id)
        .join(Ticket, Ticket.id == OrderTicket.ticket_id)
        .where(Order.event_id == event_id, Ticket.revoked.is_(False))
        .group_by(Ticket.type_id)
    ).all()
    return {type_id: int(count) for type_id, count in rows}


def _revenue_by_type(session: Session, event_id: int) -> dict[int, int]:
    """Money kept per type: lines of orders that were paid and not refunded."""
    rows = session.execute(
        select(OrderLine.type_id, func.sum(OrderLine.quantity * OrderLine.unit_price))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.event_id == event_id,
            Order.paid_at.is_not(None),
            Order.status != OrderStatus.REFUNDED,
        )
        .group_by(OrderLine.type_id)
    ).all()
    return {type_id: int(total or 0) for type_id, total in rows}


def _figures(
    types: Sequence[TicketType],
    stale: dict[int, int],
    totals: list[tuple[str, str, int, int]],
    in_orders: dict[int, int],
) -> SalesFigures:
    gross: Money = {}
    refunds: Money = {}
    counts: dict[str, int] = defaultdict(int)
    for currency, status, orders, money in totals:
        add(gross, currency, money)
        if status == OrderStatus.REFUNDED:
            add(refunds, currency, money)
        counts[status] += orders
    return SalesFigures(
        sold=sum(row.sold for row in types),
        held=sum(live_held(row, stale) for row in types),
        capacity=sum(row.capacity for row in types),
        available=sum(available(row, stale) for row in types),
        complimentary=sum(_complimentary(row, in_orders) for row in types),
        paid_orders=counts[OrderStatus.PAID],
        cancelled_orders=counts[OrderStatus.CANCELLED],
        refunded_orders=counts[OrderStatus.REFUNDED],
        gross=dict(sorted(gross.items())),
        refunds=dict(sorted(refunds.items())),
        revenue=minus(gross, refunds),
    )


def _complimentary(row: TicketType, in_orders: dict[int, int]) -> int:
    return max(row.sold - in_orders.get(row.id, 0), 0)


def sales_figures(session: Session, event_id: int, now: int) -> SalesFigures:
    """The headline figures of the event's sale."""
    return _figures(
        _types(session, event_id),
        stale_holds(session, event_id, now),
        _order_totals(session, event_id),
        _in_orders(session, event_id),
    )


def _type_sales(
    types: Sequence[TicketType],
    stale: dict[int, int],
    in_orders: dict[int, int],
    revenue: dict[int, int],
) -> list[TypeSales]:
    return [
        TypeSales(
            type_id=row.id,
            name=row.name,
            price=row.price,
            currency=row.currency,
            capacity=row.capacity,
            sold=row.sold,
            held=live_held(row, stale),
            available=available(row, stale),
            complimentary=_complimentary(row, in_orders),
            revenue=revenue.get(row.id, 0),
        )
        for row in types
    ]


def _span(session: Session, event_id: int) -> tuple[int, int] | None:
    """The first payment and the last payment or cancellation of the event's orders."""
    first, last_paid, last_given_up = session.execute(
        select(
            func.min(Order.paid_at), func.max(Order.paid_at), func.max(Order.cancelled_at)
        ).where(Order.event_id == event_id, Order.paid_at.is_not(None))
    ).one()
    if first is None:
        return None
    return int(first), max(int(last_paid or first), int(last_given_up or 0))


def _zone(session: Session, event_id: int) -> str:
    """The time zone of the event's venue, whose hours and days the buckets are."""
    zone = session.scalar(
        select(Venue.timezone).join(Event, Event.venue_id == Venue.id).where(Event.id == event_id)
    )
    return zone or zones.DEFAULT


def _fit(granularity: Granularity, first: int, last: int) -> Granularity:
    while (last - first) // granularity.seconds + 1 > MAX_BUCKETS and granularity in _COARSER:
        granularity = _COARSER[granularity]
    return granularity


def _paid_per_quarter(session: Session, event_id: int) -> list[tuple[int, str, int, int, int]]:
    """(quarter hour, currency, orders, tickets, money) of orders by when they were paid."""
    bucket = quarter_start(Order.paid_at)
    rows = session.execute(
        select(
            bucket,
            Order.currency,
            func.count(func.distinct(Order.id)),
            func.sum(OrderLine.quantity),
            func.sum(OrderLine.quantity * OrderLine.unit_price),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.event_id == event_id, Order.paid_at.is_not(None))
        .group_by(bucket, Order.currency)
    ).all()
    return [(int(b or 0), c, int(o), int(t or 0), int(m or 0)) for b, c, o, t, m in rows]


def _given_up_per_quarter(session: Session, event_id: int) -> list[tuple[int, str, str, int, int]]:
    """(quarter hour, currency, status, tickets, money) of paid orders by when they were
    given up."""
    bucket = quarter_start(Order.cancelled_at)
    rows = session.execute(
        select(
            bucket,
            Order.currency,
            Order.status,
            func.sum(OrderLine.quantity),
            func.sum(OrderLine.quantity * OrderLine.unit_price),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.event_id == event_id,
            Order.paid_at.is_not(None),
            Order.cancelled_at.is_not(None),
            Order.status.in_(_GIVEN_UP),
        )
        .group_by(bucket, Order.currency, Order.status)
    ).all()
    return [(int(b or 0), c, s, int(t or 0), int(m or 0)) for b, c, s, t, m in rows]


def sales_buckets(
    session: Session,
    event_id: int,
    granularity: Granularity | None = None,
    zone: str | None = None,
) -> tuple[Granularity, list[SalesBucket]]:
    """Sales over time in buckets (``granularity``, or one fitting the sale's span) of the
    venue's time, every bucket from the first payment to the last change included, quiet
    ones as zeros."""
    span = _span(session, event_id)
    if span is None:
        return granularity or Granularity.DAY, []
    first, last = span
    chosen = _fit(granularity or auto_granularity(first, last), first, last)
    zone = zone or _zone(session, event_id)

    def local(quarter: int) -> int:
        return local_start(quarter, chosen, zone)

    orders: dict[int, int] = defaultdict(int)
    tickets: dict[int, int] = defaultdict(int)
    revenue: dict[int, Money] = defaultdict(dict)
    cancelled: dict[int, int] = defaultdict(int)
    refunds: dict[int, Money] = defaultdict(dict)
    for quarter, currency, count, sold, money in _paid_per_quarter(session, event_id):
        orders[local(quarter)] += count
        tickets[local(quarter)] += sold
        add(revenue[local(quarter)], currency, money)
    for quarter, currency, status, lost, money in _given_up_per_quarter(session, event_id):
        cancelled[local(quarter)] += lost
        if status == OrderStatus.REFUNDED:
            add(refunds[local(quarter)], currency, money)
    total_tickets = 0
    total_revenue: Money = {}
    buckets = []
    for start in local_starts(first, last, chosen, zone):
        total_tickets += tickets[start] - cancelled[start]
        for currency, amount in revenue[start].items():
            add(total_revenue, currency, amount)
        for currency, amount in refunds[start].items():
            add(total_revenue, currency, -amount)
        buckets.append(
            SalesBucket(
                start=to_datetime(start),
                orders=orders[start],
                tickets=tickets[start],
                revenue=dict(sorted(revenue[start].items())),
                cancelled_tickets=cancelled[start],
                refunds=dict(sorted(refunds[start].items())),
                total_tickets=total_tickets,
                total_revenue=dict(sorted(total_revenue.items())),
            )
        )
    return chosen, buckets


def sales_report(
    session: Session, event_id: int, now: int, granularity: Granularity | None = None
) -> SalesReport:
    """Everything the sales dashboard shows, read in one transaction of the caller's."""
    types = _types(session, event_id)
    stale = stale_holds(session, event_id, now)
    in_orders = _in_orders(session, event_id)
    zone = _zone(session, event_id)
    chosen, buckets = sales_buckets(session, event_id, granularity, zone)
    return SalesReport(
        event_id=event_id,
        granularity=chosen,
        timezone=zone,
        figures=_figures(types, stale, _order_totals(session, event_id), in_orders),
        types=_type_sales(types, stale, in_orders, _revenue_by_type(session, event_id)),
        buckets=buckets,
    )
