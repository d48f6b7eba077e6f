"""A buyer who lost the confirmation email has the tickets sent again to the address they
were bought with ("Find my tickets"): only the tickets still valid, only to that address,
and the answer never tells who bought anything."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
import zxingcpp
from litestar.testing import TestClient
from PIL import Image
from sqlalchemy import func, select

from cloud.db import make_engine, make_session_factory
from cloud.notifications.models import OutboxMessage
from cloud.settings import CloudSettings
from tests.cloud.locks import eventually, postgres_table_locked
from tests.cloud.notifications.conftest import Clock, SmtpSink, make_delivery, running_smtp
from tests.cloud.orders.conftest import Shop
from tests.cloud_harness import Cloud

AGAIN = "/api/v1/shop/tickets-again"


def _queued(settings: CloudSettings) -> int:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    finally:
        engine.dispose()


def test_the_tickets_still_valid_arrive_again_at_the_address_they_were_bought_with(
    shop: Shop, client: TestClient[Any], settings: CloudSettings
) -> None:
    sale = shop.sale(general={"capacity": 10})
    general = sale.types["general"]
    ada = {"email": "Ada.Lovelace@Example.org", "name": "Ada Lovelace"}
    token, kept = shop.buy(sale.event_id, {general: 2}, **ada)
    _, refunded = shop.buy(sale.event_id, {general: 1}, **ada)
    shop.buy(sale.event_id, {general: 1}, email="kim@example.org", name="Kim")
    headers = sale.organizer.headers
    lost, live = kept["tickets"]
    assert client.post(f"/api/v1/tickets/{lost['ticket_id']}/revoke", headers=headers).is_success
    refund = f"/api/v1/events/{sale.event_id}/orders/{refunded['reference']}/refund"
    assert client.post(refund, headers=headers).is_success

    with running_smtp(SmtpSink()) as smtp:
        # What was queued so far goes first: the organizer's sign-up, the confirmations.
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)
        make_delivery(sessions, smtp, Clock()).run_pass()
        answer = client.post(AGAIN, json={"email": " ada.lovelace@example.org "})
        report = make_delivery(sessions, smtp, Clock()).run_pass()
        engine.dispose()

    assert answer.status_code == 202, answer.text
    assert "ada.lovelace@example.org" in answer.json()["detail"]
    assert report.sent == 1
    received = smtp.sink.received[-1]
    assert received.rcpt_tos == ["Ada.Lovelace@Example.org"]
    message = received.message
    assert message["Subject"] == f"Your tickets for Concert (order {kept['reference']})"
    text = message.get_body(("plain",))
    assert text is not None
    assert "here are your tickets again" in text.get_content()
    link = f"{settings.public_url}/orders/{token}"
    assert link in text.get_content()
    page = client.get(link.removeprefix(settings.public_url))
    assert page.status_code == 200 and kept["reference"] in page.text
    assert lost["ticket_id"] not in text.get_content()
    # ...and so does the event's calendar entry.
    assert f"Add the event to your calendar: {link}/calendar.ics" in text.get_content()
    calendar = client.get(f"{link.removeprefix(settings.public_url)}/calendar.ics")
    assert calendar.status_code == 200 and b"SUMMARY:Concert" in calendar.content
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert [part.get_filename() for part in images] == [f"ticket-{live['ticket_id']}.png"]
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(images[0].get_content())))
    assert code.text == live["token"]


def test_an_address_that_bought_nothing_gets_the_same_answer_and_no_email(
    shop: Shop, client: TestClient[Any], settings: CloudSettings
) -> None:
    sale = shop.sale(general={"capacity": 10})
    shop.buy(sale.event_id, {sale.types["general"]: 1}, email="ada@example.org", name="Ada")
    before = _queued(settings)

    bought = client.post(AGAIN, json={"email": "ada@example.org"})
    nothing = client.post(AGAIN, json={"email": "nobody@example.org"})

    assert (bought.status_code, nothing.status_code) == (202, 202)
    assert bought.json()["detail"] == nothing.json()["detail"].replace("nobody", "ada")
    assert _queued(settings) == before + 1


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_the_answer_comes_before_anything_is_looked_up_or_queued(
    shop: Shop, settings: CloudSettings
) -> None:
    sale = shop.sale(general={"capacity": 10})
    shop.buy(sale.event_id, {sale.types["general"]: 1}, email="ada@example.org", name="Ada")
    before = _queued(settings)
    cloud = Cloud(settings)
    cloud.start()
    try:
        # Another transaction holds the orders: looking them up has to wait for it, and the
        # answer does not (it only writes the ask): it says the same, as fast, whatever is
        # found.
        with postgres_table_locked(settings.database_url, "orders"):
            answer = httpx.post(f"{cloud.url}{AGAIN}", json={"email": "ada@example.org"}, timeout=5)
            assert answer.status_code == 202, answer.text
        assert eventually(lambda: _queued(settings) == before + 1)
    finally:
        cloud.stop()


def test_asking_again_and_again_sends_one_email_then_is_refused(
    shop: Shop, client: TestClient[Any], settings: CloudSettings
) -> None:
    sale = shop.sale(general={"capacity": 10})
    shop.buy(sale.event_id, {sale.types["general"]: 1}, email="ada@example.org", name="Ada")
    before = _queued(settings)

    answers = [client.post(AGAIN, json={"email": "ADA@example.org"}) for _ in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert "Too many emails of tickets to this address" in answers[-1].text
    assert answers[-1].headers["Retry-After"]
    # Within ten minutes an order's tickets go once, however often they are asked for.
    assert _queued(settings) == before + 1


def test_an_address_with_letters_beyond_a_to_z_is_found_too(
    shop: Shop, client: TestClient[Any], settings: CloudSettings
) -> None:
    sale = shop.sale(general={"capacity": 10})
    shop.buy(sale.event_id, {sale.types["general"]: 1}, email="JÜRGEN@example.org", name="J")
    before = _queued(settings)

    assert client.post(AGAIN, json={"email": "JÜRGEN@EXAMPLE.ORG"}).status_code == 202

    assert _queued(settings) == before + 1


def test_what_is_not_an_address_is_refused_with_a_reason_and_sends_nothing(
    shop: Shop, client: TestClient[Any], settings: CloudSettings
) -> None:
    before = _queued(settings)
    for body in (
        {"email": "not an address"},
        {"email": "ada@example.org\r\nBcc: all@example.org"},
        {"email": "ada@example.org", "extra": 1},
        {"email": ["ada@example.org"]},
        {},
    ):
        answer = client.post(AGAIN, json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["detail"], body
    assert _queued(settings) == before
