"""Organizers price ticket types and set their sale window; buyers read what is on sale."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.cloud.conftest import Api


def _event(api: Api) -> tuple[Any, int]:
    org = api.signup()
    venue_id, _ = api.venue(org)
    return org, api.event(org, venue_id)["event_id"]


def test_a_ticket_type_carries_its_price_currency_window_and_limit(
    api: Api, client: TestClient[Any]
) -> None:
    org, event_id = _event(api)
    r = client.post(
        f"/api/v1/events/{event_id}/ticket-types",
        json={
            "name": "Early bird",
            "capacity": 50,
            "price": 1999,
            "currency": "CHF",
            "sale_starts_at": "2026-01-01T10:00:00Z",
            "sale_ends_at": "2099-01-01T10:00:00Z",
            "per_order_limit": 4,
        },
        headers=org.headers,
    )

    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["price"], body["currency"], body["per_order_limit"]) == (1999, "CHF", 4)
    assert (body["sale_starts_at"], body["sale_ends_at"]) == (
        "2026-01-01T10:00:00Z",
        "2099-01-01T10:00:00Z",
    )
    assert (body["sold"], body["held"], body["available"]) == (0, 0, 50)
    public = client.get(f"/api/v1/shop/events/{event_id}")
    assert public.status_code == 200
    [on_sale] = public.json()["ticket_types"]
    assert on_sale == {
        "type_id": body["type_id"],
        "name": "Early bird",
        "price": 1999,
        "currency": "CHF",
        "per_order_limit": 4,
        "sale_starts_at": "2026-01-01T10:00:00Z",
        "sale_ends_at": "2099-01-01T10:00:00Z",
        "on_sale": True,
        "available": 50,
    }


def test_the_storefront_says_when_a_type_is_not_on_sale(api: Api, client: TestClient[Any]) -> None:
    org, event_id = _event(api)
    path = f"/api/v1/events/{event_id}/ticket-types"
    client.post(
        path,
        json={"name": "Later", "capacity": 5, "sale_starts_at": "2099-01-01T00:00:00Z"},
        headers=org.headers,
    )
    client.post(
        path,
        json={"name": "Over", "capacity": 5, "sale_ends_at": "2001-01-01T00:00:00Z"},
        headers=org.headers,
    )

    types = client.get(f"/api/v1/shop/events/{event_id}").json()["ticket_types"]

    assert [(t["name"], t["on_sale"]) for t in types] == [("Later", False), ("Over", False)]
    assert client.get("/api/v1/shop/events/999999").status_code == 404


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"price": -1}, ">= 0"),
        ({"price": 10**12}, "<= 100000000"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"per_order_limit": 0}, ">= 1"),
        ({"per_order_limit": 1001}, "<= 1000"),
        (
            {"sale_starts_at": "2030-01-02T00:00:00Z", "sale_ends_at": "2030-01-01T00:00:00Z"},
            "before",
        ),
        ({"sale_ends_at": "yesterday"}, "datetime"),
    ],
)
def test_bad_sale_terms_are_refused_clearly_and_create_nothing(
    api: Api, client: TestClient[Any], extra: dict[str, Any], words: str
) -> None:
    org, event_id = _event(api)

    r = client.post(
        f"/api/v1/events/{event_id}/ticket-types",
        json={"name": "Broken", "capacity": 10, **extra},
        headers=org.headers,
    )

    assert r.status_code == 400, r.text
    assert words in r.text
    assert client.get(f"/api/v1/shop/events/{event_id}").json()["ticket_types"] == []


def test_an_organizer_changes_a_type_and_only_what_they_sent_changes(
    api: Api, client: TestClient[Any]
) -> None:
    org, event_id = _event(api)
    type_id = client.post(
        f"/api/v1/events/{event_id}/ticket-types",
        json={
            "name": "General",
            "capacity": 10,
            "price": 1000,
            "sale_ends_at": "2099-01-01T00:00:00Z",
        },
        headers=org.headers,
    ).json()["type_id"]
    path = f"/api/v1/events/{event_id}/ticket-types/{type_id}"

    r = client.patch(
        path, json={"price": 1500, "sale_ends_at": None, "capacity": 20}, headers=org.headers
    )

    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["price"], body["capacity"], body["sale_ends_at"]) == (
        "General",
        1500,
        20,
        None,
    )
    assert client.patch(path, json={"price": -5}, headers=org.headers).status_code == 400
    assert (
        client.patch(
            path,
            json={"sale_starts_at": "2100-01-01T00:00:00Z", "sale_ends_at": "2099-01-01T00:00:00Z"},
            headers=org.headers,
        ).status_code
        == 400
    )
    other = api.signup()
    assert client.patch(path, json={"price": 0}, headers=other.headers).status_code == 404
    [listed] = client.get(f"/api/v1/events/{event_id}/ticket-types", headers=org.headers).json()
    assert (listed["price"], listed["capacity"]) == (1500, 20)


def test_capacity_cannot_drop_below_the_tickets_already_out(
    api: Api, client: TestClient[Any]
) -> None:
    org, event_id = _event(api)
    type_id = api.ticket_type(org, event_id, "General", capacity=10)
    api.issue(org, event_id, type_id, count=6)
    path = f"/api/v1/events/{event_id}/ticket-types/{type_id}"

    refused = client.patch(path, json={"capacity": 5}, headers=org.headers)
    allowed = client.patch(path, json={"capacity": 6}, headers=org.headers)

    assert refused.status_code == 409
    assert "6 sold" in refused.json()["detail"]
    assert (allowed.status_code, allowed.json()["available"]) == (200, 0)


def test_the_currency_is_fixed_once_a_ticket_is_held(api: Api, client: TestClient[Any]) -> None:
    """A held seat keeps the price it was held at; its order must be paid in that currency."""
    org, event_id = _event(api)
    type_id = api.ticket_type(org, event_id, "General", capacity=10)
    path = f"/api/v1/events/{event_id}/ticket-types/{type_id}"
    before = client.patch(path, json={"currency": "CHF", "price": 1500}, headers=org.headers)
    hold = client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": event_id,
            "buyer_email": "ada@example.org",
            "buyer_name": "Ada",
            "items": [{"type_id": type_id, "quantity": 1}],
        },
    )
    assert hold.status_code == 201, hold.text

    after = client.patch(path, json={"currency": "USD", "price": 900}, headers=org.headers)

    assert (before.status_code, before.json()["currency"]) == (200, "CHF")
    assert after.status_code == 409
    assert "currency" in after.json()["detail"]
    [listed] = client.get(f"/api/v1/events/{event_id}/ticket-types", headers=org.headers).json()
    assert (listed["currency"], listed["price"]) == ("CHF", 1500)
    assert (hold.json()["currency"], hold.json()["total"]) == ("CHF", 1500)
