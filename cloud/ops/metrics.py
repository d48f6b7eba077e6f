"""The cloud's Prometheus metrics, at ``/metrics`` of every API process.

Request counts and latency come from Litestar's middleware (``bilten_cloud_requests_total``,
``bilten_cloud_request_duration_seconds``, by route; :class:`RouteMetrics`). This module adds:

* scans received from venue servers, admitted or rejected, per venue and gate, counted when
  first stored (a re-sent batch counts nothing twice);
* from the database, read at scrape time with a few indexed counts: the email outbox (queued
  and dead messages, the oldest one waiting), holds keeping seats off sale, and holds whose
  time ran out but whose seats the worker has not put back yet.

Counters live in the process: behind a load balancer each API process is scraped on its own
address, and Prometheus adds them up (``sum by (...)``). The database figures are the same
from every process; dashboards take ``max`` of them. ``bilten cloud serve --workers N`` runs
N processes on one port, where a scrape reaches only one of them: they keep their counters
in files in ``PROMETHEUS_MULTIPROC_DIR`` (made for them), and each /metrics adds up all.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from cloud.access import Access
from cloud.clock import now_s
from cloud.notifications.models import OutboxMessage, OutboxStatus
from cloud.orders.models import Hold, HoldItem, HoldState
from shared.messages import ScanRecord

# A ``_created`` series beside every counter doubles what is scraped for nothing we use.
disable_created_metrics()

SCANS_ADMITTED = Counter(
    "bilten_cloud_scans_admitted",
    "Scans received from venue servers whose verdict was an admission",
    ["venue_id", "gate"],
)
SCANS_REJECTED = Counter(
    "bilten_cloud_scans_rejected",
    "Scans received from venue servers whose verdict was not an admission, by reason",
    ["venue_id", "gate", "reason"],
)


class RouteMetrics(PrometheusMiddleware):
    """Litestar's request metrics, under the same names and labels (method, route as
    ``group_path`` gives it, status code, app name), counted for less: no request object,
    no full URL, and each route's labelled series looked up once and then kept. On a busy
    API process the metrics had cost more than a cached answer itself."""

    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(app, config)
        # The series this middleware (one per route handler) counted into, once looked up:
        # per (app name, method, route) and per (..., status).
        self._in_progress: dict[tuple[str, str, str], Gauge] = {}
        self._finished: dict[tuple[str, str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"] if scope["type"] == ScopeType.HTTP else str(scope["type"])
        route = (self._config.app_name, method, scope["path_template"])
        began = time.perf_counter()
        status, seconds = 200, 0.0

        async def timed(message: Message) -> None:
            nonlocal status, seconds
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                seconds = time.perf_counter() - began
            await send(message)

        in_progress = self._in_progress.get(route) or self._series_in_progress(route)
        in_progress.inc()
        try:
            await self.app(scope, receive, timed)
        finally:
            in_progress.dec()
            finished = (*route, status)
            count, duration = self._finished.get(finished) or self._series_finished(finished)
            count.inc()
            duration.observe(seconds)
            if status >= HTTP_500_INTERNAL_SERVER_ERROR:
                labels = self._labels(finished)
                self.requests_error_count(labels).labels(*labels.values()).inc()

    @staticmethod
    def _labels(key: tuple[str, str, str] | tuple[str, str, str, int]) -> dict[str, Any]:
        """The labels in Litestar's order (its metrics were made with these names)."""
        app_name, method, path, *status = key
        code = status[0] if status else 200
        return {"method": method, "path": path, "status_code": code, "app_name": app_name}

    def _series_in_progress(self, route: tuple[str, str, str]) -> Gauge:
        labels = self._labels(route)
        gauge = self.requests_in_progress(labels).labels(*labels.values())
        self._in_progress[route] = gauge
        return gauge

    def _series_finished(self, key: tuple[str, str, str, int]) -> tuple[Counter, Histogram]:
        labels = self._labels(key)
        values = labels.values()
        series = (
            self.request_count(labels).labels(*values),
            self.request_time(labels).labels(*values),
        )
        self._finished[key] = series
        return series


def record_scans(venue_id: int, new: Iterable[ScanRecord]) -> None:
    """Count scans stored for the first time."""
    for scan in new:
        if scan.admitted:
            SCANS_ADMITTED.labels(venue_id=str(venue_id), gate=scan.gate).inc()
        else:
            SCANS_REJECTED.labels(
                venue_id=str(venue_id), gate=scan.gate, reason=scan.reason.value
            ).inc()


class DatabaseFigures(Collector):
    """Outbox and hold figures, read from the database at each scrape."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], int] = now_s) -> None:
        self._sessions = sessions
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "bilten_cloud_metrics_database_up",
            "Whether the database answered this scrape's queries (0: the figures are missing)",
        )
        try:
            with self._sessions() as session:
                figures = list(self._figures(session))
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures

    def _figures(self, session: Session) -> Iterator[Metric]:
        now = self._clock()
        by_status = dict(
            session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.DEAD]))
                .group_by(OutboxMessage.status)
            ).all()
        )
        outbox = GaugeMetricFamily(
            "bilten_cloud_outbox_messages",
            "Emails in the outbox by status: queued (waiting to be sent) or dead (given up on)",
            labels=["status"],
        )
        for status in (OutboxStatus.QUEUED, OutboxStatus.DEAD):
            outbox.add_metric([status], by_status.get(status, 0))
        yield outbox
        oldest = session.scalar(
            select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == OutboxStatus.QUEUED
            )
        )
        yield GaugeMetricFamily(
            "bilten_cloud_outbox_oldest_queued_age_seconds",
            "How long the oldest queued email has waited (0: none waiting)",
            value=0 if oldest is None else max(0, now - oldest),
        )
        holds, seats = session.execute(
            select(
                func.count(func.distinct(Hold.id)), func.coalesce(func.sum(HoldItem.quantity), 0)
            )
            .join(HoldItem, HoldItem.hold_id == Hold.id)
            .where(Hold.state == HoldState.ACTIVE, Hold.expires_at > now)
        ).one()
        yield GaugeMetricFamily(
            "bilten_cloud_active_holds", "Buyers' holds keeping seats off sale", value=holds
        )
        yield GaugeMetricFamily(
            "bilten_cloud_held_seats", "Seats kept off sale by active holds", value=seats
        )
        ran_out = session.scalar(
            select(func.count())
            .select_from(Hold)
            .where(Hold.state == HoldState.ACTIVE, Hold.expires_at <= now)
        )
        yield GaugeMetricFamily(
            "bilten_cloud_holds_awaiting_release",
            "Holds whose time ran out and whose seats the worker has not put back on sale yet",
            value=ran_out or 0,
        )


def app_registry(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """What one app adds to its process's metrics (tests build several apps per process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseFigures(sessions))
    return registry


MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def share_metrics_between_workers() -> None:
    """Before ``serve --workers N`` starts its processes, which share one port: each writes
    its counters to files in a new folder, and /metrics (answered by whichever process gets
    the scrape) adds them all up. A folder the operator chose is used as it is."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        return
    folder = tempfile.mkdtemp(prefix="bilten-metrics-")
    os.environ[MULTIPROCESS_VARIABLE] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)


def _process_registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROCESS_VARIABLE):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


class MetricsController(Controller):
    path = "/metrics"
    include_in_schema = False
    # For the monitoring system; the reverse proxy keeps it off the public internet.
    opt = {"access": Access.PUBLIC}

    @get("/", sync_to_thread=True)
    def metrics(self, state: State) -> Response[bytes]:
        body = generate_latest(_process_registry()) + generate_latest(state.metrics_registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
