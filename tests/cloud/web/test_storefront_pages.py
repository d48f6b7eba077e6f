"""The listing and event pages: search, drafts, the reserve form and the page cache."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.cloud.conftest import Api, Setup
from tests.cloud.orders.conftest import Shop
from tests.cloud.web.conftest import Visitor


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """SQLite only: these pages read what the services return; the checkout pages' tests
    cover PostgreSQL."""
    return sqlite_database_url


def _event(api: Api, setup: Setup, name: str, published: bool = True, **extra: Any) -> int:
    answer = api.client.post(
        "/api/v1/events",
        json={
            "name": name,
            "venue_id": setup.venue_id,
            "starts_at": "2030-07-01T19:00:00Z",
            "ends_at": "2030-07-01T23:00:00Z",
            "published": published,
            **extra,
        },
        headers=setup.organizer.headers,
    )
    assert answer.status_code == 201, answer.text
    event_id: int = answer.json()["event_id"]
    return event_id


def test_the_listing_shows_published_events_and_finds_them_by_name(
    api: Api, shop: Setup, visitor: Visitor
) -> None:
    _event(api, shop, "Jazz Night")
    _event(api, shop, "Rock Show")
    draft = _event(api, shop, "Secret Rehearsal", published=False)

    listing = visitor.get("/events")
    assert listing.status_code == 200
    assert "Jazz Night" in listing.text and "Rock Show" in listing.text
    assert "Secret Rehearsal" not in listing.text

    found = visitor.get("/events", params={"q": "  jazz  "})
    assert "Jazz Night" in found.text and "Rock Show" not in found.text
    assert 'value="jazz"' in found.text  # the search box keeps what was typed

    nothing = visitor.get("/events", params={"q": "polka"})
    assert "No upcoming events match" in nothing.text

    hidden = visitor.get(f"/events/{draft}")
    assert hidden.status_code == 404
    assert "text/html" in hidden.headers["content-type"]
    assert "Secret Rehearsal" not in hidden.text


def test_the_home_page_is_the_listing(shop: Setup, visitor: Visitor) -> None:
    home = visitor.get("/")
    assert home.status_code == 200
    assert f'href="/events/{shop.event_id}"' in home.text


def test_pages_name_an_icon_that_is_served(shop: Setup, visitor: Visitor) -> None:
    """Browsers ask for /favicon.ico unless the page names an icon."""
    home = visitor.get("/").text
    [icon] = re.findall(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', home)
    answer = visitor.get(icon)
    assert (answer.status_code, answer.headers["content-type"]) == (200, "image/svg+xml")
    assert answer.text.startswith("<svg")


def test_an_event_page_offers_its_tickets_up_to_the_order_limit(
    api: Api, shop: Setup, visitor: Visitor
) -> None:
    answer = api.client.post(
        f"/api/v1/events/{shop.event_id}/ticket-types",
        json={"name": "Balcony", "capacity": 3, "price": 2500, "currency": "EUR"},
        headers=shop.organizer.headers,
    )
    assert answer.status_code == 201, answer.text
    balcony = answer.json()["type_id"]

    page = visitor.get(f"/events/{shop.event_id}")
    assert page.status_code == 200
    assert "Concert" in page.text and "Main Hall" in page.text
    assert "€25.00" in page.text
    # Three seats left: no more than three may be chosen.
    assert f'name="qty_{balcony}"' in page.text
    options = page.text.split(f'name="qty_{balcony}"')[1].split("</select>")[0]
    assert options.count("<option") == 4
    assert "Only 3 left" in page.text


def test_a_sold_out_type_says_so_and_cannot_be_chosen(
    api: Api, shop: Setup, visitor: Visitor
) -> None:
    answer = api.client.post(
        f"/api/v1/events/{shop.event_id}/ticket-types",
        json={"name": "VIP", "capacity": 1},
        headers=shop.organizer.headers,
    )
    vip = answer.json()["type_id"]
    api.issue(shop.organizer, shop.event_id, vip, count=1)

    page = visitor.get(f"/events/{shop.event_id}")
    assert "Sold out" in page.text
    assert f'name="qty_{vip}"' not in page.text


def test_anonymous_pages_are_cached_briefly_and_a_logged_in_visitor_gets_fresh_ones(
    shop: Setup, visitor: Visitor
) -> None:
    listing = visitor.get("/events")
    assert listing.headers["cache-control"] == "public, max-age=10"
    event = visitor.get(f"/events/{shop.event_id}")
    # The event page carries the visitor's own CSRF token: only their browser may keep it.
    assert event.headers["cache-control"] == "private, max-age=10"
    again = visitor.get(f"/events/{shop.event_id}")
    assert visitor.csrf(again) == visitor.csrf(event)

    visitor.sign_up()
    mine = visitor.get("/events")
    assert mine.headers["cache-control"] == "private, no-cache"
    assert "Log out" in mine.text


def test_cached_event_pages_carry_each_visitors_own_csrf_token(
    shop: Setup, visitor: Visitor, client: TestClient[Any]
) -> None:
    first = visitor.get(f"/events/{shop.event_id}")
    client.cookies.clear()
    second = visitor.get(f"/events/{shop.event_id}")
    assert visitor.csrf(first) != visitor.csrf(second)
    # And the second visitor's token works for them.
    answer = client.post(
        f"/events/{shop.event_id}/reserve",
        data={
            f"qty_{shop.type_id}": "1",
            "name": "Ada",
            "email": "ada@example.org",
            "_csrf_token": visitor.csrf(second),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_pages_send_security_headers(shop: Setup, visitor: Visitor) -> None:
    page = visitor.get(f"/events/{shop.event_id}")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self' https://js.stripe.com" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"]
    missing = visitor.get("/events/999999")
    assert missing.status_code == 404
    assert "frame-ancestors 'none'" in missing.headers["content-security-policy"]


def test_static_files_are_cacheable(visitor: Visitor) -> None:
    css = visitor.get("/static/site.css")
    assert css.status_code == 200
    assert "max-age=86400" in css.headers["cache-control"]
    assert "public" in css.headers["cache-control"]
    assert visitor.get("/static/../settings.py").status_code == 404


def test_an_unknown_address_is_a_page_for_browsers_and_json_for_the_api(
    visitor: Visitor,
) -> None:
    page = visitor.get("/no-such-page")
    assert page.status_code == 404
    assert "There is no page at this address" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    api = visitor.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json()["status_code"] == 404


def test_a_sold_out_event_offers_its_waiting_list(api: Api, shop: Setup, visitor: Visitor) -> None:
    event_id = _event(api, shop, "Tiny Gig")
    type_id = api.ticket_type(shop.organizer, event_id, name="Standing", capacity=1)
    visitor.sign_up()  # logged in, pages are drawn fresh rather than from the page cache
    page = visitor.get(f"/events/{event_id}")
    assert "Put me on the waiting list" not in page.text  # a seat is left

    Shop(api.client, api).hold(event_id, {type_id: 1})  # the last seat, held by another
    page = visitor.get(f"/events/{event_id}")
    assert "Sold out" in page.text and "Put me on the waiting list" in page.text

    bad = visitor.submit(f"/events/{event_id}", f"/events/{event_id}/waitlist", {"email": "x"})
    assert bad.status_code == 400 and "Enter your email address" in bad.text
    joined = visitor.submit(
        f"/events/{event_id}", f"/events/{event_id}/waitlist", {"email": "slow@example.org"}
    )
    assert joined.status_code == 200, joined.text
    assert "You are on the waiting list" in joined.text and "slow@example.org" in joined.text
