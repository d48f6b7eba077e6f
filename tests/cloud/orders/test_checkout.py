"""A buyer holds tickets, checks out and gets signed tickets; an organizer cancels or
refunds an order and its tickets are revoked at the venues."""

from __future__ import annotations

import secrets
import threading
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from cloud.db import make_engine, make_session_factory
from cloud.notifications.outbox import waiting
from cloud.orders.links import order_url
from cloud.orders.models import Order
from cloud.settings import CloudSettings
from shared.keys import Keyring, VerifyKey
from shared.messages import KeyFile, decode
from shared.token import verify_token
from tests.cloud.orders.conftest import Shop


def _keyring(client: TestClient[Any], headers: dict[str, str], event_id: int) -> Keyring:
    r = client.get(f"/api/v1/events/{event_id}/keys", headers=headers)
    return Keyring(VerifyKey.from_entry(e) for e in decode(r.content, KeyFile).keys)


def test_a_buyer_holds_checks_out_and_gets_signed_tickets(
    shop: Shop, client: TestClient[Any]
) -> None:
    sale = shop.sale(general={"capacity": 10, "price": 2500}, vip={"capacity": 2, "price": 9000})
    general, vip = sale.types["general"], sale.types["vip"]

    hold = shop.hold(sale.event_id, {general: 2, vip: 1})
    assert hold["state"] == "active"
    assert (hold["total"], hold["currency"]) == (2 * 2500 + 9000, "EUR")
    assert shop.available(sale.event_id) == {general: 8, vip: 1}

    order = shop.checkout(hold["hold_token"])

    assert order["status"] == "paid"
    assert (order["total"], order["payment_provider"]) == (14000, "local")
    assert len(order["reference"]) == 10
    assert sorted(t["type_id"] for t in order["tickets"]) == [general, general, vip]
    keyring = _keyring(client, sale.organizer.headers, sale.event_id)
    for ticket in order["tickets"]:
        assert verify_token(ticket["token"], keyring).ticket_ref == ticket["ticket_id"]
    assert shop.available(sale.event_id) == {general: 8, vip: 1}
    # The venue's gates know each ticket's holder and order.
    manifest = client.get("/api/v1/venue/manifest", headers=sale.venue_headers).json()
    assert {(t["holder_name"], t["holder_email"], t["order_ref"]) for t in manifest["tickets"]} == {
        ("Ada Lovelace", "ada@example.org", order["reference"])
    }
    types = client.get(
        f"/api/v1/events/{sale.event_id}/ticket-types", headers=sale.organizer.headers
    ).json()
    assert [(t["sold"], t["held"], t["available"]) for t in types] == [(2, 0, 8), (1, 0, 1)]


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_sale_never_waits_for_a_lock_on_the_whole_event(
    shop: Shop, client: TestClient[Any], database_url: str
) -> None:
    sale = shop.sale(general={"capacity": 5})
    _, first = shop.buy(sale.event_id, {sale.types["general"]: 1})
    locked, done = threading.Event(), threading.Event()
    held_to_the_end: list[bool] = []

    def lock_the_event() -> None:
        # The lock a venue's manifest reader holds while it numbers the event's changes, and
        # an organizer's message to the ticket holders while it queues the copies.
        with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
            conn.execute("UPDATE events SET last_seq = last_seq WHERE id = %s", (sale.event_id,))
            locked.set()
            held_to_the_end.append(done.wait(timeout=60))

    holder = threading.Thread(target=lock_the_event)
    holder.start()
    assert locked.wait(timeout=30)
    _, second = shop.buy(sale.event_id, {sale.types["general"]: 2})
    done.set()
    holder.join()

    assert held_to_the_end == [True]  # the sale finished while the event row stayed locked
    assert second["status"] == "paid"
    manifest = client.get("/api/v1/venue/manifest", headers=sale.venue_headers).json()
    assert sorted(t["ticket_id"] for t in manifest["tickets"]) == sorted(
        t["ticket_id"] for t in first["tickets"] + second["tickets"]
    )


def test_tickets_bought_after_a_key_rotation_carry_the_new_key(
    shop: Shop, client: TestClient[Any]
) -> None:
    sale = shop.sale(general={"capacity": 10})
    general = sale.types["general"]
    _, before = shop.buy(sale.event_id, {general: 1})
    rotated = client.post(f"/api/v1/events/{sale.event_id}/keys", headers=sale.organizer.headers)
    assert rotated.status_code == 201
    old_key, new_key = (entry.key_id for entry in decode(rotated.content, KeyFile).keys)

    _, after = shop.buy(sale.event_id, {general: 2}, email="bob@example.org")

    keyring = _keyring(client, sale.organizer.headers, sale.event_id)
    assert [verify_token(t["token"], keyring).key_id for t in before["tickets"]] == [old_key]
    assert [verify_token(t["token"], keyring).key_id for t in after["tickets"]] == [new_key] * 2


def test_checking_out_twice_gives_the_same_order_and_no_extra_tickets(shop: Shop) -> None:
    sale = shop.sale(general={"capacity": 5})
    token, first = shop.buy(sale.event_id, {sale.types["general"]: 2})

    again = shop.checkout(token)

    assert again["reference"] == first["reference"]
    assert {t["ticket_id"] for t in again["tickets"]} == {t["ticket_id"] for t in first["tickets"]}
    assert shop.available(sale.event_id) == {sale.types["general"]: 3}


def test_a_free_order_skips_payment(shop: Shop) -> None:
    sale = shop.sale(guest={"capacity": 5, "price": 0})
    _, order = shop.buy(sale.event_id, {sale.types["guest"]: 1})

    assert (order["status"], order["total"], order["payment_provider"]) == ("paid", 0, "free")
    assert len(order["tickets"]) == 1


def test_a_buyer_reads_their_order_only_with_their_own_token(
    shop: Shop, client: TestClient[Any]
) -> None:
    sale = shop.sale(general={"capacity": 5})
    ada_token, ada = shop.buy(sale.event_id, {sale.types["general"]: 1})
    bob_token, bob = shop.buy(
        sale.event_id, {sale.types["general"]: 1}, email="bob@example.org", name="Bob"
    )

    mine = client.get(f"/api/v1/shop/orders/{ada_token}")
    assert mine.status_code == 200
    assert mine.json()["tickets"] == ada["tickets"]
    assert client.get(f"/api/v1/shop/orders/{bob_token}").json()["buyer_name"] == "Bob"
    # Neither the printed reference, nor a guess, nor a row number opens an order.
    for guess in (ada["reference"], bob["reference"], "1", "2", secrets.token_urlsafe(32)):
        r = client.get(f"/api/v1/shop/orders/{guess}")
        assert r.status_code == 404, guess
        assert "Ada" not in r.text and "Bob" not in r.text
        assert client.get(f"/api/v1/shop/holds/{guess}").status_code == 404
    # Another organizer sees none of the orders.
    other = shop.api.signup()
    listed = client.get(f"/api/v1/events/{sale.event_id}/orders", headers=other.headers)
    assert listed.status_code == 404


def test_the_confirmation_email_links_to_the_buyers_order_page(
    shop: Shop, client: TestClient[Any], settings: CloudSettings
) -> None:
    sale = shop.sale(general={"capacity": 5})
    token, order = shop.buy(sale.event_id, {sale.types["general"]: 1})

    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        row = session.scalars(select(Order).where(Order.reference == order["reference"])).one()
        [email] = [m for m in waiting(session) if m.context.get("order_ref") == order["reference"]]
    engine.dispose()

    link = email.context["order_url"]
    assert link == f"{settings.public_url}/orders/{token}"
    page = client.get(link.removeprefix(settings.public_url))
    assert page.status_code == 200 and order["reference"] in page.text
    # The order keeps the token sealed, not readable; under another master key (or once
    # tampered with) it opens nothing, and an email would go without the link.
    assert row.sealed_token and token.encode() not in row.sealed_token
    assert order_url(settings.public_url, settings.master_key, row) == link
    assert order_url(settings.public_url, secrets.token_bytes(32), row) is None


def test_a_refund_revokes_the_tickets_at_the_venue_and_returns_the_seats(
    shop: Shop, client: TestClient[Any]
) -> None:
    sale = shop.sale(general={"capacity": 3})
    general = sale.types["general"]
    _, kept = shop.buy(sale.event_id, {general: 1}, email="kim@example.org", name="Kim")
    token, order = shop.buy(sale.event_id, {general: 2})
    first = client.get("/api/v1/venue/manifest", headers=sale.venue_headers).json()
    assert shop.available(sale.event_id) == {general: 0}

    r = client.post(
        f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/refund",
        headers=sale.organizer.headers,
    )

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "refunded"
    assert all(t["revoked"] for t in r.json()["tickets"])
    nxt = client.get(
        "/api/v1/venue/manifest",
        params={"cursor": first["next_cursor"]},
        headers=sale.venue_headers,
    ).json()
    assert sorted((t["ticket_id"], t["revoked"]) for t in nxt["tickets"]) == sorted(
        (t["ticket_id"], True) for t in order["tickets"]
    )
    assert shop.available(sale.event_id) == {general: 2}
    assert client.get(f"/api/v1/shop/orders/{token}").json()["status"] == "refunded"
    # Refunding again changes nothing, and the other buyer's ticket stays valid.
    again = client.post(
        f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/refund",
        headers=sale.organizer.headers,
    )
    assert again.status_code == 200
    assert shop.available(sale.event_id) == {general: 2}
    listed = client.get(
        f"/api/v1/events/{sale.event_id}/orders", headers=sale.organizer.headers
    ).json()
    assert {(o["reference"], o["status"], o["tickets"]) for o in listed} == {
        (kept["reference"], "paid", 1),
        (order["reference"], "refunded", 2),
    }


def test_cancelling_another_organizers_order_is_404_and_changes_nothing(
    shop: Shop, client: TestClient[Any]
) -> None:
    sale = shop.sale(general={"capacity": 3})
    token, order = shop.buy(sale.event_id, {sale.types["general"]: 1})
    other = shop.api.signup()

    for action in ("cancel", "refund"):
        r = client.post(
            f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/{action}",
            headers=other.headers,
        )
        assert r.status_code == 404
    assert client.get(f"/api/v1/shop/orders/{token}").json()["status"] == "paid"


def test_complimentary_tickets_and_sales_share_one_capacity(
    shop: Shop, client: TestClient[Any]
) -> None:
    sale = shop.sale(general={"capacity": 3})
    general = sale.types["general"]
    shop.api.issue(sale.organizer, sale.event_id, general, count=2)
    assert shop.available(sale.event_id) == {general: 1}
    shop.hold(sale.event_id, {general: 1})

    r = client.post(
        f"/api/v1/events/{sale.event_id}/tickets",
        json={"type_id": general, "holder_name": "Guest"},
        headers=sale.organizer.headers,
    )

    assert r.status_code == 409
    assert "only 0 tickets" in r.json()["detail"]


def test_metrics_count_buyers_requests_by_route_never_by_their_secret_token(
    shop: Shop, client: TestClient[Any]
) -> None:
    sale = shop.sale(general={"capacity": 5})
    tokens = [shop.buy(sale.event_id, {sale.types["general"]: 1})[0] for _ in range(2)]

    metrics = client.get("/metrics").text

    assert 'path="/api/v1/shop/holds/{token}/checkout"' in metrics
    assert not [token for token in tokens if token in metrics]
