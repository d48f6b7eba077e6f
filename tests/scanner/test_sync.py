"""The scanner's sync against a real venue server on a loopback port."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import msgspec
import pytest

from scanner_app.core import ScannerCore
from scanner_app.errors import VenueRefused
from scanner_app.store import MANIFEST_CURSOR, Store
from scanner_app.sync import SyncService, SyncStatus, VenueClient
from shared.clock import Hlc, HybridClock
from shared.ids import new_scan_id
from shared.messages import ScanBatch
from shared.reasons import Reason
from shared.token import ticket_ref
from tests.scanner.gate import TicketMaker
from tests.scanner.venue_harness import Scanner, Venue, paired_scanner
from tests.support import ServerThread, free_port, serving
from venue_server.app import create_app
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore


def test_pairing_stores_the_token_and_the_gate_the_code_was_made_for(
    tmp_path: Path, venue: Venue
) -> None:
    store = Store(tmp_path / "scanner.sqlite3")
    service = SyncService(store, None)

    device = service.pair(venue.url + "/", venue.code(gate="East"), "North 1")

    assert store.device() == device
    assert (device.gate, device.device_name, device.venue_name) == ("East", "North 1", "Arena")
    assert device.venue_url == venue.url
    assert [(d.device_id, d.name, d.gate) for d in venue.store.devices()] == [
        (device.device_id, "North 1", "East")
    ]
    # The token it keeps is the one the venue accepts.
    assert SyncService(store, HybridClock(device.device_id)).sync_once().online
    store.close()


def test_a_move_by_the_venues_manager_reaches_the_scanner_but_not_over_its_own_gate(
    tmp_path: Path, venue: Venue
) -> None:
    store = Store(tmp_path / "scanner.sqlite3")
    device = SyncService(store, None).pair(venue.url, venue.code(gate="East"), "North 1")
    sync = SyncService(store, HybridClock(device.device_id))
    venue.sell(3)
    assert sync.sync_once().tickets_pulled == 3
    core = ScannerCore(store, HybridClock(device.device_id))
    assert core.gate == "East"

    venue.store.set_device_gate(device.device_id, "VIP")
    venue.store.rename_device(device.device_id, "VIP 1")
    again = sync.sync_once()

    assert again.online and again.tickets_pulled == 0  # the rest of the pairing stays
    moved = store.device()
    assert moved is not None
    assert (moved.gate, moved.device_name) == ("VIP", "VIP 1")
    assert (moved.device_id, moved.device_token) == (device.device_id, device.device_token)
    assert core.gate == "VIP"
    # A gate set on the scanner itself is staff's choice there, and stays.
    core.configure(replace(core.settings, gate="Side door"))
    venue.store.set_device_gate(device.device_id, "Balcony")
    sync.sync_once()
    assert (store.device() or device).gate == "Balcony"
    assert core.gate == "Side door"
    store.close()


def test_an_unknown_or_used_pairing_code_is_refused_with_the_venues_reason(
    tmp_path: Path, venue: Venue
) -> None:
    store = Store(tmp_path / "scanner.sqlite3")
    service = SyncService(store, None)
    code = venue.code()
    paired_elsewhere = Store(tmp_path / "other.sqlite3")
    SyncService(paired_elsewhere, None).pair(venue.url, code, "South 1")
    paired_elsewhere.close()

    with pytest.raises(VenueRefused, match="unknown pairing code") as unknown:
        service.pair(venue.url, "ABCD-EFGH", "North 1")
    with pytest.raises(VenueRefused, match="already been used"):
        service.pair(venue.url, code, "North 1")

    assert unknown.value.status_code == 403
    assert store.device() is None
    assert len(venue.store.devices()) == 1
    store.close()


def test_sync_pulls_the_manifest_page_by_page_then_resumes_from_its_cursor(
    venue: Venue, scanner: Scanner
) -> None:
    sold = venue.sell(5)
    progress: list[tuple[int, int]] = []

    report = scanner.sync.sync_once(lambda done, left: progress.append((done, left)))

    assert report.status is SyncStatus.ONLINE
    assert report.tickets_pulled == 5
    assert progress == [(2, 3), (4, 1), (5, 0)]
    assert scanner.store.ticket_count() == 5
    assert scanner.store.ticket(ticket_ref(sold[4].ticket_id)) is not None
    # Nothing new: nothing downloaded again. Something new: only that.
    assert scanner.sync.sync_once().tickets_pulled == 0
    late = venue.sell(1)
    assert scanner.sync.sync_once().tickets_pulled == 1
    assert scanner.store.ticket(ticket_ref(late[0].ticket_id)) is not None
    assert scanner.store.ticket_count() == 6


def test_uploaded_scans_are_held_by_the_venue_once_and_no_longer_pending(
    venue: Venue, scanner: Scanner
) -> None:
    sold = venue.sell(3)
    scanner.sync.sync_once()
    core = scanner.core()
    verdicts = [core.scan(venue.maker.token(claims)) for claims in sold]
    own = scanner.store.pending_scans(10)
    assert all(v.admit for v in verdicts) and scanner.store.pending_count() == 3

    report = scanner.sync.sync_once()

    assert report.status is SyncStatus.ONLINE
    assert (report.scans_pushed, report.pending) == (3, 0)
    assert scanner.store.pending_count() == 0
    held, _ = venue.store.scans_after(0, 10)
    assert [record for _, record in held] == own
    assert venue.store.scan_counts() == (3, 3)  # held, and waiting for the venue's cloud upload

    # A scanner that crashed before marking its upload sends the same batch again.
    device = scanner.store.device()
    assert device is not None
    client = VenueClient(device.venue_url, device.device_token)
    replay = client.push_scans(ScanBatch(scans=own))
    client.close()

    assert (replay.stored, replay.duplicates) == (0, 3)
    assert set(replay.acked) == {r.scan_id for r in own}
    assert venue.store.scan_counts() == (3, 3)


def test_other_gates_scans_reach_the_history_and_advance_the_clock(
    tmp_path: Path, venue: Venue, scanner: Scanner
) -> None:
    (claims,) = venue.sell(1)
    # The other gate's clock runs a minute fast.
    south = paired_scanner(tmp_path / "south", venue, "South 9", "South", wall_offset_ms=60_000)
    south.sync.sync_once()
    assert south.core().scan(venue.maker.token(claims)).admit
    assert south.sync.sync_once().scans_pushed == 1
    (their_scan,) = south.store.recent_scans()
    south.store.close()

    report = scanner.sync.sync_once()
    verdict = scanner.core().scan(venue.maker.token(claims))

    assert report.scans_pulled == 1
    assert scanner.store.scan(their_scan.scan_id) == their_scan
    assert verdict.reason is Reason.ALREADY_ADMITTED
    assert verdict.previous is not None and verdict.previous.gate == "South"
    assert verdict.previous.device_name == "South 9"
    assert scanner.clock.now() > Hlc.parse(their_scan.hlc)


def test_a_device_the_venue_revoked_reports_unauthorized_and_keeps_its_scans(
    venue: Venue, scanner: Scanner
) -> None:
    (claims,) = venue.sell(1)
    scanner.sync.sync_once()
    scanner.core().scan(venue.maker.token(claims))
    device = scanner.store.device()
    assert device is not None
    assert venue.store.revoke_device(device.device_id, int(time.time()))

    report = scanner.sync.sync_once()

    assert report.status is SyncStatus.UNAUTHORIZED
    assert "revoked" in report.detail
    assert scanner.store.pending_count() == 1
    assert venue.store.scan_counts() == (0, 0)


def test_offline_venue_is_reported_and_the_gate_keeps_admitting(
    tmp_path: Path, venue_store: VenueStore, maker: TicketMaker
) -> None:
    settings = VenueSettings(data_dir=tmp_path / "venue")
    port = free_port()
    server = ServerThread(create_app(settings, store=venue_store, sync=False), port).start()
    venue = Venue(server.url, venue_store, maker)
    sold = venue.sell(2)
    scanner = paired_scanner(tmp_path / "scanner", venue)
    assert scanner.sync.sync_once().online
    core = scanner.core()
    core.scan(maker.token(sold[0]))
    server.stop()  # the venue goes down: its port now refuses connections

    report = scanner.sync.sync_once()
    verdict = core.scan(maker.token(sold[1]))

    assert report.status is SyncStatus.OFFLINE
    assert not report.online
    assert report.pending == 1
    assert verdict.admit
    assert scanner.store.pending_count() == 2

    with serving(create_app(settings, store=venue_store, sync=False), port):
        back = scanner.sync.sync_once()
    assert back.online and back.scans_pushed == 2
    assert venue_store.scan_counts() == (2, 2)
    scanner.store.close()


class ManifestRequests:
    """The venue application as deployed, noting the cursor of every manifest page it serves."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cursors: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/v1/manifest":
            query = parse_qs(scope["query_string"].decode())
            self.cursors.append(query.get("cursor", [""])[0])
        await self.app(scope, receive, send)


def scanner_ticket_ids(store: Store) -> set[str]:
    conn = sqlite3.connect(store.path)
    try:
        return {row[0] for row in conn.execute("SELECT ticket_id FROM tickets")}
    finally:
        conn.close()


def test_the_round_that_completes_the_manifest_dates_the_gates_ticket_list(
    tmp_path: Path, venue_store: VenueStore, maker: TicketMaker
) -> None:
    settings = VenueSettings(data_dir=tmp_path / "venue")
    port = free_port()
    server = ServerThread(create_app(settings, store=venue_store, sync=False), port).start()
    venue = Venue(server.url, venue_store, maker)
    venue.sell(3)
    clock = {"now": 1_800_000_000.0}
    store = Store(tmp_path / "scanner" / "scanner.sqlite3")
    sync = SyncService(store, None, page_limit=2, now=lambda: clock["now"])
    sync.pair(venue.url, venue.code(), "North 1")
    assert store.last_synced() is None

    first = sync.sync_once()
    clock["now"] += 600
    again = sync.sync_once()
    server.stop()
    clock["now"] += 600
    offline = sync.sync_once()

    assert (first.first_load, first.last_synced) == (True, 1_800_000_000.0)
    assert (again.first_load, again.last_synced) == (False, 1_800_000_600.0)
    # Offline, the gate still says how old its list is: as of the last complete pull.
    assert offline.status is SyncStatus.OFFLINE
    assert (offline.first_load, offline.last_synced) == (False, 1_800_000_600.0)
    assert offline.at == 1_800_001_200.0
    store.close()


def test_an_interrupted_first_load_resumes_at_the_first_page_it_did_not_store(
    tmp_path: Path, venue_store: VenueStore, maker: TicketMaker
) -> None:
    settings = VenueSettings(data_dir=tmp_path / "venue")
    port = free_port()
    served = ManifestRequests(create_app(settings, store=venue_store, sync=False))
    server = ServerThread(served, port).start()
    venue = Venue(server.url, venue_store, maker)
    venue.sell(9)
    store = Store(tmp_path / "scanner" / "scanner.sqlite3")
    sync = SyncService(store, None, page_limit=2)
    sync.pair(venue.url, venue.code(), "North 1")
    before_cut: list[tuple[int, int]] = []

    def venue_goes_down_after_two_pages(fetched: int, remaining: int) -> None:
        before_cut.append((fetched, remaining))
        if len(before_cut) == 2:
            server.stop()

    cut = sync.sync_once(venue_goes_down_after_two_pages)

    assert cut.status is SyncStatus.OFFLINE
    assert (cut.tickets_pulled, cut.first_load, cut.last_synced) == (4, True, None)
    assert before_cut == [(2, 7), (4, 5)]
    assert store.ticket_count() == 4
    stored_up_to = store.cursor(MANIFEST_CURSOR)

    after_cut: list[tuple[int, int]] = []
    with serving(served, port):
        resumed = sync.sync_once(lambda fetched, left: after_cut.append((fetched, left)))

    assert resumed.online
    assert (resumed.tickets_pulled, resumed.first_load) == (5, True)
    assert resumed.last_synced is not None
    assert after_cut == [(2, 3), (4, 1), (5, 0)]
    assert scanner_ticket_ids(store) == venue.ticket_ids()
    # Pages are served once each: the resumed load asked from where the cut left it.
    assert len(served.cursors) == 5 == len(set(served.cursors))
    assert served.cursors[2] == stored_up_to
    store.close()


def test_scans_the_venue_refuses_stay_pending_and_the_gate_still_learns_of_revocations(
    tmp_path: Path, venue: Venue, scanner: Scanner
) -> None:
    sold = venue.sell(2)
    scanner.sync.sync_once()
    core = scanner.core()
    assert core.scan(venue.maker.token(sold[0])).admit
    # A scan the venue cannot take: a staff name longer than the protocol carries.
    assert core.last_scan is not None
    unsendable = msgspec.structs.replace(core.last_scan, scan_id=new_scan_id(), staff="S" * 300)
    scanner.store.add_own_scan(unsendable)
    south = paired_scanner(tmp_path / "south", venue, "South 9", "South")
    south.sync.sync_once()
    assert south.core().scan(venue.maker.token(sold[1])).admit
    south.sync.sync_once()
    south.store.close()
    venue.revoke(sold[1])

    report = scanner.sync.sync_once()

    assert report.status is SyncStatus.ERROR
    assert "scans not uploaded" in report.detail and "400" in report.detail
    assert (report.scans_pushed, report.pending) == (0, 2)
    assert (report.tickets_pulled, report.scans_pulled) == (1, 1)
    revoked = core.scan(venue.maker.token(sold[1]))
    assert revoked.reason is Reason.REVOKED
    assert [r.device_name for r in scanner.store.movements(ticket_ref(sold[1].ticket_id))] == [
        "South 9"
    ]
    assert venue.store.scan_counts() == (1, 1)  # only the other gate's scan


def test_a_gate_paired_again_hands_its_earlier_scans_over_and_still_gets_its_tickets(
    venue: Venue, scanner: Scanner
) -> None:
    sold = venue.sell(1)
    scanner.sync.sync_once()
    assert scanner.core().scan(venue.maker.token(sold[0])).admit
    earlier = scanner.store.device()
    # Paired again before that scan went up: it goes up under the pairing that made it.
    scanner.sync.pair(venue.url, venue.code("North"), "North 1b")
    late = venue.sell(1)

    report = scanner.sync.sync_once()

    assert report.status is SyncStatus.ONLINE
    assert report.pending == 0
    assert earlier is not None
    assert [r.device_id for _, r in venue.store.scans_after(0, 10)[0]] == [earlier.device_id]
    assert scanner.store.ticket(ticket_ref(late[0].ticket_id)) is not None


def test_a_revoked_device_stops_at_once_and_pulls_nothing(venue: Venue, scanner: Scanner) -> None:
    venue.sell(1)
    scanner.sync.sync_once()
    device = scanner.store.device()
    assert device is not None
    assert venue.store.revoke_device(device.device_id, int(time.time()))
    late = venue.sell(1)

    report = scanner.sync.sync_once()

    assert report.status is SyncStatus.UNAUTHORIZED
    assert report.tickets_pulled == 0
    assert scanner.store.ticket(ticket_ref(late[0].ticket_id)) is None
