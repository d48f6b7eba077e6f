"""A gate paired again still delivers the scans it made under its earlier pairing.

Scans are immutable and carry the device id they were made under. A gate that is paired
again (its pairing was revoked, it moved to another gate, or the venue server was replaced)
may still hold scans that never went up; they must reach the venue and the cloud like any
other, while no gate may put scans in the name of another gate that is still paired.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scanner_app.core import ScannerCore
from scanner_app.store import Store as ScannerStore
from scanner_app.sync import SyncService, SyncStatus
from shared.clock import HybridClock
from shared.messages import ScanBatch, encode
from shared.reasons import Reason
from tests.cloud_harness import Cloud, CloudVenue, Organizer
from tests.support import serving
from tests.venue.conftest import Venue, scan
from venue_server.app import create_app
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore


def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


class Scanner:
    """A real gate: its store, and the sync service and core its window builds after pairing."""

    def __init__(self, folder: Path) -> None:
        self.store = ScannerStore(folder / "scanner.sqlite3")
        self.sync = SyncService(self.store)
        self.core: ScannerCore | None = None

    def pair(self, venue: Venue, name: str = "North 1") -> str:
        device = SyncService(self.store).pair(venue.url, venue.code(), name)
        clock = HybridClock(device.device_id)
        self.sync = SyncService(self.store, clock)
        self.core = ScannerCore(self.store, clock)
        return device.device_id

    def scan(self, token: str) -> str:
        assert self.core is not None
        assert self.core.scan(token).reason is Reason.ADMITTED
        assert self.core.last_scan is not None
        return self.core.last_scan.scan_id


@contextmanager
def _linked(
    settings: VenueSettings, store: VenueStore, cloud: Cloud, cloud_venue: CloudVenue
) -> Iterator[Venue]:
    """A venue server paired with the real cloud, syncing on its own."""
    store.set_cloud_link(CloudLink(cloud.url, cloud_venue.api_key, cloud_venue.name))
    with serving(create_app(settings, store=store)) as server:
        yield Venue(server.url, store, settings)


@pytest.fixture
def linked(
    settings: VenueSettings, store: VenueStore, cloud: Cloud, cloud_venue: CloudVenue
) -> Iterator[Venue]:
    with _linked(settings, store, cloud, cloud_venue) as venue:
        yield venue


@pytest.fixture
def scanner(tmp_path: Path) -> Iterator[Scanner]:
    gate = Scanner(tmp_path / "gate")
    yield gate
    gate.store.close()


def _held(venue: Venue) -> dict[str, str]:
    rows, _ = venue.store.scans_after(0, 10_000)
    return {record.scan_id: record.device_id for _, record in rows}


def test_scans_made_under_a_revoked_pairing_reach_the_cloud_after_pairing_again(
    linked: Venue, scanner: Scanner, organizer: Organizer, cloud_venue: CloudVenue
) -> None:
    [ticket] = organizer.issue(cloud_venue, 1)
    first = scanner.pair(linked)
    _wait_for(lambda: linked.store.ticket_count() == 1)
    assert scanner.sync.sync_once().online
    made = scanner.scan(ticket["token"])
    # The manager revokes the gate before its scan went up; staff pair it again.
    assert linked.store.revoke_device(first, int(time.time()))
    assert scanner.sync.sync_once().status is SyncStatus.UNAUTHORIZED
    second = scanner.pair(linked)

    report = scanner.sync.sync_once()

    assert report.status is SyncStatus.ONLINE, report.detail
    assert report.pending == 0
    assert _held(linked) == {made: first}
    assert second != first
    _wait_for(lambda: organizer.scan_ids(cloud_venue) == [made])


def test_scans_made_before_pairing_again_go_up_while_the_earlier_pairing_still_stands(
    linked: Venue, scanner: Scanner, organizer: Organizer, cloud_venue: CloudVenue
) -> None:
    [ticket] = organizer.issue(cloud_venue, 1)
    first = scanner.pair(linked)
    _wait_for(lambda: linked.store.ticket_count() == 1)
    assert scanner.sync.sync_once().online
    made = scanner.scan(ticket["token"])
    # Moved to another gate: paired again before the scan went up, the old pairing intact.
    scanner.pair(linked, "South 1")

    report = scanner.sync.sync_once()

    assert report.status is SyncStatus.ONLINE, report.detail
    assert report.pending == 0
    assert _held(linked) == {made: first}
    _wait_for(lambda: organizer.scan_ids(cloud_venue) == [made])


def test_scans_held_for_a_replaced_venue_server_go_to_its_successor(
    tmp_path: Path,
    settings: VenueSettings,
    store: VenueStore,
    scanner: Scanner,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    [ticket] = organizer.issue(cloud_venue, 1)
    with _linked(settings, store, cloud, cloud_venue) as old:
        first = scanner.pair(old)
        _wait_for(lambda: old.store.ticket_count() == 1)
        assert scanner.sync.sync_once().online
    # The venue laptop dies before the gate's next scan went up; a new one, paired with the
    # same venue, takes its place.
    made = scanner.scan(ticket["token"])
    new_settings = VenueSettings(data_dir=tmp_path / "new", sync_interval=0.2, max_backoff=1)
    new_store = VenueStore(new_settings.db_path)
    try:
        with _linked(new_settings, new_store, cloud, cloud_venue) as successor:
            scanner.pair(successor)
            report = scanner.sync.sync_once()

            assert report.status is SyncStatus.ONLINE, report.detail
            assert report.pending == 0
            assert _held(successor) == {made: first}
            _wait_for(lambda: organizer.scan_ids(cloud_venue) == [made])
    finally:
        new_store.close()


def test_a_gate_paired_again_still_cannot_upload_in_the_name_of_another_paired_gate(
    venue: Venue,
) -> None:
    north = venue.pair("North 1")
    south = venue.pair("South 1")
    with venue.client(north.device_token) as http:
        answer = http.post(
            "/api/v1/scans", content=encode(ScanBatch(scans=[scan(north), scan(south)]))
        )

    assert answer.status_code == 403
    assert south.device_id in answer.json()["detail"]
    assert venue.store.scan_counts() == (0, 0)
