"""Conflicts kept, not hidden: when gates that could not see each other admit one ticket too
often, every scan survives, the same admission counts whatever arrived first, and the manager
sees both sides."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from shared.messages import Direction, PairResponse, ScanFeed, TicketEntry, decode
from shared.reasons import Reason
from shared.sqlite import migrate, open_durable
from tests.venue.conftest import EVENT_ID, Issuer, scan
from tests.venue.dashboard_harness import (  # noqa: F401 - fixtures
    Dashboard,
    Manager,
    dashboard_fixture,
    gate_scan,
    manager_fixture,
)
from venue_server.cloud_sync import apply_manifest_page
from venue_server.dashboard import queries
from venue_server.store import MIGRATIONS, VenueStore

T0 = 1_800_000_000_000


def _device(device_id: str) -> PairResponse:
    return PairResponse(device_id=device_id, device_token="", venue_name="Hall", gate="")


NORTH, SOUTH = _device("dnorth"), _device("dsouth")


def _listed(issuer: Issuer, store: VenueStore, **limits: object) -> TicketEntry:
    entry = msgspec.structs.replace(issuer.issue()[1], **limits)
    apply_manifest_page(store, issuer.page([entry], "c1"))
    return entry


@pytest.mark.parametrize("north_first", [True, False], ids=["north-arrives-first", "south-first"])
def test_two_gates_admitting_one_ticket_keep_both_scans_and_agree_on_the_winner(
    store: VenueStore, issuer: Issuer, north_first: bool
) -> None:
    ticket = _listed(issuer, store)
    early = gate_scan(NORTH, gate="North", ticket_id=ticket.ticket_id, at_ms=T0)
    late = gate_scan(SOUTH, gate="South", ticket_id=ticket.ticket_id, at_ms=T0 + 40_000)
    batches = [[early], [late]] if north_first else [[late], [early]]

    store.add_scans(batches[0], T0 + 60_000)
    assert store.conflicts() == []
    store.add_scans(batches[1], T0 + 61_000)

    (conflict,) = store.conflicts()
    assert conflict.counted == early
    assert conflict.flagged == late
    assert conflict.holder_name == "Ada Lovelace"
    assert {r.scan_id for _, r in store.scans_after(0, 10)[0]} == {early.scan_id, late.scan_id}


def test_a_late_upload_of_an_earlier_admission_takes_over_as_the_one_that_counts(
    store: VenueStore, issuer: Issuer
) -> None:
    ticket = _listed(issuer, store)
    second = gate_scan(NORTH, gate="North", ticket_id=ticket.ticket_id, at_ms=T0 + 5_000)
    third = gate_scan(NORTH, gate="North", ticket_id=ticket.ticket_id, at_ms=T0 + 9_000)
    store.add_scans([second, third], T0 + 10_000)
    assert [(c.counted, c.flagged) for c in store.conflicts()] == [(second, third)]

    first = gate_scan(SOUTH, gate="South", ticket_id=ticket.ticket_id, at_ms=T0)
    store.add_scans([first], T0 + 20_000)

    assert sorted((c.counted.scan_id, c.flagged.scan_id) for c in store.conflicts()) == sorted(
        [(first.scan_id, second.scan_id), (first.scan_id, third.scan_id)]
    )


def test_a_replayed_batch_flags_nothing_twice(store: VenueStore, issuer: Issuer) -> None:
    ticket = _listed(issuer, store)
    batch = [
        gate_scan(NORTH, gate="North", ticket_id=ticket.ticket_id, at_ms=T0),
        gate_scan(SOUTH, gate="South", ticket_id=ticket.ticket_id, at_ms=T0 + 1),
    ]
    store.add_scans(batch, T0 + 5)
    first = store.conflicts()

    store.add_scans(batch, T0 + 9)

    assert store.conflicts() == first
    assert store.conflict_count() == 1


def test_entries_allowed_by_the_ticket_type_are_no_conflict(
    store: VenueStore, issuer: Issuer
) -> None:
    ticket = _listed(issuer, store, max_entries=2)
    two = [
        gate_scan(NORTH, gate="North", ticket_id=ticket.ticket_id, at_ms=T0),
        gate_scan(SOUTH, gate="South", ticket_id=ticket.ticket_id, at_ms=T0 + 1_000),
    ]
    store.add_scans(two, T0 + 2_000)
    assert store.conflicts() == []

    third = gate_scan(SOUTH, gate="South", ticket_id=ticket.ticket_id, at_ms=T0 + 3_000)
    store.add_scans([third], T0 + 4_000)

    (conflict,) = store.conflicts()
    assert (conflict.counted, conflict.flagged) == (two[0], third)


@pytest.mark.parametrize(("reentry", "conflicts"), [(True, 0), (False, 1)])
def test_coming_back_in_after_an_exit_is_a_conflict_only_without_reentry(
    store: VenueStore, issuer: Issuer, reentry: bool, conflicts: int
) -> None:
    ticket = _listed(issuer, store, reentry=reentry)
    store.add_scans(
        [
            gate_scan(NORTH, gate="North", ticket_id=ticket.ticket_id, at_ms=T0),
            gate_scan(
                SOUTH,
                gate="Exit",
                ticket_id=ticket.ticket_id,
                at_ms=T0 + 60_000,
                reason=Reason.EXITED,
                direction=Direction.EXIT,
            ),
            gate_scan(NORTH, gate="North", ticket_id=ticket.ticket_id, at_ms=T0 + 120_000),
        ],
        T0 + 130_000,
    )

    assert store.conflict_count() == conflicts


def test_a_ticket_type_allowing_more_entries_later_clears_its_conflict(
    store: VenueStore, issuer: Issuer
) -> None:
    ticket = _listed(issuer, store)
    store.add_scans(
        [
            gate_scan(NORTH, gate="North", ticket_id=ticket.ticket_id, at_ms=T0),
            gate_scan(SOUTH, gate="South", ticket_id=ticket.ticket_id, at_ms=T0 + 1),
        ],
        T0 + 2,
    )
    assert store.conflict_count() == 1

    upgraded = msgspec.structs.replace(ticket, max_entries=2)
    apply_manifest_page(store, issuer.page([upgraded], "c2"))

    assert store.conflict_count() == 0


def test_a_ticket_not_in_the_manifest_yet_counts_as_single_entry(store: VenueStore) -> None:
    ref = "A" * 20
    store.add_scans(
        [
            gate_scan(NORTH, gate="North", ticket_id=ref, at_ms=T0),
            gate_scan(SOUTH, gate="South", ticket_id=ref, at_ms=T0 + 1),
        ],
        T0 + 2,
    )

    (conflict,) = store.conflicts()
    assert conflict.holder_name == ""
    assert conflict.ticket_id == ref


def test_the_dashboard_shows_both_gates_devices_and_times_and_which_counts(
    dashboard: Dashboard, manager: Manager, issuer: Issuer
) -> None:
    ticket = _listed(issuer, dashboard.store)
    north = dashboard.venue.pair("North tablet", gate="North")
    south = dashboard.venue.pair("South tablet", gate="South")
    at = dashboard.clock.ms
    first = gate_scan(north, gate="North", ticket_id=ticket.ticket_id, at_ms=at - 9_000)
    again = gate_scan(south, gate="South", ticket_id=ticket.ticket_id, at_ms=at - 2_000)

    assert dashboard.upload(south, again).status_code == 200
    assert manager.overview()["conflicts"] == []
    assert dashboard.upload(north, first).status_code == 200

    data = manager.overview()
    (conflict,) = data["conflicts"]
    assert data["conflict_total"] == 1
    assert conflict["ticket_id"] == ticket.ticket_id
    assert conflict["holder_name"] == "Ada Lovelace"
    assert (conflict["counted"]["gate"], conflict["counted"]["device_id"]) == (
        "North",
        north.device_id,
    )
    assert conflict["counted"]["scanned_at_ms"] == at - 9_000
    assert (conflict["flagged"]["gate"], conflict["flagged"]["device_id"]) == (
        "South",
        south.device_id,
    )
    assert conflict["flagged"]["scanned_at_ms"] == at - 2_000
    # Both scans stay in the feed every gate reads.
    with dashboard.scanner(north) as http:
        feed = decode(http.get("/api/v1/scans").content, ScanFeed)
    assert {s.scan_id for s in feed.scans} == {first.scan_id, again.scan_id}


def test_a_file_from_before_the_conflict_table_has_its_conflicts_and_zones_found_on_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "venue.sqlite3"
    conn = open_durable(path)
    migrate(conn, path, MIGRATIONS[:2])
    ref = "B" * 20
    old_scans = [
        gate_scan(NORTH, gate="North", ticket_id=ref, at_ms=T0, zone="Hall"),
        gate_scan(SOUTH, gate="South", ticket_id=ref, at_ms=T0 + 1, zone="Hall"),
        gate_scan(
            SOUTH, gate="Out", ticket_id=ref, at_ms=T0 + 2, reason=Reason.EXITED, zone="Hall"
        ),
        scan("dnorth", Reason.FORGED, event_id=EVENT_ID),
    ]
    for r in old_scans:
        conn.execute(
            "INSERT INTO scans (scan_id, device_id, gate, event_id, ticket_id, reason, hlc, "
            "scanned_at_ms, record, received_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                r.scan_id,
                r.device_id,
                r.gate,
                r.event_id,
                r.ticket_id,
                r.reason.value,
                r.hlc,
                r.scanned_at_ms,
                msgspec.json.encode(r),
                T0,
            ),
        )
    conn.close()

    store = VenueStore(path)
    try:
        (conflict,) = store.conflicts()
        assert (conflict.counted, conflict.flagged) == (old_scans[0], old_scans[1])
        (zone,) = queries.zone_counts(store)
        assert (zone.zone, zone.entries, zone.exits, zone.inside) == ("Hall", 2, 1, 1)
    finally:
        store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute(
            "SELECT COUNT(*) FROM config WHERE key LIKE 'conflicts%'"
        ).fetchone() == (0,)
