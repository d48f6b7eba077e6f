"""Every event of an organisation side by side: sold, money, checked in, conflicts; a few
grouped queries for the whole organisation, never one per event."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.analytics.attendance import admitted_ticket
from cloud.analytics.money import add, minus, summed
from cloud.analytics.schemas import EventSummary, Money, PortfolioReport
from cloud.events.models import Event, TicketType
from cloud.orders.models import Order, OrderStatus
from cloud.scans.models import ScanConflict
from cloud.tickets.models import Ticket
from cloud.timestamps import to_datetime
from cloud.venues.models import Venue


def portfolio_report(session: Session, org_id: int) -> PortfolioReport:
    rows = session.execute(
        select(Event, Venue.timezone)
        .join(Venue, Venue.id == Event.venue_id)
        .where(Event.organizer_id == org_id)
        .order_by(Event.starts_at, Event.id)
    ).all()
    events = [event for event, _ in rows]
    zone_of = {event.id: zone for event, zone in rows}
    ids = [event.id for event in events]
    stock = {
        event_id: (int(sold or 0), int(capacity or 0))
        for event_id, sold, capacity in session.execute(
            select(TicketType.event_id, func.sum(TicketType.sold), func.sum(TicketType.capacity))
            .where(TicketType.event_id.in_(ids))
            .group_by(TicketType.event_id)
        )
    }
    gross: dict[int, Money] = defaultdict(dict)
    refunds: dict[int, Money] = defaultdict(dict)
    paid: dict[int, int] = defaultdict(int)
    for event_id, currency, status, count, total in session.execute(
        select(Order.event_id, Order.currency, Order.status, func.count(), func.sum(Order.total))
        .where(Order.event_id.in_(ids), Order.paid_at.is_not(None))
        .group_by(Order.event_id, Order.currency, Order.status)
    ):
        add(gross[event_id], currency, int(total or 0))
        if status == OrderStatus.REFUNDED:
            add(refunds[event_id], currency, int(total or 0))
        if status == OrderStatus.PAID:
            paid[event_id] += int(count)
    checked_in = {
        event_id: int(count)
        for event_id, count in session.execute(
            select(Ticket.event_id, func.count())
            .where(Ticket.event_id.in_(ids), Ticket.revoked.is_(False), admitted_ticket())
            .group_by(Ticket.event_id)
        )
    }
    conflicts = {
        event_id: int(count)
        for event_id, count in session.execute(
            select(ScanConflict.event_id, func.count())
            .where(ScanConflict.event_id.in_(ids))
            .group_by(ScanConflict.event_id)
        )
    }
    summaries = []
    for event in events:
        sold, capacity = stock.get(event.id, (0, 0))
        summaries.append(
            EventSummary(
                event_id=event.id,
                name=event.name,
                starts_at=to_datetime(event.starts_at),
                ends_at=to_datetime(event.ends_at),
                published=event.published_at is not None,
                sold=sold,
                capacity=capacity,
                paid_orders=paid[event.id],
                revenue=minus(gross[event.id], refunds[event.id]),
                refunds=dict(sorted(refunds[event.id].items())),
                checked_in=checked_in.get(event.id, 0),
                no_shows=max(sold - checked_in.get(event.id, 0), 0),
                conflicts=conflicts.get(event.id, 0),
                timezone=zone_of[event.id],
            )
        )
    return PortfolioReport(
        org_id=org_id,
        events=summaries,
        sold=sum(row.sold for row in summaries),
        capacity=sum(row.capacity for row in summaries),
        revenue=summed(row.revenue for row in summaries),
        refunds=summed(row.refunds for row in summaries),
        checked_in=sum(row.checked_in for row in summaries),
    )
