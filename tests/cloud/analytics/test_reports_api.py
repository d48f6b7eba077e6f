"""Who may read the reports over the JSON API: every member of the organisation, and nobody
else (another organisation's event does not exist for them); the organisation's summary
and each report's CSV twin."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.cloud.analytics.conftest import Shop, at
from tests.cloud.conftest import Api, Organizer

REPORTS = [
    "/sales",
    "/sales.csv",
    "/ticket-types.csv",
    "/attendance",
    "/gates.csv",
    "/throughput",
    "/throughput.csv",
    "/attendees",
    "/attendees.csv",
]


def _member(client: TestClient[Any], api: Api, owner: Organizer, role: str) -> dict[str, str]:
    email = f"{role}-{owner.user_id}@example.org"
    r = client.post(
        "/api/v1/auth/signup", json={"email": email, "password": "correct horse", "name": role}
    )
    assert r.status_code == 201, r.text
    org_id = client.get("/api/v1/orgs", headers=owner.headers).json()[0]["org_id"]
    added = client.post(
        f"/api/v1/orgs/{org_id}/members", json={"email": email, "role": role}, headers=owner.headers
    )
    assert added.status_code == 201, added.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.parametrize("path", REPORTS)
def test_a_viewer_reads_every_report_and_strangers_find_nothing(
    shop: Shop, api: Api, path: str
) -> None:
    shop.add_type("Standing", price=2500)
    shop.buy(at("2030-05-01 10:00"), Standing=1)
    viewer = _member(shop.client, api, shop.organizer, "viewer")
    url = f"/api/v1/events/{shop.event_id}{path}"
    assert shop.client.get(url, headers=viewer).status_code == 200
    stranger = api.signup()
    answer = shop.client.get(url, headers=stranger.headers)
    assert answer.status_code == 404, answer.text
    assert shop.client.get(url).status_code == 401


def test_the_organisation_summary_lists_only_its_events(shop: Shop, api: Api) -> None:
    shop.add_type("Standing", price=2500)
    shop.buy(at("2030-05-01 10:00"), Standing=2)
    other = api.setup()  # another organisation's event
    r = shop.client.get("/api/v1/reports/events", headers=shop.organizer.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [event["event_id"] for event in body["events"]] == [shop.event_id]
    assert body["sold"] == 2 and body["revenue"] == {"EUR": 5000}
    assert other.event_id not in {event["event_id"] for event in body["events"]}
    # Each event says the zone its venue's dates are read in.
    moved = shop.client.patch(
        f"/api/v1/venues/{shop.venue_id}",
        json={"timezone": "Pacific/Auckland"},
        headers=shop.organizer.headers,
    )
    assert moved.status_code == 200, moved.text
    again = shop.client.get("/api/v1/reports/events", headers=shop.organizer.headers).json()
    assert [event["timezone"] for event in again["events"]] == ["Pacific/Auckland"]
    table = shop.client.get("/api/v1/reports/events.csv", headers=shop.organizer.headers)
    assert table.headers["bilten-row-count"] == "1"
    [row] = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert (row["name"], row["sold"], row["revenue_EUR"]) == ("Concert", "2", "50.00")


def test_sales_by_an_unknown_granularity_is_refused(shop: Shop) -> None:
    r = shop.client.get(
        f"/api/v1/events/{shop.event_id}/sales",
        params={"by": "minute"},
        headers=shop.organizer.headers,
    )
    assert r.status_code == 400
    assert "by" in r.text


def test_sales_csv_has_a_column_per_currency(shop: Shop) -> None:
    shop.add_type("Standing", price=2550)
    shop.buy(at("2030-05-01 10:00"), Standing=2)
    shop.buy(at("2030-05-01 12:00"), Standing=1)
    r = shop.get("/sales.csv", by="hour")
    assert r.headers["bilten-row-count"] == "3"
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(row["period_start"], row["tickets"], row["revenue_EUR"]) for row in rows] == [
        ("2030-05-01T10:00:00Z", "2", "51.00"),
        ("2030-05-01T11:00:00Z", "0", "0.00"),
        ("2030-05-01T12:00:00Z", "1", "25.50"),
    ]
    assert rows[-1]["revenue_total_EUR"] == "76.50"


def test_the_reports_are_in_the_openapi_document(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/events/{event_id}/sales",
        "/api/v1/events/{event_id}/attendance",
        "/api/v1/events/{event_id}/throughput",
        "/api/v1/events/{event_id}/attendees",
        "/api/v1/events/{event_id}/attendees.csv",
        "/api/v1/reports/events",
        "/api/v1/venues/{venue_id}/rotate-key",
        "/api/v1/venues/{venue_id}/gates",
    ):
        assert path in paths, path
    components = schema["components"]["schemas"]
    for name in ("SalesReport", "AttendanceReport", "ThroughputReport", "AttendeePage"):
        assert any(key.endswith(name) for key in components), name
    parameters = {
        p["name"] for p in paths["/api/v1/events/{event_id}/attendees"]["get"]["parameters"]
    }
    assert {"q", "type_id", "checked_in", "status", "limit", "offset"} <= parameters
