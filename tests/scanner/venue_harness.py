"""A real venue server on a loopback port and scanners paired with it, for the scanner's
tests: tickets reach the venue the way a cloud sync round lands them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner_app.core import ScannerCore
from scanner_app.store import Store
from scanner_app.sync import SyncService
from shared.clock import HybridClock, wall_clock_ms
from shared.messages import ManifestPage
from shared.token import TicketClaims
from tests.scanner.gate import TicketMaker, ticket_entry
from tests.support import free_port, serving
from venue_server.app import create_app
from venue_server.cloud_sync import apply_manifest_page
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore


@dataclass
class Venue:
    """A running venue server and its own store, as its manager's machine holds it."""

    url: str
    store: VenueStore
    maker: TicketMaker
    pages: int = 0

    def code(self, gate: str = "East") -> str:
        return issue_pairing_code(self.store, gate, 900, int(time.time()))

    def sell(self, count: int) -> list[TicketClaims]:
        """Tickets reaching the venue's manifest, the way a cloud sync round lands them."""
        claims = [self.maker.claims() for _ in range(count)]
        self.pages += 1
        apply_manifest_page(
            self.store,
            ManifestPage(
                next_cursor=f"cloud-page-{self.pages}",
                has_more=False,
                events=[self.maker.event_entry()],
                keys=[self.maker.key_entry()],
                tickets=[ticket_entry(c, f"Guest {n}") for n, c in enumerate(claims)],
            ),
        )
        return claims

    def revoke(self, claims: TicketClaims) -> None:
        """The organizer refunds a ticket; the venue's next cloud round brings the change."""
        self.pages += 1
        apply_manifest_page(
            self.store,
            ManifestPage(
                next_cursor=f"cloud-page-{self.pages}",
                has_more=False,
                events=[self.maker.event_entry()],
                keys=[self.maker.key_entry()],
                tickets=[ticket_entry(claims, "Refunded", revoked=True)],
            ),
        )

    def ticket_ids(self) -> set[str]:
        rows, _ = self.store.tickets_after(0, 1_000_000)
        return {entry.ticket_id for _, entry in rows}


@pytest.fixture
def venue_store(tmp_path: Path) -> Iterator[VenueStore]:
    store = VenueStore(tmp_path / "venue" / "venue.sqlite3")
    # The venue's name comes from its cloud pairing; sync is off, so that cloud is never called.
    store.set_cloud_link(CloudLink(f"http://127.0.0.1:{free_port()}", "venue-key", "Arena"))
    yield store
    store.close()


@pytest.fixture
def venue(tmp_path: Path, venue_store: VenueStore, maker: TicketMaker) -> Iterator[Venue]:
    settings = VenueSettings(data_dir=tmp_path / "venue")
    with serving(create_app(settings, store=venue_store, sync=False)) as server:
        yield Venue(server.url, venue_store, maker)


@dataclass
class Scanner:
    store: Store
    clock: HybridClock
    sync: SyncService

    def core(self) -> ScannerCore:
        return ScannerCore(self.store, self.clock)


def paired_scanner(
    folder: Path, venue: Venue, name: str = "North 1", gate: str = "North", wall_offset_ms: int = 0
) -> Scanner:
    store = Store(folder / "scanner.sqlite3")
    service = SyncService(store, None, page_limit=2, batch_size=2)
    device = service.pair(venue.url + "/", venue.code(gate), name)
    clock = HybridClock(device.device_id, wall=lambda: wall_clock_ms() + wall_offset_ms)
    return Scanner(store, clock, SyncService(store, clock, page_limit=2, batch_size=2))


@pytest.fixture
def scanner(tmp_path: Path, venue: Venue) -> Iterator[Scanner]:
    scanner = paired_scanner(tmp_path / "scanner", venue)
    yield scanner
    scanner.store.close()
