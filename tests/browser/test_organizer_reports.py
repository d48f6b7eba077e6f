"""The organizer's dashboard, attendee list, CSV export and live check-in in real Chromium
against a real cloud on a loopback port: a buyer buys, the organizer sees the plots,
searches the attendees and downloads them, gives the venue a new key, and watches the
check-in figures and a conflict appear by themselves as the venue uploads its scans."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from cloud.db import make_engine, make_session_factory
from cloud.scans.conflicts import detect_conflicts
from shared.messages import ScanBatch, encode
from tests.browser import test_organizer as organizer_pages
from tests.browser.conftest import save_screenshot
from tests.browser.test_organizer import _buy, _set_up_event, _sign_up_organizer
from tests.cloud.sync.test_scan_upload import scan
from tests.cloud_harness import Cloud

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips loudly, or fails on CI
    expect = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

# The cloud of the organizer browser tests (SQLite, the local payment provider).
cloud = organizer_pages.cloud
# The check-in page refreshes every 10 s; a loaded machine gets plenty more.
LIVE_TIMEOUT_MS = 60_000


def _watch_console(page: Page) -> list[str]:
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        # The site has no icon yet; the browser's own request for one is not the pages' fault.
        if message.type == "error" and not where.endswith("/favicon.ico"):
            problems.append(f"{message.text} {where}")

    page.on("console", note)
    return problems


def _event_tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Event sections").get_by_role("link", name=name).click()


def _new_venue_key(page: Page, url: str, venue: str) -> str:
    page.get_by_role("navigation", name="Organisation").get_by_role("link", name="Venues").click()
    page.get_by_role("link", name=f"New API key for {venue}").click()
    page.get_by_role("button", name=f"Yes, make a new key for {venue}").click()
    expect(page.get_by_text("The old key no longer works")).to_be_visible()
    key = page.get_by_label(f"API key of {venue}").input_value()
    assert key.startswith("bvk_")
    return key


def _upload(url: str, key: str, *scans: object) -> None:
    answer = httpx.post(
        f"{url}/api/v1/venue/scans",
        content=encode(ScanBatch(scans=list(scans))),  # type: ignore[arg-type]
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_dashboard_attendees_export_and_live_check_in(
    page: Page, chromium: Browser, cloud: Cloud, tmp_path: Path
) -> None:
    console = _watch_console(page)
    _sign_up_organizer(page, cloud.url)
    event_url = _set_up_event(page, cloud.url)
    found = re.search(r"/events/(\d+)$", event_url)
    assert found
    event_id = int(found.group(1))
    _buy(chromium, cloud.url, str(event_id))

    # The dashboard: figures and plots of the sale.
    page.goto(event_url)
    _event_tab(page, "Dashboard")
    expect(page.locator("#figure-sold")).to_have_text("2")
    expect(page.locator("#figure-revenue")).to_have_text("€50.00")
    tickets_plot = page.get_by_role("img", name=re.compile(r"^Tickets sold per hour"))
    expect(tickets_plot).to_be_visible()
    expect(tickets_plot.locator("rect")).to_have_count(1)
    box = tickets_plot.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 60
    capacity = page.get_by_role("img", name=re.compile(r"^Capacity by ticket type"))
    expect(capacity).to_be_visible()
    expect(page.locator("#capacity-plot-desc")).to_have_text("Standing: 2 sold, 0 held, 98 left.")
    save_screenshot(page, "organizer-dashboard.png")

    # The attendee list: search, and the CSV of what is shown.
    _event_tab(page, "Attendees")
    expect(page.locator("#attendees tbody tr")).to_have_count(2)
    page.get_by_role("searchbox", name="Search").fill("nobody-like-this")
    page.get_by_role("button", name="Show attendees").click()
    expect(page.get_by_text("Nobody matches.")).to_be_visible()
    page.get_by_role("searchbox", name="Search").fill("bea@example")
    page.get_by_role("button", name="Show attendees").click()
    expect(page.locator("#attendees tbody tr")).to_have_count(2)
    tickets = [
        row.get_attribute("data-ticket") or "" for row in page.locator("#attendees tbody tr").all()
    ]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download 2 rows as CSV").click()
    saved = tmp_path / "attendees.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert sorted(row["ticket_id"] for row in rows) == sorted(tickets)
    assert {row["holder_name"] for row in rows} == {"Bea Buyer"}
    assert {row["checked_in"] for row in rows} == {"no"}

    key = _new_venue_key(page, cloud.url, "Riverside Hall")

    # Live check-in: open before the venue uploads; the figures arrive by themselves.
    page.goto(f"{event_url}/checkin")
    expect(page.locator("#figure-checked-in")).to_have_text("0")
    now_ms = int(time.time() * 1000)
    _upload(
        cloud.url,
        key,
        scan(event_id, tickets[0], gate="North", device="dN", wall_ms=now_ms - 120_000),
    )
    expect(page.locator("#figure-checked-in")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#figure-no-shows")).to_have_text("1")
    expect(page.locator("#gates")).to_contain_text("North")
    entries = page.get_by_role("img", name=re.compile(r"^Entries per minute"))
    expect(entries).to_be_visible()

    # South could not see North and admitted the same ticket: a conflict, once the worker
    # has looked at the uploads.
    _upload(
        cloud.url,
        key,
        scan(event_id, tickets[0], gate="South", device="dS", wall_ms=now_ms - 60_000),
    )
    engine = make_engine(cloud.settings.database_url)
    try:
        assert detect_conflicts(make_session_factory(engine)) == 1
    finally:
        engine.dispose()
    expect(page.locator("#figure-conflicts")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
    conflict = page.locator("#conflicts tbody tr")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text("North")
    expect(conflict).to_contain_text("South")
    expect(conflict).to_contain_text(tickets[0])
    save_screenshot(page, "organizer-checkin.png")
    # Nothing the pages did broke their Content-Security-Policy or failed in a script.
    assert console == []


def test_report_pages_fit_a_phone(page: Page, chromium: Browser, cloud: Cloud) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    _sign_up_organizer(page, cloud.url)
    event_url = _set_up_event(page, cloud.url)
    found = re.search(r"/events/(\d+)$", event_url)
    assert found
    _buy(chromium, cloud.url, found.group(1))
    for tab in ("dashboard", "attendees", "checkin", "reports"):
        page.goto(f"{event_url}/{tab}")
        expect(page.get_by_role("navigation", name="Event sections")).to_be_visible()
        # Nothing makes the page itself scroll sideways; plots and tables scroll in a box.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, tab
    page.goto(f"{event_url}/dashboard")
    save_screenshot(page, "organizer-dashboard-phone.png")
