"""Organizers hand out promo codes; buyers type them when holding tickets and pay less. A
code that does not apply is refused with a reason and nothing is held."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.orders.holds import HoldLine, create_hold
from cloud.orders.jobs import release_expired_holds
from cloud.settings import CloudSettings
from tests.cloud.conftest import Api
from tests.cloud.orders.conftest import Shop
from tests.cloud.vouchers.conftest import Vouchers


@pytest.fixture
def sessions(settings: CloudSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _hold(shop: Shop, event_id: int, items: dict[int, int], voucher: str | None) -> Any:
    return shop.client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": event_id,
            "buyer_email": "ada@example.org",
            "buyer_name": "Ada Lovelace",
            "items": [{"type_id": t, "quantity": n} for t, n in items.items()],
            "voucher": voucher,
        },
    )


def test_a_percentage_code_typed_in_any_case_lowers_the_price_until_paid(
    shop: Shop, vouchers: Vouchers
) -> None:
    sale = shop.sale(general={"price": 2500}, vip={"price": 9999})
    general, vip = sale.types["general"], sale.types["vip"]
    created = vouchers.create(sale.organizer, sale.event_id, code="Summer-25", percent_off=25)
    assert (created["code"], created["used"], created["active"]) == ("SUMMER-25", 0, True)

    r = _hold(shop, sale.event_id, {general: 2, vip: 1}, "summer-25")

    assert r.status_code == 201, r.text
    hold = r.json()
    prices = {line["type_id"]: line["unit_price"] for line in hold["items"]}
    # 25 % of 99.99 is 25.00 rounded to the cent (24.9975).
    assert prices == {general: 1875, vip: 7499}
    assert (hold["voucher"], hold["discount"]) == ("SUMMER-25", 2 * 625 + 2500)
    assert hold["total"] == 2 * 1875 + 7499
    assert vouchers.listed(sale.organizer, sale.event_id)[0]["used"] == 3
    order = shop.checkout(hold["hold_token"])
    assert order["total"] == 2 * 1875 + 7499


def test_an_amount_off_applies_only_to_its_types_and_never_below_zero(
    shop: Shop, vouchers: Vouchers
) -> None:
    sale = shop.sale(general={"price": 500}, vip={"price": 9000}, kids={"price": 300})
    general, vip, kids = sale.types["general"], sale.types["vip"], sale.types["kids"]
    vouchers.create(
        sale.organizer, sale.event_id, code="FRIENDS", amount_off=1000, type_ids=[general, kids]
    )

    hold = _hold(shop, sale.event_id, {general: 1, vip: 1, kids: 2}, "friends").json()

    prices = {line["type_id"]: line["unit_price"] for line in hold["items"]}
    assert prices == {general: 0, vip: 9000, kids: 0}
    assert (hold["discount"], hold["total"]) == (500 + 2 * 300, 9000)
    # Uses count the discounted tickets only.
    assert vouchers.listed(sale.organizer, sale.event_id)[0]["used"] == 3
    refused = _hold(shop, sale.event_id, {vip: 1}, "FRIENDS")
    assert refused.status_code == 400
    assert "does not apply" in refused.json()["detail"]


def test_a_blank_code_is_no_code(shop: Shop) -> None:
    sale = shop.sale(general={"price": 2500})
    hold = _hold(shop, sale.event_id, {sale.types["general"]: 1}, "  ").json()
    assert (hold["voucher"], hold["discount"], hold["total"]) == (None, 0, 2500)


def test_codes_that_do_not_apply_are_refused_and_hold_nothing(
    shop: Shop, vouchers: Vouchers, api: Api
) -> None:
    sale = shop.sale(general={"capacity": 10})
    general = sale.types["general"]
    other = shop.sale(general={})
    vouchers.create(other.organizer, other.event_id, code="ELSEWHERE", percent_off=50)
    vouchers.create(
        sale.organizer,
        sale.event_id,
        code="SOON",
        percent_off=10,
        valid_from="2099-01-01T00:00:00Z",
    )
    vouchers.create(
        sale.organizer,
        sale.event_id,
        code="OVER",
        percent_off=10,
        valid_until="2020-01-01T00:00:00Z",
    )
    gone = vouchers.create(sale.organizer, sale.event_id, code="GONE", percent_off=10)
    r = shop.client.post(
        f"/api/v1/events/{sale.event_id}/vouchers/{gone['voucher_id']}/deactivate",
        headers=sale.organizer.headers,
    )
    assert (r.status_code, r.json()["active"]) == (200, False)
    vouchers.create(sale.organizer, sale.event_id, code="THREE", percent_off=10, max_uses=3)

    for code, status, says in (
        ("NOPE", 400, "not valid for this event"),
        ("ELSEWHERE", 400, "not valid for this event"),
        ("SOON", 400, "valid from 2099-01-01"),
        ("OVER", 400, "has expired"),
        ("GONE", 400, "no longer valid"),
        ("three", 409, "only 3 uses left, not 4"),
    ):
        r = _hold(shop, sale.event_id, {general: 4}, code)
        assert r.status_code == status, (code, r.text)
        assert says in r.json()["detail"], code

    assert shop.available(sale.event_id) == {general: 10}
    assert {v["code"]: v["used"] for v in vouchers.listed(sale.organizer, sale.event_id)} == {
        "SOON": 0,
        "OVER": 0,
        "GONE": 0,
        "THREE": 0,
    }
    assert _hold(shop, sale.event_id, {general: 3}, "THREE").status_code == 201
    used_up = _hold(shop, sale.event_id, {general: 1}, "THREE")
    assert (used_up.status_code, used_up.json()["detail"]) == (
        409,
        "voucher code 'THREE' has been used up",
    )


def test_an_expired_hold_gives_its_uses_back(
    shop: Shop, vouchers: Vouchers, sessions: sessionmaker[Session]
) -> None:
    sale = shop.sale(general={})
    general = sale.types["general"]
    vouchers.create(sale.organizer, sale.event_id, code="ONCE", amount_off=100, max_uses=2)
    with sessions() as session:
        create_hold(
            session,
            event_id=sale.event_id,
            lines=[HoldLine(general, 2)],
            email="early@example.org",
            name="Early Bird",
            hold_seconds=600,
            now=now_s() - 660,
            voucher="once",
        )
    assert vouchers.listed(sale.organizer, sale.event_id)[0]["used"] == 2

    # A buyer gets the uses at once, before the worker releases the expired hold.
    assert _hold(shop, sale.event_id, {general: 1}, "ONCE").status_code == 201
    assert vouchers.listed(sale.organizer, sale.event_id)[0]["used"] == 1
    with sessions() as session:
        create_hold(
            session,
            event_id=sale.event_id,
            lines=[HoldLine(general, 1)],
            email="late@example.org",
            name="Late",
            hold_seconds=600,
            now=now_s() - 660,
            voucher="once",
        )
    assert vouchers.listed(sale.organizer, sale.event_id)[0]["used"] == 2
    assert release_expired_holds(sessions) == 1
    assert vouchers.listed(sale.organizer, sale.event_id)[0]["used"] == 1


def test_bad_vouchers_are_refused(shop: Shop, vouchers: Vouchers, api: Api) -> None:
    sale = shop.sale(general={})
    other = shop.sale(general={})
    vouchers.create(sale.organizer, sale.event_id, code="TAKEN", percent_off=5)

    for fields, status in (
        ({"code": "taken", "percent_off": 5}, 409),
        ({"code": "BOTH", "percent_off": 5, "amount_off": 100}, 400),
        ({"code": "NONE"}, 400),
        ({"code": "HUGE", "percent_off": 101}, 400),
        ({"code": "ZERO", "amount_off": 0}, 400),
        ({"code": "no spaces", "percent_off": 5}, 400),
        ({"code": "X", "percent_off": 5}, 400),
        ({"code": "FOREIGN", "percent_off": 5, "type_ids": [other.types["general"]]}, 404),
        (
            {
                "code": "BACKWARDS",
                "percent_off": 5,
                "valid_from": "2030-01-02T00:00:00Z",
                "valid_until": "2030-01-01T00:00:00Z",
            },
            400,
        ),
        ({"code": "NOUSE", "percent_off": 5, "max_uses": 0}, 400),
    ):
        r = vouchers.try_create(sale.organizer, sale.event_id, **fields)
        assert r.status_code == status, (fields, r.text)
    assert [v["code"] for v in vouchers.listed(sale.organizer, sale.event_id)] == ["TAKEN"]


def test_only_the_organizer_sees_and_manages_vouchers(
    shop: Shop, vouchers: Vouchers, api: Api, client: TestClient[Any]
) -> None:
    sale = shop.sale(general={})
    voucher = vouchers.create(sale.organizer, sale.event_id, code="MINE", percent_off=5)
    stranger = api.signup()
    base = f"/api/v1/events/{sale.event_id}/vouchers"

    assert (
        vouchers.try_create(stranger, sale.event_id, code="HIJACK", percent_off=90).status_code
        == 404
    )
    assert client.get(base, headers=stranger.headers).status_code == 404
    deactivate = f"{base}/{voucher['voucher_id']}/deactivate"
    assert client.post(deactivate, headers=stranger.headers).status_code == 404
    assert client.get(base).status_code == 401
    assert vouchers.listed(sale.organizer, sale.event_id)[0]["active"] is True


@pytest.mark.parametrize("action", ["cancel", "refund"])
def test_a_cancelled_order_gives_its_voucher_uses_back(
    shop: Shop, vouchers: Vouchers, action: str
) -> None:
    sale = shop.sale(general={"price": 2000})
    general = sale.types["general"]
    vouchers.create(sale.organizer, sale.event_id, code="ONCE", percent_off=50, max_uses=2)
    order = shop.checkout(_hold(shop, sale.event_id, {general: 2}, "once").json()["hold_token"])
    assert _hold(shop, sale.event_id, {general: 1}, "once").status_code == 409

    r = shop.client.post(
        f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/{action}",
        headers=sale.organizer.headers,
    )

    assert r.status_code == 200, r.text
    assert vouchers.listed(sale.organizer, sale.event_id)[0]["used"] == 0
    assert _hold(shop, sale.event_id, {general: 2}, "once").status_code == 201
