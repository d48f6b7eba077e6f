"""A provider that takes the money later (as Stripe does): the order waits, holding its
seats, until the provider's confirmation issues the tickets exactly once."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.errors import NotFound
from cloud.notifications.outbox import waiting
from cloud.orders.checkout import checkout
from cloud.orders.holds import HoldLine, create_hold
from cloud.orders.models import Order
from cloud.orders.payments import PaymentStart, PaymentState
from cloud.orders.service import confirm_payment, fail_payment
from cloud.settings import CloudSettings
from tests.cloud.orders.conftest import Shop


class LaterProvider:
    """Stands in for an external provider whose webhook confirms the payment afterwards."""

    name = "later"

    def start(self, order: Order) -> PaymentStart:
        return PaymentStart(
            PaymentState.PENDING, payment_ref=f"pay_{order.reference}", client_secret="secret"
        )

    def refund(self, order: Order) -> None:
        del order


@pytest.fixture
def sessions(settings: CloudSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _pending(
    sessions: sessionmaker[Session], settings: CloudSettings, event_id: int, type_id: int
) -> tuple[str, Order]:
    with sessions() as session:
        token = create_hold(
            session,
            event_id=event_id,
            lines=[HoldLine(type_id, 2)],
            email="ada@example.org",
            name="Ada",
            hold_seconds=600,
            now=now_s(),
        ).token
        done = checkout(session, settings.master_key, token, LaterProvider(), now_s())
        order, start = done.order, done.start
    assert start is not None and start.client_secret == "secret"
    return token, order


def test_a_confirmed_payment_issues_the_tickets_once(
    shop: Shop, client: TestClient[Any], settings: CloudSettings, sessions: Any
) -> None:
    sale = shop.sale(general={"capacity": 5})
    general = sale.types["general"]
    token, order = _pending(sessions, settings, sale.event_id, general)
    seen = client.get(f"/api/v1/shop/orders/{token}").json()
    assert (seen["status"], seen["tickets"]) == ("pending", [])
    assert shop.available(sale.event_id) == {general: 3}

    for _ in range(3):  # webhooks arrive more than once
        with sessions() as session:
            confirm_payment(
                session,
                settings.master_key,
                "later",
                f"pay_{order.reference}",
                now_s(),
                public_url="https://tickets.example",
            )

    paid = client.get(f"/api/v1/shop/orders/{token}").json()
    assert paid["status"] == "paid"
    assert len(paid["tickets"]) == 2
    assert shop.available(sale.event_id) == {general: 3}
    manifest = client.get("/api/v1/venue/manifest", headers=sale.venue_headers).json()
    assert len(manifest["tickets"]) == 2
    # One confirmation email carries the tickets, however often the payment was confirmed.
    with sessions() as session:
        [email] = [m for m in waiting(session) if m.template == "order_confirmation"]
    assert (email.recipient, email.template) == ("ada@example.org", "order_confirmation")
    assert email.context["order_ref"] == paid["reference"]
    assert sorted(t["token"] for t in email.context["tickets"]) == sorted(
        t["token"] for t in paid["tickets"]
    )
    # Confirmed long after checkout, it still links to the buyer's own order page.
    assert email.context["order_url"] == f"https://tickets.example/orders/{token}"


def test_a_failed_payment_puts_the_seats_back(
    shop: Shop, client: TestClient[Any], settings: CloudSettings, sessions: Any
) -> None:
    sale = shop.sale(general={"capacity": 5})
    general = sale.types["general"]
    token, order = _pending(sessions, settings, sale.event_id, general)

    with sessions() as session:
        fail_payment(session, "later", f"pay_{order.reference}", now_s())

    assert client.get(f"/api/v1/shop/orders/{token}").json()["status"] == "cancelled"
    assert shop.available(sale.event_id) == {general: 5}
    with sessions() as session:
        # No tickets, no email (the organizer's sign-up queued only its address check).
        assert [m.template for m in waiting(session)] == ["verify_email"]
    with sessions() as session, pytest.raises(NotFound):
        confirm_payment(session, settings.master_key, "later", secrets.token_hex(8), now_s())
