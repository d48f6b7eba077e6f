"""The organizer's pages in real Chromium against a real cloud on a loopback port: an
organizer signs up with an organisation, sets up a venue, an event and a ticket type and
publishes it; a buyer buys through the storefront; the organizer sees the sale and refunds it."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cloud.settings import CloudSettings
from tests.browser.conftest import save_screenshot
from tests.cloud_harness import Cloud, migrated

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips loudly, or fails on CI
    expect = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    running = Cloud(
        migrated(
            CloudSettings(
                database_url=f"sqlite:///{tmp_path / 'cloud.db'}",
                master_key=secrets.token_bytes(32),
                jwt_secret=secrets.token_urlsafe(48),
                data_dir=tmp_path / "cloud",
                payment_provider="local",
            )
        )
    )
    running.start()
    yield running
    running.stop()


def _picture() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 180), (200, 40, 60)).save(out, format="PNG")
    return out.getvalue()


def _sign_up_organizer(page: Page, url: str) -> None:
    page.goto(f"{url}/account/signup")
    page.get_by_label("Your name").fill("Olga Organizer")
    page.get_by_label("Email").fill(f"olga-{secrets.token_hex(3)}@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_label("Organisation").fill("Riverside Concerts")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/account"))


def _set_up_event(page: Page, url: str) -> str:
    """Venue, event (with a picture), ticket type, published; returns the event page's URL."""
    page.goto(f"{url}/organizer")
    page.wait_for_url(re.compile(r"/organizer/orgs/\d+/events$"))
    expect(page.get_by_role("heading", name="Events")).to_be_visible()

    sections = page.get_by_role("navigation", name="Organisation")
    sections.get_by_role("link", name="Venues").click()
    page.get_by_label("Venue name").fill("Riverside Hall")
    page.get_by_label("Time zone").select_option("Europe/Zagreb")
    page.get_by_role("button", name="Add venue").click()
    expect(page.get_by_text("only this once")).to_be_visible()
    expect(page.get_by_label("API key of Riverside Hall")).to_have_value(re.compile(r"^bvk_"))

    sections.get_by_role("link", name="Events").click()
    page.get_by_role("link", name="New event").click()
    expect(page.get_by_text("Dates and times are in the venue's time zone")).to_be_visible()
    page.get_by_label("Event name").fill("Summer Night")
    page.get_by_label("Venue").select_option(label="Riverside Hall (Europe/Zagreb)")
    page.get_by_label("Starts").fill("2030-06-01T19:00")
    page.get_by_label("Ends").fill("2030-06-01T23:00")
    page.get_by_label("Description").fill("Doors open at seven.\nNo re-entry.")
    page.get_by_label("Picture").set_input_files(
        {"name": "poster.png", "mimeType": "image/png", "buffer": _picture()}
    )
    page.get_by_role("button", name="Create event").click()
    page.wait_for_url(re.compile(r"/events/\d+\?done=created"))
    expect(page.get_by_role("heading", name="Summer Night")).to_be_visible()
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    # Typed in the hall's time, shown in it.
    expect(page.get_by_text("Sat 1 Jun 2030, 19:00 CEST")).to_be_visible()

    new_type = page.locator("form[action$='/ticket-types/']")
    new_type.get_by_label("Name", exact=True).fill("Standing")
    new_type.get_by_label("Price", exact=True).fill("25.00")
    new_type.get_by_label("Capacity").fill("100")
    new_type.get_by_role("button", name="Add ticket type").click()
    expect(page.get_by_text("Ticket type added.")).to_be_visible()
    expect(page.locator("#ticket-types")).to_contain_text("€25.00")

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: buyers can now see the event")).to_be_visible()
    return page.url.split("?")[0]


def _buy(chromium: Browser, url: str, event_id: str) -> None:
    """A buyer in their own browser profile reserves two tickets and pays."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        buyer = context.new_page()
        buyer.set_default_timeout(15_000)
        buyer.goto(f"{url}/events/{event_id}")
        buyer.get_by_label("How many “Standing” tickets").select_option("2")
        buyer.get_by_label("Your name").fill("Bea Buyer")
        buyer.get_by_label("Email").fill("bea@example.org")
        buyer.get_by_role("button", name="Reserve").click()
        buyer.get_by_role("button", name="Pay €50.00").click()
        buyer.wait_for_url(re.compile(r"/orders/"))
    finally:
        context.close()


def test_organizer_sets_up_sells_and_refunds(page: Page, chromium: Browser, cloud: Cloud) -> None:
    _sign_up_organizer(page, cloud.url)
    event_url = _set_up_event(page, cloud.url)
    event_id = re.search(r"/events/(\d+)$", event_url)
    assert event_id

    expect(page.locator("#figure-sold")).to_have_text("0")
    _buy(chromium, cloud.url, event_id.group(1))

    page.reload()
    orders = page.locator("#orders")
    expect(orders).to_contain_text("Bea Buyer")
    expect(orders).to_contain_text("€50.00")
    expect(orders.locator(".status")).to_have_text("Paid")
    expect(page.locator("#figure-sold")).to_have_text("2")
    expect(page.locator("#figure-revenue")).to_have_text("€50.00")
    reference = orders.locator("tbody th").first.inner_text().strip()
    save_screenshot(page, "organizer-event.png")

    orders.get_by_role("button", name=re.compile(r"^Refund")).click()
    expect(page.get_by_role("heading", name=f"Refund order {reference}?")).to_be_visible()
    page.get_by_role("button", name=f"Yes, refund order {reference}").click()

    expect(page.get_by_text("Order refunded")).to_be_visible()
    expect(page.locator("#orders .status")).to_have_text("Refunded")
    expect(page.locator("#figure-sold")).to_have_text("0")
    # Taken and given back: nothing kept, in the currency it was paid in.
    expect(page.locator("#figure-revenue")).to_have_text("€0.00")
    # Nothing is left to cancel or refund on a refunded order.
    expect(page.locator("#orders").get_by_role("button")).to_have_count(0)


def test_organizer_pages_fit_a_phone(page: Page, cloud: Cloud) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    _sign_up_organizer(page, cloud.url)
    _set_up_event(page, cloud.url)
    # Nothing makes the page itself scroll sideways; wide tables scroll in their own box.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    save_screenshot(page, "organizer-event-phone.png")
