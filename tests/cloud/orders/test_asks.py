"""Asks answered before their work is done (a password reset, Find my tickets) are written
first, so the work survives a crash of the process that answered: the worker does what such a
process left, once its lease has run out, and gives up on an ask that keeps failing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.asks.models import PendingAsk
from cloud.asks.service import LEASE_S, MAX_ATTEMPTS, PASSWORD_RESET, TICKETS_AGAIN, answer_waiting
from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.settings import CloudSettings
from tests.cloud.orders.conftest import Shop
from tests.cloud.users.support import emails


@pytest.fixture
def sessions(settings: CloudSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _left(sessions: sessionmaker[Session], kind: str, email: str, **state: Any) -> None:
    """What a process that wrote the ask and died before (or while) doing it leaves."""
    with sessions() as session:
        session.add(PendingAsk(kind=kind, email=email, asked_at=now_s(), attempts=0, **state))
        session.commit()


def _pending(sessions: sessionmaker[Session]) -> list[tuple[str, int]]:
    with sessions() as session:
        rows = session.execute(select(PendingAsk.email, PendingAsk.attempts)).all()
        return [(email, attempts) for email, attempts in rows]


def test_an_answered_ask_leaves_nothing_behind(
    shop: Shop, client: TestClient[Any], settings: CloudSettings, sessions: sessionmaker[Session]
) -> None:
    sale = shop.sale(general={"capacity": 5})
    shop.buy(sale.event_id, {sale.types["general"]: 1}, email="ada@example.org", name="Ada")
    answer = client.post("/api/v1/shop/tickets-again", json={"email": "ada@example.org"})
    assert answer.status_code == 202
    assert len(emails(settings, "ada@example.org", "order_confirmation")) == 2
    assert _pending(sessions) == []


def test_the_worker_does_what_a_dead_process_left(
    shop: Shop, settings: CloudSettings, sessions: sessionmaker[Session]
) -> None:
    sale = shop.sale(general={"capacity": 5})
    shop.buy(sale.event_id, {sale.types["general"]: 1}, email="ada@example.org", name="Ada")
    shop.api.signup("ida@example.org")
    now = now_s()
    # One died before it began; one died while at it (its lease still runs); one died long
    # enough ago that its lease has run out.
    _left(sessions, TICKETS_AGAIN, "ada@example.org")
    _left(sessions, PASSWORD_RESET, "ida@example.org", claimed_at=now)
    _left(sessions, PASSWORD_RESET, "nobody@example.org", claimed_at=now - LEASE_S - 1)

    assert answer_waiting(sessions, settings, now) == 2
    assert len(emails(settings, "ada@example.org", "order_confirmation")) == 2
    assert emails(settings, "ida@example.org", "password_reset") == []
    assert _pending(sessions) == [("ida@example.org", 0)]
    # The one still held is left to its process until the lease runs out.
    assert answer_waiting(sessions, settings, now + LEASE_S + 1) == 1
    assert len(emails(settings, "ida@example.org", "password_reset")) == 1
    assert _pending(sessions) == []


def test_an_ask_that_keeps_failing_is_tried_again_then_dropped(
    settings: CloudSettings, sessions: sessionmaker[Session]
) -> None:
    _left(sessions, TICKETS_AGAIN, "not an address")
    now = now_s()
    for attempt in range(1, MAX_ATTEMPTS):
        assert answer_waiting(sessions, settings, now) == 0
        assert _pending(sessions) == [("not an address", attempt)]
        now += LEASE_S + 1
    assert answer_waiting(sessions, settings, now) == 0
    assert _pending(sessions) == []
