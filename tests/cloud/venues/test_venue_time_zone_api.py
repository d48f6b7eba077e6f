"""A venue's name and time zone through the API: set when it is registered, changed later,
checked every time; and only by its own organisation's managers."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.cloud.analytics.test_reports_api import _member
from tests.cloud.conftest import Api


def test_a_venue_has_the_zone_it_was_given_and_utc_otherwise(
    api: Api, client: TestClient[Any]
) -> None:
    org = api.signup()
    zagreb = client.post(
        "/api/v1/venues",
        json={"name": "Lisinski", "timezone": "Europe/Zagreb"},
        headers=org.headers,
    )
    assert zagreb.status_code == 201 and zagreb.json()["timezone"] == "Europe/Zagreb"
    plain = client.post("/api/v1/venues", json={"name": "Shed"}, headers=org.headers)
    assert plain.status_code == 201 and plain.json()["timezone"] == "UTC"
    listed = client.get("/api/v1/venues", headers=org.headers).json()
    assert [(v["name"], v["timezone"]) for v in listed] == [
        ("Lisinski", "Europe/Zagreb"),
        ("Shed", "UTC"),
    ]


def test_an_unknown_zone_is_refused_and_changes_nothing(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    org = setup.organizer
    refused = client.post(
        "/api/v1/venues", json={"name": "Nowhere", "timezone": "Mars/Olympus"}, headers=org.headers
    )
    assert refused.status_code == 400
    assert "'Mars/Olympus' is not a time zone" in refused.json()["detail"]
    path = f"/api/v1/venues/{setup.venue_id}"
    for body in ({"timezone": "Mars/Olympus"}, {"name": "   "}, {"timezone": ""}, {"colour": 1}):
        answer = client.patch(path, json=body, headers=org.headers)
        assert answer.status_code == 400, (body, answer.text)
    assert [
        (v["name"], v["timezone"]) for v in client.get("/api/v1/venues", headers=org.headers).json()
    ] == [("Main Hall", "UTC")]

    changed = client.patch(
        path, json={"name": "Main Hall East", "timezone": "America/New_York"}, headers=org.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "venue_id": setup.venue_id,
        "name": "Main Hall East",
        "timezone": "America/New_York",
    }
    # The event keeps its moment.
    event = client.get(f"/api/v1/events/{setup.event_id}", headers=org.headers).json()
    assert event["starts_at"] == "2030-06-01T19:00:00Z"


def test_only_the_venues_own_managers_change_it(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    path = f"/api/v1/venues/{setup.venue_id}"
    stranger = api.signup()
    assert (
        client.patch(path, json={"timezone": "Asia/Tokyo"}, headers=stranger.headers).status_code
        == 404
    )
    viewer = _member(client, api, setup.organizer, "viewer")
    assert client.patch(path, json={"timezone": "Asia/Tokyo"}, headers=viewer).status_code == 403
    manager = _member(client, api, setup.organizer, "manager")
    assert client.patch(path, json={"timezone": "Asia/Tokyo"}, headers=manager).status_code == 200
    [venue] = client.get("/api/v1/venues", headers=setup.organizer.headers).json()
    assert venue["timezone"] == "Asia/Tokyo"
