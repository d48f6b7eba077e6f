"""Soak: the venue server (``bilten venue serve``, its own process) with 50 paired scanners,
each holding the live feed open and uploading its scans as it admits people, for a while.

No request fails and no live stream breaks, every scan reaches every scanner, and the
server's resident memory is sampled throughout (reported, not asserted by timing). Quick
mode runs 30 seconds; ``BILTEN_LONG=1`` runs 10 minutes."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

from scanner_app.live import SseParser
from shared.clock import HybridClock
from shared.ids import new_scan_id
from shared.messages import PairRequest, ScanBatch, ScanFeed, ScanRecord, decode, encode
from shared.reasons import Reason
from tests.support import LONG, figure
from tests.venue.venue_driver import VenueProcess
from venue_server.pairing import issue_pairing_code, pair_device
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore

pytestmark = pytest.mark.slow

SCANNERS = 50
SECONDS = 600.0 if LONG else 30.0
SCANS_PER_SECOND = 20.0  # all gates together: a busy door
SAMPLE_EVERY = 10.0 if LONG else 2.0
SETTLE_SECONDS = 30.0


@dataclass
class Scanner:
    device_id: str
    token: str
    clock: HybridClock
    seen: set[str] = field(default_factory=set)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def scan(self) -> ScanRecord:
        return ScanRecord(
            scan_id=new_scan_id(),
            device_id=self.device_id,
            device_name=f"soak {self.device_id}",
            gate="Main",
            hlc=self.clock.now().encode(),
            scanned_at_ms=time.time_ns() // 1_000_000,
            reason=Reason.ADMITTED,
        )


@dataclass
class Soak:
    url: str
    scanners: list[Scanner]
    sent: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    uploading: bool = True


def _pair(data: Path) -> list[Scanner]:
    store = VenueStore(VenueSettings(data_dir=data).db_path)
    now = int(time.time())
    scanners = []
    for n in range(SCANNERS):
        code = issue_pairing_code(store, "Main", 900, now)
        paired = pair_device(store, PairRequest(code=code, device_name=f"Gate {n}"), now)
        scanners.append(
            Scanner(paired.device_id, paired.device_token, HybridClock(paired.device_id))
        )
    store.close()
    return scanners


async def _listen(soak: Soak, scanner: Scanner, http: httpx.AsyncClient) -> None:
    """The scanner's live feed: one stream for the whole soak; a break is an error."""
    parser = SseParser()
    try:
        async with http.stream("GET", "/api/v1/live", headers=scanner.headers) as answer:
            if answer.status_code != 200:
                soak.errors.append(f"live feed of {scanner.device_id}: {answer.status_code}")
                return
            async for line in answer.aiter_lines():
                event = parser.feed(line)
                if event is not None and event.event == "scans":
                    feed = decode(event.data, ScanFeed)
                    scanner.seen.update(s.scan_id for s in feed.scans)
    except httpx.HTTPError as exc:
        if soak.uploading or scanner.seen < soak.sent:
            soak.errors.append(f"live feed of {scanner.device_id} broke: {exc!r}")


async def _upload(
    soak: Soak, scanner: Scanner, http: httpx.AsyncClient, rng: random.Random
) -> None:
    interval = SCANNERS / SCANS_PER_SECOND
    await asyncio.sleep(rng.uniform(0, interval))
    while soak.uploading:
        record = scanner.scan()
        try:
            answer = await http.post(
                "/api/v1/scans",
                content=encode(ScanBatch(scans=[record])),
                headers={**scanner.headers, "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            soak.errors.append(f"upload by {scanner.device_id} failed: {exc!r}")
        else:
            if answer.status_code == 200:
                soak.sent.add(record.scan_id)
            else:
                soak.errors.append(f"upload by {scanner.device_id}: {answer.status_code}")
        await asyncio.sleep(rng.uniform(0.5, 1.5) * interval)


async def _sample(soak: Soak, process: psutil.Process) -> None:
    while soak.uploading:
        soak.rss_mib.append(process.memory_info().rss / 2**20)
        await asyncio.sleep(SAMPLE_EVERY)


async def _run(soak: Soak, pid: int) -> None:
    rng = random.Random(SCANNERS)
    limits = httpx.Limits(max_connections=3 * SCANNERS, max_keepalive_connections=3 * SCANNERS)
    timeout = httpx.Timeout(30, read=60)  # keep-alives come every 15 s on a quiet stream
    async with (
        httpx.AsyncClient(base_url=soak.url, limits=limits, timeout=timeout) as feeds,
        httpx.AsyncClient(base_url=soak.url, limits=limits, timeout=timeout) as uploads,
    ):
        listeners = [asyncio.create_task(_listen(soak, s, feeds)) for s in soak.scanners]
        await asyncio.sleep(1)
        workers = [asyncio.create_task(_upload(soak, s, uploads, rng)) for s in soak.scanners]
        sampler = asyncio.create_task(_sample(soak, psutil.Process(pid)))
        await asyncio.sleep(SECONDS)
        soak.uploading = False
        await asyncio.gather(*workers, sampler)
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline and any(s.seen < soak.sent for s in soak.scanners):
            await asyncio.sleep(0.2)
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)


def test_fifty_scanners_for_a_while_no_error_every_scan_everywhere(tmp_path: Path) -> None:
    scanners = _pair(tmp_path / "venue")
    venue = VenueProcess(tmp_path / "venue", {}, sync_interval=30)
    life = venue.start()
    soak = Soak(venue.url, scanners)
    try:
        asyncio.run(_run(soak, life.process.pid))
        held = venue.health()["scans"]
    finally:
        venue.stop()
    missing = sum(len(soak.sent - s.seen) for s in scanners)
    warm = soak.rss_mib[min(2, len(soak.rss_mib) - 1)]
    figure(
        "venue soak",
        scanners=SCANNERS,
        seconds=int(SECONDS),
        scans=len(soak.sent),
        deliveries=sum(len(s.seen) for s in scanners),
        errors=len(soak.errors),
        missing=missing,
        rss_start_mib=round(warm, 1),
        rss_end_mib=round(soak.rss_mib[-1], 1),
        rss_max_mib=round(max(soak.rss_mib), 1),
        mode="long" if LONG else "quick",
    )
    assert not soak.errors, soak.errors[:10]
    assert soak.sent and held == len(soak.sent)
    assert missing == 0, "every scan reached every scanner's live feed"
