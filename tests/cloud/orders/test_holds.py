"""Holds keep seats for a while and give them back; hostile requests change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from cloud.app import create_app
from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.events.models import TicketType
from cloud.orders.holds import HoldLine, create_hold
from cloud.orders.jobs import release_expired_holds
from cloud.ratelimit import Rule
from cloud.settings import CloudSettings
from tests.cloud.conftest import Api
from tests.cloud.orders.conftest import Sale, Shop


@pytest.fixture
def sessions(settings: CloudSettings) -> Iterator[Any]:
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _expired_hold(sessions: Any, sale: Sale, type_id: int, quantity: int) -> str:
    """A hold made eleven minutes ago for ten minutes: its time ran out a minute ago."""
    with sessions() as session:
        token = create_hold(
            session,
            event_id=sale.event_id,
            lines=[HoldLine(type_id, quantity)],
            email="early@example.org",
            name="Early Bird",
            hold_seconds=600,
            now=now_s() - 660,
        ).token
    return token


def _held_counter(sessions: Any, type_id: int) -> int:
    session: Session
    with sessions() as session:
        held: int = session.scalar(select(TicketType.held).where(TicketType.id == type_id))
        return held


def test_an_expired_hold_returns_its_seats_before_and_after_the_worker_runs(
    shop: Shop, client: TestClient[Any], sessions: Any
) -> None:
    sale = shop.sale(general={"capacity": 3})
    general = sale.types["general"]
    stale = _expired_hold(sessions, sale, general, 3)

    # Buyers see the seats at once, whether or not the worker has run.
    assert shop.available(sale.event_id) == {general: 3}
    assert client.get(f"/api/v1/shop/holds/{stale}").json()["state"] == "expired"
    late = client.post(f"/api/v1/shop/holds/{stale}/checkout")
    assert late.status_code == 409
    assert "expired" in late.json()["detail"]

    assert release_expired_holds(sessions) == 1
    assert _held_counter(sessions, general) == 0
    assert release_expired_holds(sessions) == 0
    assert shop.available(sale.event_id) == {general: 3}
    _, order = shop.buy(sale.event_id, {general: 3})
    assert len(order["tickets"]) == 3


def test_a_buyer_gets_seats_an_expired_hold_kept_even_before_the_worker_runs(
    shop: Shop, client: TestClient[Any], sessions: Any
) -> None:
    sale = shop.sale(general={"capacity": 2})
    general = sale.types["general"]
    stale = _expired_hold(sessions, sale, general, 2)

    _, order = shop.buy(sale.event_id, {general: 2})

    assert len(order["tickets"]) == 2
    assert client.post(f"/api/v1/shop/holds/{stale}/checkout").status_code == 409
    assert shop.available(sale.event_id) == {general: 0}
    assert _held_counter(sessions, general) == 0


def test_a_sold_out_type_is_refused_clearly(shop: Shop) -> None:
    sale = shop.sale(general={"capacity": 3})
    general = sale.types["general"]
    shop.hold(sale.event_id, {general: 2})

    too_many = shop.try_hold(sale.event_id, {general: 2})
    assert too_many.status_code == 409
    assert too_many.json()["detail"] == "'General' is sold out for 2 tickets: only 1 are left"
    shop.hold(sale.event_id, {general: 1})
    none_left = shop.try_hold(sale.event_id, {general: 1})
    assert none_left.status_code == 409
    assert none_left.json()["detail"] == "'General' is sold out"


def test_after_a_sell_out_buyers_are_refused_without_a_query_until_seats_come_back(
    shop: Shop, client: TestClient[Any]
) -> None:
    sale = shop.sale(general={"capacity": 2})
    general = sale.types["general"]
    _, order = shop.buy(sale.event_id, {general: 2})
    assert shop.try_hold(sale.event_id, {general: 1}).status_code == 409  # found sold out
    engine = client.app.state.session_factory.kw["bind"]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        again = shop.try_hold(sale.event_id, {general: 1})
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert again.status_code == 409 and again.json()["detail"] == "'General' is sold out"
    assert statements == []
    refunded = client.post(
        f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/refund",
        headers=sale.organizer.headers,
    )
    assert refunded.status_code == 200, refunded.text
    # The seats are back on sale for the very next buyer.
    _, second = shop.buy(sale.event_id, {general: 2})
    assert len(second["tickets"]) == 2


def test_buyers_who_keep_asking_after_a_sell_out_keep_their_hold_budget(
    settings: CloudSettings,
) -> None:
    limited = replace(settings, rate_limits={"checkout.ip": Rule(3, 3600, "Too many holds")})
    with TestClient(create_app(limited)) as client:
        shop = Shop(client, Api(client))
        sale = shop.sale(general={"capacity": 1})
        general = sale.types["general"]
        _, order = shop.buy(sale.event_id, {general: 1})  # the first of three holds
        assert shop.try_hold(sale.event_id, {general: 1}).status_code == 409  # the second

        # Nothing is left to take: asking again is answered at once and costs nothing.
        for _ in range(5):
            again = shop.try_hold(sale.event_id, {general: 1})
            assert again.status_code == 409 and again.json()["detail"] == "'General' is sold out"

        refunded = client.post(
            f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/refund",
            headers=sale.organizer.headers,
        )
        assert refunded.status_code == 200, refunded.text
        assert shop.try_hold(sale.event_id, {general: 1}).status_code == 201  # the third
        assert shop.try_hold(sale.event_id, {general: 1}).status_code == 429


def test_a_hold_of_two_types_takes_both_or_neither(shop: Shop) -> None:
    sale = shop.sale(general={"capacity": 5}, vip={"capacity": 1})
    general, vip = sale.types["general"], sale.types["vip"]

    r = shop.try_hold(sale.event_id, {general: 2, vip: 2})

    assert r.status_code == 409
    assert shop.available(sale.event_id) == {general: 5, vip: 1}


HOSTILE: list[tuple[str, Any, int, str]] = [
    ("zero", {"items": [{"type_id": "GENERAL", "quantity": 0}]}, 400, ">= 1"),
    ("negative", {"items": [{"type_id": "GENERAL", "quantity": -5}]}, 400, ">= 1"),
    ("huge", {"items": [{"type_id": "GENERAL", "quantity": 10**12}]}, 400, "<= 1000"),
    ("not a number", {"items": [{"type_id": "GENERAL", "quantity": "two"}]}, 400, "int"),
    ("no items", {"items": []}, 400, "length >= 1"),
    ("unknown type", {"items": [{"type_id": 999_999, "quantity": 1}]}, 404, "not sold at"),
    ("other event's type", {"items": [{"type_id": "FOREIGN", "quantity": 1}]}, 404, "not sold"),
    ("over the limit", {"items": [{"type_id": "GENERAL", "quantity": 5}]}, 400, "at most 4"),
    ("not yet on sale", {"items": [{"type_id": "LATER", "quantity": 1}]}, 409, "open at"),
    ("sale over", {"items": [{"type_id": "OVER", "quantity": 1}]}, 409, "have ended"),
    (
        "twice",
        {"items": [{"type_id": "GENERAL", "quantity": 1}, {"type_id": "GENERAL", "quantity": 1}]},
        400,
        "twice",
    ),
    (
        "mixed currencies",
        {"items": [{"type_id": "GENERAL", "quantity": 1}, {"type_id": "USD", "quantity": 1}]},
        400,
        "currencies",
    ),
    ("unknown event", {"event_id": 999_999}, 404, "event 999999"),
    ("bad email", {"buyer_email": "not an address"}, 400, "email"),
    # The confirmation could never be mailed to it: refused at the hold, not after payment.
    ("email with a name", {"buyer_email": "Ada <ada@example.org>"}, 400, "buyer_email"),
    ("two recipients", {"buyer_email": "ada@example.org,eve@example.org"}, 400, "buyer_email"),
    ("blank name", {"buyer_name": "   "}, 400, "buyer_name"),
    ("extra field", {"price": 0}, 400, "price"),
]


@pytest.mark.parametrize(
    ("body", "status", "words"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_a_hostile_hold_gets_a_clear_4xx_and_changes_nothing(
    shop: Shop, client: TestClient[Any], body: dict[str, Any], status: int, words: str
) -> None:
    sale = shop.sale(
        general={"capacity": 10, "per_order_limit": 4},
        later={"sale_starts_at": "2099-01-01T00:00:00Z"},
        over={"sale_ends_at": "2001-01-01T00:00:00Z"},
        usd={"currency": "USD"},
    )
    foreign = shop.sale(general={"capacity": 10})
    names = {
        "GENERAL": sale.types["general"],
        "LATER": sale.types["later"],
        "OVER": sale.types["over"],
        "USD": sale.types["usd"],
        "FOREIGN": foreign.types["general"],
    }
    items = [
        {**item, "type_id": names.get(item["type_id"], item["type_id"])}
        for item in body.get("items", [{"type_id": "GENERAL", "quantity": 1}])
    ]
    before = shop.available(sale.event_id), shop.available(foreign.event_id)
    request = {
        "event_id": sale.event_id,
        "buyer_email": "mallory@example.org",
        "buyer_name": "Mallory",
        **body,
        "items": items,
    }

    r = client.post("/api/v1/shop/holds", json=request)

    assert r.status_code == status, r.text
    assert words in r.text
    assert (shop.available(sale.event_id), shop.available(foreign.event_id)) == before


@pytest.mark.parametrize(
    "raw", [b"{", b"", b"[]", b"null", b'{"event_id": 1', '{"event_id": "\u0000"}'.encode()]
)
def test_malformed_json_is_refused_and_changes_nothing(
    shop: Shop, client: TestClient[Any], raw: bytes
) -> None:
    sale = shop.sale(general={"capacity": 10})

    r = client.post("/api/v1/shop/holds", content=raw, headers={"Content-Type": "application/json"})

    assert r.status_code == 400, r.text
    assert shop.available(sale.event_id) == {sale.types["general"]: 10}
