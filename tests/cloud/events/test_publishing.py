"""Drafts stay out of buyers' sight and reach until their organizer publishes them; the
organizer edits what buyers will read."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.cloud.conftest import Api, Organizer

EVENT = {
    "name": "Night Market",
    "starts_at": "2030-06-01T19:00:00Z",
    "ends_at": "2030-06-01T23:00:00Z",
}


def _draft(api: Api, client: TestClient[Any]) -> tuple[Organizer, int, int]:
    org = api.signup()
    venue_id, _ = api.venue(org, "Old Harbour")
    r = client.post(
        "/api/v1/events",
        json={**EVENT, "venue_id": venue_id, "description": "Food stalls\nand music."},
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["published_at"] is None
    assert (body["description"], body["venue_name"]) == ("Food stalls\nand music.", "Old Harbour")
    type_id = api.ticket_type(org, body["event_id"], capacity=10)
    return org, body["event_id"], type_id


def _hold(client: TestClient[Any], event_id: int, type_id: int) -> Any:
    return client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": event_id,
            "buyer_email": "ada@example.org",
            "buyer_name": "Ada",
            "items": [{"type_id": type_id, "quantity": 1}],
        },
    )


def test_a_draft_is_invisible_and_not_on_sale_until_published(
    api: Api, client: TestClient[Any]
) -> None:
    org, event_id, type_id = _draft(api, client)

    assert client.get(f"/api/v1/shop/events/{event_id}").status_code == 404
    refused = _hold(client, event_id, type_id)
    assert refused.status_code == 409
    assert "not on sale" in refused.json()["detail"]
    assert client.get("/api/v1/shop/events").json() == []

    published = client.post(f"/api/v1/events/{event_id}/publish", headers=org.headers)
    assert published.status_code == 200, published.text
    assert published.json()["published_at"] is not None

    page = client.get(f"/api/v1/shop/events/{event_id}")
    assert page.status_code == 200
    assert (page.json()["venue_name"], page.json()["description"]) == (
        "Old Harbour",
        "Food stalls\nand music.",
    )
    assert _hold(client, event_id, type_id).status_code == 201
    assert [card["event_id"] for card in client.get("/api/v1/shop/events").json()] == [event_id]


def test_unpublishing_hides_the_event_again_and_stops_new_holds(
    api: Api, client: TestClient[Any]
) -> None:
    org, event_id, type_id = _draft(api, client)
    client.post(f"/api/v1/events/{event_id}/publish", headers=org.headers)
    assert _hold(client, event_id, type_id).status_code == 201

    r = client.post(f"/api/v1/events/{event_id}/unpublish", headers=org.headers)

    assert r.status_code == 200, r.text
    assert r.json()["published_at"] is None
    assert client.get(f"/api/v1/shop/events/{event_id}").status_code == 404
    assert _hold(client, event_id, type_id).status_code == 409
    # The organizer still sees and manages it.
    mine = client.get("/api/v1/events", headers=org.headers).json()
    assert [(e["event_id"], e["published_at"]) for e in mine] == [(event_id, None)]


def test_an_event_created_published_is_on_sale_at_once(api: Api, client: TestClient[Any]) -> None:
    org = api.signup()
    venue_id, _ = api.venue(org)
    r = client.post(
        "/api/v1/events",
        json={**EVENT, "venue_id": venue_id, "published": True},
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    event_id = r.json()["event_id"]
    type_id = api.ticket_type(org, event_id)

    assert r.json()["published_at"] is not None
    assert _hold(client, event_id, type_id).status_code == 201


def test_organizers_issue_tickets_for_a_draft_and_venues_receive_them(
    api: Api, client: TestClient[Any]
) -> None:
    org = api.signup()
    venue_id, venue_headers = api.venue(org)
    r = client.post("/api/v1/events", json={**EVENT, "venue_id": venue_id}, headers=org.headers)
    event_id = r.json()["event_id"]
    type_id = api.ticket_type(org, event_id)

    [ticket] = api.issue(org, event_id, type_id)
    manifest = client.get("/api/v1/venue/manifest", headers=venue_headers)

    assert manifest.status_code == 200
    assert ticket["ticket_id"].encode() in manifest.content


def test_the_organizer_edits_name_dates_and_description(api: Api, client: TestClient[Any]) -> None:
    org, event_id, _ = _draft(api, client)

    r = client.patch(
        f"/api/v1/events/{event_id}",
        json={
            "name": "Night Market XL",
            "ends_at": "2030-06-02T01:00:00Z",
            "description": "  Two more hours.\r\nBring cash.  ",
        },
        headers=org.headers,
    )

    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["description"]) == (
        "Night Market XL",
        "Two more hours.\nBring cash.",
    )
    assert body["starts_at"].startswith("2030-06-01T19:00:00")
    assert body["ends_at"].startswith("2030-06-02T01:00:00")
    assert client.get(f"/api/v1/events/{event_id}", headers=org.headers).json() == body


def test_a_time_without_its_utc_offset_is_refused_naming_the_field(
    api: Api, client: TestClient[Any]
) -> None:
    """ "20:00" could be UTC or the venue's evening: the API does not guess."""
    org, event_id, type_id = _draft(api, client)
    venue_id = client.get(f"/api/v1/events/{event_id}", headers=org.headers).json()["venue_id"]
    asks = [
        ("/api/v1/events", "starts_at", {**EVENT, "venue_id": venue_id}),
        (
            f"/api/v1/events/{event_id}/ticket-types",
            "sale_ends_at",
            {"name": "Late", "capacity": 5},
        ),
        (
            f"/api/v1/events/{event_id}/vouchers",
            "valid_until",
            {"code": "EARLY", "percent_off": 10},
        ),
        (
            f"/api/v1/events/{event_id}/tickets",
            "valid_from",
            {"type_id": type_id, "holder_name": "Al"},
        ),
    ]
    for path, field, body in asks:
        r = client.post(path, json={**body, field: "2030-06-01T20:00:00"}, headers=org.headers)
        assert r.status_code == 400, (path, r.text)
        [problem] = r.json()["extra"]
        assert problem["key"] == field
        assert "timezone" in problem["message"]
    # With its offset the same time is taken, as the moment it names.
    r = client.patch(
        f"/api/v1/events/{event_id}",
        json={"ends_at": "2030-06-01T23:30:00+02:00"},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["ends_at"].startswith("2030-06-01T21:30:00")
    events = client.get("/api/v1/events", headers=org.headers).json()
    assert [e["event_id"] for e in events] == [event_id]


def test_bad_edits_are_refused_and_change_nothing(api: Api, client: TestClient[Any]) -> None:
    org, event_id, _ = _draft(api, client)
    before = client.get(f"/api/v1/events/{event_id}", headers=org.headers).json()

    for change in (
        {"ends_at": "2030-06-01T18:00:00Z"},  # before the start
        {"ends_at": "2030-06-02T01:00:00"},  # UTC or the venue's time? It does not say.
        {"description": "x" * 5001},
        {"description": "bell \x07 inside"},
        {"name": "   "},
        {"venue_id": 3},
    ):
        r = client.patch(f"/api/v1/events/{event_id}", json=change, headers=org.headers)
        assert r.status_code == 400, (change, r.text)

    assert client.get(f"/api/v1/events/{event_id}", headers=org.headers).json() == before


def test_only_the_organizer_edits_publishes_or_unpublishes(
    api: Api, client: TestClient[Any]
) -> None:
    _, event_id, _ = _draft(api, client)
    stranger = api.signup()

    for method, path in (
        ("patch", f"/api/v1/events/{event_id}"),
        ("post", f"/api/v1/events/{event_id}/publish"),
        ("post", f"/api/v1/events/{event_id}/unpublish"),
        ("get", f"/api/v1/events/{event_id}"),
    ):
        kwargs: dict[str, Any] = {"headers": stranger.headers}
        if method == "patch":
            kwargs["json"] = {"name": "Mine now"}
        assert getattr(client, method)(path, **kwargs).status_code == 404, path
        assert getattr(client, method)(path).status_code == 401, path

    assert client.get(f"/api/v1/shop/events/{event_id}").status_code == 404
