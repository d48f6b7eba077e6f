from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from shared.messages import TicketEntry
from shared.sqlite import SchemaTooNew
from tests.venue.conftest import Issuer, scan
from venue_server.errors import PairingRefused
from venue_server.store import MIGRATIONS, CloudLink, VenueStore


class PowerCut(Exception):
    pass


def test_a_new_file_is_migrated_and_reopening_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "venue.sqlite3"
    store = VenueStore(path)
    store.set_cloud_link(CloudLink("http://cloud", "key", "Hall"))
    record = scan("dtablet1")
    store.add_scans([record], 1)
    store.close()

    reopened = VenueStore(path)
    try:
        assert reopened.schema_version() == len(MIGRATIONS)
        assert reopened.cloud_link() == CloudLink("http://cloud", "key", "Hall")
        assert reopened.pending_scans(10) == [record]
    finally:
        reopened.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_crash_in_the_middle_of_a_manifest_page_applies_none_of_it(
    store: VenueStore, issuer: Issuer
) -> None:
    first = [issuer.issue()[1] for _ in range(2)]
    store.apply_manifest([issuer.event_entry], [issuer.key_entry], first, "c1")

    def cut_after_one() -> Iterator[TicketEntry]:
        yield issuer.issue()[1]
        raise PowerCut

    with pytest.raises(PowerCut):
        store.apply_manifest([], [], cut_after_one(), "c2")

    assert store.ticket_count() == 2
    assert store.cloud_cursor() == "c1"


def test_ticket_changes_get_ever_higher_seqs(store: VenueStore, issuer: Issuer) -> None:
    a, b = issuer.issue()[1], issuer.issue()[1]
    store.apply_manifest([], [], [a, b], "c1")
    revoked_a = msgspec.structs.replace(a, revoked=True)

    changed = store.apply_manifest([], [], [revoked_a, b], "c2")

    rows, _ = store.tickets_after(0, 10)
    assert changed == 1
    assert [t for _, t in rows] == [b, revoked_a]
    assert rows[0][0] < rows[1][0]


def test_scan_records_cannot_be_altered_or_deleted(store: VenueStore) -> None:
    store.add_scans([scan("dtablet1")], 1)
    with sqlite3.connect(store.path) as raw:
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            raw.execute("UPDATE scans SET reason = 'admitted'")
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            raw.execute("DELETE FROM scans")


def test_a_pairing_code_redeemed_twice_at_once_pairs_one_device(store: VenueStore) -> None:
    store.add_pairing_code("hash", "North", 0, 10**10)
    outcomes: list[str] = []

    def redeem(n: int) -> None:
        try:
            store.redeem_pairing_code("hash", f"d{n}", f"tablet {n}", f"token{n}", 1)
            outcomes.append("paired")
        except PairingRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["paired"] + ["refused"] * 7
    assert len(store.devices()) == 1


def test_concurrent_uploads_from_many_threads_all_land_once(store: VenueStore) -> None:
    batches = [[scan(f"dtablet{n}") for _ in range(20)] for n in range(6)]

    def upload(batch: list) -> None:  # type: ignore[type-arg]
        for _ in range(2):
            store.add_scans(batch, 1)

    threads = [threading.Thread(target=upload, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    rows, has_more = store.scans_after(0, 1000)
    assert not has_more
    assert sorted(r.scan_id for _, r in rows) == sorted(r.scan_id for b in batches for r in b)


def test_a_database_from_a_newer_venue_server_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "venue.sqlite3"
    VenueStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew):
        VenueStore(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == 99
