"""The admin panel in real Chromium against a real cloud on a loopback port, on a platform
that approves new organisations: an admin approves an organisation, suspends a user, hides
an event with a reason the organizer then sees, retries a dead message and finds all of it
in the audit log; nobody else reaches any admin page."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from cloud.db import make_engine, make_session_factory
from cloud.notifications.outbox import enqueue_email, mark_dead, waiting
from cloud.settings import CloudSettings
from cloud.users.admins import make_admin
from tests.browser.conftest import save_screenshot
from tests.cloud_harness import Cloud, migrated

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips loudly, or fails on CI
    expect = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ADMIN = ("root@example.org", "admin password 1")
ORGANIZER = ("olga@example.org", "correct horse battery")
BUYER = ("bruno@example.org", "correct horse battery")
REASON = "The listing copies another organiser's event."
PAGES = ["/admin", "/admin/users", "/admin/orgs", "/admin/events", "/admin/outbox", "/admin/audit"]


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    running = Cloud(
        migrated(
            CloudSettings(
                database_url=f"sqlite:///{tmp_path / 'cloud.db'}",
                master_key=secrets.token_bytes(32),
                jwt_secret=secrets.token_urlsafe(48),
                data_dir=tmp_path / "cloud",
                approve_organisations=True,
            )
        )
    )
    running.start()
    yield running
    running.stop()


def _platform(cloud: Cloud) -> dict[str, Any]:
    """An admin made as an operator does; an organizer with a venue and a draft event and a
    buyer, signed up through the API; and an email the mail server refused for good."""
    engine = make_engine(cloud.settings.database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        make_admin(session, ADMIN[0], name="Root", password=lambda: ADMIN[1], now=1)
    with httpx.Client(base_url=cloud.url, timeout=10) as http:
        for (email, password), organisation in ((ORGANIZER, "Riverside Concerts"), (BUYER, None)):
            body = {"email": email, "password": password, "name": email.split("@")[0].title()}
            if organisation:
                body["organisation"] = organisation
            answer = http.post("/api/v1/auth/signup", json=body)
            assert answer.status_code == 201, answer.text
        token = http.post(
            "/api/v1/auth/login", json={"email": ORGANIZER[0], "password": ORGANIZER[1]}
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        venue = http.post("/api/v1/venues", json={"name": "Riverside Hall"}).json()
        event = http.post(
            "/api/v1/events",
            json={
                "name": "Summer Night",
                "venue_id": venue["venue_id"],
                "starts_at": "2030-06-01T19:00:00Z",
                "ends_at": "2030-06-01T23:00:00Z",
            },
        ).json()
        http.post(
            f"/api/v1/events/{event['event_id']}/ticket-types",
            json={"name": "Standing", "capacity": 100, "price": 2500},
        )
    with sessions() as session:
        enqueue_email(
            session,
            to="gone@example.org",
            template="verify_email",
            context={"name": "Gone", "verify_url": "https://shop.example/v"},
        )
        session.commit()
        [dead] = [m for m in waiting(session) if m.recipient == "gone@example.org"]
        mark_dead(session, dead.id, error="550 5.1.1 No such user here")
    engine.dispose()
    return {"event_id": event["event_id"], "org_id": 1}


def _log_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/account$"))


def _as(chromium: Browser) -> Page:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return tab


def test_an_admin_approves_suspends_hides_retries_and_finds_it_all_in_the_audit_log(
    page: Page, chromium: Browser, cloud: Cloud
) -> None:
    made = _platform(cloud)
    organizer = _as(chromium)
    event_page = f"{cloud.url}/organizer/orgs/{made['org_id']}/events/{made['event_id']}"
    try:
        _log_in(organizer, cloud.url, *ORGANIZER)
        organizer.goto(event_page)
        expect(organizer.locator("#approval-notice")).to_contain_text("waiting for approval")
        organizer.get_by_role("button", name="Publish").click()
        expect(organizer.get_by_text("waiting for approval by the platform")).to_be_visible()

        _log_in(page, cloud.url, *ADMIN)
        page.get_by_role("link", name="Admin").click()
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        expect(page.locator("svg.chart")).to_have_count(1)
        expect(page.locator("#figures")).to_contain_text("1 waiting for approval")

        # Approve the organisation waiting for it.
        page.get_by_role("link", name="1 waiting for approval").click()
        orgs = page.locator("#orgs")
        expect(orgs).to_contain_text("Riverside Concerts")
        orgs.get_by_role("button", name="Approve Riverside Concerts").click()
        expect(page.get_by_text("Organisation approved")).to_be_visible()

        organizer.goto(event_page)
        expect(organizer.locator("#approval-notice")).to_have_count(0)
        organizer.get_by_role("button", name="Publish").click()
        expect(organizer.get_by_text("Published: buyers can now see the event")).to_be_visible()

        # Suspend a user found by search.
        nav = page.get_by_role("navigation", name="Administration")
        nav.get_by_role("link", name="Users").click()
        page.get_by_label("Name or email").fill("bruno")
        page.get_by_role("button", name="Search").click()
        users = page.locator("#users")
        expect(users.locator("tbody tr")).to_have_count(1)
        users.get_by_role("button", name=f"Suspend {BUYER[0]}").click()
        expect(page.get_by_text("Account suspended")).to_be_visible()
        expect(users).to_contain_text("Suspended")
        login = httpx.post(
            f"{cloud.url}/api/v1/auth/login", json={"email": BUYER[0], "password": BUYER[1]}
        )
        assert login.status_code == 403

        # Hide the event with a reason.
        nav.get_by_role("link", name="Events").click()
        page.locator("#events").get_by_role("link", name="Summer Night").click()
        page.get_by_role("button", name="Hide the event").click()  # no reason yet
        expect(page.get_by_label("Reason shown to the organizer")).to_be_focused()
        page.get_by_label("Reason shown to the organizer").fill(REASON)
        page.get_by_role("button", name="Hide the event").click()
        expect(page.get_by_text("The event is hidden")).to_be_visible()
        expect(page.locator(".reason")).to_have_text(REASON)
        assert httpx.get(f"{cloud.url}/api/v1/shop/events/{made['event_id']}").status_code == 404

        organizer.goto(event_page)
        expect(organizer.locator("#moderation-notice")).to_contain_text(REASON)

        # Retry the dead message.
        nav.get_by_role("link", name="Messages").click()
        dead = page.locator("#messages")
        expect(dead).to_contain_text("550 5.1.1 No such user here")
        dead.get_by_role("button", name="Retry the message to gone@example.org").click()
        expect(page.get_by_text("The message is queued again")).to_be_visible()
        expect(page.get_by_text("No dead messages.")).to_be_visible()
        save_screenshot(page, "admin-messages.png")

        # Everything is in the audit log, newest first, and can be narrowed down.
        nav.get_by_role("link", name="Audit log").click()
        log = page.locator("#audit")
        for text in (
            "dead email message verify_email to gone@example.org queued again",
            f"event {made['event_id']} 'Summer Night' hidden: {REASON}",
            f"{BUYER[0]} suspended; every login ended",
            "organisation 'Riverside Concerts' approved",
            f"{ORGANIZER[0]} logged in",
        ):
            expect(log).to_contain_text(text)
        expect(log.locator("tbody tr").first).to_contain_text("message.retried")
        page.get_by_label("Action").select_option(label="Event hidden")
        page.get_by_role("button", name="Filter").click()
        expect(log.locator("tbody tr")).to_have_count(1)
        expect(page.locator("#audit-count")).to_have_text("1 entry matches.")
        expect(log).to_contain_text(ADMIN[0])
        save_screenshot(page, "admin-audit.png")
        page.get_by_role("link", name="Check the chain").click()
        expect(page.locator("#chain-result")).to_contain_text("entries are intact")
    finally:
        organizer.context.close()


def test_nobody_but_an_admin_reaches_an_admin_page(
    page: Page, chromium: Browser, cloud: Cloud
) -> None:
    _platform(cloud)

    for path in PAGES:
        page.goto(f"{cloud.url}{path}")
        expect(page).to_have_url(re.compile(r"/account/login\?next=/admin"))

    _log_in(page, cloud.url, *ORGANIZER)
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    for path in PAGES:
        answer = page.goto(f"{cloud.url}{path}")
        assert answer is not None and answer.status == 404, path
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
