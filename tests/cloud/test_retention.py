"""The worker's clean-up: expired credentials, old sent messages and holds that expired unpaid
go; orders, their tickets and what an organizer's message to ticket holders counts stay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.notifications.jobs import delivery_job, email_delivery
from cloud.notifications.models import OutboxMessage
from cloud.orders.jobs import release_expired_holds
from cloud.orders.models import Hold, HoldItem, Order
from cloud.retention import DAY_S, purge
from cloud.settings import CloudSettings
from cloud.tickets.models import Ticket
from cloud.users.models import AccountToken, RefreshToken, WebSession
from cloud.users.sessions import start_session
from tests.cloud.conftest import Api
from tests.cloud.orders.conftest import Shop


@pytest.fixture
def sessions(settings: CloudSettings) -> Iterator[sessionmaker[Session]]:
    engine: Engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_clean_up_keeps_what_is_live_and_drops_what_has_run_out(
    api: Api, client: TestClient[Any], settings: CloudSettings, sessions: sessionmaker[Session]
) -> None:
    shop = Shop(client, api)
    sale = shop.sale(general={"capacity": 10})
    general = sale.types["general"]
    shop.buy(sale.event_id, {general: 2}, email="kim@example.org", name="Kim")
    shop.hold(sale.event_id, {general: 1}, email="lee@example.org", name="Lee")  # left unpaid
    r = client.post(
        f"/api/v1/events/{sale.event_id}/messages",
        json={"subject": "Doors open at 7", "body": "Bring your ticket."},
        headers=sale.organizer.headers,
    )
    assert r.status_code in (200, 201), r.text
    now = now_s()
    with sessions() as session:
        start_session(session, sale.organizer.user_id, now, ttl_s=14 * DAY_S)
    delivery_job(email_delivery(settings, sessions))  # the confirmation and the message go out
    release_expired_holds(sessions, now=now + DAY_S)  # Lee's hold runs out unpaid
    before = {
        model: _count(sessions, model)
        for model in (WebSession, RefreshToken, AccountToken, OutboxMessage, Hold, HoldItem)
    }
    assert all(before.values()), before

    soon = purge(sessions, now + DAY_S)

    assert soon.total == 0
    later = purge(sessions, now + 40 * DAY_S)

    # Sessions (14 days), refresh tokens (30 days) and email links (days) have run out.
    assert (later.sessions, later.refresh_tokens, later.account_tokens) == (
        before[WebSession],
        before[RefreshToken],
        before[AccountToken],
    )
    assert _count(sessions, WebSession) == _count(sessions, RefreshToken) == 0
    # The order confirmation (ticket codes in it) and the verification email went; the
    # organizer's message to the holder stays, as its progress counts it.
    with sessions() as session:
        kept = session.scalars(select(OutboxMessage.template)).all()
    assert kept == ["organizer_message"]
    assert later.messages == before[OutboxMessage] - 1
    # Lee's hold went with its items; Kim's checked-out hold stays with the order.
    assert later.holds == 1
    with sessions() as session:
        [order] = session.scalars(select(Order)).all()
        assert [hold.id for hold in session.scalars(select(Hold))] == [order.hold_id]
        assert session.scalar(select(func.count()).select_from(HoldItem)) == 1
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2
