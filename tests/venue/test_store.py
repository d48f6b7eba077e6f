from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from shared.messages import Direction, TicketEntry
from shared.reasons import Reason
from shared.sqlite import SchemaTooNew, migrate, open_durable
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


def test_the_feed_cursor_of_the_newest_scan_is_where_a_gate_has_every_scan(
    store: VenueStore,
) -> None:
    assert store.last_scan_seq() == 0
    records = [scan("dtablet1") for _ in range(3)]

    store.add_scans(records, 1)
    store.add_scans(records[:1], 2)  # a replay stores nothing, so moves nothing

    newest = store.last_scan_seq()
    assert store.scans_after(newest, 10) == ([], False)
    assert [r.scan_id for _, r in store.scans_after(newest - 1, 10)[0]] == [records[-1].scan_id]


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


def _weekend_pass(entry: TicketEntry) -> TicketEntry:
    return msgspec.structs.replace(
        entry,
        type_name="Weekend pass",
        holder_email="ada@example.org",
        order_ref="SHOP-7",
        max_entries=2,
        reentry=True,
        valid_from=1_900_000_000,
        valid_until=1_900_172_800,
    )


def test_a_file_of_the_previous_release_upgrades_and_keeps_its_tickets(
    tmp_path: Path, issuer: Issuer
) -> None:
    path = tmp_path / "venue.sqlite3"
    _, entry = issuer.issue()
    old = open_durable(path)
    migrate(old, path, MIGRATIONS[:1])
    old.execute(
        "INSERT INTO tickets (ticket_id, event_id, type_id, type_name, holder_name, revoked, seq) "
        "VALUES (?, ?, ?, ?, ?, 0, 1)",
        (entry.ticket_id, entry.event_id, entry.type_id, entry.type_name, entry.holder_name),
    )
    old.close()

    store = VenueStore(path)
    try:
        [(seq, kept)] = store.tickets_after(0, 10)[0]
        # What every ticket was before: single entry, no re-entry, no window.
        assert (seq, kept) == (1, entry)
        assert store.schema_version() == len(MIGRATIONS)

        assert store.apply_manifest([], [], [_weekend_pass(entry)], "c1") == 1
        [(newer, updated)] = store.tickets_after(seq, 10)[0]
    finally:
        store.close()
    assert newer > seq
    assert updated == _weekend_pass(entry)


def test_entry_limits_and_search_fields_reach_scanners_and_changes_to_them_are_resent(
    store: VenueStore, issuer: Issuer
) -> None:
    weekend = _weekend_pass(issuer.issue()[1])
    store.apply_manifest([], [], [weekend], "c1")
    [(seq, served)] = store.tickets_after(0, 10)[0]

    unchanged = store.apply_manifest([], [], [weekend], "c2")
    one_more = msgspec.structs.replace(weekend, max_entries=3)
    changed = store.apply_manifest([], [], [one_more], "c3")

    assert served == weekend
    assert (unchanged, changed) == (0, 1)
    assert [t for _, t in store.tickets_after(seq, 10)[0]] == [one_more]


def test_scan_direction_zone_and_staff_notes_are_kept_for_the_feed_and_the_upload(
    store: VenueStore,
) -> None:
    out = msgspec.structs.replace(
        scan("dexit1", Reason.EXITED), direction=Direction.EXIT, zone="Main floor", staff="Iva"
    )
    by_hand = msgspec.structs.replace(
        scan("dtablet1"), manual=True, note="Phone dead; checked her ID", staff="Marko"
    )

    store.add_scans([out, by_hand], 1)

    assert [r for _, r in store.scans_after(0, 10)[0]] == [out, by_hand]
    assert store.pending_scans(10) == [out, by_hand]
