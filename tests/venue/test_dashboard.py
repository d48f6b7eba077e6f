"""What the dashboard shows: occupancy per zone, entries per minute, rejected scans and the
cloud sync's health, as a manager reads them from the overview."""

from __future__ import annotations

from pathlib import Path

from shared.messages import Direction
from shared.reasons import Reason
from tests.venue.conftest import Issuer
from tests.venue.dashboard_harness import (  # noqa: F401 - fixtures
    Dashboard,
    Manager,
    dashboard_fixture,
    gate_scan,
    manager_fixture,
)
from venue_server.cloud_sync import apply_manifest_page
from venue_server.store import CloudLink, VenueStore


def test_occupancy_is_admissions_minus_exits_per_zone(
    dashboard: Dashboard, manager: Manager, issuer: Issuer
) -> None:
    main_gate = dashboard.venue.pair("Main door", gate="Main")
    vip_gate = dashboard.venue.pair("VIP door", gate="VIP")
    at = dashboard.clock.ms
    tickets = [issuer.issue()[1].ticket_id for _ in range(5)]
    main_scans = [gate_scan(main_gate, gate="Main", ticket_id=t, at_ms=at) for t in tickets[:3]]
    main_scans += [
        gate_scan(
            main_gate,
            gate="Main",
            ticket_id=tickets[0],
            at_ms=at + 1,
            reason=Reason.EXITED,
            direction=Direction.EXIT,
        ),
        gate_scan(main_gate, gate="Main", ticket_id=None, at_ms=at, reason=Reason.FORGED),
        gate_scan(
            main_gate,
            gate="Main",
            ticket_id=tickets[1],
            at_ms=at + 2,
            reason=Reason.ALREADY_ADMITTED,
        ),
    ]
    vip_scans = [
        gate_scan(vip_gate, gate="VIP", ticket_id=t, at_ms=at, zone="VIP") for t in tickets[3:]
    ]

    assert dashboard.upload(main_gate, *main_scans).status_code == 200
    assert dashboard.upload(vip_gate, *vip_scans).status_code == 200
    # A gate that sends its batch again changes nothing.
    assert dashboard.upload(vip_gate, *vip_scans).status_code == 200

    zones = {
        z["label"]: (z["entries"], z["exits"], z["inside"]) for z in manager.overview()["occupancy"]
    }
    assert zones == {"Main": (3, 1, 2), "VIP": (2, 0, 2)}


def test_entries_per_minute_cover_the_last_half_hour_with_the_current_minute_last(
    dashboard: Dashboard, manager: Manager
) -> None:
    gate = dashboard.venue.pair("Main door")
    now = dashboard.clock.ms
    minute = now - now % 60_000
    scans = [
        gate_scan(gate, gate="Main", ticket_id=None, at_ms=minute + 1),
        gate_scan(gate, gate="Main", ticket_id=None, at_ms=minute + 2),
        gate_scan(gate, gate="Main", ticket_id=None, at_ms=minute - 60_000 * 5),
        gate_scan(gate, gate="Main", ticket_id=None, at_ms=minute - 60_000 * 31),  # too old
        gate_scan(gate, gate="Main", ticket_id=None, at_ms=minute + 3, reason=Reason.FORGED),
    ]
    assert dashboard.upload(gate, *scans).status_code == 200

    per_minute = manager.overview()["per_minute"]

    assert len(per_minute) == 30
    assert per_minute[-1] == {"minute_start": minute // 1000, "entries": 2}
    assert per_minute[-6] == {"minute_start": minute // 1000 - 300, "entries": 1}
    assert sum(m["entries"] for m in per_minute) == 3

    dashboard.clock.advance(60)
    assert manager.overview()["per_minute"][-2]["entries"] == 2


def test_rejected_scans_show_the_latest_fifty_newest_first_with_reason_and_gate(
    dashboard: Dashboard, manager: Manager
) -> None:
    gate = dashboard.venue.pair("Main door")
    at = dashboard.clock.ms
    rejected = [
        gate_scan(gate, gate="Main", ticket_id=None, at_ms=at + i, reason=Reason.FORGED)
        for i in range(55)
    ]
    revoked = gate_scan(gate, gate="Side", ticket_id="C" * 20, at_ms=at + 99, reason=Reason.REVOKED)
    admitted = gate_scan(gate, gate="Main", ticket_id="D" * 20, at_ms=at + 100)
    assert dashboard.upload(gate, *rejected).status_code == 200
    assert dashboard.upload(gate, revoked, admitted).status_code == 200

    feed = manager.overview()["rejected"]

    assert len(feed) == 50
    assert feed[0]["scan_id"] == revoked.scan_id
    assert (feed[0]["label"], feed[0]["gate"], feed[0]["severity"]) == (
        "Ticket revoked",
        "Side",
        "reject",
    )
    assert feed[1]["scan_id"] == rejected[-1].scan_id
    assert admitted.scan_id not in {s["scan_id"] for s in feed}


def test_the_sync_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "venue.sqlite3"
    store = VenueStore(path)
    store.record_sync_result(True, 1_000.5, "pulled 3 pages, uploaded 10 scans")
    store.record_sync_result(False, 1_060.0, "cannot reach the cloud")
    store.record_pull_progress(1_200, 800)
    store.close()

    reopened = VenueStore(path)
    state = reopened.sync_state()
    reopened.close()

    assert state.last_ok_at == 1_000.5
    assert state.last_ok_detail == "pulled 3 pages, uploaded 10 scans"
    assert (state.last_error, state.last_error_at) == ("cannot reach the cloud", 1_060.0)
    assert (state.pull_done, state.pull_remaining) == (1_200, 800)


def test_the_manager_is_alerted_when_the_last_good_cloud_sync_is_too_old(
    dashboard: Dashboard, manager: Manager
) -> None:
    store = dashboard.store
    assert not manager.overview()["sync"]["stale"]  # not paired: nothing to be stale against

    store.set_cloud_link(CloudLink("http://cloud.invalid", "key", "Grand Hall"))
    never = manager.overview()
    assert never["venue_name"] == "Grand Hall"
    assert never["sync"]["stale"]
    assert never["sync"]["last_ok_at"] is None

    store.record_sync_result(True, dashboard.clock.now - 60, "ok")
    fresh = manager.overview()["sync"]
    assert not fresh["stale"]
    assert fresh["age_seconds"] == 60
    assert fresh["last_error"] is None

    dashboard.clock.advance(900)
    store.record_sync_result(False, dashboard.clock.now - 5, "cannot reach the cloud")
    old = manager.overview()["sync"]
    assert old["stale"]
    assert old["stale_after"] == 900
    assert old["last_error"] == "cannot reach the cloud"


def test_the_manifest_pull_shows_its_progress(
    dashboard: Dashboard, manager: Manager, issuer: Issuer
) -> None:
    apply_manifest_page(dashboard.store, issuer.page([issuer.issue()[1]], "c1"))
    dashboard.store.record_pull_progress(250, 750)

    data = manager.overview()

    assert (data["sync"]["pull_done"], data["sync"]["pull_remaining"]) == (250, 750)
    assert data["sync"]["pull_percent"] == 25.0
    assert data["tickets"] == 1
