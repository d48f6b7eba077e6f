"""The worker's part in selling: expired holds go back on sale, and so do the seats of
orders left unpaid too long."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.errors import ConfigurationError
from cloud.orders.holds import RELEASE_BATCH, release_expired
from cloud.orders.models import Order
from cloud.orders.payments import PaymentProviderError, ProviderLookup
from cloud.orders.service import expire_order, overdue_orders

log = logging.getLogger("bilten.cloud.orders")

EXPIRE_BATCH = 100


def release_expired_holds(sessions: sessionmaker[Session], now: int | None = None) -> int:
    """Release every hold expired at ``now``, a batch per transaction; returns how many."""
    moment = now_s() if now is None else now
    total = 0
    with sessions() as session:
        while (released := release_expired(session, moment)) > 0:
            total += released
            if released < RELEASE_BATCH:
                break
    return total


def expire_unpaid_orders(
    sessions: sessionmaker[Session],
    providers: ProviderLookup,
    pending_seconds: int,
    now: int | None = None,
) -> int:
    """Cancel every order still unpaid ``pending_seconds`` after checkout and put its seats
    back on sale; returns how many. Each payment is first stopped at its provider, so the
    buyer can no longer pay for seats that are gone; when the provider cannot be reached
    the seats come back anyway, and a payment that still succeeds is refunded when its
    webhook arrives."""
    moment = now_s() if now is None else now
    total = 0
    with sessions() as session:
        while True:
            due = overdue_orders(session, moment - pending_seconds, EXPIRE_BATCH)
            # Detached, they keep what was read while each is then locked on its own.
            session.expunge_all()
            session.rollback()
            for order in due:
                _stop_payment(providers, order)
                total += expire_order(session, order.id, moment)
            if len(due) < EXPIRE_BATCH:
                return total


def _stop_payment(providers: ProviderLookup, order: Order) -> None:
    try:
        providers(order.payment_provider).cancel(order)
    except (PaymentProviderError, ConfigurationError) as exc:
        log.info("could not stop the payment of unpaid order %s: %s", order.reference, exc)
