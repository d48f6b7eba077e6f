"""The waiting list of a sold-out event: buyers leave an address; when seats come back the
first in line, one per seat, are emailed once and forgotten; nothing is held for them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.orders.models import WaitlistEntry
from cloud.orders.waitlist import TOLD_FOR_S, tell_waiting
from cloud.settings import CloudSettings
from tests.cloud.orders.conftest import Sale, Shop
from tests.cloud.users.support import emails


@pytest.fixture
def sessions(settings: CloudSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _join(client: TestClient[Any], sale: Sale, email: str) -> Any:
    return client.post(f"/api/v1/shop/events/{sale.event_id}/waitlist", json={"email": email})


def _waiting(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(WaitlistEntry.email).order_by(WaitlistEntry.id)))


def test_the_first_in_line_hears_when_a_seat_comes_back(
    shop: Shop,
    client: TestClient[Any],
    settings: CloudSettings,
    sessions: sessionmaker[Session],
) -> None:
    sale = shop.sale(general={"capacity": 2})
    general = sale.types["general"]
    _, kept = shop.buy(sale.event_id, {general: 1}, email="kim@example.org")
    _, cancelled = shop.buy(sale.event_id, {general: 1}, email="cy@example.org")

    for email in ("first@example.org", "Second@Example.org", "FIRST@example.org"):
        answer = _join(client, sale, email)
        assert answer.status_code == 202, answer.text
    assert "is on the waiting list" in answer.json()["detail"]
    # One place per person, however they type the address, in the order they asked.
    assert _waiting(sessions) == ["first@example.org", "second@example.org"]
    # Still sold out: nobody is told anything.
    assert tell_waiting(sessions, now_s(), settings.public_url) == 0

    cancel = f"/api/v1/events/{sale.event_id}/orders/{cancelled['reference']}/cancel"
    assert client.post(cancel, headers=sale.organizer.headers).status_code == 200
    assert tell_waiting(sessions, now_s(), settings.public_url) == 1

    [told] = emails(settings, "first@example.org", "tickets_available")
    assert told["event_name"] == "Concert"
    assert told["event_starts"] == "Sat 1 Jun 2030, 19:00 UTC"
    assert told["event_url"] == f"{settings.public_url}/events/{sale.event_id}"
    assert emails(settings, "second@example.org", "tickets_available") == []
    # The seat is spoken for while the first may buy it: the next pass tells nobody.
    assert tell_waiting(sessions, now_s(), settings.public_url) == 0
    # Nobody bought it in that time: the second hears of it, the first is forgotten.
    later = now_s() + TOLD_FOR_S + 1
    assert tell_waiting(sessions, later, settings.public_url) == 1
    assert len(emails(settings, "second@example.org", "tickets_available")) == 1
    assert len(emails(settings, "first@example.org", "tickets_available")) == 1
    assert _waiting(sessions) == ["second@example.org"]
    assert tell_waiting(sessions, later + TOLD_FOR_S + 1, settings.public_url) == 0
    assert _waiting(sessions) == []
    # The order nobody gave up is untouched by all of it.
    orders = client.get(f"/api/v1/events/{sale.event_id}/orders", headers=sale.organizer.headers)
    assert {o["reference"]: o["status"] for o in orders.json()}[kept["reference"]] == "paid"


def test_an_address_that_buys_leaves_the_line_and_frees_the_next_seat_at_once(
    shop: Shop,
    client: TestClient[Any],
    settings: CloudSettings,
    sessions: sessionmaker[Session],
) -> None:
    sale = shop.sale(general={"capacity": 2})
    general = sale.types["general"]
    orders = [shop.buy(sale.event_id, {general: 1})[1] for _ in range(2)]
    for email in ("ana@example.org", "ben@example.org", "cleo@example.org"):
        assert _join(client, sale, email).status_code == 202

    def cancel(order: dict[str, Any]) -> None:
        path = f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/cancel"
        assert client.post(path, headers=sale.organizer.headers).status_code == 200

    cancel(orders[0])
    assert tell_waiting(sessions, now_s(), settings.public_url) == 1
    # Ana heard of the seat and bought it (as "Ana@…"): she is off the list at the next pass.
    shop.buy(sale.event_id, {general: 1}, email="Ana@Example.org")
    cancel(orders[1])
    # The other seat is announced at once, not after Ana's half hour.
    assert tell_waiting(sessions, now_s(), settings.public_url) == 1
    assert _waiting(sessions) == ["ben@example.org", "cleo@example.org"]
    assert len(emails(settings, "ben@example.org", "tickets_available")) == 1
    # Cleo did not wait for her turn: she bought the seat Ben was told of, so she leaves the
    # line without an email, and Ben's seat is gone (nobody else is told).
    shop.buy(sale.event_id, {general: 1}, email="cleo@example.org")
    assert tell_waiting(sessions, now_s(), settings.public_url) == 0
    assert _waiting(sessions) == ["ben@example.org"]
    assert emails(settings, "cleo@example.org", "tickets_available") == []
    assert len(emails(settings, "ana@example.org", "tickets_available")) == 1


def test_nobody_joins_while_tickets_can_be_bought_nor_with_a_bad_address(
    shop: Shop, client: TestClient[Any], sessions: sessionmaker[Session]
) -> None:
    sale = shop.sale(general={"capacity": 5})
    open_sale = _join(client, sale, "eager@example.org")
    assert open_sale.status_code == 409
    assert "Tickets are on sale now" in open_sale.json()["detail"]
    assert _join(client, sale, "not an address").status_code == 400
    missing = client.post("/api/v1/shop/events/999999/waitlist", json={"email": "a@example.org"})
    assert missing.status_code == 404
    # A sale that has ended gives nothing back to wait for.
    ended = shop.sale(general={"sale_ends_at": "2026-01-01T00:00:00Z"})
    closed = _join(client, ended, "hopeful@example.org")
    assert closed.status_code == 409 and "sale of this event has ended" in closed.json()["detail"]
    assert _waiting(sessions) == []


def test_an_address_asking_again_and_again_is_refused(
    shop: Shop, client: TestClient[Any], sessions: sessionmaker[Session]
) -> None:
    sale = shop.sale(general={"capacity": 1})
    shop.buy(sale.event_id, {sale.types["general"]: 1})
    answers = [_join(client, sale, "pat@example.org") for _ in range(6)]
    assert [a.status_code for a in answers] == [202] * 5 + [429]
    assert _waiting(sessions) == ["pat@example.org"]


def test_the_line_of_an_event_that_is_over_is_dropped(
    shop: Shop, client: TestClient[Any], settings: CloudSettings, sessions: sessionmaker[Session]
) -> None:
    sale = shop.sale(general={"capacity": 1})
    shop.buy(sale.event_id, {sale.types["general"]: 1})
    assert _join(client, sale, "late@example.org").status_code == 202
    after_the_event = 1_906_585_200  # 2030-06-02, the day after it ended
    assert tell_waiting(sessions, after_the_event, settings.public_url) == 0
    assert _waiting(sessions) == []
