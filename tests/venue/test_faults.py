"""No scan is lost and none is counted twice when the venue server dies mid-work.

``bilten venue serve`` runs as a real process paired with a real cloud, with thousands of
tickets (a full pull takes dozens of pages) while the organizer keeps issuing and refunding,
and a real gate scans and uploads all the while. The venue is killed with SIGKILL at seeded
random moments: right after a manifest page landed with more to come, while a scan batch is
on its way to the cloud, while a gate's batch is on its way in, or at any time. Each time it
starts again on the same data folder.

After every kill the venue's database is sound and holds every scan the gate was told it
holds. At the end the venue's tickets are exactly the cloud's, and every scan the gate made is
in the venue and in the cloud exactly once. ``BILTEN_KILL_SEED`` replays a run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from cloud.settings import CloudSettings
from scanner_app.core import ScannerCore
from scanner_app.store import Store
from scanner_app.sync import SyncService, VenueClient
from shared.cli import main as bilten
from shared.clock import HybridClock
from shared.messages import TicketEntry
from tests.cloud_harness import Cloud, CloudVenue, Organizer, migrated
from tests.support import LONG, figure, quick_or_long
from tests.venue.venue_driver import Life, VenueProcess
from venue_server.cloud_sync import CloudClient
from venue_server.pairing import issue_pairing_code
from venue_server.store import VenueStore

pytestmark = pytest.mark.slow

ROUNDS = quick_or_long(12, 30)
SEED = int(os.environ.get("BILTEN_KILL_SEED", random.randrange(2**32)))
SYNC_INTERVAL = 0.3
PAGE_MAX = 25  # the cloud's manifest page: the first pull of the venue takes 60 pages
UPLOAD_BATCH = 10  # scans per cloud upload: a round's upload spans several requests
FIRST_TICKETS = 1500
TRIGGER_TIMEOUT = 4.0
MOMENTS = ("pull", "cloud upload", "gate upload", "any time")
PAGE_WITH_MORE = re.compile(r"manifest page applied: .*, ([1-9]\d*) remaining$")
ALREADY_HELD = re.compile(r"the cloud acknowledged \d+ scans \(([1-9]\d*) it already held\)")


@pytest.fixture(params=["sqlite", "postgresql"])
def cloud(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cloud]:
    env = {}
    if request.param == "postgresql":
        env["BILTEN_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    settings = CloudSettings.from_env(tmp_path / "cloud", environ=env)
    handle = Cloud(migrated(dataclasses.replace(settings, manifest_page_max=PAGE_MAX)))
    handle.start()
    yield handle
    handle.stop()


class BoxOffice(threading.Thread):
    """The organizer selling and refunding while the venue lives and dies."""

    def __init__(self, organizer: Organizer, venue: CloudVenue, type_id: int, seed: int) -> None:
        super().__init__(daemon=True)
        self.organizer, self.venue, self.type_id = organizer, venue, type_id
        self.rng = random.Random(seed)
        self.tokens: list[str] = []
        self.ticket_ids: list[str] = []
        self.halt = threading.Event()
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def sell(self, count: int) -> None:
        while count:
            issued = self.organizer.issue(self.venue, min(count, 500), type_id=self.type_id)
            count -= len(issued)
            with self.lock:
                self.tokens += [t["token"] for t in issued]
                self.ticket_ids += [t["ticket_id"] for t in issued]

    def run(self) -> None:
        try:
            while not self.halt.wait(0.15):
                self.sell(self.rng.randint(5, 15))
                with self.lock:
                    refund = self.rng.sample(self.ticket_ids, 2)
                for ticket_id in refund:
                    self.organizer.revoke(ticket_id)
        except BaseException as exc:  # reported by the test, which cannot see this thread
            self.error = exc
            raise

    def token(self, rng: random.Random) -> str:
        with self.lock:
            return rng.choice(self.tokens)


class Tap(httpx.HTTPTransport):
    """The gate's real HTTP, telling the test when a scan batch sets off to the venue and
    counting batches whose answer the kill cut off."""

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate = gate

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        upload = request.method == "POST" and request.url.path == "/api/v1/scans"
        if upload:
            self.gate.sending.set()
        try:
            return super().handle_request(request)
        except httpx.ConnectError:
            raise
        except httpx.TransportError:
            self.gate.cut_uploads += upload
            raise


class Gate(threading.Thread):
    """A real scanner (store, core, sync service) scanning a stream of tickets and syncing
    every few scans, whether or not the venue is up."""

    def __init__(self, folder: Path, venue: VenueProcess, box: BoxOffice, seed: int) -> None:
        super().__init__(daemon=True)
        self.box = box
        self.rng = random.Random(seed)
        self.sending = threading.Event()
        self.halt = threading.Event()
        self.store = Store(folder / "scanner.sqlite3")
        venue_store = VenueStore(venue.data / "venue.sqlite3")
        try:
            code = issue_pairing_code(venue_store, "North", 900, int(time.time()))
        finally:
            venue_store.close()
        device = SyncService(self.store, client_factory=self._client).pair(
            venue.url, code, "North 1"
        )
        clock = HybridClock(device.device_id)
        self.sync = SyncService(self.store, clock, client_factory=self._client, batch_size=20)
        self.core = ScannerCore(self.store, clock)
        self.made: list[str] = []
        self.cut_uploads = 0
        self.error: BaseException | None = None

    def _client(self, url: str, token: str | None) -> VenueClient:
        return VenueClient(url, token, timeout=5, transport=Tap(self))

    def run(self) -> None:
        try:
            while not self.halt.is_set():
                for _ in range(self.rng.randint(1, 6)):
                    self.core.scan(self.box.token(self.rng))
                    assert self.core.last_scan is not None
                    self.made.append(self.core.last_scan.scan_id)
                    time.sleep(0.005)
                self.sync.sync_once()
        except BaseException as exc:  # reported by the test, which cannot see this thread
            self.error = exc
            raise

    def acked(self) -> set[str]:
        """Scans the venue has acknowledged: made here and no longer pending."""
        made = set(self.made)  # first, so a scan made meanwhile never counts as acknowledged
        return made - {r.scan_id for r in self.store.pending_scans(1_000_000)}


def venue_tickets(data: Path) -> dict[str, TicketEntry]:
    store = VenueStore(data / "venue.sqlite3")
    try:
        rows, _ = store.tickets_after(0, 10_000_000)
    finally:
        store.close()
    return {entry.ticket_id: entry for _, entry in rows}


def cloud_tickets(cloud: Cloud, venue: CloudVenue) -> dict[str, TicketEntry]:
    """The whole manifest as the cloud gives it to a venue that starts from nothing."""
    tickets: dict[str, TicketEntry] = {}
    cursor = ""
    with CloudClient(cloud.url, venue.api_key) as client:
        while True:
            page = client.manifest(cursor)
            tickets.update((t.ticket_id, t) for t in page.tickets)
            cursor = page.next_cursor
            if not page.has_more:
                return tickets


def checksum(tickets: dict[str, TicketEntry]) -> str:
    lines = sorted(f"{t.ticket_id}:{int(t.revoked)}" for t in tickets.values())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def venue_scan_ids(data: Path) -> list[str]:
    with sqlite3.connect(data / "venue.sqlite3") as conn:
        return [row[0] for row in conn.execute("SELECT scan_id FROM scans")]


def integrity(data: Path) -> str:
    with sqlite3.connect(data / "venue.sqlite3") as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def in_flight(life: Life) -> str:
    """What the dead venue was doing with the cloud, from its last sync log line."""
    sync_lines = [
        line for line in life.lines if "manifest page applied" in line or "the cloud" in line
    ]
    last = sync_lines[-1] if sync_lines else ""
    if PAGE_WITH_MORE.search(last):
        return "mid-pull"
    if "uploading" in last:
        return "mid-upload"
    return "between rounds"


def kill_at(moment: str, venue: VenueProcess, gate: Gate, rng: random.Random) -> bool:
    """Wait for ``moment`` in the current life, then SIGKILL; False if it never came."""
    life = venue.life
    came = True
    if moment == "pull":
        came = life.wait_for(lambda line: bool(PAGE_WITH_MORE.search(line)), TRIGGER_TIMEOUT)
    elif moment == "cloud upload":
        came = life.wait_for(lambda line: "uploading" in line, TRIGGER_TIMEOUT)
    elif moment == "gate upload":
        gate.sending.clear()
        came = gate.sending.wait(TRIGGER_TIMEOUT)
    else:
        time.sleep(rng.uniform(0.05, 1.5))
    venue.kill()
    return came


def eventually(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_killing_the_venue_during_pulls_and_uploads_loses_nothing_and_counts_nothing_twice(
    cloud: Cloud, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    print(f"kill seed {SEED} (BILTEN_KILL_SEED={SEED} replays it)")
    organizer = Organizer(cloud)
    venue = organizer.venue("Arena")
    big = organizer.ticket_type(venue, "Ground", capacity=20_000)
    box = BoxOffice(organizer, venue, big, rng.randrange(2**32))
    box.sell(FIRST_TICKETS)

    data = tmp_path / "venue"
    assert (
        bilten(["venue", "pair", "--cloud", cloud.url, "--key", venue.api_key, "--data", str(data)])
        == 0
    )
    server = VenueProcess(
        data,
        env={
            "BILTEN_VENUE_UPLOAD_BATCH": str(UPLOAD_BATCH),
            "BILTEN_VENUE_MAX_BACKOFF": "1",
            "BILTEN_VENUE_LOG_LEVEL": "info",
        },
        sync_interval=SYNC_INTERVAL,
    )
    server.start()
    gate = Gate(tmp_path / "gate", server, box, rng.randrange(2**32))
    box.start()
    gate.start()

    moments: Counter[str] = Counter()
    states: Counter[str] = Counter()
    missed = 0
    try:
        for number in range(ROUNDS):
            if number:
                server.start()
            moment = rng.choice(MOMENTS)
            missed += not kill_at(moment, server, gate, rng)
            moments[moment] += 1
            states[in_flight(server.life)] += 1

            # Dead now: what it held when it died is what it holds.
            assert integrity(data) == "ok", f"round {number}, seed {SEED}"
            acked = gate.acked()
            lost = acked - set(venue_scan_ids(data))
            assert not lost, f"round {number}: {len(lost)} acknowledged scans lost, seed {SEED}"
            time.sleep(rng.uniform(0, 0.5))  # the gate scans on, offline

        box.halt.set()
        box.join()
        changes_end = time.time()
        server.start()
        gate.halt.set()
        gate.join()
        assert box.error is None and gate.error is None, (box.error, gate.error)
        eventually(lambda: gate.sync.sync_once().pending == 0, "the gate to upload everything")
        made, acked = set(gate.made), gate.acked()
        eventually(
            lambda: (
                server.health()["scans_pending_upload"] == 0
                and (server.metric("bilten_venue_manifest_as_of_timestamp") or 0) > changes_end
            ),
            "the venue to finish its uploads and pull every change",
        )
        assert server.stop(), server.life.lines[-5:]
    finally:
        box.halt.set()
        gate.halt.set()
        if server.life.process.poll() is None:
            server.kill()
        gate.join()
        gate.store.close()

    cloud_view = cloud_tickets(cloud, venue)
    venue_view = venue_tickets(data)
    cloud_scans = [s["scan_id"] for s in organizer.scans(venue)]
    held = venue_scan_ids(data)
    refunded = sum(t.revoked for t in cloud_view.values())
    print(
        f"{ROUNDS} kills {dict(moments)} (trigger missed {missed}), venue state at kill "
        f"{dict(states)}; {len(server.lives)} lives; gate uploads cut off {gate.cut_uploads}; "
        f"cloud re-sends of scans it already held: "
        f"{sum(1 for life in server.lives for line in life.lines if ALREADY_HELD.search(line))}; "
        f"tickets {len(cloud_view)} ({refunded} refunded) checksum {checksum(cloud_view)}; "
        f"scans made {len(made)}, venue {len(held)}, cloud {len(cloud_scans)}"
    )
    assert len(venue_view) == len(cloud_view) == len(box.ticket_ids)
    assert checksum(venue_view) == checksum(cloud_view)
    assert venue_view == cloud_view
    assert len(held) == len(set(held)) and set(held) == made
    assert acked == made
    assert len(cloud_scans) == len(set(cloud_scans)) == len(acked)
    assert set(cloud_scans) == acked
    assert integrity(data) == "ok"
    figure(
        "venue server SIGKILL",
        database=cloud.settings.database_url.split(":")[0],
        seed=SEED,
        kills=ROUNDS,
        moments=dict(moments),
        tickets=len(cloud_view),
        scans=len(made),
        at_venue=len(held),
        in_cloud=len(cloud_scans),
        mode="long" if LONG else "quick",
    )
    organizer.close()
