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
import pytest

from cloud.settings import CloudSettings
from scanner_app.core import ScannerCore
from scanner_app.store import Store
from scanner_app.sync import SyncService, SyncStatus
from shared.cli import main as bilten
from shared.clock import HybridClock
from shared.reasons import Reason
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

    def sync_now(self) -> SyncStatus:
        return self.sync.sync_once().status


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
