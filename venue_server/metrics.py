"""Prometheus metrics of one venue server, in a registry of its own (one per app instance).

The sync metrics are what a stale-data alert needs: when the last round succeeded, how current
the manifest is (revocations the gates may be missing), and how many rounds have failed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from shared.messages import ScanRecord
from venue_server.cloud_sync import SyncStatus
from venue_server.store import VenueStore

# A ``_created`` series beside every counter doubles what is scraped for nothing we use.
disable_created_metrics()


class VenueMetrics:
    def __init__(
        self, store: VenueStore, status: SyncStatus, wall: Callable[[], float] = time.time
    ) -> None:
        self.registry = CollectorRegistry()
        self._received = Counter(
            "bilten_venue_scans_received",
            "Scans newly stored from scanners (replays not counted)",
            registry=self.registry,
        )
        self._admitted = Counter(
            "bilten_venue_scans_admitted",
            "Received scans whose verdict was an admission, by gate",
            ["gate"],
            registry=self.registry,
        )
        self._rejected = Counter(
            "bilten_venue_scans_rejected",
            "Received scans whose verdict was not an admission, by gate and reason",
            ["gate", "reason"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "bilten_venue_request_duration_seconds",
            "Time to answer a request, by method, route and status (live streams: their life)",
            ["method", "path", "status_code"],
            registry=self.registry,
        )
        self._duplicates = Counter(
            "bilten_venue_scan_duplicates",
            "Uploaded scans the venue already held (retries after a lost answer)",
            registry=self.registry,
        )

        def sync_age() -> float:
            last = status.snapshot().last_success_at
            return math.nan if last is None else max(0.0, wall() - last)

        Gauge(
            "bilten_venue_cloud_sync_age_seconds",
            "Seconds since the last successful cloud sync (NaN: none since start)",
            registry=self.registry,
        ).set_function(sync_age)
        Gauge(
            "bilten_venue_cloud_sync_failures",
            "Consecutive failed cloud sync rounds",
            registry=self.registry,
        ).set_function(lambda: status.snapshot().failures)
        Gauge(
            "bilten_venue_last_good_sync_timestamp",
            "Unix time the last successful cloud sync round ended (NaN: none since start)",
            registry=self.registry,
        ).set_function(lambda: _or_nan(status.snapshot().last_success_at))
        Gauge(
            "bilten_venue_manifest_as_of_timestamp",
            "Unix time up to which every ticket change in the cloud, revocations included, "
            "is in this venue's manifest (NaN: no complete pull since start)",
            registry=self.registry,
        ).set_function(lambda: _or_nan(status.snapshot().manifest_as_of))
        Gauge(
            "bilten_venue_manifest_pull_remaining",
            "Ticket changes the cloud still has for this venue in the pull under way (0: done)",
            registry=self.registry,
        ).set_function(lambda: status.snapshot().pull_remaining)
        self.registry.register(_SyncFailures(status))
        Gauge(
            "bilten_venue_scans_pending_upload",
            "Scans held here that the cloud has not acknowledged yet",
            registry=self.registry,
        ).set_function(lambda: store.scan_counts()[1])

        def upload_lag() -> float:
            oldest = store.oldest_pending_received_ms()
            return 0.0 if oldest is None else max(0.0, wall() - oldest / 1000)

        Gauge(
            "bilten_venue_scan_upload_lag_seconds",
            "How long the oldest scan the cloud has not acknowledged has waited here (0: none)",
            registry=self.registry,
        ).set_function(upload_lag)

    def record_intake(self, new: Iterable[ScanRecord], duplicates: int) -> None:
        for record in new:
            self._received.inc()
            if record.admitted:
                self._admitted.labels(gate=record.gate).inc()
            else:
                self._rejected.labels(gate=record.gate, reason=record.reason.value).inc()
        if duplicates:
            self._duplicates.inc(duplicates)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self._latency.labels(method=method, path=route, status_code=str(status)).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


class _SyncFailures(Collector):
    """Failed rounds since start as a real counter, so ``increase()`` works across scrapes."""

    def __init__(self, status: SyncStatus) -> None:
        self._status = status

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "bilten_venue_sync_failures",
            "Cloud sync rounds that failed since the server started",
        )
        family.add_metric([], self._status.snapshot().failures_total)
        yield family
