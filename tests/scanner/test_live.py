"""The gate's live feed client against a real venue server on loopback, with real stores."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from scanner_app.core import ScannerCore
from scanner_app.live import Backoff, LiveClient, SseEvent, SseParser
from scanner_app.store import FEED_CURSOR, DeviceConfig, Store
from scanner_app.sync import SyncService
from shared.clock import HybridClock
from shared.messages import ManifestPage
from shared.reasons import Reason
from shared.token import TicketClaims
from tests.scanner.gate import TicketMaker, ticket_entry
from tests.support import ServerThread, free_port
from venue_server import live
from venue_server.app import create_app
from venue_server.cloud_sync import apply_manifest_page
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore

WAIT = 20.0  # generous: "eventually", never a latency claim
WAIT_MS = int(WAIT * 1000)
FAST = live.LiveSettings(heartbeat=0.3, recheck=0.3, watch=0.2, close_grace=0.5)
QUICK = Backoff(base=0.05, cap=0.5)


# -- the event-stream format -----------------------------------------------------------------


def _parse(text: str) -> list[SseEvent]:
    parser = SseParser()
    events = [parser.feed(line) for line in text.split("\n")]
    return [event for event in events if event is not None]


def test_events_are_read_as_the_event_stream_format_defines_them() -> None:
    stream = (
        "retry: 2000\n\n"
        ": keep-alive\n\n"
        'id: 7\nevent: scans\ndata: {"a":\ndata:1}\n\n'
        "event: manifest\ndata:{}\n\n"
        "event: nothing\n\n"
        "data: plain\nunknown: field\n\n"
    )

    assert _parse(stream) == [
        SseEvent("scans", '{"a":\n1}', "7"),
        SseEvent("manifest", "{}", "7"),  # the last event id carries over
        SseEvent("message", "plain", "7"),
    ]


def test_reconnect_waits_grow_to_a_cap_and_are_spread_out() -> None:
    backoff = Backoff(base=0.5, cap=10.0)

    longest = [backoff.delay(n, draw=lambda: 1.0) for n in range(1, 8)]
    shortest = [backoff.delay(n, draw=lambda: 0.0) for n in range(1, 8)]

    assert longest == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert shortest == [d / 2 for d in longest]


# -- against a real venue --------------------------------------------------------------------


@dataclass
class Venue:
    """A venue server on a fixed loopback port that can be stopped and started again."""

    settings: VenueSettings
    store: VenueStore
    maker: TicketMaker
    port: int = field(default_factory=free_port)
    server: ServerThread | None = None
    pages: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        app = create_app(self.settings, store=self.store, sync=False)
        live.install(app, FAST)
        self.server = ServerThread(app, self.port)
        # Uvicorn waits for open responses at shutdown; a live stream never finishes by itself.
        self.server.server.config.timeout_graceful_shutdown = 1
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def publish(self, tickets: list[TicketClaims], revoked: bool = False) -> None:
        """A cloud sync round lands these tickets (or their revocation) at the venue."""
        self.pages += 1
        apply_manifest_page(
            self.store,
            ManifestPage(
                next_cursor=f"cloud-page-{self.pages}",
                has_more=False,
                events=[self.maker.event_entry()],
                keys=[self.maker.key_entry()],
                tickets=[ticket_entry(c, revoked=revoked) for c in tickets],
            ),
        )

    def last_scan_seq(self) -> int:
        rows, _ = self.store.scans_after(0, 1000)
        return rows[-1][0]


@pytest.fixture
def venue(tmp_path: Path, maker: TicketMaker) -> Iterator[Venue]:
    settings = VenueSettings(data_dir=tmp_path / "venue")
    store = VenueStore(settings.db_path)
    venue = Venue(settings, store, maker)
    venue.start()
    yield venue
    venue.stop()
    store.close()


@dataclass
class Scanner:
    store: Store
    clock: HybridClock
    sync: SyncService
    device: DeviceConfig

    def core(self) -> ScannerCore:
        return ScannerCore(self.store, self.clock)


@pytest.fixture
def pair(tmp_path: Path, venue: Venue) -> Iterator[Callable[[str], Scanner]]:
    stores: list[Store] = []

    def pair(gate: str) -> Scanner:
        store = Store(tmp_path / gate / "scanner.sqlite3")
        stores.append(store)
        code = issue_pairing_code(venue.store, gate, 900, int(time.time()))
        device = SyncService(store, None).pair(venue.url, code, f"{gate} 1")
        clock = HybridClock(device.device_id)
        return Scanner(store, clock, SyncService(store, clock), device)

    yield pair
    for store in stores:
        store.close()


class Follower:
    """A gate's LiveClient on its own thread, with what its callbacks reported."""

    def __init__(self, scanner: Scanner) -> None:
        self.stored: queue.Queue[int] = queue.Queue()
        self.manifest_calls = 0
        self.states: list[bool] = []
        self._up = threading.Condition()
        self.client = LiveClient(
            scanner.store,
            scanner.clock,
            on_scans=self.stored.put,
            on_manifest=self._manifest,
            on_connected=self._connected,
            backoff=QUICK,
        )
        self.thread = threading.Thread(target=self.client.run, daemon=True)
        self.thread.start()

    def _manifest(self) -> None:
        self.manifest_calls += 1

    def _connected(self, up: bool) -> None:
        with self._up:
            self.states.append(up)
            self._up.notify_all()

    def wait_connected(self, up: bool = True) -> None:
        with self._up:
            assert self._up.wait_for(lambda: self.states and self.states[-1] is up, WAIT)

    def wait_stored(self, count: int) -> int:
        """Waits until at least ``count`` scans were stored; returns how many were."""
        total = 0
        deadline = time.monotonic() + WAIT
        while total < count:
            total += self.stored.get(timeout=max(deadline - time.monotonic(), 0.01))
        return total

    def stop(self) -> None:
        self.client.stop()
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the live client did not stop"


@pytest.fixture
def follow() -> Iterator[Callable[[Scanner], Follower]]:
    followers: list[Follower] = []

    def follow(scanner: Scanner) -> Follower:
        followers.append(Follower(scanner))
        return followers[-1]

    yield follow
    for follower in followers:
        follower.stop()


def admit_and_upload(scanner: Scanner, venue: Venue, claims: TicketClaims) -> None:
    assert scanner.core().scan(venue.maker.token(claims)).admit
    assert scanner.sync.sync_once().online  # uploads it


def test_a_ticket_admitted_at_one_gate_is_already_used_at_the_next_without_a_sync_round(
    venue: Venue, pair: Callable[[str], Scanner], follow: Callable[[Scanner], Follower]
) -> None:
    (ticket,) = tickets = [venue.maker.claims()]
    venue.publish(tickets)
    north, south = pair("North"), pair("South")
    for scanner in (north, south):
        assert scanner.sync.sync_once().online
    south_live = follow(south)
    south_live.wait_connected()

    admit_and_upload(north, venue, ticket)

    assert south_live.wait_stored(1) == 1
    verdict = south.core().scan(venue.maker.token(ticket))
    assert verdict.reason is Reason.ALREADY_ADMITTED
    assert verdict.previous is not None and verdict.previous.gate == "North"
    assert south.store.cursor(FEED_CURSOR) == str(venue.last_scan_seq())
    # South's manifest was already current: nothing to pull.
    assert south_live.manifest_calls == 0


def test_after_the_venue_restarts_the_gate_catches_up_from_its_cursor_losing_nothing(
    venue: Venue, pair: Callable[[str], Scanner], follow: Callable[[Scanner], Follower]
) -> None:
    tickets = [venue.maker.claims() for _ in range(4)]
    venue.publish(tickets)
    north, south = pair("North"), pair("South")
    for scanner in (north, south):
        assert scanner.sync.sync_once().online
    south_live = follow(south)
    south_live.wait_connected()
    admit_and_upload(north, venue, tickets[0])
    assert south_live.wait_stored(1) == 1

    venue.stop()
    south_live.wait_connected(False)
    venue.start()
    for claims in tickets[1:]:
        admit_and_upload(north, venue, claims)

    assert south_live.wait_stored(3) == 3
    south_live.wait_connected(True)
    assert south.store.cursor(FEED_CURSOR) == str(venue.last_scan_seq())
    for claims in tickets:
        assert south.core().scan(venue.maker.token(claims)).reason is Reason.ALREADY_ADMITTED


def test_a_gate_stopped_while_others_scan_resumes_where_it_stopped(
    venue: Venue, pair: Callable[[str], Scanner], follow: Callable[[Scanner], Follower]
) -> None:
    tickets = [venue.maker.claims() for _ in range(3)]
    venue.publish(tickets)
    north, south = pair("North"), pair("South")
    for scanner in (north, south):
        assert scanner.sync.sync_once().online
    first = follow(south)
    admit_and_upload(north, venue, tickets[0])
    assert first.wait_stored(1) == 1
    first.stop()

    for claims in tickets[1:]:
        admit_and_upload(north, venue, claims)
    again = follow(south)

    assert again.wait_stored(2) == 2
    assert south.store.cursor(FEED_CURSOR) == str(venue.last_scan_seq())


def test_a_refund_at_the_venue_asks_the_gate_to_pull_the_manifest_now(
    venue: Venue, pair: Callable[[str], Scanner], follow: Callable[[Scanner], Follower]
) -> None:
    (ticket,) = tickets = [venue.maker.claims()]
    venue.publish(tickets)
    south = pair("South")
    assert south.sync.sync_once().online
    south_live = follow(south)
    south_live.wait_connected()

    venue.publish(tickets, revoked=True)

    _wait_for(lambda: south_live.manifest_calls > 0)
    assert south.sync.sync_once().online
    assert south.core().scan(venue.maker.token(ticket)).reason is Reason.REVOKED


def test_a_revoked_gate_shows_disconnected_and_keeps_trying_without_failing(
    venue: Venue, pair: Callable[[str], Scanner], follow: Callable[[Scanner], Follower]
) -> None:
    south = pair("South")
    south_live = follow(south)
    south_live.wait_connected()

    assert venue.store.revoke_device(south.device.device_id, int(time.time()))

    south_live.wait_connected(False)
    assert south_live.thread.is_alive()
    assert not south_live.client.connected


def test_stopping_is_prompt_even_while_the_venue_is_unreachable(tmp_path: Path) -> None:
    store = Store(tmp_path / "scanner.sqlite3")
    store.save_device(
        DeviceConfig(
            device_id="dgate01",
            device_token="token",
            venue_url=f"http://127.0.0.1:{free_port()}",
            device_name="North 1",
            gate="North",
            venue_name="Arena",
        )
    )
    states: list[bool] = []
    client = LiveClient(store, on_connected=states.append, backoff=Backoff(base=5, cap=5))
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    time.sleep(0.2)  # let it fail once and settle into its backoff wait

    client.stop()

    thread.join(WAIT)
    assert not thread.is_alive()
    assert states == []  # it never connected, so it never said so
    never_started = LiveClient(store)
    never_started.stop()
    never_started.run()  # returns at once
    store.close()


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


@pytest.mark.gui
def test_the_live_worker_tells_the_window_from_its_own_thread(
    qtbot: Any, venue: Venue, pair: Callable[[str], Scanner]
) -> None:
    from PySide6.QtCore import QThread

    from scanner_app.ui.live_worker import LiveWorker

    (ticket,) = tickets = [venue.maker.claims()]
    venue.publish(tickets)
    north, south = pair("North"), pair("South")
    for scanner in (north, south):
        assert scanner.sync.sync_once().online
    thread = QThread()
    worker = LiveWorker(south.store, south.clock, backoff=QUICK)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    states: list[bool] = []
    worker.connected.connect(states.append)

    with qtbot.waitSignal(worker.connected, timeout=WAIT_MS):
        thread.start()
    with qtbot.waitSignal(worker.scans_arrived, timeout=WAIT_MS) as arrived:
        admit_and_upload(north, venue, ticket)
    with qtbot.waitSignal(worker.manifest_changed, timeout=WAIT_MS):
        venue.publish(tickets, revoked=True)
    with qtbot.waitSignal(thread.finished, timeout=WAIT_MS):
        worker.stop()
    thread.wait()

    assert arrived.args == [1]
    assert states == [True, False]
    assert not worker.is_connected
