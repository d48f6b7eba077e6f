"""Orders after checkout (cloud.orders.checkout): the payment provider confirms, fails or
refunds a payment, and an organizer may cancel or refund an order, which revokes its
tickets.

Lock order, shared with cloud.orders.checkout, cloud.orders.holds and cloud.events.stock so
that no two transactions can deadlock: the hold or order row first, then the order's tickets
in ascending id order (as the venues' manifest reader locks them), then ticket types in
ascending id order. New and revoked tickets are left unnumbered for the venues' manifests
(cloud.tickets.changes), so nothing here locks the whole event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.addresses import email_address
from cloud.audit.orders import order_email_corrected, order_given_up, refunded_at_provider
from cloud.errors import Conflict, NotFound
from cloud.events.service import own_event
from cloud.events.stock import release_seats
from cloud.orders import lost_tickets
from cloud.orders.checkout import issue_order_tickets, order_lines, order_tickets
from cloud.orders.holds import token_digest
from cloud.orders.models import (
    Hold,
    Order,
    OrderLine,
    OrderStatus,
    PaymentEventRecord,
)
from cloud.orders.payments import (
    FREE,
    PaymentEvent,
    PaymentEventKind,
    PaymentProvider,
    PaymentProviderError,
    ProviderLookup,
)
from cloud.tickets.changes import UNNUMBERED
from cloud.tickets.service import revoke_tickets
from cloud.vouchers.service import give_back_uses

log = logging.getLogger("bilten.cloud.payments")


def _lines(session: Session, order_id: int) -> Sequence[OrderLine]:
    return session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.type_id)
    ).all()


def _pay(
    session: Session, master_key: bytes, order: Order, now: int, public_url: str | None
) -> None:
    """Mark a pending order (locked by the caller) paid and issue its tickets; their email
    links to the order's page when ``public_url`` is given."""
    order.status = OrderStatus.PAID
    order.paid_at = now
    issue_order_tickets(
        session, master_key, order, order_lines(session, order.id), public_url=public_url
    )


def _event_order(session: Session, organizer_id: int, event_id: int, reference: str) -> Order:
    """The organizer's event's order with this reference, locked; NotFound otherwise."""
    own_event(session, organizer_id, event_id)
    order = _locked_order(session, Order.event_id == event_id, Order.reference == reference)
    if order is None:
        session.rollback()
        raise NotFound(f"order {reference[:40]!r} not found in event {event_id}")
    return order


def _locked_order(session: Session, *conditions: object) -> Order | None:
    return session.scalar(
        select(Order)
        .where(*conditions)  # type: ignore[arg-type]
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def confirm_payment(
    session: Session,
    master_key: bytes,
    provider_name: str,
    payment_ref: str,
    now: int,
    *,
    public_url: str | None = None,
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
        _pay(session, master_key, order, now, public_url)
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
    order = _event_order(session, organizer_id, event_id, reference)
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


def email_order_for_organizer(
    session: Session,
    organizer_id: int,
    event_id: int,
    reference: str,
    *,
    to: str | None,
    now: int,
    master_key: bytes,
    public_url: str | None,
) -> Order:
    """An organizer sends a paid order's valid tickets to its buyer again (the buyer who
    calls because the email never came), to the address it was bought with or, when ``to``
    differs, to a corrected one. A correction changes the order's address and that of its
    tickets held under the old one (venues learn it at their next pull, for the door's
    search) and is audited. At most once per address and :data:`lost_tickets.WINDOW_S`."""
    address = None if to is None else email_address(to)
    order = _event_order(session, organizer_id, event_id, reference)
    old = order.buyer_email
    if address is not None and address != old:
        for ticket in order_tickets(session, order.id):
            if (ticket.holder_email or "").lower() == old.lower():
                ticket.holder_email, ticket.seq = address, UNNUMBERED
        order.buyer_email = address
        order_email_corrected(session, organizer_id, order, old)
    if not lost_tickets.email_order_again(
        session, order, now, master_key=master_key, public_url=public_url
    ):
        session.rollback()
        raise Conflict(f"order {order.reference} is {order.status}: it has no valid tickets")
    session.commit()
    return order


def _revoke(session: Session, order: Order) -> None:
    """A paid order is given up: its tickets are revoked, their seats and the voucher uses
    they took count again."""
    revoke_tickets(session, list(order_tickets(session, order.id)))
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
    *,
    public_url: str | None = None,
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
            outcome = _succeeded(
                session, master_key, provider, order, event, now=now, public_url=public_url
            )
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
    public_url: str | None,
) -> PaymentOutcome:
    if order.status == OrderStatus.PENDING:
        if event.amount == order.total and event.currency == order.currency.upper():
            _pay(session, master_key, order, now, public_url)
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
        order.status = OrderStatus.REFUNDED
        refunded_at_provider(session, order)
        return PaymentOutcome.REFUNDED
    if order.status == OrderStatus.PENDING:
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


def order_for_buyer(session: Session, token: str) -> Order:
    order = session.scalar(select(Order).where(Order.token_hash == token_digest(token)))
    if order is None:
        raise NotFound("no order with this token; it may belong to another buyer")
    return order


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
