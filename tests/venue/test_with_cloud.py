"""A venue paired with `bilten venue pair` against the real cloud, then synced end to end."""

from __future__ import annotations

import time
from pathlib import Path

from shared.cli import main
from tests.cloud_harness import Cloud, CloudVenue, Organizer
from tests.venue.conftest import scan
from venue_server.cloud_sync import SyncRunner
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore


def test_pull_revocations_and_upload_against_the_real_cloud(
    tmp_path: Path, cloud: Cloud, organizer: Organizer, cloud_venue: CloudVenue
) -> None:
    venue_settings = VenueSettings(data_dir=tmp_path / "venue")
    tickets = organizer.issue(cloud_venue, 3)
    pair = ["venue", "pair", "--cloud", cloud.url, "--key", cloud_venue.api_key]
    assert main([*pair, "--data", str(venue_settings.data_dir)]) == 0

    store = VenueStore(venue_settings.db_path)
    try:
        runner = SyncRunner(store, venue_settings)
        assert runner.run_once(), runner.status.snapshot().last_error
        rows, _ = store.tickets_after(0, 100)
        assert {t.ticket_id for _, t in rows} == {t["ticket_id"] for t in tickets}
        assert [k.key_id for k in store.public_keys()] == [cloud_venue.key_id]

        revoked_id = tickets[0]["ticket_id"]
        organizer.revoke(revoked_id)
        record = scan("dgate1", ticket_id=tickets[1]["ticket_id"], event_id=cloud_venue.event_id)
        store.add_scans([record], time.time_ns() // 1_000_000)
        assert runner.run_once(), runner.status.snapshot().last_error

        rows, _ = store.tickets_after(0, 100)
        assert {t.ticket_id: t.revoked for _, t in rows}[revoked_id] is True
        assert store.scan_counts() == (1, 0)
    finally:
        store.close()
    assert organizer.scan_ids(cloud_venue) == [record.scan_id]
