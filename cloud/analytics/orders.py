"""An event's orders for the organizer: searched by reference (exactly) or buyer name or
email (anywhere), filtered by status, a page at a time, newest first."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from cloud.analytics.schemas import OrderPage, OrderRow
from cloud.analytics.search import contains
from cloud.orders.models import Order, OrderLine, OrderStatus
from cloud.timestamps import to_datetime

MAX_PAGE = 200
STATUSES = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REFUNDED)


def _conditions(event_id: int, query: str, status: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Order.event_id == event_id]
    if status:
        conditions.append(Order.status == status)
    if query:
        pattern = contains(query)
        conditions.append(
            or_(
                Order.reference == query.upper(),
                Order.buyer_name.ilike(pattern, escape="\\"),
                Order.buyer_email.ilike(pattern, escape="\\"),
            )
        )
    return conditions


def order_page(
    session: Session,
    event_id: int,
    *,
    query: str = "",
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> OrderPage:
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    conditions = _conditions(event_id, query, status)
    orders = session.scalars(
        select(Order).where(*conditions).order_by(Order.id.desc()).offset(offset).limit(limit)
    ).all()
    tickets = dict(
        session.execute(
            select(OrderLine.order_id, func.sum(OrderLine.quantity))
            .where(OrderLine.order_id.in_([order.id for order in orders]))
            .group_by(OrderLine.order_id)
        ).all()
    )
    total = session.scalar(select(func.count()).select_from(Order).where(*conditions)) or 0
    statuses = dict.fromkeys(STATUSES, 0)
    for name, count in session.execute(
        select(Order.status, func.count()).where(Order.event_id == event_id).group_by(Order.status)
    ):
        statuses[name] = int(count)
    return OrderPage(
        total=int(total),
        offset=offset,
        limit=limit,
        orders=[
            OrderRow(
                reference=order.reference,
                status=order.status,
                buyer_name=order.buyer_name,
                buyer_email=order.buyer_email,
                tickets=int(tickets.get(order.id, 0)),
                total=order.total,
                currency=order.currency,
                payment_provider=order.payment_provider,
                created_at=to_datetime(order.created_at),
                paid_at=None if order.paid_at is None else to_datetime(order.paid_at),
                cancelled_at=None
                if order.cancelled_at is None
                else to_datetime(order.cancelled_at),
            )
            for order in orders
        ],
        statuses=statuses,
    )
