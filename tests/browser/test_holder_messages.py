"""An organizer messages an event's ticket holders in real Chromium: the page says whom the
message reaches, sending it shows its progress, and once the worker delivered it the page
says so."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from cloud.db import make_engine, make_session_factory
from cloud.notifications.jobs import email_delivery
from cloud.settings import CloudSettings
from tests.cloud_harness import Cloud, migrated

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips loudly, or fails on CI
    expect = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Page

EMAIL, PASSWORD = "olga@example.org", "correct horse battery"


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    running = Cloud(
        migrated(
            CloudSettings(
                database_url=f"sqlite:///{tmp_path / 'cloud.db'}",
                master_key=secrets.token_bytes(32),
                jwt_secret=secrets.token_urlsafe(48),
                data_dir=tmp_path / "cloud",
            )
        )
    )
    running.start()
    yield running
    running.stop()


def _sold_event(cloud: Cloud) -> str:
    """An organizer's event on sale with two buyers; returns the event's page path."""
    with httpx.Client(base_url=cloud.url, timeout=10) as http:
        signup = http.post(
            "/api/v1/auth/signup",
            json={"email": EMAIL, "password": PASSWORD, "name": "Olga", "organisation": "Brass"},
        )
        http.headers["Authorization"] = f"Bearer {signup.json()['access_token']}"
        venue = http.post("/api/v1/venues", json={"name": "Hall"}).json()
        event = http.post(
            "/api/v1/events",
            json={
                "name": "Night of Brass",
                "venue_id": venue["venue_id"],
                "starts_at": "2030-06-01T19:00:00Z",
                "ends_at": "2030-06-01T23:00:00Z",
                "published": True,
            },
        ).json()
        kind = http.post(
            f"/api/v1/events/{event['event_id']}/ticket-types",
            json={"name": "Standing", "capacity": 100},
        ).json()
        for buyer in ("ada@example.org", "bob@example.org", "ADA@example.org"):
            hold = http.post(
                "/api/v1/shop/holds",
                json={
                    "event_id": event["event_id"],
                    "buyer_email": buyer,
                    "buyer_name": "Buyer",
                    "items": [{"type_id": kind["type_id"], "quantity": 1}],
                },
            ).json()
            http.post(f"/api/v1/shop/holds/{hold['hold_token']}/checkout")
        [org] = http.get("/api/v1/orgs").json()
    return f"/organizer/orgs/{org['org_id']}/events/{event['event_id']}"


def test_an_organizer_messages_every_holder_once_and_watches_it_go_out(
    page: Page, cloud: Cloud
) -> None:
    event_page = _sold_event(cloud)
    page.goto(f"{cloud.url}/account/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/account$"))

    page.goto(f"{cloud.url}{event_page}")
    page.get_by_role("link", name="Send them a message").click()
    expect(page.locator("#reach")).to_contain_text("reaches 2 email addresses")
    page.get_by_label("Subject").fill("Doors open at 18:00")
    page.get_by_label("Message", exact=True).fill("Doors open an hour early.\n\nBring a jacket.")
    page.get_by_role("button", name="Send to 2 recipients").click()

    expect(page.get_by_text("Message queued")).to_be_visible()
    sent = page.locator("#sent-messages")
    expect(sent).to_contain_text("Doors open at 18:00")
    expect(sent).to_contain_text("0 of 2 delivered, 2 waiting")

    engine = make_engine(cloud.settings.database_url)
    report = email_delivery(cloud.settings, make_session_factory(engine)).run_pass()
    engine.dispose()
    page.reload()

    # The sign-up's and the orders' emails went out in the same pass.
    assert report.sent == 6
    expect(sent).to_contain_text("2 of 2 delivered")
    expect(sent.locator("progress")).to_have_attribute("value", "2")
    mails = [m.read_text() for m in (cloud.settings.data_dir / "mail").glob("*.eml")]
    messages = [m for m in mails if "Subject: Doors open at 18:00" in m]
    assert sorted(re.findall(r"^To: (.+)$", "".join(messages), re.MULTILINE)) == [
        "ada@example.org",
        "bob@example.org",
    ]
