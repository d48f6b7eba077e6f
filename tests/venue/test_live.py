"""The live feed over real HTTP: a real venue server on loopback, gates as raw SSE streams."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import msgspec
import pytest

from shared.messages import (
    ManifestChanged,
    ManifestPage,
    PairResponse,
    ScanBatch,
    ScanFeed,
    decode,
    encode,
)
from tests.cloud_harness import Cloud, CloudVenue, Organizer
from tests.support import ServerThread
from tests.venue.conftest import Issuer, Venue, scan
from tests.venue.dashboard_harness import PASSWORD, Manager
from tests.venue.live_gate import WAIT, Gate
from venue_server import live, relay
from venue_server.app import create_app
from venue_server.cloud_sync import apply_manifest_page
from venue_server.managers import set_manager_password
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore

# Short enough that heartbeats, token re-checks and the watch timer all happen during a test.
FAST = live.LiveSettings(heartbeat=0.3, recheck=0.3, watch=0.2, close_grace=0.5)


@dataclass
class LiveVenue(Venue):
    hub: live.LiveHub

    def post(self, device: PairResponse, count: int = 1) -> list[str]:
        """``device`` uploads ``count`` new scans; returns their ids."""
        records = [scan(device) for _ in range(count)]
        with self.client(device.device_token) as http:
            answer = http.post("/api/v1/scans", content=encode(ScanBatch(scans=records)))
        assert answer.status_code == 200, answer.text
        return [r.scan_id for r in records]


StartVenue = Callable[..., LiveVenue]


@pytest.fixture
def start_venue(settings: VenueSettings, store: VenueStore) -> Iterator[StartVenue]:
    """Starts the venue server with the given live feed settings (and its cloud sync job, with
    ``sync=True``); stops it after the test."""
    servers: list[ServerThread] = []

    def start(live_settings: live.LiveSettings, sync: bool = False) -> LiveVenue:
        app = create_app(settings, store=store, sync=sync)
        hub = live.install(app, live_settings)
        servers.append(ServerThread(app).start())
        return LiveVenue(servers[-1].url, store, settings, hub)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def venue(start_venue: StartVenue) -> LiveVenue:
    return start_venue(FAST)


@pytest.fixture
def gates() -> Iterator[list[Gate]]:
    opened: list[Gate] = []
    yield opened
    for gate in opened:
        gate.close()


def open_gate(
    gates: list[Gate], venue: Venue, device: PairResponse, cursor: str | None = None, **headers: str
) -> Gate:
    gate = Gate(venue.url, device.device_token, cursor, **headers)
    gates.append(gate)
    return gate


def feed_ids(venue: Venue, token: str, cursor: str = "") -> list[str]:
    """What the paged scan feed holds after ``cursor``, in its order."""
    with venue.client(token) as http:
        answer = http.get("/api/v1/scans", params={"cursor": cursor, "limit": 1000})
    return [record.scan_id for record in decode(answer.content, ScanFeed).scans]


# -- fan-out ---------------------------------------------------------------------------------


def test_a_scan_at_one_gate_is_pushed_to_every_other_connected_gate(
    venue: LiveVenue, gates: list[Gate]
) -> None:
    north, south, east = venue.pair("North 1"), venue.pair("South 1"), venue.pair("East 1")
    south_gate, east_gate = open_gate(gates, venue, south), open_gate(gates, venue, east)

    scan_ids = venue.post(north, 3)

    for gate in (south_gate, east_gate):
        received = gate.scans_until(set(scan_ids))
        assert [scan_id for _, scan_id in received] == scan_ids
        assert received[-1][0] == str(len(scan_ids))  # the event id is the feed cursor


def test_a_stream_first_sends_what_the_gate_missed_in_the_feeds_order(
    venue: LiveVenue, gates: list[Gate]
) -> None:
    north, south = venue.pair("North 1"), venue.pair("South 1")
    earlier = venue.post(north, 5)

    from_start = open_gate(gates, venue, south, cursor="")
    assert [s for _, s in from_start.scans_until(set(earlier))] == earlier
    assert earlier == feed_ids(venue, south.device_token)

    from_three = open_gate(gates, venue, south, cursor="3")
    assert [s for _, s in from_three.scans_until(set(earlier[3:]))] == earlier[3:]

    later = venue.post(north, 2)
    assert [s for _, s in from_three.scans_until(set(later))] == later


def test_a_gate_reconnecting_with_its_last_event_id_misses_nothing_and_gets_nothing_twice(
    venue: LiveVenue, gates: list[Gate]
) -> None:
    north, south = venue.pair("North 1"), venue.pair("South 1")
    first = open_gate(gates, venue, south)
    before = venue.post(north, 4)
    received = first.scans_until(set(before))
    first.close()

    while_away = venue.post(north, 3)
    again = open_gate(gates, venue, south, cursor="1", **{"Last-Event-ID": received[-1][0]})
    live_after = venue.post(north, 2)
    received += again.scans_until(set(while_away + live_after))

    scan_ids = [scan_id for _, scan_id in received]
    assert scan_ids == before + while_away + live_after  # Last-Event-ID beat ?cursor=1
    assert scan_ids == feed_ids(venue, south.device_token)


def test_a_manifest_event_tells_gates_where_the_venues_tickets_stand(
    venue: LiveVenue, gates: list[Gate], issuer: Issuer
) -> None:
    south = venue.pair("South 1")
    apply_manifest_page(venue.store, issuer.page([issuer.issue()[1] for _ in range(3)], "c1"))

    gate = open_gate(gates, venue, south)

    hello = msgspec.json.decode(gate.next("manifest").data)
    assert hello == {"v": 1, "next_cursor": "3"}


def test_a_revocation_the_venue_pulls_from_the_cloud_is_pushed_to_gates(
    venue: LiveVenue, gates: list[Gate], issuer: Issuer
) -> None:
    south = venue.pair("South 1")
    _, ticket = issuer.issue()
    apply_manifest_page(venue.store, issuer.page([ticket], "c1"))
    gate = open_gate(gates, venue, south)
    held = msgspec.json.decode(gate.next("manifest").data)["next_cursor"]

    refunded = msgspec.structs.replace(ticket, revoked=True)
    apply_manifest_page(venue.store, issuer.page([refunded], "c2"))

    change = msgspec.json.decode(gate.next("manifest").data)
    assert change["next_cursor"] != held
    with venue.client(south.device_token) as http:
        answer = http.get("/api/v1/manifest", params={"cursor": held})
    page = decode(answer.content, ManifestPage)
    assert [(t.ticket_id, t.revoked) for t in page.tickets] == [(ticket.ticket_id, True)]
    assert page.next_cursor == change["next_cursor"]


def test_an_announced_manifest_change_reaches_gates_without_waiting_for_the_watch(
    start_venue: StartVenue, gates: list[Gate], issuer: Issuer
) -> None:
    venue = start_venue(live.LiveSettings(heartbeat=0.3, watch=3600))
    gate = open_gate(gates, venue, venue.pair("South 1"))
    gate.next("manifest")

    apply_manifest_page(venue.store, issuer.page([issuer.issue()[1]], "c1"))
    relay.announce_manifest_change(venue.store)

    assert msgspec.json.decode(gate.next("manifest").data)["next_cursor"] == "1"


def test_a_refund_the_venue_pulls_from_the_real_cloud_reaches_connected_gates_at_once(
    start_venue: StartVenue,
    gates: list[Gate],
    store: VenueStore,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    sold = organizer.issue(cloud_venue, 2)
    store.set_cloud_link(CloudLink(cloud.url, cloud_venue.api_key, cloud_venue.name))
    # The watch timer never fires here: only the sync job's announcement can tell the gate.
    venue = start_venue(live.LiveSettings(heartbeat=0.3, watch=3600), sync=True)
    gate = open_gate(gates, venue, venue.pair("South 1"))
    held = decode(gate.next("manifest").data, ManifestChanged).next_cursor
    while held != str(venue.store.manifest_seq()) or venue.store.ticket_count() < len(sold):
        held = decode(gate.next("manifest").data, ManifestChanged).next_cursor

    refunded = sold[0]["ticket_id"]
    organizer.revoke(refunded)

    change = decode(gate.next("manifest").data, ManifestChanged)
    assert change.next_cursor != held
    with venue.client(venue.pair("North 1").device_token) as http:
        answer = http.get("/api/v1/manifest", params={"cursor": held})
    page = decode(answer.content, ManifestPage)
    assert [(t.ticket_id, t.revoked) for t in page.tickets] == [(refunded, True)]


# -- who may listen --------------------------------------------------------------------------


def test_opening_the_live_feed_reports_the_gates_clock_and_manifest_to_the_dashboard(
    venue: LiveVenue, gates: list[Gate], issuer: Issuer
) -> None:
    apply_manifest_page(venue.store, issuer.page([issuer.issue()[1] for _ in range(2)], "c1"))
    south = venue.pair("South 1")
    device_time = int(time.time() * 1000) - 5_000

    gate = open_gate(
        gates,
        venue,
        south,
        **{"X-Bilten-Device-Time": str(device_time), "X-Bilten-Manifest": "1"},
    )
    gate.next("manifest")

    device = venue.store.device(south.device_id)
    assert device is not None
    assert device.manifest_cursor == "1"
    assert device.clock_offset_ms is not None and device.clock_offset_ms >= 5_000


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-real-token", "Basic abc"])
def test_the_live_feed_refuses_missing_or_unknown_tokens(
    venue: LiveVenue, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with venue.client() as http:
        answer = http.get("/api/v1/live", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_revoked_device_loses_its_open_stream_and_is_refused_on_reconnect(
    venue: LiveVenue, gates: list[Gate]
) -> None:
    north, south = venue.pair("North 1"), venue.pair("South 1")
    revoked, kept = open_gate(gates, venue, north), open_gate(gates, venue, south)

    assert venue.store.revoke_device(north.device_id, int(time.time()))

    assert revoked.ended()
    again = open_gate(gates, venue, north)
    assert again.status == 401
    assert "revoked" in again.body.decode()
    scan_ids = venue.post(south, 1)
    assert [s for _, s in kept.scans_until(set(scan_ids))] == scan_ids


def test_disconnecting_a_device_ends_its_streams_at_once(
    start_venue: StartVenue, gates: list[Gate]
) -> None:
    # Token re-checks far apart: only disconnect_device can end the stream in this test.
    venue = start_venue(live.LiveSettings(heartbeat=0.3, recheck=3600))
    north = venue.pair("North 1")
    gate = open_gate(gates, venue, north)
    gate.next("manifest")

    venue.hub.disconnect_device(north.device_id)

    assert gate.ended()


def test_revoking_a_device_on_the_dashboard_ends_its_open_stream_at_once(
    start_venue: StartVenue, gates: list[Gate], store: VenueStore
) -> None:
    # Token re-checks far apart: only the revoke itself can end the stream in this test.
    venue = start_venue(live.LiveSettings(heartbeat=0.3, recheck=3600))
    lost, kept = venue.pair("Lost tablet"), venue.pair("South 1")
    lost_gate, kept_gate = open_gate(gates, venue, lost), open_gate(gates, venue, kept)
    lost_gate.next("manifest")
    set_manager_password(store, PASSWORD)
    manager = Manager(venue.client())
    try:
        assert manager.login(PASSWORD).status_code == 303

        answer = manager.post(f"/dashboard/api/devices/{lost.device_id}/revoke")
    finally:
        manager.close()

    assert answer.status_code == 200
    assert lost_gate.ended()
    assert [s.device.device_id for s in venue.hub.connections()] == [kept.device_id]
    scan_ids = venue.post(kept, 1)
    assert [s for _, s in kept_gate.scans_until(set(scan_ids))] == scan_ids


def test_a_stopping_server_ends_every_stream_and_opens_no_new_one(
    venue: LiveVenue, gates: list[Gate]
) -> None:
    north, south = venue.pair("North 1"), venue.pair("South 1")
    streams = [open_gate(gates, venue, north), open_gate(gates, venue, south)]
    for stream in streams:
        stream.next("manifest")

    venue.hub.end_all()

    assert all(stream.ended() for stream in streams)
    late = open_gate(gates, venue, south)
    assert late.status == 200
    assert late.ended()
    assert late.events.empty()  # not even the hello: the gate comes back later


def test_a_bad_cursor_is_refused(venue: LiveVenue) -> None:
    south = venue.pair("South 1")
    with venue.client(south.device_token) as http:
        answer = http.get("/api/v1/live", params={"cursor": "12abc"})
    assert answer.status_code == 400
    assert "cursor" in answer.json()["detail"]


# -- a gate that stops reading ---------------------------------------------------------------


def stalled_stream(venue: Venue, token: str) -> socket.socket:
    """A gate that asks for the live feed and then never reads a byte of it."""
    sock = socket.create_connection(("127.0.0.1", int(venue.url.rsplit(":", 1)[1])))
    request = f"GET /api/v1/live HTTP/1.1\r\nHost: venue\r\nAuthorization: Bearer {token}\r\n\r\n"
    sock.sendall(request.encode())
    return sock


def test_a_gate_that_stops_reading_holds_up_no_other_gate_and_is_cut_off(
    start_venue: StartVenue, gates: list[Gate]
) -> None:
    venue = start_venue(
        live.LiveSettings(heartbeat=0.3, max_queued_bytes=64 * 1024, close_grace=0.5)
    )
    north, south, asleep = venue.pair("North 1"), venue.pair("South 1"), venue.pair("Asleep")
    stalled = stalled_stream(venue, asleep.device_token)
    reading = open_gate(gates, venue, south)
    try:
        # Far more than the socket buffers between the venue and the stalled gate hold.
        scan_ids = [scan_id for _ in range(40) for scan_id in venue.post(north, 500)]

        assert [s for _, s in reading.scans_until(set(scan_ids))] == scan_ids
        assert _closed_by_venue(stalled)
        assert [s.device.device_id for s in venue.hub.connections()] == [south.device_id]
    finally:
        stalled.close()


def _closed_by_venue(sock: socket.socket) -> bool:
    """Reads what the venue had sent until it closes the connection (or WAIT passes)."""
    sock.settimeout(1.0)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            if not sock.recv(1 << 20):
                return True
        except TimeoutError:
            continue
        except ConnectionError:
            return True
    return False
