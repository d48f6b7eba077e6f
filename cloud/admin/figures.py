"""The platform's figures for its admins: sales and revenue per day, events on sale,
accounts and organisations, and which venue servers called in and when."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from cloud.events.models import Event, TicketType
from cloud.orders.models import Order, OrderLine, OrderStatus
from cloud.orgs.models import Organisation
from cloud.users.models import User
from cloud.venues.models import Venue

DAY_S = 86_400
MAX_DAYS = 366
# A venue server syncs every few seconds while it runs; quiet for longer, it is offline.
ONLINE_WITHIN_S = 5 * 60


@dataclass(frozen=True, slots=True)
class DaySales:
    """Orders paid on one UTC day and still paid (refunded ones count under refunds)."""

    day: date
    orders: int = 0
    tickets: int = 0
    # Minor units per currency.
    revenue: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VenueSeen:
    venue_id: int
    name: str
    org_name: str
    last_seen_at: int | None

    def online(self, now: int) -> bool:
        return self.last_seen_at is not None and now - self.last_seen_at <= ONLINE_WITHIN_S


@dataclass(frozen=True, slots=True)
class ActiveEvent:
    event_id: int
    name: str
    org_name: str
    starts_at: int
    sold: int
    # The venue's time zone, which the start is shown in.
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class PlatformFigures:
    now: int
    days: list[DaySales]
    refunds: int
    active_events: int
    top_events: list[ActiveEvent]
    users: int
    organisations: int
    pending_organisations: int
    venues: list[VenueSeen]

    @property
    def currencies(self) -> list[str]:
        """Currencies sold in, the largest revenue first."""
        totals = self.revenue
        return sorted(totals, key=lambda code: (-totals[code], code))

    @property
    def revenue(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for day in self.days:
            for code, amount in day.revenue.items():
                totals[code] += amount
        return dict(totals)

    @property
    def orders(self) -> int:
        return sum(day.orders for day in self.days)

    @property
    def tickets(self) -> int:
        return sum(day.tickets for day in self.days)

    @property
    def venues_online(self) -> int:
        return sum(1 for venue in self.venues if venue.online(self.now))


def _day(seconds: int) -> date:
    return datetime.fromtimestamp(seconds, UTC).date()


def platform_figures(session: Session, *, now: int, days: int = 30) -> PlatformFigures:
    """The last ``days`` UTC days up to and including today."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    today = _day(now)
    first = today - timedelta(days=days - 1)
    since = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
    return PlatformFigures(
        now=now,
        days=_sales(session, first, since, days),
        refunds=int(
            session.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.status == OrderStatus.REFUNDED, Order.cancelled_at >= since)
            )
            or 0
        ),
        active_events=int(
            session.scalar(select(func.count()).select_from(Event).where(*_on_sale(now))) or 0
        ),
        top_events=_top_events(session, now),
        users=int(session.scalar(select(func.count()).select_from(User)) or 0),
        organisations=int(session.scalar(select(func.count()).select_from(Organisation)) or 0),
        pending_organisations=int(
            session.scalar(
                select(func.count())
                .select_from(Organisation)
                .where(Organisation.approved_at.is_(None), Organisation.suspended_at.is_(None))
            )
            or 0
        ),
        venues=_venues(session),
    )


def _on_sale(now: int) -> tuple[ColumnElement[bool], ...]:
    return (
        Event.published_at.is_not(None),
        Event.hidden_at.is_(None),
        Event.ends_at > now,
    )


def _sales(session: Session, first: date, since: int, days: int) -> list[DaySales]:
    bucket = Order.paid_at // DAY_S
    kept = (Order.status == OrderStatus.PAID, Order.paid_at >= since)
    money = session.execute(
        select(bucket, Order.currency, func.count(), func.sum(Order.total))
        .where(*kept)
        .group_by(bucket, Order.currency)
    ).all()
    tickets = session.execute(
        select(bucket, func.sum(OrderLine.quantity))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(*kept)
        .group_by(bucket)
    ).all()
    orders_by_day: dict[int, int] = defaultdict(int)
    revenue_by_day: dict[int, dict[str, int]] = defaultdict(dict)
    for day_number, currency, count, total in money:
        if day_number is not None:  # never: only paid orders are counted
            orders_by_day[int(day_number)] += int(count)
            revenue_by_day[int(day_number)][currency] = int(total or 0)
    tickets_by_day = {
        int(day_number): int(total or 0) for day_number, total in tickets if day_number is not None
    }
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        number = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) // DAY_S
        out.append(
            DaySales(
                day=day,
                orders=orders_by_day.get(number, 0),
                tickets=tickets_by_day.get(number, 0),
                revenue=revenue_by_day.get(number, {}),
            )
        )
    return out


def _top_events(session: Session, now: int, limit: int = 10) -> list[ActiveEvent]:
    sold = func.coalesce(func.sum(TicketType.sold), 0)
    rows = session.execute(
        select(Event.id, Event.name, Organisation.name, Event.starts_at, sold, Venue.timezone)
        .join(Organisation, Organisation.id == Event.organizer_id)
        .join(Venue, Venue.id == Event.venue_id)
        .outerjoin(TicketType, TicketType.event_id == Event.id)
        .where(*_on_sale(now))
        .group_by(Event.id, Event.name, Organisation.name, Event.starts_at, Venue.timezone)
        .order_by(sold.desc(), Event.starts_at, Event.id)
        .limit(limit)
    ).all()
    return [
        ActiveEvent(event_id, name, org, starts_at, int(count), zone)
        for event_id, name, org, starts_at, count, zone in rows
    ]


def _venues(session: Session) -> list[VenueSeen]:
    rows = session.execute(
        select(Venue.id, Venue.name, Organisation.name, Venue.last_seen_at)
        .join(Organisation, Organisation.id == Venue.organizer_id)
        .order_by(Venue.last_seen_at.is_(None), Venue.last_seen_at.desc(), Venue.id)
    ).all()
    return [VenueSeen(venue_id, name, org, seen) for venue_id, name, org, seen in rows]
