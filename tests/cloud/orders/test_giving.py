"""A buyer gives one ticket of a paid order to a friend: the friend gets a new code by email,
the buyer's copy stops working at the gates, the seat stays sold, and nothing else changes;
a refund still takes the given ticket back."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import zxingcpp
from litestar.testing import TestClient
from PIL import Image
from sqlalchemy import select

from cloud.audit.models import AuditEntry
from cloud.db import make_engine, make_session_factory
from cloud.settings import CloudSettings
from shared.messages import ManifestPage, ScanBatch, TicketEntry, decode, encode
from tests.cloud.notifications.conftest import Clock, SmtpSink, make_delivery, running_smtp
from tests.cloud.orders.conftest import Sale, Shop
from tests.cloud.sync.test_scan_upload import scan
from tests.cloud.users.support import emails

FRIEND = {"name": "Bo Friend", "email": "Bo@Example.org"}


def _give(client: TestClient[Any], token: str, ticket_id: str, **body: str) -> Any:
    return client.post(
        f"/api/v1/shop/orders/{token}/tickets/{ticket_id}/give", json={**FRIEND, **body}
    )


def _order(client: TestClient[Any], token: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/shop/orders/{token}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _at_the_gates(client: TestClient[Any], sale: Sale) -> dict[str, TicketEntry]:
    r = client.get("/api/v1/venue/manifest", headers=sale.venue_headers)
    assert r.status_code == 200, r.text
    return {t.ticket_id: t for t in decode(r.content, ManifestPage).tickets}


@pytest.fixture
def bought(shop: Shop) -> tuple[Sale, str, dict[str, Any]]:
    sale = shop.sale(general={"capacity": 10})
    token, order = shop.buy(
        sale.event_id, {sale.types["general"]: 2}, email="ada@example.org", name="Ada"
    )
    return sale, token, order


def test_a_given_ticket_reaches_the_friend_and_the_buyers_copy_stops_working(
    shop: Shop,
    client: TestClient[Any],
    settings: CloudSettings,
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    sale, token, order = bought
    mine, theirs = order["tickets"]
    left = shop.available(sale.event_id)

    r = _give(client, token, theirs["ticket_id"])
    assert r.status_code == 200, r.text
    [kept, given] = r.json()["tickets"]
    assert kept == mine
    assert given["ticket_id"] != theirs["ticket_id"]
    assert (given["holder_name"], given["given_to"], given["token"]) == (
        "Bo Friend",
        "Bo@Example.org",
        None,
    )
    assert given["revoked"] is False
    assert _order(client, token)["tickets"] == [kept, given]

    # The friend's email carries the new code, in the venue's words.
    [sent] = emails(settings, "Bo@Example.org", "ticket_given")
    assert (sent["giver_name"], sent["holder_name"], sent["event_name"]) == (
        "Ada",
        "Bo Friend",
        "Concert",
    )
    [ticket] = sent["tickets"]
    assert ticket["ticket_id"] == given["ticket_id"]
    assert ticket["token"] not in (mine["token"], theirs["token"])
    assert sent["event_url"] == f"{settings.public_url}/events/{sale.event_id}"

    # The gates refuse the old code and know the new holder; the seat stays sold.
    gates = _at_the_gates(client, sale)
    assert gates[theirs["ticket_id"]].revoked
    new = gates[given["ticket_id"]]
    assert (new.revoked, new.holder_name, new.holder_email, new.order_ref) == (
        False,
        "Bo Friend",
        "Bo@Example.org",
        order["reference"],
    )
    assert shop.available(sale.event_id) == left

    # "Email me these tickets" sends the buyer only the ticket still theirs.
    again = client.post(f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/email",
                        json={}, headers=sale.organizer.headers)  # fmt: skip
    assert again.status_code == 202, again.text
    [resent] = emails(settings, "ada@example.org", "order_confirmation")[-1:]
    assert [t["ticket_id"] for t in resent["tickets"]] == [mine["ticket_id"]]

    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "ticket.given")
        ).all()
    engine.dispose()
    assert entry.target_id == given["ticket_id"]
    assert f"ticket {theirs['ticket_id']} of order {order['reference']}" in entry.summary


def test_a_ticket_is_given_once_and_bad_gifts_change_nothing(
    client: TestClient[Any],
    settings: CloudSettings,
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    _, token, order = bought
    mine, theirs = order["tickets"]
    before = _order(client, token)
    refusals = [
        (_give(client, token, theirs["ticket_id"], email="ADA@example.org"), 400, "address"),
        (_give(client, token, theirs["ticket_id"], email="not an address"), 400, "email"),
        (_give(client, token, theirs["ticket_id"], name="   "), 400, "name"),
        (_give(client, token, "TNOSUCHTICKET"), 404, "no such ticket"),
        (_give(client, "x" * 43, theirs["ticket_id"]), 404, ""),
    ]
    for answer, status, words in refusals:
        assert answer.status_code == status, answer.text
        assert words in answer.text
    assert _order(client, token) == before
    assert emails(settings, "Bo@Example.org", "ticket_given") == []

    assert _give(client, token, theirs["ticket_id"]).status_code == 200
    given = _order(client, token)["tickets"][1]
    # Given is final: neither the replaced ticket nor the given one goes again.
    for ticket_id in (theirs["ticket_id"], given["ticket_id"]):
        again = _give(client, token, ticket_id, email="cy@example.org")
        assert again.status_code == 409, again.text
        assert "given to someone already" in again.json()["detail"]
    assert emails(settings, "cy@example.org", "ticket_given") == []
    assert len(emails(settings, "Bo@Example.org", "ticket_given")) == 1
    assert _order(client, token)["tickets"][0] == mine


def test_a_refund_takes_the_given_ticket_back_too(
    shop: Shop,
    client: TestClient[Any],
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    sale, token, order = bought
    left = shop.available(sale.event_id)
    assert _give(client, token, order["tickets"][1]["ticket_id"]).status_code == 200
    refund = f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/refund"
    assert client.post(refund, headers=sale.organizer.headers).status_code == 200
    tickets = _order(client, token)["tickets"]
    assert [t["revoked"] for t in tickets] == [True, True]
    assert all(entry.revoked for entry in _at_the_gates(client, sale).values())
    # Both seats are back on sale, not three.
    [(type_id, seats)] = left.items()
    assert shop.available(sale.event_id) == {type_id: seats + 2}
    # A cancelled order's ticket cannot be given.
    refused = _give(client, token, tickets[0]["ticket_id"], email="cy@example.org")
    assert refused.status_code == 409


def test_the_friend_finds_the_given_ticket_again_and_reads_its_code(
    client: TestClient[Any],
    settings: CloudSettings,
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    _, token, order = bought
    assert _give(client, token, order["tickets"][1]["ticket_id"]).status_code == 200
    given = _order(client, token)["tickets"][1]
    # The code itself is what the gates know for the new ticket.
    new_code = next(
        m["tickets"][0]["token"] for m in emails(settings, "Bo@Example.org", "ticket_given")
    )

    with running_smtp(SmtpSink()) as smtp:
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)
        make_delivery(sessions, smtp, Clock()).run_pass()  # what was queued before
        answer = client.post("/api/v1/shop/tickets-again", json={"email": "bo@example.org"})
        report = make_delivery(sessions, smtp, Clock()).run_pass()
        engine.dispose()

    assert answer.status_code == 202, answer.text
    assert report.sent == 1
    received = smtp.sink.received[-1]
    assert received.rcpt_tos == ["Bo@Example.org"]
    message = received.message
    assert message["Subject"] == "Ada gave you a ticket for Concert"
    text = message.get_body(("plain",))
    assert text is not None
    assert "again, as you asked" in text.get_content()
    assert given["ticket_id"] in text.get_content()
    # Nothing of the buyer's order: neither its secret address nor the buyer's own ticket.
    assert token not in text.get_content()
    assert order["tickets"][0]["ticket_id"] not in text.get_content()
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
    assert code.text == new_code


def test_a_ticket_used_at_the_door_or_once_the_event_started_is_not_given(
    client: TestClient[Any],
    settings: CloudSettings,
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    sale, token, order = bought
    used, unused = order["tickets"]
    uploaded = client.post(
        "/api/v1/venue/scans",
        content=encode(ScanBatch(scans=[scan(sale.event_id, used["ticket_id"])])),
        headers=sale.venue_headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    refused = _give(client, token, used["ticket_id"])
    assert refused.status_code == 409
    assert "used at the door" in refused.json()["detail"]

    started = client.patch(
        f"/api/v1/events/{sale.event_id}",
        json={"starts_at": "2020-01-01T18:00:00Z"},
        headers=sale.organizer.headers,
    )
    assert started.status_code == 200, started.text
    late = _give(client, token, unused["ticket_id"])
    assert late.status_code == 409
    assert "until the event starts" in late.json()["detail"]
    assert _order(client, token)["tickets"] == order["tickets"]
    assert emails(settings, "Bo@Example.org", "ticket_given") == []


def test_one_ticket_given_to_four_people_at_once_goes_to_one(
    client: TestClient[Any],
    settings: CloudSettings,
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    sale, token, order = bought
    ticket_id = order["tickets"][1]["ticket_id"]
    friends = [f"friend{n}@example.org" for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda email: _give(client, token, ticket_id, email=email), friends)
        )

    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409]
    [winner] = [email for email, a in zip(friends, answers, strict=True) if a.status_code == 200]
    assert [len(emails(settings, email, "ticket_given")) for email in friends] == [
        1 if email == winner else 0 for email in friends
    ]
    live = [t for t in _at_the_gates(client, sale).values() if not t.revoked]
    assert sorted(t.holder_email for t in live) == sorted(["ada@example.org", winner])


def test_the_organizer_turns_giving_off_and_on(
    client: TestClient[Any],
    settings: CloudSettings,
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    sale, token, order = bought
    event = f"/api/v1/events/{sale.event_id}"

    def allow(allowed: bool) -> None:
        r = client.patch(event, json={"allow_giving": allowed}, headers=sale.organizer.headers)
        assert r.status_code == 200, r.text
        assert r.json()["allow_giving"] is allowed

    allow(False)
    refused = _give(client, token, order["tickets"][1]["ticket_id"])
    assert refused.status_code == 409
    assert "does not allow giving" in refused.json()["detail"]
    assert emails(settings, "Bo@Example.org", "ticket_given") == []
    allow(True)
    assert _give(client, token, order["tickets"][1]["ticket_id"]).status_code == 200


def test_the_organizer_sees_which_tickets_were_given_and_which_they_replaced(
    client: TestClient[Any], bought: tuple[Sale, str, dict[str, Any]]
) -> None:
    sale, token, order = bought
    mine, theirs = order["tickets"]
    assert _give(client, token, theirs["ticket_id"]).status_code == 200
    given = _order(client, token)["tickets"][1]
    path = f"/api/v1/events/{sale.event_id}/attendees"
    listed = client.get(path, params={"status": "all"}, headers=sale.organizer.headers).json()
    flags = {r["ticket_id"]: (r["revoked"], r["given"], r["replaced"]) for r in listed["attendees"]}
    assert flags == {
        mine["ticket_id"]: (False, False, False),
        theirs["ticket_id"]: (True, False, True),
        given["ticket_id"]: (False, True, False),
    }
    exported = client.get(f"{path}.csv", params={"status": "all"}, headers=sale.organizer.headers)
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r["ticket_id"]: (r["status"], r["given"]) for r in rows} == {
        mine["ticket_id"]: ("valid", "no"),
        theirs["ticket_id"]: ("given away", "no"),
        given["ticket_id"]: ("valid", "yes"),
    }


def _link(settings: CloudSettings, email: str) -> str:
    """The token of the ticket link in the latest ticket given to ``email``."""
    sent = emails(settings, email, "ticket_given")[-1]
    url: str = sent["ticket_url"]
    assert url.startswith(f"{settings.public_url}/tickets/")
    return url.rsplit("/", 1)[1]


def _held(client: TestClient[Any], link: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/shop/tickets/{link}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _give_on(client: TestClient[Any], link: str, **body: str) -> Any:
    return client.post(f"/api/v1/shop/tickets/{link}/give", json=body)


def test_the_friend_opens_the_ticket_by_its_link_and_gives_it_on(
    shop: Shop,
    client: TestClient[Any],
    settings: CloudSettings,
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    sale, token, order = bought
    assert _give(client, token, order["tickets"][1]["ticket_id"]).status_code == 200
    given = _order(client, token)["tickets"][1]
    bo = _link(settings, "Bo@Example.org")
    held = _held(client, bo)
    assert held["ticket_id"] == given["ticket_id"]
    assert (held["given_by"], held["holder_name"], held["event_name"]) == (
        "Ada",
        "Bo Friend",
        "Concert",
    )
    assert (
        held["token"]
        == emails(settings, "Bo@Example.org", "ticket_given")[-1]["tickets"][0]["token"]
    )
    assert (held["can_give"], held["revoked"], held["given_to"]) == (True, False, None)
    left = shop.available(sale.event_id)

    # Bo cannot go: Cy gets the ticket, from Bo.
    refused = _give_on(client, bo, name="Bo", email="bo@example.org")
    assert refused.status_code == 400
    assert "That is your address" in refused.json()["detail"]
    r = _give_on(client, bo, name="Cy Third", email="cy@example.org")
    assert r.status_code == 200, r.text
    assert (r.json()["token"], r.json()["given_to"], r.json()["can_give"]) == (
        None,
        "cy@example.org",
        False,
    )
    [to_cy] = emails(settings, "cy@example.org", "ticket_given")
    assert (to_cy["giver_name"], to_cy["holder_name"]) == ("Bo Friend", "Cy Third")
    cy = _link(settings, "cy@example.org")
    assert _held(client, cy)["given_by"] == "Bo Friend"

    # The gates take Cy's code alone; the seat stays sold.
    gates = _at_the_gates(client, sale)
    assert gates[given["ticket_id"]].revoked
    new = gates[_held(client, cy)["ticket_id"]]
    assert (new.revoked, new.holder_name, new.order_ref) == (False, "Cy Third", order["reference"])
    assert shop.available(sale.event_id) == left
    # Bo gives once; the buyer still sees the ticket they gave to Bo, not who has it now.
    again = _give_on(client, bo, name="Di", email="di@example.org")
    assert again.status_code == 409
    assert "given to someone already" in again.json()["detail"]
    assert _order(client, token)["tickets"][1] == given
    assert emails(settings, "di@example.org", "ticket_given") == []

    # A refund takes Cy's ticket back; the buyer's page shows it no longer valid.
    refund = f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/refund"
    assert client.post(refund, headers=sale.organizer.headers).status_code == 200
    assert (_held(client, cy)["revoked"], _held(client, cy)["token"]) == (True, None)
    assert _order(client, token)["tickets"][1]["revoked"] is True
    late = _give_on(client, cy, name="Di", email="di@example.org")
    assert late.status_code == 409


def test_a_wrong_ticket_link_opens_nothing_and_gives_nothing(
    client: TestClient[Any],
    settings: CloudSettings,
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    _, token, order = bought
    assert _give(client, token, order["tickets"][1]["ticket_id"]).status_code == 200
    bo = _link(settings, "Bo@Example.org")
    for wrong in ("x" * 43, bo[:-1], token):
        assert client.get(f"/api/v1/shop/tickets/{wrong}").status_code == 404
        answer = _give_on(client, wrong, name="Mal", email="mal@example.org")
        assert answer.status_code == 404
    hostile = _give_on(client, bo, name="Mal", email="mal@example.org", extra="1")
    assert hostile.status_code == 400
    assert emails(settings, "mal@example.org", "ticket_given") == []
    assert _held(client, bo)["can_give"] is True


def test_find_my_tickets_sends_a_given_on_ticket_with_its_link_and_its_giver(
    client: TestClient[Any],
    settings: CloudSettings,
    bought: tuple[Sale, str, dict[str, Any]],
) -> None:
    _, token, order = bought
    assert _give(client, token, order["tickets"][1]["ticket_id"]).status_code == 200
    bo = _link(settings, "Bo@Example.org")
    assert _give_on(client, bo, name="Cy", email="cy@example.org").status_code == 200
    cy = _link(settings, "cy@example.org")

    assert client.post("/api/v1/shop/tickets-again", json={"email": "bo@example.org"}).is_success
    assert client.post("/api/v1/shop/tickets-again", json={"email": "CY@example.org"}).is_success

    # Bo holds nothing now; Cy's ticket comes again, from Bo, with the same link.
    assert len(emails(settings, "Bo@Example.org", "ticket_given")) == 1
    [_, again] = emails(settings, "cy@example.org", "ticket_given")
    assert (again["again"], again["giver_name"]) == (True, "Bo Friend")
    assert again["ticket_url"].endswith(f"/tickets/{cy}")
