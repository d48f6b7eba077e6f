"""A venue's LAN for end-to-end tests: venue servers that can be cut off and come back on the
same address with the same data, and gates (real scanner store, core and sync service)
paired with them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cloud.settings import CloudSettings
from scanner_app.core import ScannerCore
from scanner_app.store import Store
from scanner_app.sync import SyncReport, SyncService
from shared.cli import main as bilten
from shared.clock import HybridClock
from shared.messages import ScanRecord
from shared.rules import Verdict, split_admissions
from tests.cloud_harness import Cloud, migrated
from tests.support import ServerThread, free_port
from venue_server.app import create_app
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore


def eventually(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(params=["sqlite", "postgresql"])
def cloud(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cloud]:
    env = {}
    if request.param == "postgresql":
        env["BILTEN_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    handle = Cloud(migrated(CloudSettings.from_env(tmp_path / "cloud", environ=env)))
    handle.start()
    yield handle
    handle.stop()


class VenueSite:
    """One venue server paired with the cloud, on a fixed port, with its own data folder."""

    def __init__(self, data: Path, cloud_url: str, venue_key: str) -> None:
        pair = ["venue", "pair", "--cloud", cloud_url, "--key", venue_key, "--data", str(data)]
        assert bilten(pair) == 0
        self.settings = VenueSettings(data_dir=data, sync_interval=0.2, max_backoff=0.5)
        self.store = VenueStore(self.settings.db_path)
        self.port = free_port()
        self.server: ServerThread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> VenueSite:
        self.server = ServerThread(create_app(self.settings, store=self.store), self.port).start()
        return self

    def stop(self) -> None:
        """The venue's network is down: no gate reaches the server until ``start``."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    def close(self) -> None:
        self.stop()
        self.store.close()

    def code(self, gate: str) -> str:
        return issue_pairing_code(self.store, gate, 900, int(time.time()))

    def revoked(self) -> set[str]:
        """Tickets this venue server's manifest holds as refunded or cancelled."""
        rows, _ = self.store.tickets_after(0, 1_000_000)
        return {entry.ticket_id for _, entry in rows if entry.revoked}

    def scan_ids(self) -> list[str]:
        rows, _ = self.store.scans_after(0, 1_000_000)
        return [record.scan_id for _, record in rows]

    def pending_upload(self) -> int:
        return self.store.scan_counts()[1]


class Gate:
    """One scanner device, through the same core and sync service its window uses."""

    def __init__(self, folder: Path, site: VenueSite, name: str) -> None:
        self.name = name
        self.store = Store(folder / "scanner.sqlite3")
        device = SyncService(self.store).pair(site.url, site.code(f"Gate {name}"), name)
        self.clock = HybridClock(device.device_id)
        self.sync = SyncService(self.store, self.clock)
        self.core = ScannerCore(self.store, self.clock)
        self.made: list[ScanRecord] = []

    def sync_now(self) -> SyncReport:
        return self.sync.sync_once()

    def scan(self, token: str) -> Verdict:
        """Scan at this gate and keep the record it committed."""
        verdict = self.core.scan(token)
        assert self.core.last_scan is not None
        self.made.append(self.core.last_scan)
        return verdict

    def winner(self, ticket_ref: str) -> tuple[str | None, set[str]]:
        """The admission this gate counts for a single-entry ticket, and those it flags, from
        every movement it knows of (its own and those the venue relayed)."""
        first, rest = split_admissions(self.store.movements(ticket_ref))
        return (first.scan_id if first else None), {r.scan_id for r in rest}

    def close(self) -> None:
        self.store.close()
