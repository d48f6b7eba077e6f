"""The venue's sync with the cloud: the real cloud app over loopback HTTP, or a closed port."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from scanner_app.core import ScannerCore
from scanner_app.store import Store as ScannerStore
from scanner_app.sync import SyncService
from shared.clock import HybridClock
from shared.messages import ScanBatch, ScanRecord, encode
from shared.reasons import Reason
from tests.cloud_harness import Cloud, CloudVenue, Organizer, Wire
from tests.support import free_port, serving
from tests.venue.conftest import Venue, scan
from venue_server.app import create_app
from venue_server.cloud_sync import CloudClient, SyncRunner, pull_manifest
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _link(store: VenueStore, cloud: Cloud, venue: CloudVenue, key: str | None = None) -> None:
    store.set_cloud_link(CloudLink(cloud.url, key or venue.api_key, venue.name))


def _runner(store: VenueStore, settings: VenueSettings, wire: Wire) -> SyncRunner:
    def client(link: CloudLink) -> CloudClient:
        return CloudClient(link.url, link.api_key, transport=wire)

    return SyncRunner(store, settings, client_factory=client)


def _scans_of(venue: CloudVenue, tickets: list[dict[str, Any]]) -> list[ScanRecord]:
    return [scan("dtablet1", ticket_id=t["ticket_id"], event_id=venue.event_id) for t in tickets]


def test_a_round_pulls_every_page_and_uploads_pending_scans(
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    tickets = organizer.issue(cloud_venue, 6)
    records = _scans_of(cloud_venue, tickets[:5])
    store.add_scans(records, 0)
    _link(store, cloud, cloud_venue)
    wire = Wire()
    # A round that outlasts the sync interval pulls again before it ends; this one counts the
    # requests of exactly one pull.
    one_pull = settings.with_overrides(upload_batch=2, sync_interval=60, max_backoff=60)
    runner = _runner(store, one_pull, wire)

    assert runner.run_once(), runner.status.snapshot().last_error

    # The cloud serves two tickets a page: three pages, each asked for from the last cursor.
    cursors = wire.manifest_cursors()
    assert len(cursors) == 3 and cursors[0] == ""
    assert store.cloud_cursor() not in cursors
    rows, _ = store.tickets_after(0, 100)
    assert {t.ticket_id for _, t in rows} == {t["ticket_id"] for t in tickets}
    uploads = [r for r in wire.requests if r.url.path == "/api/v1/venue/scans"]
    assert len(uploads) == 3  # five scans, two a batch
    assert sorted(organizer.scan_ids(cloud_venue)) == sorted(r.scan_id for r in records)
    assert store.scan_counts() == (5, 0)
    assert runner.status.snapshot().last_success_at is not None


def test_a_pull_cut_off_mid_manifest_keeps_applied_pages_and_resumes_after_them(
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    organizer.issue(cloud_venue, 6)
    _link(store, cloud, cloud_venue)
    one_pull = settings.with_overrides(sync_interval=60, max_backoff=60)  # as above

    def cut_after_first_page(request: httpx.Request) -> None:
        if request.url.path == "/api/v1/venue/manifest":
            cloud.stop()  # the cloud goes away between two pages of one round

    first = Wire(after=cut_after_first_page)
    assert not _runner(store, one_pull, first).run_once()

    assert store.ticket_count() == 2
    assert len(first.manifest_cursors()) == 2  # the second page found the port closed
    kept_cursor = store.cloud_cursor()
    assert kept_cursor == first.manifest_cursors()[1] != ""

    cloud.start()
    second = Wire()
    runner = _runner(store, one_pull, second)
    assert runner.run_once(), runner.status.snapshot().last_error

    assert second.manifest_cursors()[0] == kept_cursor
    assert len(second.manifest_cursors()) == 2
    assert store.ticket_count() == 6


def test_a_failed_round_is_recorded_with_the_cloud_unreachable(
    store: VenueStore, settings: VenueSettings, cloud: Cloud, cloud_venue: CloudVenue
) -> None:
    _link(store, cloud, cloud_venue)
    cloud.stop()
    runner = SyncRunner(store, settings)

    assert not runner.run_once()

    assert "cannot reach the cloud" in str(runner.status.snapshot().last_error)
    cloud.start()
    assert runner.run_once()
    assert runner.status.snapshot().failures == 0


def test_revocations_reach_the_venue_on_its_next_round(
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    tickets = organizer.issue(cloud_venue, 3)
    _link(store, cloud, cloud_venue)
    runner = SyncRunner(store, settings)
    assert runner.run_once()

    organizer.revoke(tickets[1]["ticket_id"])
    assert runner.run_once()

    rows, _ = store.tickets_after(0, 100)
    revoked = {t.ticket_id: t.revoked for _, t in rows}
    assert revoked == {
        tickets[0]["ticket_id"]: False,
        tickets[1]["ticket_id"]: True,
        tickets[2]["ticket_id"]: False,
    }


def test_uploading_again_stores_nothing_twice(
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    records = _scans_of(cloud_venue, organizer.issue(cloud_venue, 3))
    store.add_scans(records, 0)
    _link(store, cloud, cloud_venue)
    # The cloud stored a batch, but the venue went down before it noted the acknowledgement.
    with CloudClient(cloud.url, cloud_venue.api_key) as client:
        first = client.upload(ScanBatch(scans=records))
    assert (first.stored, first.duplicates) == (3, 0)
    assert store.scan_counts() == (3, 3)

    runner = SyncRunner(store, settings)
    assert runner.run_once(), runner.status.snapshot().last_error

    assert store.scan_counts() == (3, 0)
    assert sorted(organizer.scan_ids(cloud_venue)) == sorted(r.scan_id for r in records)
    with CloudClient(cloud.url, cloud_venue.api_key) as client:
        replay = client.upload(ScanBatch(scans=records))
    assert (replay.stored, replay.duplicates) == (0, 3)
    assert set(replay.acked) == {r.scan_id for r in records}


def test_a_scan_for_another_venues_event_does_not_block_uploads(
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    ours = _scans_of(cloud_venue, organizer.issue(cloud_venue, 1))
    elsewhere = organizer.venue("Other Hall")
    # A ticket of another venue's event shown at one of our gates.
    foreign = _scans_of(elsewhere, organizer.issue(elsewhere, 1))
    later = _scans_of(cloud_venue, organizer.issue(cloud_venue, 1))
    store.add_scans(ours + foreign + later, 0)
    _link(store, cloud, cloud_venue)
    runner = SyncRunner(store, settings.with_overrides(upload_batch=1))

    assert runner.run_once()

    assert store.pending_scans(10) == []
    assert sorted(organizer.scan_ids(cloud_venue)) == sorted(s.scan_id for s in ours + later)
    assert organizer.scan_ids(elsewhere) == []


def test_a_refused_key_is_recorded_and_nothing_is_uploaded(
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    store.add_scans(_scans_of(cloud_venue, organizer.issue(cloud_venue, 1)), 0)
    _link(store, cloud, cloud_venue, key="wrong-key")
    runner = SyncRunner(store, settings)

    assert not runner.run_once()

    assert "refused the venue key" in str(runner.status.snapshot().last_error)
    assert organizer.scan_ids(cloud_venue) == []
    assert store.scan_counts() == (1, 1)
    assert store.ticket_count() == 0


def test_an_unreachable_cloud_backs_off_exponentially_up_to_the_cap(
    store: VenueStore, settings: VenueSettings
) -> None:
    store.set_cloud_link(CloudLink(f"http://127.0.0.1:{free_port()}", "venue-key", "Hall"))
    clock = FakeMonotonic()
    runner = SyncRunner(store, settings, monotonic=clock)

    backoffs = []
    for _ in range(5):
        assert runner.tick()
        backoffs.append(runner.status.snapshot().backoff_seconds)
        clock.now += 0.1
        assert not runner.tick(), "a tick during backoff must not try the cloud"
        clock.now += backoffs[-1]

    assert backoffs == [0.4, 0.8, 1.6, 1.6, 1.6]
    snapshot = runner.status.snapshot()
    assert snapshot.failures == 5
    assert "cannot reach the cloud" in str(snapshot.last_error)


def test_a_running_venue_survives_a_dead_cloud_and_health_shows_it(
    store: VenueStore, settings: VenueSettings
) -> None:
    store.set_cloud_link(CloudLink(f"http://127.0.0.1:{free_port()}", "venue-key", "Hall"))
    with serving(create_app(settings, store=store)) as server:
        venue = Venue(server.url, store, settings)

        def health() -> dict[str, Any]:
            body: dict[str, Any] = httpx.get(f"{server.url}/health", timeout=5).json()
            return body

        _wait_for(lambda: health()["cloud"]["failures"] >= 3)
        report = health()
        # Scanners are served as usual while the cloud is away.
        device = venue.pair()
        with venue.client(device.device_token) as http:
            answer = http.post("/api/v1/scans", content=encode(ScanBatch(scans=[scan(device)])))

    cloud = report["cloud"]
    assert report["status"] == "ok" and report["paired"] is True
    assert "cannot reach the cloud" in cloud["last_error"]
    assert cloud["backoff_seconds"] >= 0.8
    assert cloud["last_success_at"] is None
    assert answer.status_code == 200


def test_a_running_venue_syncs_on_its_own_and_scanners_get_the_tickets(
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    tickets = organizer.issue(cloud_venue, 6)
    _link(store, cloud, cloud_venue)
    with serving(create_app(settings, store=store)) as server:
        venue = Venue(server.url, store, settings)
        device = venue.pair()
        record = scan(device, ticket_id=tickets[0]["ticket_id"], event_id=cloud_venue.event_id)
        with venue.client(device.device_token) as http:
            http.post("/api/v1/scans", content=encode(ScanBatch(scans=[record])))
            _wait_for(
                lambda: (
                    organizer.scan_ids(cloud_venue) == [record.scan_id]
                    and http.get("/health").json()["scans_pending_upload"] == 0
                    and http.get("/health").json()["tickets"] == 6
                    and http.get("/health").json()["cloud"]["last_success_at"] is not None
                )
            )
            manifest = http.get("/api/v1/manifest").json()
            health = http.get("/health").json()

    assert {t["ticket_id"] for t in manifest["tickets"]} == {t["ticket_id"] for t in tickets}
    assert manifest["keys"] == organizer.keys(cloud_venue)
    assert health["venue_name"] == cloud_venue.name == "Main Hall"
    assert health["cloud"]["last_error"] is None
    assert health["cloud"]["last_sync_age_seconds"] is not None


def test_a_pull_reports_its_progress_page_by_page(
    store: VenueStore, cloud: Cloud, organizer: Organizer, cloud_venue: CloudVenue
) -> None:
    organizer.issue(cloud_venue, 5)
    progress: list[tuple[int, int]] = []

    with CloudClient(cloud.url, cloud_venue.api_key) as client:
        result = pull_manifest(store, client, lambda done, left: progress.append((done, left)))

    # Two tickets a page: what has landed and what the cloud says is left, down to nothing.
    assert progress == [(2, 3), (4, 1), (5, 0)]
    assert (result.pages, result.entries) == (3, 5)


def test_a_revocation_made_during_a_long_upload_reaches_the_venue_in_the_same_round(
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    tickets = organizer.issue(cloud_venue, 4)
    _link(store, cloud, cloud_venue)
    clock = FakeMonotonic()
    assert SyncRunner(store, settings, monotonic=clock).run_once()
    # Days offline: a backlog that takes many batches, each slower than a sync interval.
    store.add_scans(_scans_of(cloud_venue, tickets * 3), 0)
    refunded = tickets[2]["ticket_id"]

    def slow_upload(request: httpx.Request) -> None:
        if request.url.path == "/api/v1/venue/scans":
            if clock.now == 1000.0:
                organizer.revoke(refunded)  # while the venue is busy uploading
            clock.now += settings.sync_interval

    wire = Wire(after=slow_upload)
    runner = SyncRunner(
        store,
        settings.with_overrides(upload_batch=2),
        client_factory=lambda link: CloudClient(link.url, link.api_key, transport=wire),
        monotonic=clock,
    )
    assert runner.run_once(), runner.status.snapshot().last_error

    uploads = [r for r in wire.requests if r.url.path == "/api/v1/venue/scans"]
    assert len(uploads) == 6
    assert store.scan_counts() == (12, 0)
    rows, _ = store.tickets_after(0, 100)
    assert {t.ticket_id for _, t in rows if t.revoked} == {refunded}


def _gate(tmp_path: Path, venue: Venue) -> tuple[SyncService, ScannerCore]:
    """A real scanner paired with ``venue``: the sync service and core its window uses."""
    store = ScannerStore(tmp_path / "gate" / "scanner.sqlite3")
    device = SyncService(store).pair(venue.url, venue.code(), "North 1")
    clock = HybridClock(device.device_id)
    return SyncService(store, clock), ScannerCore(store, clock)


def _metric(url: str, name: str) -> float | None:
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        metric, _, value = line.partition(" ")
        if metric == name:
            return float(value)
    return None


def test_a_refund_in_the_cloud_reaches_the_gates_with_the_next_sync(
    tmp_path: Path,
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    [kept, refunded] = organizer.issue(cloud_venue, 2)
    _link(store, cloud, cloud_venue)
    with serving(create_app(settings, store=store)) as server:
        venue = Venue(server.url, store, settings)
        sync, core = _gate(tmp_path, venue)
        _wait_for(lambda: store.ticket_count() == 2)
        assert sync.sync_once().online
        assert core.scan(kept["token"]).reason is Reason.ADMITTED

        refunded_at = time.time()
        organizer.revoke(refunded["ticket_id"])
        # The venue's first pull that begins after the refund carries it; pulls begin every
        # sync interval.
        _wait_for(
            lambda: (
                (_metric(server.url, "bilten_venue_manifest_as_of_timestamp") or 0) > refunded_at
            )
        )
        report = sync.sync_once()
        verdict = core.scan(refunded["token"])

    assert report.online and report.tickets_pulled == 1
    assert verdict.reason is Reason.REVOKED


def test_metrics_tell_how_old_the_venues_data_is_and_how_often_sync_failed(
    store: VenueStore,
    settings: VenueSettings,
    cloud: Cloud,
    organizer: Organizer,
    cloud_venue: CloudVenue,
) -> None:
    organizer.issue(cloud_venue, 1)
    _link(store, cloud, cloud_venue)
    with serving(create_app(settings, store=store)) as server:
        _wait_for(
            lambda: httpx.get(f"{server.url}/health").json()["cloud"]["last_success_at"] is not None
        )
        assert _metric(server.url, "bilten_venue_sync_failures_total") == 0
        cloud.stop()
        cut_at = time.time()
        _wait_for(lambda: (_metric(server.url, "bilten_venue_sync_failures_total") or 0) >= 2)
        last_good = _metric(server.url, "bilten_venue_last_good_sync_timestamp")
        as_of = _metric(server.url, "bilten_venue_manifest_as_of_timestamp")
        health = httpx.get(f"{server.url}/health").json()

    # Restarted while the cloud is still away: the data is no fresher than before.
    with serving(create_app(settings, store=store)) as server:
        _wait_for(lambda: (_metric(server.url, "bilten_venue_sync_failures_total") or 0) >= 1)
        after_restart = _metric(server.url, "bilten_venue_last_good_sync_timestamp")
        restarted_health = httpx.get(f"{server.url}/health").json()
    cloud.start()

    # An alert compares these with the time now: both stopped moving when the cloud went away.
    assert last_good is not None and as_of is not None
    assert as_of <= last_good <= cut_at
    assert last_good == health["cloud"]["last_success_at"]
    assert "cannot reach the cloud" in health["cloud"]["last_error"]
    assert after_restart == last_good
    assert restarted_health["cloud"]["last_success_at"] == last_good
