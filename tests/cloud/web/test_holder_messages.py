"""An organizer messages every ticket holder of an event: each address once, texts to
buyers who confirmed a mobile number on their account, queued in one go and never twice for
one form, with the progress of delivery shown; viewers and strangers cannot send."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient

from cloud.db import make_engine, make_session_factory
from cloud.notifications.outbox import mark_dead, mark_sent, waiting
from cloud.settings import CloudSettings
from tests.cloud.conftest import Api, Setup
from tests.cloud.web.conftest import Visitor

PHONE = "+4915112345678"


def outbox(settings: CloudSettings, template: str) -> list[Any]:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            return [m for m in waiting(session, limit=1000) if m.template == template]
    finally:
        engine.dispose()


def confirm_phone(visitor: Visitor, settings: CloudSettings, phone: str) -> None:
    sent = visitor.submit("/account/phone", "/account/phone", {"phone": "+49 151 1234 5678"})
    assert sent.status_code == 303, sent.text
    [code] = [m.context["code"] for m in outbox(settings, "phone_code") if m.recipient == phone]
    wrong = visitor.submit("/account/phone", "/account/phone/confirm", {"code": "000000"})
    confirmed = visitor.submit("/account/phone", "/account/phone/confirm", {"code": code})
    assert wrong.status_code == 400 and "wrong or expired" in wrong.text
    assert confirmed.status_code == 303
    assert f"Your confirmed number: <strong>{phone}</strong>" in visitor.get("/account/phone").text


def buy(visitor: Visitor, shop: Setup, email: str, quantity: int) -> str:
    reserved = visitor.submit(
        f"/events/{shop.event_id}",
        f"/events/{shop.event_id}/reserve",
        {f"qty_{shop.type_id}": str(quantity), "name": "Buyer", "email": email},
    )
    assert reserved.status_code == 303, reserved.text
    cart = reserved.headers["location"]
    paid = visitor.submit(cart, f"{cart}/checkout", {})
    assert paid.status_code == 303, paid.text
    return str(paid.headers["location"])


def organizer_visitor(api: Api, shop: Setup, client: TestClient[Any]) -> Visitor:
    me = api.client.get("/api/v1/auth/me", headers=shop.organizer.headers).json()
    visitor = Visitor(client)
    answer = visitor.submit(
        "/account/login", "/account/login", {"email": me["email"], "password": "correct horse"}
    )
    assert answer.status_code == 303
    return visitor


def test_every_holder_gets_one_copy_and_a_second_send_of_the_form_adds_nothing(
    api: Api,
    shop: Setup,
    visitor: Visitor,
    other_visitor: Visitor,
    settings: CloudSettings,
) -> None:
    visitor.sign_up("bob@example.org")
    confirm_phone(visitor, settings, PHONE)
    buy(visitor, shop, "bob@example.org", 2)
    buy(other_visitor, shop, "carol@example.org", 1)
    # Complimentary tickets: Bob again (another spelling) and Dave.
    for holder in ("Bob@Example.org", "dave@example.org"):
        api.issue(shop.organizer, shop.event_id, shop.type_id, holder_email=holder)
    organizer = organizer_visitor(api, shop, other_visitor.client)
    [org] = api.client.get("/api/v1/orgs", headers=shop.organizer.headers).json()
    page = f"/organizer/orgs/{org['org_id']}/events/{shop.event_id}/messages"

    shown = organizer.get(page)
    [key] = re.findall(r'name="key" value="([0-9a-f-]{36})"', shown.text)
    fields = {"key": key, "subject": "Doors at 18:00", "body": "Come early.", "texts": "1"}
    sent = organizer.client.post(
        page, data={**fields, "_csrf_token": organizer.csrf(shown)}, follow_redirects=False
    )
    again = organizer.client.post(
        page, data={**fields, "_csrf_token": organizer.csrf(shown)}, follow_redirects=False
    )

    assert shown.status_code == 200
    assert "<strong>3</strong> email addresses" in shown.text
    assert "<strong>1</strong> mobile number" in shown.text
    assert "not valid and left out" not in shown.text
    assert (sent.status_code, again.status_code) == (303, 303)
    copies = outbox(settings, "organizer_message")
    assert sorted((m.channel, m.recipient) for m in copies) == [
        ("email", "bob@example.org"),
        ("email", "carol@example.org"),
        ("email", "dave@example.org"),
        ("sms", PHONE),
    ]
    assert {m.batch for m in copies} == {key}
    assert copies[0].context["subject"] == "Doors at 18:00"
    listed = organizer.get(sent.headers["location"])
    assert "Message queued" in listed.text
    assert "0 of 4 delivered, 4 waiting" in listed.text
    assert '<meta http-equiv="refresh"' in listed.text

    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        for message in copies[:3]:
            mark_sent(session, message.id, now=1)
        mark_dead(session, copies[3].id, error="550 no such user")
    engine.dispose()
    done = organizer.get(page).text
    assert "3 of 4 delivered, 1 failed" in done and '<meta http-equiv="refresh"' not in done
    log = api.client.get(f"/api/v1/events/{shop.event_id}/messages", headers=shop.organizer.headers)
    [summary] = log.json()
    assert (summary["emails"], summary["texts"], summary["sent"], summary["dead"]) == (3, 1, 3, 1)


def test_viewers_see_but_cannot_send_and_strangers_see_nothing(
    api: Api, shop: Setup, client: TestClient[Any], settings: CloudSettings
) -> None:
    viewer = api.signup("viewer@example.org")
    [org] = client.get("/api/v1/orgs", headers=shop.organizer.headers).json()
    added = client.post(
        f"/api/v1/orgs/{org['org_id']}/members",
        json={"email": "viewer@example.org", "role": "viewer"},
        headers=shop.organizer.headers,
    )
    assert added.status_code == 201
    as_viewer = {**viewer.headers, "Bilten-Organisation": str(org["org_id"])}
    stranger = api.signup("stranger@example.org")
    messages = f"/api/v1/events/{shop.event_id}/messages"
    body = {"subject": "Hi", "body": "Hello"}

    assert client.get(messages, headers=as_viewer).status_code == 200
    assert client.post(messages, json=body, headers=as_viewer).status_code == 403
    assert client.get(messages, headers=stranger.headers).status_code == 404
    assert client.post(messages, json=body, headers=stranger.headers).status_code == 404
    assert (
        client.post(
            messages, json={**body, "subject": ""}, headers=shop.organizer.headers
        ).status_code
        == 400
    )
    assert (
        client.post(
            messages, json={**body, "key": "not-a-uuid"}, headers=shop.organizer.headers
        ).status_code
        == 400
    )
    assert outbox(settings, "organizer_message") == []
    viewer_page = Visitor(client)
    viewer_page.submit(
        "/account/login",
        "/account/login",
        {"email": "viewer@example.org", "password": "correct horse"},
    )
    page = viewer_page.get(f"/organizer/orgs/{org['org_id']}/events/{shop.event_id}/messages")
    assert page.status_code == 200 and "New message" not in page.text
    refused = viewer_page.client.post(
        f"/organizer/orgs/{org['org_id']}/events/{shop.event_id}/messages",
        data={"_csrf_token": viewer_page.csrf(viewer_page.get("/account")), **body},
        follow_redirects=False,
    )
    assert refused.status_code == 403


def test_a_phone_number_is_used_only_once_confirmed_and_can_be_removed(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    buyer = api.signup("eve@example.org")
    me = "/api/v1/auth/me"

    bad = client.put(f"{me}/phone", json={"phone": "0151 1234"}, headers=buyer.headers)
    asked = client.put(f"{me}/phone", json={"phone": "+44 20 7946 0958"}, headers=buyer.headers)
    [code] = [m.context["code"] for m in outbox(settings, "phone_code")]
    pending = client.get(me, headers=buyer.headers).json()
    confirmed = client.post(f"{me}/phone/confirm", json={"code": code}, headers=buyer.headers)
    reused = client.post(f"{me}/phone/confirm", json={"code": code}, headers=buyer.headers)
    removed = client.delete(f"{me}/phone", headers=buyer.headers)

    assert bad.status_code == 400 and "country code" in bad.json()["detail"]
    assert asked.status_code == 202
    assert (pending["phone"], pending["phone_verified"]) == ("+442079460958", False)
    assert confirmed.status_code == 200 and confirmed.json()["phone_verified"] is True
    assert reused.status_code == 400
    assert removed.status_code == 204
    assert client.get(me, headers=buyer.headers).json()["phone"] is None
    for _ in range(2):
        client.put(f"{me}/phone", json={"phone": "+4915112345678"}, headers=buyer.headers)
    limited = client.put(f"{me}/phone", json={"phone": "+4915112345678"}, headers=buyer.headers)
    assert limited.status_code == 429
