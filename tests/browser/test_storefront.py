"""A buyer in real Chromium: finds an event, reserves two tickets, pays, and gets two QR codes
and a PDF. Once through Stripe (localstripe's server and its Stripe.js, the webhook confirming
the payment) and once with the embedded local provider the demo uses."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cloud.db import make_engine, make_session_factory
from cloud.migrate import upgrade
from cloud.settings import CloudSettings
from tests.browser.conftest import save_screenshot
from tests.cloud.locks import eventually
from tests.cloud.notifications.conftest import Clock, SmtpSink, make_delivery, running_smtp
from tests.cloud.stripe_support import WEBHOOK_PATH, LocalStripe, localstripe, stripe_settings
from tests.cloud.users.support import emails
from tests.cloud_harness import Cloud, Organizer
from tests.support import free_port

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips loudly, or fails on CI
    expect = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["localstripe"]  # the fixture, used by name

EVENT_NAME = "Harbour Lights Festival"
PRICE = 2500  # €25.00 a ticket


@dataclass
class Shop:
    cloud: Cloud
    event_id: int

    @property
    def url(self) -> str:
        return self.cloud.url


def _open_shop(settings: CloudSettings, port: int | None = None) -> Iterator[Shop]:
    cloud = Cloud(settings) if port is None else Cloud(settings, port)
    cloud.start()
    organizer = Organizer(cloud)
    try:
        venue = organizer.venue("Pier 9")
        renamed = organizer.http.patch(
            f"/api/v1/events/{venue.event_id}",
            json={"name": EVENT_NAME, "description": "Lanterns, music and boats."},
        )
        assert renamed.status_code == 200, renamed.text
        seated = organizer.http.post(
            f"/api/v1/events/{venue.event_id}/ticket-types",
            json={"name": "Seated", "capacity": 50, "price": PRICE, "currency": "EUR"},
        )
        assert seated.status_code == 201, seated.text
        # Another published event, which the search must leave out.
        organizer.venue("Old Mill")
        yield Shop(cloud, venue.event_id)
    finally:
        organizer.close()
        cloud.stop()


@pytest.fixture
def stripe_shop_cloud(localstripe: LocalStripe, tmp_path: Path) -> Iterator[Shop]:
    settings = stripe_settings(
        f"sqlite:///{tmp_path / 'cloud.db'}",
        tmp_path / "cloud",
        localstripe,
        stripe_js_url=f"{localstripe.url}/js.stripe.com/v3/",
    )
    shops = _open_shop(settings)
    shop = next(shops)
    assert settings.stripe_webhook_secret is not None
    localstripe.send_webhooks_to(shop.url + WEBHOOK_PATH, settings.stripe_webhook_secret)
    yield shop
    next(shops, None)


@pytest.fixture
def local_shop_cloud(tmp_path: Path) -> Iterator[Shop]:
    # The demo's settings: SQLite, the local provider, Secure cookies (Chromium keeps them on
    # a loopback address even over plain http); links in emails point at this server.
    port = free_port()
    settings = dataclasses.replace(
        CloudSettings.embedded(tmp_path / "cloud"), public_url=f"http://127.0.0.1:{port}"
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    assert settings.payment_provider == "local" and settings.cookie_secure
    yield from _open_shop(settings, port)


def _find_and_reserve(page: Page, shop: Shop) -> None:
    assert expect is not None
    page.goto(f"{shop.url}/events")
    expect(page.get_by_role("heading", name="Upcoming events")).to_be_visible()
    expect(page.get_by_role("link", name=EVENT_NAME)).to_be_visible()

    page.get_by_label("Search events").fill("harbour")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/events\?q=harbour$"))
    results = page.get_by_role("list", name="Events").get_by_role("listitem")
    expect(results).to_have_count(1)
    page.get_by_role("link", name=EVENT_NAME).click()

    expect(page.get_by_role("heading", name=EVENT_NAME, level=1)).to_be_visible()
    expect(page.get_by_text("Pier 9")).to_be_visible()
    page.get_by_label("How many “Seated” tickets").select_option("2")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.org")
    save_screenshot(page, "storefront-event.png")
    page.get_by_role("button", name="Reserve").click()

    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    countdown = page.locator("[data-countdown] time")
    expect(countdown).to_have_text(re.compile(r"^\d{1,2}:\d\d$"))
    first = countdown.inner_text()
    # The clock runs: the shown time left changes without a reload.
    expect(countdown).not_to_have_text(first)
    expect(page.get_by_role("cell", name="€50.00").last).to_be_visible()
    save_screenshot(page, "storefront-cart.png")


def _has_two_tickets_and_a_pdf(page: Page, tmp_path: Path) -> None:
    assert expect is not None
    expect(page.get_by_text("Paid", exact=False).first).to_be_visible()
    expect(page.locator("svg.qr")).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    saved = tmp_path / "tickets.pdf"
    download.value.save_as(saved)
    document = saved.read_bytes()
    assert document.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", document)) == 2


def _pay_with_card(page: Page, number: str) -> None:
    assert expect is not None
    page.get_by_role("button", name="Pay €50.00").click()
    expect(page.get_by_role("heading", name="Pay €50.00")).to_be_visible()
    card = page.locator("#card-element")
    # localstripe's card field: five plain inputs named by their placeholders.
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("75001")
    save_screenshot(page, "storefront-pay.png")
    page.get_by_role("button", name="Pay €50.00").click()


@pytest.mark.slow
def test_a_buyer_pays_by_card_through_stripe_and_gets_two_tickets(
    page: Page, stripe_shop_cloud: Shop, tmp_path: Path
) -> None:
    assert expect is not None
    _find_and_reserve(page, stripe_shop_cloud)
    _pay_with_card(page, "4242424242424242")

    # The order page waits for Stripe's webhook, refreshing itself until it came.
    expect(page).to_have_url(re.compile(r"/orders/[A-Za-z0-9_-]+$"), timeout=30_000)
    expect(page.locator("svg.qr")).to_have_count(2, timeout=30_000)
    save_screenshot(page, "storefront-order.png")
    _has_two_tickets_and_a_pdf(page, tmp_path)


@pytest.mark.slow
def test_a_declined_card_says_so_and_the_buyer_stays_on_the_pay_page(
    page: Page, stripe_shop_cloud: Shop
) -> None:
    assert expect is not None
    _find_and_reserve(page, stripe_shop_cloud)
    _pay_with_card(page, "4000000000000341")  # declined when charged
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined")
    expect(page).to_have_url(re.compile(r"/pay$"))


@pytest.mark.slow
def test_a_card_that_needs_the_banks_check_pays_after_the_buyer_confirms(
    page: Page, stripe_shop_cloud: Shop, tmp_path: Path
) -> None:
    assert expect is not None
    _find_and_reserve(page, stripe_shop_cloud)
    _pay_with_card(page, "4000002760003184")  # always asks for 3-D Secure
    # Stripe.js shows the bank's check (localstripe: a dialog with two buttons).
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.locator("svg.qr")).to_have_count(2, timeout=30_000)
    _has_two_tickets_and_a_pdf(page, tmp_path)


def _buy_with_the_local_provider(page: Page, shop: Shop) -> None:
    assert expect is not None
    _find_and_reserve(page, shop)
    page.get_by_role("button", name="Pay €50.00").click()
    expect(page.get_by_role("heading", name=f"Your tickets for {EVENT_NAME}")).to_be_visible()


def test_a_buyer_pays_with_the_local_provider_and_gets_two_tickets(
    page: Page, local_shop_cloud: Shop, tmp_path: Path
) -> None:
    _buy_with_the_local_provider(page, local_shop_cloud)
    _has_two_tickets_and_a_pdf(page, tmp_path)
    # The phone-sized layout still shows every code, and labels each figure of a line, as
    # the table's column headings are not shown there.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("svg.qr").first).to_be_visible()
    subtotal = page.locator("td[data-label='Subtotal']")
    label = "cell => getComputedStyle(cell, '::before').content"
    assert subtotal.evaluate(label) == '"Subtotal"'
    page.set_viewport_size({"width": 1280, "height": 900})
    assert subtotal.evaluate(label) == "none"

    # One ticket is for a friend: given from the page, its code leaves this order.
    second = page.locator("li.ticket").nth(1)
    second.get_by_text("Give this ticket to someone").click()
    second.get_by_label("Their name").fill("Bo Friend")
    second.get_by_label("Their email address").fill("bo@example.org")
    second.get_by_role("button", name=re.compile(r"^Give ticket ")).click()
    expect(
        page.get_by_text("is Bo Friend's now: it is on its way to bo@example.org")
    ).to_be_visible()
    expect(page.locator("svg.qr")).to_have_count(1)
    expect(page.get_by_text("Given to Bo Friend")).to_be_visible()


def test_the_friend_opens_the_given_ticket_on_a_phone_and_gives_it_on(
    page: Page, chromium: Browser, local_shop_cloud: Shop
) -> None:
    assert expect is not None
    _buy_with_the_local_provider(page, local_shop_cloud)
    second = page.locator("li.ticket").nth(1)
    second.get_by_text("Give this ticket to someone").click()
    second.get_by_label("Their name").fill("Bo Friend")
    second.get_by_label("Their email address").fill("bo@example.org")
    second.get_by_role("button", name=re.compile(r"^Give ticket ")).click()
    expect(page.get_by_text("Given to Bo Friend")).to_be_visible()
    [sent] = emails(local_shop_cloud.cloud.settings, "bo@example.org", "ticket_given")

    # Bo opens the link from the email on a phone: the ticket, and the same form to pass on.
    phone = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.set_default_timeout(15_000)
    phone.goto(sent["ticket_url"])
    expect(phone.get_by_role("heading", name=f"Your ticket for {EVENT_NAME}")).to_be_visible()
    expect(phone.get_by_text("Ada Lovelace gave you this ticket")).to_be_visible()
    expect(phone.locator("svg.qr")).to_have_count(1)
    expect(phone.get_by_role("link", name="Download PDF")).to_be_visible()
    save_screenshot(phone, "given-ticket.png")
    phone.get_by_text("Give this ticket to someone").click()
    phone.get_by_label("Their name").fill("Cy Third")
    phone.get_by_label("Their email address").fill("cy@example.org")
    phone.get_by_role("button", name=re.compile(r"^Give ticket ")).click()
    given_on = phone.get_by_text("is Cy Third's now: it is on its way to cy@example.org")
    expect(given_on).to_be_visible()
    expect(phone.locator("svg.qr")).to_have_count(0)
    phone.context.close()
    # The buyer still sees the ticket they gave to Bo.
    page.reload()
    expect(page.get_by_text("Given to Bo Friend")).to_be_visible()


def test_a_buyer_who_lost_the_email_finds_the_tickets_and_opens_the_emailed_link(
    page: Page, chromium: Browser, local_shop_cloud: Shop
) -> None:
    _buy_with_the_local_provider(page, local_shop_cloud)
    page.close()  # the tab and its address are gone, and so is the confirmation email

    # Later, on the phone, with nothing but the address the tickets were bought with.
    later = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
    later.set_default_timeout(15_000)
    later.goto(f"{local_shop_cloud.url}/events")
    later.get_by_role("link", name="Find my tickets").click()
    later.get_by_label("Email").fill("ada@example.org")
    later.get_by_role("button", name="Email my tickets").click()
    expect(later.get_by_text("they are on their way to it now")).to_be_visible()
    save_screenshot(later, "find-my-tickets.png")

    settings = local_shop_cloud.cloud.settings
    engine = make_engine(settings.database_url)

    def again() -> list[str]:
        texts = [received.message.get_body(("plain",)) for received in smtp.sink.received]
        return [t.get_content() for t in texts if t and "tickets again" in t.get_content()]

    with running_smtp(SmtpSink()) as smtp:
        delivery = make_delivery(make_session_factory(engine), smtp, Clock())
        # The email is queued just after the page was sent (cloud.asks).
        assert eventually(lambda: delivery.run_pass() is not None and bool(again()))
    engine.dispose()
    [text] = again()
    link = re.search(r"http://127\.0\.0\.1:\d+/orders/\S+", text)
    assert link is not None, text

    later.goto(link.group(0))
    expect(later.get_by_role("heading", name=f"Your tickets for {EVENT_NAME}")).to_be_visible()
    expect(later.locator("svg.qr")).to_have_count(2)
    later.context.close()
