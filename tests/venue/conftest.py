"""Real venue servers on loopback, real SQLite files, tickets signed with real Ed25519 keys."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.clock import HybridClock
from shared.ids import new_scan_id, new_ticket_id
from shared.keys import VerifyKey
from shared.messages import (
    EventEntry,
    ManifestPage,
    PairResponse,
    PublicKeyEntry,
    ScanRecord,
    TicketEntry,
    decode,
)
from shared.reasons import Reason
from shared.token import TicketClaims, sign_ticket
from tests.cloud_harness import cloud, cloud_venue, organizer  # noqa: F401 - fixtures
from tests.support import serving
from venue_server.app import create_app
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore

EVENT_ID = 7
KEY_ID = 70


@dataclass
class Issuer:
    """Stands in for the cloud's signing side: real keys, real signed tokens."""

    event_id: int = EVENT_ID
    key_id: int = KEY_ID
    private_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def key_entry(self) -> PublicKeyEntry:
        return VerifyKey(self.key_id, self.event_id, self.private_key.public_key()).to_entry()

    @property
    def event_entry(self) -> EventEntry:
        return EventEntry(
            event_id=self.event_id,
            name="Spring Concert",
            starts_at=self.created - 3600,
            ends_at=self.created + 3600,
            venue_name="Hall",
        )

    def issue(self) -> tuple[str, TicketEntry]:
        claims = TicketClaims(
            key_id=self.key_id,
            event_id=self.event_id,
            ticket_id=new_ticket_id(),
            type_id=1,
            issued_at=int(time.time()),
        )
        token = sign_ticket(claims, self.private_key)
        entry = TicketEntry(
            ticket_id=claims.ticket_ref,
            event_id=self.event_id,
            type_id=1,
            type_name="Standing",
            holder_name="Ada Lovelace",
        )
        return token, entry

    def page(self, tickets: list[TicketEntry], cursor: str, has_more: bool = False) -> ManifestPage:
        return ManifestPage(
            next_cursor=cursor,
            has_more=has_more,
            events=[self.event_entry],
            keys=[self.key_entry],
            tickets=tickets,
        )


def scan(
    device: PairResponse | str,
    reason: Reason = Reason.ADMITTED,
    ticket_id: str | None = None,
    event_id: int | None = EVENT_ID,
) -> ScanRecord:
    device_id = device if isinstance(device, str) else device.device_id
    return ScanRecord(
        scan_id=new_scan_id(),
        device_id=device_id,
        device_name=f"tablet {device_id}",
        gate="North",
        hlc=HybridClock(device_id).now().encode(),
        scanned_at_ms=time.time_ns() // 1_000_000,
        reason=reason,
        event_id=event_id,
        ticket_id=ticket_id,
    )


@dataclass
class Venue:
    """A running venue server and its store, as a scanner on the LAN would meet it."""

    url: str
    store: VenueStore
    settings: VenueSettings

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)

    def code(self, gate: str = "North") -> str:
        return issue_pairing_code(self.store, gate, 900, int(time.time()))

    def pair(self, name: str = "Tablet", gate: str = "North") -> PairResponse:
        with self.client() as http:
            answer = http.post(
                "/api/v1/pair",
                json={"v": 1, "code": self.code(gate), "device_name": name},
            )
        assert answer.status_code == 200, answer.text
        return decode(answer.content, PairResponse)


@pytest.fixture
def settings(tmp_path: Path) -> VenueSettings:
    return VenueSettings(data_dir=tmp_path / "venue", sync_interval=0.2, max_backoff=1.6)


@pytest.fixture
def store(settings: VenueSettings) -> Iterator[VenueStore]:
    venue_store = VenueStore(settings.db_path)
    yield venue_store
    venue_store.close()


@pytest.fixture
def venue(settings: VenueSettings, store: VenueStore) -> Iterator[Venue]:
    with serving(create_app(settings, store=store)) as server:
        yield Venue(server.url, store, settings)


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()
