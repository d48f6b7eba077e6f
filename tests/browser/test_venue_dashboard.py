"""The venue manager's dashboard in real Chromium, against a real venue server and real
scanner requests on loopback."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from shared.messages import ManifestPage, PairResponse, decode
from shared.pairing import parse_payload
from shared.reasons import Reason
from tests.browser.conftest import save_screenshot
from tests.support import serving
from tests.venue.conftest import Issuer, Venue
from tests.venue.dashboard_harness import PASSWORD, encode_batch, gate_scan
from venue_server.app import create_app
from venue_server.cloud_sync import apply_manifest_page
from venue_server.managers import set_manager_password
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips loudly, or fails on CI
    expect = None

if TYPE_CHECKING:
    from playwright.sync_api import Page


@dataclass
class ShiftedClock:
    """Real time, plus however far the test has moved the server's clock."""

    shift: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift

    @property
    def ms(self) -> int:
        return int(self() * 1000)


@dataclass
class LiveVenue:
    venue: Venue
    clock: ShiftedClock
    issuer: Issuer

    @property
    def url(self) -> str:
        return self.venue.url

    def scanner(self, paired: PairResponse) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            timeout=10,
            headers={"Authorization": f"Bearer {paired.device_token}"},
        )

    def sync_like_a_scanner(self, paired: PairResponse) -> httpx.Response:
        """Pull the manifest as a gate does, telling its clock and manifest version."""
        with self.scanner(paired) as http:
            answer = http.get("/api/v1/manifest", params={"limit": 1000})
            assert answer.status_code == 200, answer.text
            cursor = decode(answer.content, ManifestPage).next_cursor
            return http.get(
                "/api/v1/scans",
                headers={"X-Bilten-Device-Time": str(self.clock.ms), "X-Bilten-Manifest": cursor},
            )

    def upload(self, paired: PairResponse, *records: object) -> None:
        with self.scanner(paired) as http:
            answer = http.post(
                "/api/v1/scans",
                content=encode_batch(list(records)),  # type: ignore[arg-type]
                headers={"Content-Type": "application/json"},
            )
        assert answer.status_code == 200, answer.text


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveVenue]:
    settings = VenueSettings(data_dir=tmp_path / "venue")
    store = VenueStore(settings.db_path)
    store.set_cloud_link(CloudLink("http://cloud.invalid", "key", "Grand Hall"))
    store.record_sync_result(True, time.time() - 42, "manifest and scans in step")
    issuer = Issuer()
    apply_manifest_page(store, issuer.page([issuer.issue()[1] for _ in range(3)], "c1"))
    set_manager_password(store, PASSWORD)
    clock = ShiftedClock()
    try:
        with serving(create_app(settings, store=store, sync=False, clock=clock)) as server:
            yield LiveVenue(Venue(server.url, store, settings), clock, issuer)
    finally:
        store.close()


def log_in(page: Page, live: LiveVenue, password: str = PASSWORD) -> None:
    page.goto(f"{live.url}/dashboard")
    expect(page).to_have_url(re.compile(r"/dashboard/login$"))
    page.get_by_label("Manager password").fill(password)
    page.get_by_role("button", name="Log in").click()


def device_row(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("#devices tbody tr").filter(has=page.get_by_role("rowheader", name=name))


def test_a_manager_logs_in_and_sees_a_scanner_come_online_and_get_ready(
    page: Page, live: LiveVenue
) -> None:
    paired = live.venue.pair("Tablet North", gate="North")
    live.clock.shift = 120  # two minutes later, the tablet has not been heard from

    log_in(page, live, "not the password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong password")
    log_in(page, live)

    expect(page.get_by_role("heading", level=1)).to_have_text("Grand Hall")
    expect(page.locator("#sync-status")).to_contain_text("last good sync")
    row = device_row(page, "Tablet North")
    expect(row).to_contain_text("Offline")
    readiness = page.locator("#readiness tbody tr").filter(has_text="Tablet North")
    expect(readiness).to_contain_text("Not ready")
    expect(readiness).to_contain_text("offline for")

    live.sync_like_a_scanner(paired)

    expect(row).to_contain_text("Online")
    expect(row).to_contain_text("up to date")
    expect(readiness).to_contain_text("✓ Ready")
    expect(readiness).to_contain_text("manifest up to date; clock within")


def test_a_manager_pairs_a_scanner_from_the_qr_renames_it_and_revokes_it(
    page: Page, live: LiveVenue
) -> None:
    import zxingcpp
    from PIL import Image

    log_in(page, live)
    page.get_by_role("button", name="Pair a scanner").click()
    page.get_by_label("Gate this scanner will serve").fill("South")
    page.get_by_role("button", name="Make a pairing code").click()

    code = page.locator("#pair-code")
    expect(code).to_have_text(re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$"))
    expect(page.locator("#pair-expiry")).to_contain_text(re.compile(r"Expires in 1[45]:\d\d"))
    # What a scanner's camera would read off the screen.
    shot = Image.open(io.BytesIO(page.locator("#pair-qr").screenshot()))
    (read,) = zxingcpp.read_barcodes(shot)
    payload = parse_payload(read.text)
    assert payload.code == code.inner_text()
    save_screenshot(page, "venue-dashboard-pairing.png", full_page=False)

    with httpx.Client(base_url=payload.venue_url, timeout=10) as http:
        answer = http.post(
            "/api/v1/pair", json={"v": 1, "code": payload.code, "device_name": "Tablet S"}
        )
    assert answer.status_code == 200, answer.text
    paired = decode(answer.content, PairResponse)
    page.get_by_role("button", name="Done").click()

    row = device_row(page, "Tablet S")
    expect(row).to_contain_text("South")
    expect(row).to_contain_text("Online")

    row.get_by_role("button", name="Rename Tablet S").click()
    page.get_by_label("New name").fill("South door")
    page.get_by_role("button", name="Save name").click()
    renamed = device_row(page, "South door")
    expect(renamed).to_contain_text("South")

    renamed.get_by_role("button", name="Revoke South door").click()
    expect(page.locator("#device-dialog")).to_contain_text("Its next request is refused")
    page.locator("#device-submit").click()
    expect(renamed).to_contain_text("Revoked")
    expect(renamed.get_by_role("button", name="Revoke South door")).to_be_disabled()
    with live.scanner(paired) as http:
        assert http.get("/api/v1/scans").status_code == 401


def test_entries_and_a_conflict_between_two_gates_appear_live(page: Page, live: LiveVenue) -> None:
    north = live.venue.pair("North tablet", gate="North")
    south = live.venue.pair("South tablet", gate="South")
    for gate in (north, south):
        live.sync_like_a_scanner(gate)
    ticket = live.venue.store.tickets_after(0, 1)[0][0][1]
    log_in(page, live)
    expect(page.locator("#entries-summary")).to_contain_text("; 0 in the last 30 minutes")
    expect(page.locator("#conflicts-empty")).to_be_visible()

    at = live.clock.ms
    live.upload(
        north,
        gate_scan(
            north,
            gate="North",
            ticket_id=ticket.ticket_id,
            at_ms=at - 500,
            device_name="North tablet",
        ),
    )
    live.upload(
        south,
        gate_scan(
            south, gate="South", ticket_id=ticket.ticket_id, at_ms=at, device_name="South tablet"
        ),
        gate_scan(
            south,
            gate="South",
            ticket_id=None,
            at_ms=at,
            reason=Reason.FORGED,
            device_name="South tablet",
        ),
    )

    # Totals over the plotted half hour, so a minute that turns meanwhile changes nothing.
    expect(page.locator("#entries-summary")).to_contain_text("; 2 in the last 30 minutes")
    plotted = page.eval_on_selector_all(
        "#entries-plot rect.bar", "bars => bars.map(bar => Number(bar.dataset.entries))"
    )
    assert sum(plotted) == 2
    conflict = page.locator("#conflicts tbody tr")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text(ticket.ticket_id)
    expect(conflict).to_contain_text("Ada Lovelace")
    expect(conflict.locator("td").nth(1)).to_contain_text("counts: North · North tablet")
    expect(conflict.locator("td").nth(2)).to_contain_text("flagged: South · South tablet")
    expect(page.locator("#total-conflicts")).to_have_text("1")
    expect(page.locator("#occupancy tbody tr")).to_contain_text("Main")
    expect(page.locator("#total-inside")).to_have_text("2")
    expect(page.locator("#rejected tbody tr")).to_contain_text("Forged ticket")
    save_screenshot(page, "venue-dashboard.png")


def test_the_stale_data_alert_shows_when_the_last_good_sync_is_too_old(
    page: Page, live: LiveVenue
) -> None:
    live.clock.shift = 3600

    log_in(page, live)

    alert = page.locator("#stale-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Stale data")
    expect(alert).to_contain_text("alert after 15 min")


def test_a_narrow_phone_screen_still_shows_every_section(page: Page, live: LiveVenue) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live)

    for heading in ("Gates and devices", "Entries per minute", "Conflict inbox", "Rejected scans"):
        section = page.get_by_role("heading", name=heading)
        expect(section).to_be_visible()
        box = section.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
