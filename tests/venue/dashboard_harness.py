"""A venue server with a manager password and a clock the test moves, and a logged-in manager.

Everything is real: the app on a loopback port, its SQLite file, the login form, the session
cookie and the CSRF token read from the page as a browser would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shared.clock import Hlc
from shared.ids import new_scan_id
from shared.messages import Direction, PairResponse, ScanBatch, ScanRecord, encode
from shared.reasons import Reason
from tests.support import serving
from tests.venue.conftest import Venue
from venue_server.app import create_app
from venue_server.managers import LoginThrottle, set_manager_password
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore

PASSWORD = "correct horse battery staple"


@dataclass
class MovableClock:
    """The server's wall clock, moved by the test instead of by waiting."""

    now: float

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @property
    def ms(self) -> int:
        return int(self.now * 1000)


@dataclass
class Dashboard:
    """A running venue server as both its manager and its scanners meet it."""

    venue: Venue
    clock: MovableClock
    throttle_clock: MovableClock

    @property
    def url(self) -> str:
        return self.venue.url

    @property
    def store(self) -> VenueStore:
        return self.venue.store

    def manager(self, password: str = PASSWORD) -> Manager:
        manager = Manager(httpx.Client(base_url=self.url, timeout=10))
        answer = manager.login(password)
        assert answer.status_code == 303, answer.text
        return manager

    def scanner(self, paired: PairResponse, **headers: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            timeout=10,
            headers={"Authorization": f"Bearer {paired.device_token}", **headers},
        )

    def upload(self, paired: PairResponse, *records: ScanRecord) -> httpx.Response:
        with self.scanner(paired) as http:
            return http.post(
                "/api/v1/scans",
                content=encode_batch(records),
                headers={"Content-Type": "application/json"},
            )


class Manager:
    """A browser-like client: it logs in through the form and sends the page's CSRF token."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.csrf = ""

    def login(self, password: str) -> httpx.Response:
        form = self.http.get("/dashboard/login")
        token = _field(form.text, r'name="login_token" value="([^"]+)"')
        answer = self.http.post(
            "/dashboard/login", data={"password": password, "login_token": token}
        )
        if answer.status_code == 303:
            page = self.http.get("/dashboard")
            self.csrf = _field(page.text, r'name="csrf-token" content="([^"]+)"')
        return answer

    def overview(self) -> dict[str, Any]:
        answer = self.http.get("/dashboard/api/overview")
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    def device(self, device_id: str) -> dict[str, Any]:
        return next(d for d in self.overview()["devices"] if d["device_id"] == device_id)

    def close(self) -> None:
        self.http.close()


def _field(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found, f"{pattern} not on the page"
    return found.group(1)


def encode_batch(records: tuple[ScanRecord, ...] | list[ScanRecord]) -> bytes:
    return encode(ScanBatch(scans=list(records)))


def gate_scan(
    device: PairResponse,
    *,
    gate: str,
    ticket_id: str | None,
    at_ms: int,
    reason: Reason = Reason.ADMITTED,
    zone: str = "",
    direction: Direction = Direction.ENTRY,
    event_id: int | None = 7,
    device_name: str | None = None,
) -> ScanRecord:
    """A scan as a gate makes it, at a chosen time (its clock timestamp follows that time)."""
    return ScanRecord(
        scan_id=new_scan_id(),
        device_id=device.device_id,
        device_name=device_name or f"tablet at {gate}",
        gate=gate,
        hlc=Hlc(at_ms, 0, device.device_id).encode(),
        scanned_at_ms=at_ms,
        reason=reason,
        event_id=event_id,
        ticket_id=ticket_id,
        zone=zone,
        direction=direction,
    )


@pytest.fixture(name="dashboard")
def dashboard_fixture(settings: VenueSettings, store: VenueStore) -> Iterator[Dashboard]:
    """A venue server with the manager password set, on a clock the test moves."""
    set_manager_password(store, PASSWORD)
    clock = MovableClock(time.time())
    throttle_clock = MovableClock(1000.0)
    app = create_app(
        settings,
        store=store,
        sync=False,
        clock=clock,
        throttle=LoginThrottle(clock=throttle_clock),
    )
    with serving(app) as server:
        yield Dashboard(Venue(server.url, store, settings), clock, throttle_clock)


@pytest.fixture(name="manager")
def manager_fixture(dashboard: Dashboard) -> Iterator[Manager]:
    client = dashboard.manager()
    yield client
    client.close()
