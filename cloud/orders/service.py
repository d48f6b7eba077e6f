"""Orders: checkout turns a live hold into an order, payment turns it into tickets, and an
organizer may cancel or refund it, which revokes its tickets.

Lock order, shared with cloud.orders.holds and cloud.events.stock so that no two
transactions can deadlock: the hold or order row first, then ticket types in ascending id
order, then the event's change counter (taken last, only to number the new or revoked
tickets for the venues' manifests).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, NotFound
from cloud.events.models import Event, TicketType
from cloud.events.service import own_event
from cloud.events.stock import release_seats, sell_held_seats
from cloud.notifications.outbox import enqueue_email
from cloud.orders.holds import HoldExpired, hold_by_token, hold_items, token_digest
from cloud.orders.models import (
    Hold,
    HoldState,
    Order,
    OrderLine,
    OrderStatus,
    OrderTicket,
)
from cloud.orders.payments import FREE, PaymentProvider, PaymentStart, PaymentState, provider_named
from cloud.tickets.models import Ticket
from cloud.tickets.service import add_signed_tickets, number_tickets, revoke_tickets
from cloud.timestamps import to_datetime

# No 0/O or 1/I: people read references aloud at the gate and over the phone.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_REFERENCE_LENGTH = 10


def new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))


def checkout(
    session: Session,
    master_key: bytes,
    token: str,
    provider: PaymentProvider,
    now: int,
) -> tuple[Order, PaymentStart | None]:
    """The order of the hold with this token, creating it from a live hold. An order that
    costs nothing is paid at once; otherwise ``provider`` starts the payment and, if it
    takes the money at once, the tickets are issued in the same transaction. Checking out
    the same hold again returns the same order."""
    hold = hold_by_token(session, token, lock=True)
    if hold.state == HoldState.CHECKED_OUT:
        order = _order_of_hold(session, hold)
        session.commit()
        return order, None
    if hold.state == HoldState.EXPIRED or hold.expires_at <= now:
        session.rollback()
        raise HoldExpired("this hold has expired and its tickets went back on sale; hold again")
    items = hold_items(session, hold.id)
    total = sum(item.quantity * item.unit_price for item, _ in items)
    hold.state = HoldState.CHECKED_OUT
    order = Order(
        reference=new_reference(),
        token_hash=hold.token_hash,
        event_id=hold.event_id,
        hold_id=hold.id,
        user_id=None,
        buyer_email=hold.buyer_email,
        buyer_name=hold.buyer_name,
        status=OrderStatus.PENDING,
        total=total,
        currency=items[0][1].currency,
        payment_provider=FREE if total == 0 else provider.name,
        created_at=now,
    )
    session.add(order)
    session.flush()
    session.add_all(
        OrderLine(
            order_id=order.id,
            type_id=item.type_id,
            quantity=item.quantity,
            unit_price=item.unit_price,
        )
        for item, _ in items
    )
    start = None
    if total == 0:
        _pay(session, master_key, order, now)
    else:
        start = provider.start(order)
        order.payment_ref = start.payment_ref
        if start.state == PaymentState.PAID:
            _pay(session, master_key, order, now)
    session.commit()
    return order, start


def _order_of_hold(session: Session, hold: Hold) -> Order:
    order = session.scalar(select(Order).where(Order.hold_id == hold.id))
    if order is None:
        raise NotFound("this hold has no order")
    return order


def _lines(session: Session, order_id: int) -> Sequence[OrderLine]:
    return session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.type_id)
    ).all()


def _pay(session: Session, master_key: bytes, order: Order, now: int) -> None:
    """Mark a pending order (locked by the caller) paid and issue its tickets. Everything
    slow comes first; the ticket types' rows and then the event's change counter are locked
    only at the end, for a few updates and the commit."""
    lines = _lines(session, order.id)
    tickets = add_signed_tickets(
        session,
        master_key,
        order.event_id,
        [(line.type_id, line.quantity) for line in lines],
        holder_name=order.buyer_name,
        holder_email=order.buyer_email,
        order_ref=order.reference,
    )
    session.add_all(OrderTicket(order_id=order.id, ticket_id=ticket.id) for ticket in tickets)
    order.status = OrderStatus.PAID
    order.paid_at = now
    _confirm_by_email(session, order, tickets, {line.type_id: line for line in lines})
    session.flush()
    for line in lines:
        sell_held_seats(session, line.type_id, line.quantity)
    number_tickets(session, order.event_id, tickets)


def _confirm_by_email(
    session: Session, order: Order, tickets: list[Ticket], lines: dict[int, OrderLine]
) -> None:
    """Queue the buyer's tickets by email in the paying transaction: sent if and only if
    the order is paid, once however often the payment is confirmed."""
    event = session.get(Event, order.event_id)
    assert event is not None  # an order's event is a foreign key
    names = dict(
        session.execute(
            select(TicketType.id, TicketType.name).where(TicketType.id.in_(list(lines)))
        ).all()
    )
    enqueue_email(
        session,
        to=order.buyer_email,
        template="order_confirmation",
        context={
            "order_ref": order.reference,
            "holder_name": order.buyer_name,
            "event_name": event.name,
            "event_starts": to_datetime(event.starts_at).strftime("%Y-%m-%d %H:%M UTC"),
            "tickets": [
                {
                    "ticket_id": ticket.ticket_ref,
                    "type_name": names.get(ticket.type_id, ""),
                    "token": ticket.token,
                }
                for ticket in tickets
            ],
        },
        idempotency_key=f"order-confirmation:{order.reference}",
    )


def _locked_order(session: Session, *conditions: object) -> Order | None:
    return session.scalar(
        select(Order)
        .where(*conditions)  # type: ignore[arg-type]
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def confirm_payment(
    session: Session, master_key: bytes, provider_name: str, payment_ref: str, now: int
) -> Order:
    """The provider says the payment succeeded (its webhook): issue the tickets. A repeated
    confirmation changes nothing."""
    order = _locked_order(
        session, Order.payment_provider == provider_name, Order.payment_ref == payment_ref
    )
    if order is None:
        session.rollback()
        raise NotFound(f"no {provider_name} payment {payment_ref[:100]!r}")
    if order.status == OrderStatus.PENDING:
        _pay(session, master_key, order, now)
    elif order.status != OrderStatus.PAID:
        session.rollback()
        raise Conflict(f"order {order.reference} was {order.status} before its payment arrived")
    session.commit()
    return order


def fail_payment(session: Session, provider_name: str, payment_ref: str, now: int) -> Order:
    """The provider says the payment will not happen: the order is cancelled and its seats
    go back on sale. Repeating it changes nothing."""
    order = _locked_order(
        session, Order.payment_provider == provider_name, Order.payment_ref == payment_ref
    )
    if order is None:
        session.rollback()
        raise NotFound(f"no {provider_name} payment {payment_ref[:100]!r}")
    if order.status == OrderStatus.PENDING:
        _release(session, order, now)
    session.commit()
    return order


def _release(session: Session, order: Order, now: int) -> None:
    for line in _lines(session, order.id):
        release_seats(session, line.type_id, line.quantity)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now


def cancel_order(
    session: Session,
    organizer_id: int,
    event_id: int,
    reference: str,
    *,
    refund: bool,
    now: int,
) -> Order:
    """Cancel an order of the organizer's event, giving the money back when ``refund``. Its
    tickets are revoked (venues learn it on their next manifest pull) and their seats go
    back on sale. Cancelling a cancelled order changes nothing."""
    own_event(session, organizer_id, event_id)
    order = _locked_order(session, Order.event_id == event_id, Order.reference == reference)
    if order is None:
        session.rollback()
        raise NotFound(f"order {reference[:40]!r} not found in event {event_id}")
    if order.status == OrderStatus.PENDING:
        _release(session, order, now)
    elif order.status == OrderStatus.PAID:
        revoke_tickets(session, event_id, list(order_tickets(session, order.id)))
        paid_money = order.payment_provider != FREE
        if refund and paid_money:
            provider_named(order.payment_provider).refund(order)
        order.status = OrderStatus.REFUNDED if refund and paid_money else OrderStatus.CANCELLED
        order.cancelled_at = now
    session.commit()
    return order


def order_tickets(session: Session, order_id: int) -> Sequence[Ticket]:
    return session.scalars(
        select(Ticket)
        .join(OrderTicket, OrderTicket.ticket_id == Ticket.id)
        .where(OrderTicket.order_id == order_id)
        .order_by(Ticket.id)
    ).all()


def order_for_buyer(session: Session, token: str) -> Order:
    order = session.scalar(select(Order).where(Order.token_hash == token_digest(token)))
    if order is None:
        raise NotFound("no order with this token; it may belong to another buyer")
    return order


def order_lines(session: Session, order_id: int) -> Sequence[OrderLine]:
    return _lines(session, order_id)


def event_orders(session: Session, organizer_id: int, event_id: int) -> list[tuple[Order, int]]:
    """The event's orders, newest first, with how many tickets each holds."""
    own_event(session, organizer_id, event_id)
    counts = (
        select(OrderLine.order_id, func.sum(OrderLine.quantity).label("tickets"))
        .group_by(OrderLine.order_id)
        .subquery()
    )
    rows = session.execute(
        select(Order, counts.c.tickets)
        .join(counts, counts.c.order_id == Order.id)
        .where(Order.event_id == event_id)
        .order_by(Order.id.desc())
    ).all()
    return [(order, int(tickets)) for order, tickets in rows]
