"""Orders: checkout turns a live hold into an order, payment turns it into tickets, and an
organizer may cancel or refund it, which revokes its tickets.

Lock order, shared with cloud.orders.holds and cloud.events.stock so that no two
transactions can deadlock: the hold or order row first, then ticket types in ascending id
order, then the event's change counter (taken last, only to number the new or revoked
tickets for the venues' manifests).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.audit.orders import order_given_up
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
    PaymentEventRecord,
)
from cloud.orders.payments import (
    FREE,
    PaymentEvent,
    PaymentEventKind,
    PaymentProvider,
    PaymentProviderError,
    PaymentStart,
    PaymentState,
    ProviderLookup,
)
from cloud.tickets.models import Ticket
from cloud.tickets.service import add_signed_tickets, number_tickets, revoke_tickets
from cloud.timestamps import to_datetime
from cloud.vouchers.service import give_back_uses

log = logging.getLogger("bilten.cloud.payments")

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
    the same hold again returns the same order, and the same payment while it is unpaid."""
    hold = hold_by_token(session, token, lock=True)
    if hold.state == HoldState.CHECKED_OUT:
        order = _order_of_hold(session, hold)
        session.commit()
        if order.status == OrderStatus.PENDING and order.payment_provider == provider.name:
            # The buyer came back to pay (a reload, another tab): the same payment again.
            return order, provider.resume(order)
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
        user_id=hold.user_id,
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
        try:
            start = provider.start(order)
        except PaymentProviderError:
            session.rollback()  # the hold stays live: the buyer may try again
            raise
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
    _give_back_voucher(session, order)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now


def _give_back_voucher(session: Session, order: Order) -> None:
    """A cancelled order's voucher uses count again, like its seats (taken after them, in
    the lock order of cloud.orders.holds)."""
    hold = session.get(Hold, order.hold_id)
    if hold is not None and hold.voucher_id is not None and hold.voucher_uses:
        give_back_uses(session, [(hold.voucher_id, hold.voucher_uses)])


def cancel_order(
    session: Session,
    organizer_id: int,
    event_id: int,
    reference: str,
    *,
    refund: bool,
    providers: ProviderLookup,
    now: int,
) -> Order:
    """Cancel an order of the organizer's event, giving the money back when ``refund``
    through the provider that took it. Its tickets are revoked (venues learn it on their
    next manifest pull) and their seats go back on sale. Cancelling a cancelled order
    changes nothing; a refund the provider refuses changes nothing either."""
    own_event(session, organizer_id, event_id)
    order = _locked_order(session, Order.event_id == event_id, Order.reference == reference)
    if order is None:
        session.rollback()
        raise NotFound(f"order {reference[:40]!r} not found in event {event_id}")
    status_before = order.status
    if order.status == OrderStatus.PENDING:
        _release(session, order, now)
    elif order.status == OrderStatus.PAID:
        paid_money = order.payment_provider != FREE
        if refund and paid_money:
            # The money first: if the provider refuses, the tickets stay valid.
            try:
                providers(order.payment_provider).refund(order)
            except PaymentProviderError:
                session.rollback()
                raise
        _revoke(session, order)
        order.status = OrderStatus.REFUNDED if refund and paid_money else OrderStatus.CANCELLED
        order.cancelled_at = now
    if order.status != status_before:
        order_given_up(session, organizer_id, order)
    session.commit()
    return order


def _revoke(session: Session, order: Order) -> None:
    """A paid order is given up: its tickets are revoked, their seats and the voucher uses
    they took count again."""
    revoke_tickets(session, order.event_id, list(order_tickets(session, order.id)))
    _give_back_voucher(session, order)


class PaymentOutcome(StrEnum):
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    UNKNOWN_PAYMENT = "unknown_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    UNCHANGED = "unchanged"


def apply_payment_event(
    session: Session,
    master_key: bytes,
    provider: PaymentProvider,
    event: PaymentEvent,
    now: int,
) -> PaymentOutcome:
    """Apply a provider's event exactly once, in whatever order events arrive. The event's
    id is recorded in the transaction of its effect: a redelivery changes nothing, and a
    failure (the provider refusing an automatic refund) leaves no record, so the provider's
    retry applies it again. Whatever happens, nobody ends up paying without tickets."""
    if _already_applied(session, event):
        session.rollback()
        return PaymentOutcome.DUPLICATE
    record = PaymentEventRecord(
        provider=event.provider, event_id=event.event_id, type=event.type, received_at=now
    )
    session.add(record)
    try:
        # A concurrent delivery of the same event waits here for the first one's commit.
        session.flush()
    except IntegrityError:
        session.rollback()
        return PaymentOutcome.DUPLICATE
    if event.kind == PaymentEventKind.OTHER:
        session.commit()
        return PaymentOutcome.IGNORED
    order = (
        None
        if event.payment_ref is None
        else _locked_order(
            session,
            Order.payment_provider == event.provider,
            Order.payment_ref == event.payment_ref,
        )
    )
    if order is None:
        # Another system's payment on the same account: nothing of ours to change.
        session.rollback()
        log.info("%s event %s names no order of ours", event.provider, event.type)
        return PaymentOutcome.UNKNOWN_PAYMENT
    record.order_id = order.id
    if event.kind == PaymentEventKind.SUCCEEDED:
        try:
            outcome = _succeeded(session, master_key, provider, order, event, now=now)
        except PaymentProviderError:
            session.rollback()  # unrecorded: the provider's next delivery tries again
            raise
    elif event.kind == PaymentEventKind.FAILED:
        outcome = PaymentOutcome.UNCHANGED
        if order.status == OrderStatus.PENDING:
            _release(session, order, now)
            outcome = PaymentOutcome.CANCELLED
    else:
        outcome = _refunded(session, order, event, now)
    session.commit()
    return outcome


def _already_applied(session: Session, event: PaymentEvent) -> bool:
    return (
        session.scalar(
            select(PaymentEventRecord.id).where(
                PaymentEventRecord.provider == event.provider,
                PaymentEventRecord.event_id == event.event_id,
            )
        )
        is not None
    )


def _succeeded(
    session: Session,
    master_key: bytes,
    provider: PaymentProvider,
    order: Order,
    event: PaymentEvent,
    *,
    now: int,
) -> PaymentOutcome:
    if order.status == OrderStatus.PENDING:
        if event.amount == order.total and event.currency == order.currency.upper():
            _pay(session, master_key, order, now)
            return PaymentOutcome.PAID
        # Not what the order costs: no tickets for it, and the money goes back.
        log.warning(
            "payment for order %s took %s %s, not %s %s: refunding it",
            order.reference,
            event.amount,
            event.currency,
            order.total,
            order.currency,
        )
        provider.refund(order)
        _release(session, order, now)
        order.status = OrderStatus.REFUNDED
        return PaymentOutcome.REFUNDED
    if order.status == OrderStatus.CANCELLED and order.paid_at is None:
        # Paid after the order was given up (it expired, or its payment was declined
        # first): its seats may be sold by now, so the buyer gets the money back.
        provider.refund(order)
        order.status = OrderStatus.REFUNDED
        log.info("order %s was paid after it was cancelled: refunded", order.reference)
        return PaymentOutcome.REFUNDED
    return PaymentOutcome.UNCHANGED


def _refunded(session: Session, order: Order, event: PaymentEvent, now: int) -> PaymentOutcome:
    if not event.whole_refund:
        log.info("order %s was partly refunded; its tickets stay valid", order.reference)
        return PaymentOutcome.UNCHANGED
    if order.status == OrderStatus.PAID:
        _revoke(session, order)
        order.cancelled_at = now
    elif order.status == OrderStatus.PENDING:
        # The refund overtook the payment's own event: the buyer has the money back.
        _release(session, order, now)
    elif order.status == OrderStatus.REFUNDED:
        return PaymentOutcome.UNCHANGED
    order.status = OrderStatus.REFUNDED
    return PaymentOutcome.REFUNDED


def overdue_orders(session: Session, older_than: int, limit: int) -> list[Order]:
    """Unpaid orders created at or before ``older_than``, oldest first."""
    return list(
        session.scalars(
            select(Order)
            .where(Order.status == OrderStatus.PENDING, Order.created_at <= older_than)
            .order_by(Order.created_at, Order.id)
            .limit(limit)
        ).all()
    )


def expire_order(session: Session, order_id: int, now: int) -> bool:
    """Cancel an order still unpaid and put its seats back on sale, as a failed payment
    does; False when it got paid or cancelled meanwhile."""
    order = _locked_order(session, Order.id == order_id)
    if order is None or order.status != OrderStatus.PENDING:
        session.rollback()
        return False
    _release(session, order, now)
    session.commit()
    return True


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
