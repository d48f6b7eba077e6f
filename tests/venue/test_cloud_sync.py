from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from shared.messages import ManifestPage, ScanBatch, encode
from tests.support import free_port, serving
from tests.venue.cloud_double import CloudDouble
from tests.venue.conftest import Issuer, Venue, scan
from venue_server.app import create_app
from venue_server.cloud_sync import SyncRunner
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore

KEY = "venue-key-123"


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


def _pages(issuer: Issuer, count: int, per_page: int) -> list[ManifestPage]:
    pages = []
    for n in range(count):
        tickets = [issuer.issue()[1] for _ in range(per_page)]
        pages.append(issuer.page(tickets, f"cur-{n + 1}", has_more=n + 1 < count))
    return pages


def test_a_round_pulls_every_page_and_uploads_pending_scans(
    store: VenueStore, settings: VenueSettings, issuer: Issuer
) -> None:
    cloud = CloudDouble(KEY, _pages(issuer, 3, 2))
    records = [scan("dtablet1") for _ in range(5)]
    store.add_scans(records, 0)
    small_batches = VenueSettings(data_dir=settings.data_dir, upload_batch=2)

    with serving(cloud.app()) as server:
        store.set_cloud_link(CloudLink(server.url, KEY, "Hall"))
        runner = SyncRunner(store, small_batches)
        assert runner.run_once()

    assert cloud.cursors_asked == ["", "cur-1", "cur-2"]
    assert store.ticket_count() == 6
    assert store.cloud_cursor() == "cur-3"
    assert set(cloud.received) == {r.scan_id for r in records}
    assert store.scan_counts() == (5, 0)
    assert runner.status.snapshot().last_success_at is not None


def test_a_failure_mid_manifest_keeps_applied_pages_and_resumes_after_them(
    store: VenueStore, settings: VenueSettings, issuer: Issuer
) -> None:
    cloud = CloudDouble(KEY, _pages(issuer, 3, 2), failing_cursors={"cur-2"})
    with serving(cloud.app()) as server:
        store.set_cloud_link(CloudLink(server.url, KEY, "Hall"))
        runner = SyncRunner(store, settings)

        assert not runner.run_once()
        assert store.ticket_count() == 4
        assert store.cloud_cursor() == "cur-2"
        assert "500" in str(runner.status.snapshot().last_error)

        cloud.failing_cursors.clear()
        cloud.cursors_asked.clear()
        assert runner.run_once()

    assert cloud.cursors_asked == ["cur-2"]
    assert store.ticket_count() == 6


def test_only_scans_the_cloud_acknowledged_are_marked_uploaded(
    store: VenueStore, settings: VenueSettings, issuer: Issuer
) -> None:
    cloud = CloudDouble(KEY, _pages(issuer, 1, 1), ack_limit=2)
    records = [scan("dtablet1") for _ in range(3)]
    store.add_scans(records, 0)
    with serving(cloud.app()) as server:
        store.set_cloud_link(CloudLink(server.url, KEY, "Hall"))
        runner = SyncRunner(store, settings)

        assert not runner.run_once()
        assert store.scan_counts() == (3, 1)
        assert [r.scan_id for r in store.pending_scans(10)] == [records[2].scan_id]

        cloud.ack_limit = None
        assert runner.run_once()

    assert store.scan_counts() == (3, 0)
    assert set(cloud.received) == {r.scan_id for r in records}


def test_a_refused_key_is_recorded_and_nothing_is_uploaded(
    store: VenueStore, settings: VenueSettings, issuer: Issuer
) -> None:
    cloud = CloudDouble(KEY, _pages(issuer, 1, 1))
    store.add_scans([scan("dtablet1")], 0)
    with serving(cloud.app()) as server:
        store.set_cloud_link(CloudLink(server.url, "wrong-key", "Hall"))
        runner = SyncRunner(store, settings)
        assert not runner.run_once()

    assert "refused the venue key" in str(runner.status.snapshot().last_error)
    assert cloud.received == {}
    assert store.scan_counts() == (1, 1)


def test_an_unreachable_cloud_backs_off_exponentially_up_to_the_cap(
    store: VenueStore, settings: VenueSettings
) -> None:
    store.set_cloud_link(CloudLink(f"http://127.0.0.1:{free_port()}", KEY, "Hall"))
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
    store.set_cloud_link(CloudLink(f"http://127.0.0.1:{free_port()}", KEY, "Hall"))
    with serving(create_app(settings, store=store)) as server:
        venue = Venue(server.url, store, settings)

        def health() -> dict[str, object]:
            return httpx.get(f"{server.url}/health", timeout=5).json()

        _wait_for(lambda: health()["cloud"]["failures"] >= 3)  # type: ignore[index]
        report = health()
        # Scanners are served as usual while the cloud is away.
        device = venue.pair()
        with venue.client(device.device_token) as http:
            answer = http.post("/api/v1/scans", content=encode(ScanBatch(scans=[scan(device)])))

    cloud = report["cloud"]
    assert report["status"] == "ok" and report["paired"] is True
    assert "cannot reach the cloud" in cloud["last_error"]  # type: ignore[index]
    assert cloud["backoff_seconds"] >= 0.8  # type: ignore[index,operator]
    assert cloud["last_success_at"] is None  # type: ignore[index]
    assert answer.status_code == 200


def test_a_running_venue_syncs_on_its_own_and_scanners_get_the_tickets(
    store: VenueStore, settings: VenueSettings, issuer: Issuer
) -> None:
    cloud = CloudDouble(KEY, _pages(issuer, 2, 3))
    with serving(cloud.app()) as cloud_server:
        store.set_cloud_link(CloudLink(cloud_server.url, KEY, "Hall"))
        with serving(create_app(settings, store=store)) as server:
            venue = Venue(server.url, store, settings)
            device = venue.pair()
            with venue.client(device.device_token) as http:
                http.post("/api/v1/scans", content=encode(ScanBatch(scans=[scan(device)])))
                _wait_for(
                    lambda: (
                        len(cloud.received) == 1
                        and http.get("/health").json()["scans_pending_upload"] == 0
                        and http.get("/health").json()["cloud"]["last_success_at"] is not None
                    )
                )
                manifest = http.get("/api/v1/manifest").json()
                health = http.get("/health").json()

    assert len(manifest["tickets"]) == 6
    assert manifest["keys"] == [
        {
            "key_id": issuer.key_id,
            "event_id": issuer.event_id,
            "public_key": issuer.key_entry.public_key,
        }
    ]
    assert health["venue_name"] == "Hall"
    assert health["cloud"]["last_error"] is None
    assert health["cloud"]["last_sync_age_seconds"] is not None
