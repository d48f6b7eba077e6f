""" "Add to calendar": an event's entry from its page, and from the buyer's order page."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar

from tests.cloud.conftest import Api, Setup
from tests.cloud.web.conftest import Visitor
from tests.cloud.web.test_checkout_pages import _buy


def _entry(body: bytes) -> dict[str, object]:
    [event] = Calendar.from_ical(body).walk("VEVENT")
    return {
        "uid": str(event["UID"]),
        "summary": str(event["SUMMARY"]),
        "location": str(event["LOCATION"]),
        "url": str(event["URL"]),
        "starts": event.decoded("DTSTART"),
        "ends": event.decoded("DTEND"),
    }


def test_an_event_page_offers_its_calendar_entry(api: Api, shop: Setup, visitor: Visitor) -> None:
    page = visitor.get(f"/events/{shop.event_id}")
    assert f'href="/events/{shop.event_id}/calendar.ics" download>Add to calendar' in page.text

    answer = visitor.get(f"/events/{shop.event_id}/calendar.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="concert.ics"'
    entry = _entry(answer.content)
    assert entry["summary"] == "Concert" and entry["location"] == "Main Hall"
    # In UTC, which every calendar shows in its owner's own zone.
    assert entry["starts"] == datetime(2030, 6, 1, 19, 0, tzinfo=UTC)
    assert entry["ends"] == datetime(2030, 6, 1, 23, 0, tzinfo=UTC)
    assert str(entry["url"]).endswith(f"/events/{shop.event_id}")

    draft = api.event(shop.organizer, shop.venue_id, name="Unannounced")
    api.client.post(f"/api/v1/events/{draft['event_id']}/unpublish", headers=shop.organizer.headers)
    hidden = visitor.get(f"/events/{draft['event_id']}/calendar.ics")
    assert hidden.status_code == 404
    assert visitor.get("/events/999999/calendar.ics").status_code == 404


def test_a_buyer_saves_the_event_from_the_order_page_without_its_secret_address(
    shop: Setup, visitor: Visitor
) -> None:
    order_path = _buy(visitor, shop, 1)
    order = visitor.get(order_path)
    assert f'href="{order_path}/calendar.ics" download>Add to calendar' in order.text

    answer = visitor.get(f"{order_path}/calendar.ics")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    token = order_path.removeprefix("/orders/")
    assert token.encode() not in answer.content
    # The same entry as the event page's: saving both updates one.
    public = visitor.get(f"/events/{shop.event_id}/calendar.ics")
    assert _entry(answer.content) == _entry(public.content)

    assert visitor.get("/orders/not-a-real-token/calendar.ics").status_code == 404
