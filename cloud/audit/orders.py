"""Audit entries about orders, kept here so the order service needs one line per action."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cloud.audit.actions import Action
from cloud.audit.actor import Actor
from cloud.audit.log import record
from cloud.events.models import Event
from cloud.orders.models import Order, OrderStatus


def order_given_up(session: Session, org_id: int, order: Order) -> None:
    """An organizer cancelled ``order`` or refunded it (its status says which)."""
    _given_up(session, org_id, order, how="refunded" if _refunded(order) else "cancelled")


def refunded_at_provider(session: Session, order: Order) -> None:
    """The payment provider reported ``order``'s payment refunded in full (from Stripe's
    dashboard, say), so its tickets were revoked: logged for the event's organisation with
    the provider as the one who acted, as nobody did it on the platform."""
    event = session.get(Event, order.event_id)
    org_id = None if event is None else event.organizer_id
    how = f"refunded at the payment provider ({order.payment_provider})"
    _given_up(session, org_id, order, how=how, actor=Actor(None, order.payment_provider))


def order_email_corrected(session: Session, org_id: int, order: Order, old: str) -> None:
    """An organizer corrected the address ``order``'s tickets go to (from ``old``)."""
    record(
        session,
        Action.ORDER_EMAIL_CORRECTED,
        f"order {order.reference}: buyer's email corrected from {old} to {order.buyer_email}",
        target=("order", order.reference),
        org_id=org_id,
        detail={"event_id": order.event_id, "from": old, "to": order.buyer_email},
    )


def _refunded(order: Order) -> bool:
    return order.status == OrderStatus.REFUNDED


def _given_up(
    session: Session, org_id: int | None, order: Order, *, how: str, actor: Actor | None = None
) -> None:
    event = session.get(Event, order.event_id)
    where = f"event {order.event_id}" + (f" {event.name!r}" if event is not None else "")
    record(
        session,
        Action.ORDER_REFUNDED if _refunded(order) else Action.ORDER_CANCELLED,
        f"order {order.reference} of {where} {how}; its tickets are revoked",
        target=("order", order.reference),
        org_id=org_id,
        actor=actor,
        detail={
            "event_id": order.event_id,
            "total": order.total,
            "currency": order.currency,
            "provider": order.payment_provider,
        },
    )
