"""Audit entries about orders, kept here so the order service needs one line per action."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cloud.audit.actions import Action
from cloud.audit.log import record
from cloud.events.models import Event
from cloud.orders.models import Order, OrderStatus


def order_given_up(session: Session, org_id: int, order: Order) -> None:
    """An organizer cancelled ``order`` or refunded it (its status says which)."""
    refunded = order.status == OrderStatus.REFUNDED
    event = session.get(Event, order.event_id)
    where = f"event {order.event_id}" + (f" {event.name!r}" if event is not None else "")
    record(
        session,
        Action.ORDER_REFUNDED if refunded else Action.ORDER_CANCELLED,
        f"order {order.reference} of {where} {'refunded' if refunded else 'cancelled'}; "
        "its tickets are revoked",
        target=("order", order.reference),
        org_id=org_id,
        detail={
            "event_id": order.event_id,
            "total": order.total,
            "currency": order.currency,
            "provider": order.payment_provider,
        },
    )
