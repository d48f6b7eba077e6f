"""The whole chain over real HTTP on loopback: the cloud issues tickets, the venue server
pulls them, scanners pull from the venue and decide on their own; every scan reaches the
cloud exactly once, also when the cloud or the venue server was unreachable for a while."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec
import pytest

from cloud.settings import CloudSettings
from cloud.worker import run_worker
from scanner_app.core import ScannerCore
from scanner_app.store import GateSettings, Store
from scanner_app.sync import SyncService, SyncStatus
from shared.cli import main as bilten
from shared.clock import HybridClock
from shared.messages import Direction, ScanRecord, TicketEntry
from shared.reasons import Reason
from shared.rules import Verdict
from tests.cloud_harness import Cloud, CloudVenue, Organizer, migrated
from tests.support import ServerThread, free_port
from venue_server.app import create_app as create_venue
from venue_server.settings import VenueSettings


def eventually(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Sale:
    """An organizer's venue, one event and the tokens of the tickets issued for it."""

    organizer: Organizer
    venue: CloudVenue
    tokens: list[str]

    @property
    def venue_key(self) -> str:
        return self.venue.api_key

    def scans(self) -> list[dict]:
        return self.organizer.scans(self.venue)


@pytest.fixture(params=["sqlite", "postgresql"])
def cloud(request, tmp_path) -> Iterator[Cloud]:
    env = {}
    if request.param == "postgresql":
        env["BILTEN_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    handle = Cloud(migrated(CloudSettings.from_env(tmp_path / "cloud", environ=env)))
    handle.start()
    yield handle
    handle.stop()


def setup_organizer(cloud: Cloud, tickets: int) -> Sale:
    organizer = Organizer(cloud)
    venue = organizer.venue("Riverside Hall")
    issued = organizer.issue(venue, tickets, holder="Vera Holder")
    return Sale(organizer, venue, [t["token"] for t in issued])


@contextlib.contextmanager
def venue_server(data: Path, cloud_url: str, venue_key: str, port: int | None = None):
    assert (
        bilten(["venue", "pair", "--cloud", cloud_url, "--key", venue_key, "--data", str(data)])
        == 0
    )
    settings = VenueSettings(data_dir=data, sync_interval=0.2, max_backoff=0.5)
    server = ServerThread(create_venue(settings), port).start()
    try:
        yield server
    finally:
        server.stop()


class Gate:
    """One scanner device, through the same core and sync service its window uses."""

    def __init__(self, folder: Path, venue_url: str, venue_data: Path, name: str, capsys) -> None:
        assert (
            bilten(
                [
                    "venue",
                    "pairing-code",
                    "--gate",
                    f"Gate {name}",
                    "--json",
                    "--data",
                    str(venue_data),
                ]
            )
            == 0
        )
        code = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["code"]
        self.store = Store(folder / "scanner.sqlite3")
        self.sync = SyncService(self.store)
        device = self.sync.pair(venue_url, code, f"Scanner {name}")
        self.core = ScannerCore(self.store, HybridClock(device.device_id))
        self.records: list[ScanRecord] = []

    def sync_now(self) -> SyncStatus:
        return self.sync.sync_once().status

    def scan(self, token: str) -> Verdict:
        """Scan at this gate and keep the record it committed, as the gate log shows it."""
        verdict = self.core.scan(token)
        assert self.core.last_scan is not None
        self.records.append(self.core.last_scan)
        # Scans at different gates a few ms apart, so their clocks order them as they happened.
        time.sleep(0.01)
        return verdict


def test_a_ticket_admits_once_across_gates_and_every_scan_reaches_the_cloud_once(
    cloud, tmp_path, capsys
):
    org = setup_organizer(cloud, tickets=5)
    with venue_server(tmp_path / "venue", cloud.url, org.venue_key) as venue:
        a = Gate(tmp_path / "a", venue.url, tmp_path / "venue", "A", capsys)
        b = Gate(tmp_path / "b", venue.url, tmp_path / "venue", "B", capsys)

        def gate_has_manifest() -> bool:
            a.sync_now()
            return a.store.ticket_count() == 5

        eventually(gate_has_manifest, "the venue to pull the manifest and gate A to get it")

        first = a.core.scan(org.tokens[0])
        assert first.reason is Reason.ADMITTED
        assert first.info is not None and first.info.holder_name == "Vera Holder"
        forged = a.core.scan(org.tokens[1][:-4] + "AAAA")
        assert forged.reason in {Reason.FORGED, Reason.UNREADABLE}

        assert a.sync_now() is SyncStatus.ONLINE
        assert b.sync_now() is SyncStatus.ONLINE
        repeat = b.core.scan(org.tokens[0])
        assert repeat.reason is Reason.ALREADY_ADMITTED
        assert repeat.previous is not None
        assert (repeat.previous.gate, repeat.previous.device_name) == ("Gate A", "Scanner A")
        assert b.sync_now() is SyncStatus.ONLINE

        def cloud_has_all() -> bool:
            return len(org.scans()) == 3

        eventually(cloud_has_all, "the venue to upload every scan")
        # A venue that crashed before the acknowledgement uploads the same batch again.
        replay = httpx.post(
            f"{cloud.url}/api/v1/venue/scans",
            content=json.dumps({"v": 1, "scans": org.scans()}),
            headers={"Authorization": f"Bearer {org.venue_key}"},
        )
        assert replay.status_code in (200, 201), replay.text
        assert replay.json()["duplicates"] == 3
        scans = org.scans()
        assert len(scans) == len({s["scan_id"] for s in scans}) == 3
        assert sorted(s["reason"] for s in scans) == sorted(
            [Reason.ADMITTED, Reason.ALREADY_ADMITTED, forged.reason]
        )


def test_gates_keep_admitting_while_the_cloud_is_down_and_scans_arrive_later(
    cloud, tmp_path, capsys
):
    org = setup_organizer(cloud, tickets=6)
    with venue_server(tmp_path / "venue", cloud.url, org.venue_key) as venue:
        a = Gate(tmp_path / "a", venue.url, tmp_path / "venue", "A", capsys)
        b = Gate(tmp_path / "b", venue.url, tmp_path / "venue", "B", capsys)
        eventually(
            lambda: a.sync_now() is SyncStatus.ONLINE and a.store.ticket_count() == 6,
            "the manifest at gate A",
        )
        b.sync_now()

        cloud.stop()
        verdicts = [a.core.scan(t) for t in org.tokens[:3]] + [b.core.scan(org.tokens[3])]
        assert all(v.reason is Reason.ADMITTED for v in verdicts)
        a.sync_now()
        b.sync_now()
        assert b.core.scan(org.tokens[0]).reason is Reason.ALREADY_ADMITTED
        b.sync_now()

        eventually(
            lambda: httpx.get(f"{venue.url}/health").json()["cloud"]["last_error"] is not None,
            "the venue to notice the cloud is gone",
        )
        assert httpx.get(f"{venue.url}/health").json()["scans_pending_upload"] == 5

        cloud.start()
        eventually(lambda: len(org.scans()) == 5, "the scans to reach the cloud after it returns")
        time.sleep(1.0)
        scans = org.scans()
        assert len({s["scan_id"] for s in scans}) == len(scans) == 5


def test_a_gate_cut_off_from_the_venue_keeps_admitting_and_uploads_later(cloud, tmp_path, capsys):
    org = setup_organizer(cloud, tickets=3)
    port = free_port()
    with venue_server(tmp_path / "venue", cloud.url, org.venue_key, port) as venue:
        a = Gate(tmp_path / "a", venue.url, tmp_path / "venue", "A", capsys)
        eventually(
            lambda: a.sync_now() is SyncStatus.ONLINE and a.store.ticket_count() == 3,
            "the manifest at gate A",
        )

    # The venue server is gone (Wi-Fi down): the gate decides alone.
    assert a.sync_now() is SyncStatus.OFFLINE
    assert a.core.scan(org.tokens[0]).reason is Reason.ADMITTED
    assert a.core.scan(org.tokens[0]).reason is Reason.ALREADY_ADMITTED
    assert a.store.pending_count() == 2

    with venue_server(tmp_path / "venue", cloud.url, org.venue_key, port):
        assert a.sync_now() is SyncStatus.ONLINE
        assert a.store.pending_count() == 0
        eventually(lambda: len(org.scans()) == 2, "the offline scans to reach the cloud")


def test_entry_limits_reentry_and_staff_scans_travel_the_whole_chain(cloud, tmp_path, capsys):
    organizer = Organizer(cloud)
    venue = organizer.venue("Harbour Hall")
    weekend = organizer.ticket_type(venue, "Weekend pass", max_entries=2)
    vip = organizer.ticket_type(venue, "VIP", reentry=True)
    [pass_] = organizer.issue(
        venue,
        holder="Vera Holder",
        type_id=weekend,
        holder_email="vera@example.org",
        order_ref="SHOP-1001",
    )
    [guest] = organizer.issue(
        venue,
        holder="Ivo Guest",
        type_id=vip,
        holder_email="ivo@example.net",
        order_ref="SHOP-1002",
    )
    [phone_dead] = organizer.issue(
        venue, holder="Mia Novak", holder_email="mia@example.com", order_ref="SHOP-1003"
    )
    with venue_server(tmp_path / "venue", cloud.url, venue.api_key) as server:
        a = Gate(tmp_path / "a", server.url, tmp_path / "venue", "A", capsys)
        b = Gate(tmp_path / "b", server.url, tmp_path / "venue", "B", capsys)
        out = Gate(tmp_path / "x", server.url, tmp_path / "venue", "X", capsys)
        out.core.configure(GateSettings(direction=Direction.EXIT, zone="Main floor", staff="Iva"))
        b.core.configure(GateSettings(zone="Main floor", staff="Marko"))
        eventually(
            lambda: a.sync_now() is SyncStatus.ONLINE and a.store.ticket_count() == 3,
            "every ticket at gate A",
        )
        b.sync_now()
        out.sync_now()

        # What the organizer set in the cloud is what the gate decides and searches by.
        assert a.store.ticket(pass_["ticket_id"]) == TicketEntry(
            ticket_id=pass_["ticket_id"],
            event_id=venue.event_id,
            type_id=weekend,
            type_name="Weekend pass",
            holder_name="Vera Holder",
            holder_email="vera@example.org",
            order_ref="SHOP-1001",
            max_entries=2,
        )
        assert b.store.ticket(guest["ticket_id"]).reentry is True
        assert [hit.ticket.ticket_id for hit in a.core.search("vera@example")] == [
            pass_["ticket_id"]
        ]
        assert [hit.ticket.holder_name for hit in b.core.search("SHOP-1002")] == ["Ivo Guest"]

        # The weekend pass: two gates that cannot see each other each admit it; that is its
        # two entries. Gate A, still without B's scan, admits it once more: one too many.
        assert a.scan(pass_["token"]).reason is Reason.ADMITTED
        assert b.scan(pass_["token"]).reason is Reason.ADMITTED
        assert a.scan(pass_["token"]).reason is Reason.ADMITTED
        third = a.records[-1]

        # The VIP goes in, out through the exit gate, and back in for free.
        assert a.scan(guest["token"]).reason is Reason.ADMITTED
        a.sync_now()
        out.sync_now()
        assert out.scan(guest["token"]).reason is Reason.EXITED
        out.sync_now()
        b.sync_now()
        back = b.scan(guest["token"])
        assert (back.reason, back.reentry) == (Reason.ADMITTED, True)

        # A holder whose phone died is found by order number and let in by hand, with a reason.
        [found] = b.core.search("SHOP-1003")
        note = "Phone battery dead; ID matched to the order"
        assert b.core.admit_manually(found.ticket.ticket_id, note).reason is Reason.ADMITTED
        b.records += b.store.movements(phone_dead["ticket_id"])
        for gate in (a, b, out):
            gate.sync_now()

        made = {r.scan_id: r for gate in (a, b, out) for r in gate.records}
        eventually(lambda: len(organizer.scans(venue)) == len(made), "every scan in the cloud")

    # Every scan reaches the cloud exactly as the gate made it: direction, zone, manual, note.
    held = {s["scan_id"]: msgspec.convert(s, ScanRecord) for s in organizer.scans(venue)}
    assert held == made
    exit_scan = next(r for r in held.values() if r.reason is Reason.EXITED)
    assert (exit_scan.direction, exit_scan.zone, exit_scan.staff) == (
        Direction.EXIT,
        "Main floor",
        "Iva",
    )
    by_hand = [r for r in held.values() if r.manual]
    assert [(r.note, r.staff, r.gate) for r in by_hand] == [(note, "Marko", "Gate B")]

    # The cloud's worker flags only what the ticket type forbids, the pass's third entry; not
    # its second, nor the VIP's re-entry after going out.
    run_worker(cloud.settings, once=True)
    [conflict] = organizer.conflicts(venue)
    assert conflict["conflicting"]["scan_id"] == third.scan_id
    assert conflict["admitted"]["scan_id"] == a.records[0].scan_id
    organizer.close()
