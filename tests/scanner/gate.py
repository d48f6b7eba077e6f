"""Test building blocks: a signing 'cloud' that makes real tickets, and a paired scanner store."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from scanner_app.core import ScannerCore
from scanner_app.store import DeviceConfig, Store
from shared.clock import HybridClock
from shared.keys import VerifyKey
from shared.messages import EventEntry, ManifestPage, PublicKeyEntry, TicketEntry
from shared.token import TicketClaims, sign_ticket, ticket_ref

DEVICE = DeviceConfig(
    device_id="dgate01",
    device_token="device-token",
    venue_url="http://127.0.0.1:9",
    device_name="North 1",
    gate="North",
    venue_name="Test Arena",
)


@dataclass
class TicketMaker:
    """Issues signed tickets for one event, the way the cloud does."""

    event_id: int
    key_id: int
    private_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def key_entry(self) -> PublicKeyEntry:
        return VerifyKey(self.key_id, self.event_id, self.private_key.public_key()).to_entry()

    def event_entry(self) -> EventEntry:
        now = int(time.time())
        return EventEntry(
            event_id=self.event_id,
            name=f"Event {self.event_id}",
            starts_at=now - 3600,
            ends_at=now + 3600,
            venue_name="Test Arena",
        )

    def claims(self, type_id: int = 1, **extra: int) -> TicketClaims:
        return TicketClaims(
            key_id=self.key_id,
            event_id=self.event_id,
            ticket_id=secrets.token_bytes(12),
            type_id=type_id,
            issued_at=int(time.time()) - 60,
            **extra,
        )

    def token(self, claims: TicketClaims | None = None) -> str:
        return sign_ticket(claims or self.claims(), self.private_key)

    def forge(self, claims: TicketClaims | None = None) -> str:
        """Same key id, another private key: what a counterfeiter can make."""
        return sign_ticket(claims or self.claims(), Ed25519PrivateKey.generate())


def ticket_entry(
    token_claims: TicketClaims, holder: str = "Ada Lovelace", revoked: bool = False
) -> TicketEntry:
    return TicketEntry(
        ticket_id=ticket_ref(token_claims.ticket_id),
        event_id=token_claims.event_id,
        type_id=token_claims.type_id,
        type_name="General admission",
        holder_name=holder,
        revoked=revoked,
    )


@dataclass
class Gate:
    store: Store
    maker: TicketMaker
    clock: HybridClock

    @classmethod
    def paired(cls, folder: Path, maker: TicketMaker) -> Gate:
        store = Store(folder / "scanner.sqlite3")
        store.save_device(DEVICE)
        store.apply_manifest_page(
            ManifestPage(
                next_cursor="page-1",
                has_more=False,
                events=[maker.event_entry()],
                keys=[maker.key_entry()],
            )
        )
        return cls(store, maker, HybridClock(DEVICE.device_id))

    def core(self) -> ScannerCore:
        return ScannerCore(self.store, self.clock)

    def sell(self, holder: str = "Ada Lovelace", revoked: bool = False) -> str:
        """A ticket the local manifest knows about; returns its QR text."""
        claims = self.maker.claims()
        self.store.apply_manifest_page(
            ManifestPage(
                next_cursor=f"after-{ticket_ref(claims.ticket_id)}",
                has_more=False,
                tickets=[ticket_entry(claims, holder, revoked)],
            )
        )
        return self.maker.token(claims)
