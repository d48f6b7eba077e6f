from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from scanner_app.errors import VenueRefused
from scanner_app.store import Store
from scanner_app.sync import SyncService, SyncStatus, VenueClient
from shared.clock import Hlc, HybridClock
from shared.messages import (
    ManifestPage,
    PairResponse,
    ScanAck,
    ScanBatch,
    ScanFeed,
    ScanRecord,
    decode,
    encode,
)
from shared.reasons import Reason
from shared.token import ticket_ref
from tests.scanner.gate import Gate, TicketMaker, ticket_entry
from tests.support import free_port


class FakeVenue:
    """The venue server's scanner API as seen on the wire: a stand-in for the other tier."""

    def __init__(self, maker: TicketMaker, tickets: int = 5, page: int = 2) -> None:
        self.maker = maker
        self.claims = [maker.claims() for _ in range(tickets)]
        self.page = page
        self.received: list[ScanRecord] = []
        self.feed: list[ScanRecord] = []
        self.ack_at_most: int | None = None
        self.tokens_seen: set[str] = set()

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.tokens_seen.add(request.headers.get("Authorization", ""))
        path = request.url.path
        if path == "/api/v1/pair":
            body = json.loads(request.content)
            if body["code"] != "GOOD-CODE":
                return httpx.Response(400, json={"status_code": 400, "detail": "unknown code"})
            answer = PairResponse(
                device_id="dnew42", device_token="secret", venue_name="Arena", gate="East"
            )
            return httpx.Response(200, content=encode(answer))
        if request.headers.get("Authorization") != "Bearer secret":
            return httpx.Response(401, json={"status_code": 401, "detail": "unknown device"})
        if path == "/api/v1/manifest":
            start = int(request.url.params.get("cursor") or 0)
            chunk = self.claims[start : start + self.page]
            end = start + len(chunk)
            page = ManifestPage(
                next_cursor=str(end),
                has_more=end < len(self.claims),
                remaining=len(self.claims) - end,
                events=[self.maker.event_entry()],
                keys=[self.maker.key_entry()],
                tickets=[ticket_entry(c, f"Guest {i}") for i, c in enumerate(chunk, start)],
            )
            return httpx.Response(200, content=encode(page))
        if path == "/api/v1/scans" and request.method == "POST":
            batch = decode(request.content, ScanBatch)
            accepted = batch.scans[: self.ack_at_most] if self.ack_at_most else batch.scans
            known = {s.scan_id for s in self.received}
            self.received += [s for s in accepted if s.scan_id not in known]
            ack = ScanAck(stored=len(accepted), duplicates=0, acked=[s.scan_id for s in accepted])
            return httpx.Response(200, content=encode(ack))
        if path == "/api/v1/scans":
            start = int(request.url.params.get("cursor") or 0)
            feed = ScanFeed(
                next_cursor=str(len(self.feed)), has_more=False, scans=self.feed[start:]
            )
            return httpx.Response(200, content=encode(feed))
        return httpx.Response(404, json={"status_code": 404, "detail": "no such path"})

    def client_factory(self, url: str, token: str | None) -> VenueClient:
        return VenueClient(url, token, transport=httpx.MockTransport(self.handle))


def paired_store(tmp_path: Path, venue: FakeVenue) -> tuple[Store, SyncService, HybridClock]:
    store = Store(tmp_path / "scanner.sqlite3")
    clock = HybridClock("dnew42")
    service = SyncService(store, clock, venue.client_factory, page_limit=2, batch_size=2)
    service.pair("http://venue.test/", "GOOD-CODE", "North 1", gate=None)
    return store, service, clock


def test_pairing_stores_the_token_and_gate(tmp_path: Path, maker: TicketMaker) -> None:
    venue = FakeVenue(maker)
    store, _, _ = paired_store(tmp_path, venue)

    device = store.device()

    assert device is not None
    assert (device.device_id, device.device_token, device.gate) == ("dnew42", "secret", "East")
    assert device.venue_url == "http://venue.test"
    store.close()


def test_a_refused_pairing_code_raises_with_the_venues_reason(
    tmp_path: Path, maker: TicketMaker
) -> None:
    store = Store(tmp_path / "scanner.sqlite3")
    service = SyncService(store, None, FakeVenue(maker).client_factory)

    with pytest.raises(VenueRefused, match="unknown code"):
        service.pair("http://venue.test", "USED-CODE", "North 1")
    assert store.device() is None
    store.close()


def test_sync_pulls_the_manifest_page_by_page_with_progress(
    tmp_path: Path, maker: TicketMaker
) -> None:
    venue = FakeVenue(maker, tickets=5, page=2)
    store, service, _ = paired_store(tmp_path, venue)
    progress: list[tuple[int, int]] = []

    report = service.sync_once(lambda done, left: progress.append((done, left)))

    assert report.status is SyncStatus.ONLINE
    assert report.tickets_pulled == 5
    assert progress == [(2, 3), (4, 1), (5, 0)]
    assert store.ticket_count() == 5
    assert store.ticket(ticket_ref(venue.claims[4].ticket_id)) is not None
    # A second sync resumes from the cursor instead of downloading everything again.
    assert service.sync_once().tickets_pulled == 0
    store.close()


def test_sync_uploads_own_scans_and_marks_only_acked_ones(
    tmp_path: Path, maker: TicketMaker
) -> None:
    from scanner_app.core import ScannerCore

    venue = FakeVenue(maker)
    store, service, clock = paired_store(tmp_path, venue)
    service.sync_once()
    core = ScannerCore(store, clock)
    for _ in range(3):
        core.scan(maker.token())
    venue.ack_at_most = 1

    partial = service.sync_once()
    venue.ack_at_most = None
    full = service.sync_once()

    assert partial.scans_pushed == 1 and partial.pending == 2
    assert full.scans_pushed == 2 and full.pending == 0
    assert len(venue.received) == 3
    assert {s.device_id for s in venue.received} == {"dnew42"}
    store.close()


def test_sync_brings_other_gates_scans_and_advances_the_clock(
    tmp_path: Path, maker: TicketMaker
) -> None:
    from scanner_app.core import ScannerCore

    venue = FakeVenue(maker)
    store, service, clock = paired_store(tmp_path, venue)
    claims = maker.claims()
    future = int(time.time() * 1000) + 60_000  # the other gate's clock runs a minute fast
    venue.feed.append(
        ScanRecord(
            scan_id="0190f2a4-0000-7000-8000-0000000000aa",
            device_id="dsouth9",
            device_name="South 9",
            gate="South",
            hlc=Hlc(future, 3, "dsouth9").encode(),
            scanned_at_ms=future,
            reason=Reason.ADMITTED,
            event_id=maker.event_id,
            ticket_id=ticket_ref(claims.ticket_id),
        )
    )

    report = service.sync_once()
    verdict = ScannerCore(store, clock).scan(maker.token(claims))

    assert report.scans_pulled == 1
    assert verdict.reason is Reason.ALREADY_ADMITTED
    assert verdict.previous is not None and verdict.previous.gate == "South"
    assert clock.now() > Hlc(future, 3, "dsouth9")
    store.close()


def test_a_revoked_device_reports_unauthorized(tmp_path: Path, maker: TicketMaker) -> None:
    venue = FakeVenue(maker)
    store, service, _ = paired_store(tmp_path, venue)
    device = store.device()
    assert device is not None
    store.save_device(replace(device, device_token="no-longer-valid"))

    report = service.sync_once()

    assert report.status is SyncStatus.UNAUTHORIZED
    store.close()


def test_offline_venue_is_reported_and_the_gate_keeps_admitting(gate: Gate) -> None:
    port = free_port()  # nothing listens here: connection refused, like a venue that is down
    device = gate.store.device()
    assert device is not None
    gate.store.save_device(replace(device, venue_url=f"http://127.0.0.1:{port}"))
    service = SyncService(gate.store, gate.clock)
    core = gate.core()
    core.scan(gate.sell())

    report = service.sync_once()
    verdict = core.scan(gate.sell())

    assert report.status is SyncStatus.OFFLINE
    assert not report.online
    assert report.pending == 1
    assert verdict.admit
    assert gate.store.pending_count() == 2
