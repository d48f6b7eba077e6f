"""The CSV files write each moment in the venue's time with its UTC offset: the hour an
organizer in Zagreb reads is the hour on the venue's clocks, and a program reading the file
still gets the exact moment."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.cloud.analytics.conftest import Shop
from tests.cloud.analytics.test_attendance import Night, night  # noqa: F401


def _rows(answer: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_every_report_writes_the_venues_time(shop: Shop, night: Night) -> None:  # noqa: F811
    moved = shop.client.patch(
        f"/api/v1/venues/{shop.venue_id}",
        json={"timezone": "Europe/Zagreb"},
        headers=shop.organizer.headers,
    )
    assert moved.status_code == 200, moved.text
    # A month of sales comes in the venue's days, from its midnight (summer time, +2).
    sales = _rows(shop.get("/sales.csv", by="day"))
    assert sales[0]["period_start"] == "2030-05-01T00:00:00+02:00"
    # Ada was let in ten seconds after 19:00 UTC; her ticket was issued today, in Zagreb's
    # offset of today.
    ada = next(r for r in _rows(shop.get("/attendees.csv")) if r["holder_name"] == "Ada Lovelace")
    assert ada["first_admitted_at"] == "2030-06-01T21:00:10+02:00"
    issued = datetime.fromisoformat(ada["issued_at"])
    assert issued.utcoffset() == issued.astimezone(ZoneInfo("Europe/Zagreb")).utcoffset()
    gates = {r["gate"]: r for r in _rows(shop.get("/gates.csv"))}
    assert gates["South"]["first_scan_at"] == "2030-06-01T21:01:00+02:00"
    minutes = [r["minute"] for r in _rows(shop.get("/throughput.csv"))]
    assert "2030-06-01T21:00:00+02:00" in minutes
    [conflict] = _rows(shop.get("/conflicts.csv"))
    assert (conflict["admitted_at"], conflict["again_at"]) == (
        "2030-06-01T21:00:40+02:00",
        "2030-06-01T21:02:00+02:00",
    )
    events = shop.client.get("/api/v1/reports/events.csv", headers=shop.organizer.headers)
    [event] = _rows(events)
    assert (event["starts_at"], event["ends_at"]) == (
        "2030-06-01T21:00:00+02:00",
        "2030-06-02T01:00:00+02:00",
    )
    # The JSON API keeps its moments in UTC.
    report = shop.get("/sales", by="day").json()
    assert report["buckets"][0]["start"].startswith("2030-04-30T22:00:00")
