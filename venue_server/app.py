"""The venue server's HTTP application: the scanner API of docs/protocol.md plus ops endpoints.

Controllers only translate HTTP to the services in ``pairing`` and ``relay``; every deliberate
error reaches the client through the single mapping in ``_error_response``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Litestar, MediaType, Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.params import QueryParameter, RawBody
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST

from shared.errors import BiltenError, ProtocolError
from shared.messages import ManifestPage, PairRequest, PairResponse, ScanAck, ScanFeed, decode
from shared.request_log import RequestLog, failure_logger
from venue_server import live, pairing, relay
from venue_server.access import Access
from venue_server.cloud_sync import ClientFactory, SyncRunner, SyncScheduler, SyncStatus
from venue_server.dashboard import dashboard_router, template_config
from venue_server.dashboard.devices import Heartbeat, assignment_headers, note_request
from venue_server.errors import (
    BadRequest,
    CloudError,
    DeviceUnauthorized,
    ForeignScan,
    NotPaired,
    PairingRefused,
    VenueError,
)
from venue_server.managers import LoginThrottle
from venue_server.metrics import VenueMetrics
from venue_server.settings import VenueSettings
from venue_server.store import Device, VenueStore

if TYPE_CHECKING:
    from venue_server.discovery import VenueAnnouncer

DEFAULT_PAGE = 500

Cursor = Annotated[
    str, QueryParameter(max_length=64, description="next_cursor of the last page; empty: start")
]
Limit = Annotated[int, QueryParameter(ge=1, le=relay.MAX_PAGE, description="page size")]

# The one place where errors become HTTP statuses; the most specific class listed wins.
_STATUS: dict[type[BiltenError], int] = {
    ProtocolError: 400,
    BadRequest: 400,
    DeviceUnauthorized: 401,
    PairingRefused: 403,
    ForeignScan: 403,
    NotPaired: 409,
    CloudError: 502,
    VenueError: 500,
}


def _error_response(_: Request[Any, Any, Any], exc: BiltenError) -> Response[dict[str, Any]]:
    status = next((_STATUS[k] for k in type(exc).__mro__ if k in _STATUS), 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(
        {"status_code": status, "detail": str(exc)},
        status_code=status,
        headers=headers,
        media_type=MediaType.JSON,
    )


@dataclass(frozen=True, slots=True)
class VenueServices:
    settings: VenueSettings
    store: VenueStore
    status: SyncStatus
    metrics: VenueMetrics
    clock: Callable[[], float]
    # Failed manager logins per client address, in this process.
    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    def now(self) -> int:
        return int(self.clock())


Services = NamedDependency[VenueServices]
ScannerDevice = NamedDependency[Device]


def provide_services(state: State) -> VenueServices:
    services: VenueServices = state.services
    return services


# Where provide_device leaves the device for tell_assignment, in the request's ASGI scope.
_DEVICE_SCOPE_KEY = "bilten.device"


def provide_device(request: Request[Any, Any, Any], services: Services) -> Device:
    """The device behind the request's token; the request is its heartbeat too."""
    arrived_ms = int(services.clock() * 1000)
    device = pairing.authenticate(
        services.store, request.headers.get("authorization"), arrived_ms // 1000
    )
    note_request(services.store, device, Heartbeat.from_headers(request.headers), arrived_ms)
    request.scope[_DEVICE_SCOPE_KEY] = device  # type: ignore[literal-required]
    return device


def tell_assignment(app: ASGIApp) -> ASGIApp:
    """ASGI middleware for the scanner API: the answer to a device's request carries the name
    and gate the manager gave it (``shared.assignment``), so a scanner moved to another gate
    on the dashboard learns it with its next request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_assignment(message: Message) -> None:
            device = scope.get(_DEVICE_SCOPE_KEY)  # type: ignore[misc]
            if message["type"] == "http.response.start" and isinstance(device, Device):
                message["headers"] = [*message.get("headers", ()), *assignment_headers(device)]
            await send(message)

        await app(scope, receive, send_with_assignment)

    return middleware


class ScannerController(Controller):
    """The API scanners on the venue LAN call; see docs/protocol.md."""

    path = "/api/v1"
    tags = ["scanner"]
    dependencies = {"device": Provide(provide_device, sync_to_thread=True)}
    middleware = [tell_assignment]

    @post("/pair", status_code=200, sync_to_thread=True, opt={"access": Access.PAIRING_CODE})
    def pair(self, body: RawBody, services: Services) -> PairResponse:
        """Trade a one-time pairing code (a `PairRequest`) for a device token."""
        request = decode(body, PairRequest)
        return pairing.pair_device(services.store, request, services.now())

    @get("/manifest", sync_to_thread=True)
    def manifest(
        self,
        device: ScannerDevice,
        services: Services,
        cursor: Cursor = "",
        limit: Limit = DEFAULT_PAGE,
    ) -> ManifestPage:
        """The venue's manifest from `cursor` on: every event and key, and changed tickets."""
        return relay.manifest_page(services.store, cursor, limit)

    @post("/scans", status_code=200, sync_to_thread=True)
    def upload_scans(self, device: ScannerDevice, body: RawBody, services: Services) -> ScanAck:
        """Store a `ScanBatch` of this device's scans; replays store nothing twice."""
        intake = relay.receive_scans(services.store, device, body, time.time_ns() // 1_000_000)
        services.metrics.record_intake(intake.new, intake.ack.duplicates)
        return intake.ack

    @get("/scans", sync_to_thread=True)
    def scan_feed(
        self,
        device: ScannerDevice,
        services: Services,
        cursor: Cursor = "",
        limit: Limit = DEFAULT_PAGE,
    ) -> ScanFeed:
        """Every scan this venue holds, from every gate, in arrival order after `cursor`."""
        return relay.scan_feed(services.store, cursor, limit)


@get("/health", sync_to_thread=True, tags=["ops"], opt={"access": Access.PUBLIC})
def health(services: Services) -> dict[str, Any]:
    sync = services.status.snapshot()
    scans, pending = services.store.scan_counts()
    link = services.store.cloud_link()
    now = services.clock()
    return {
        "status": "ok",
        "venue_name": link.venue_name if link else "",
        "paired": link is not None,
        "devices": sum(1 for d in services.store.devices() if not d.revoked),
        "tickets": services.store.ticket_count(),
        "scans": scans,
        "scans_pending_upload": pending,
        "cloud": {
            "url": link.url if link else None,
            "last_success_at": sync.last_success_at,
            "last_sync_age_seconds": (
                None if sync.last_success_at is None else round(now - sync.last_success_at, 3)
            ),
            "last_error": sync.last_error,
            "last_error_at": sync.last_error_at,
            "failures": sync.failures,
            "backoff_seconds": sync.backoff_seconds,
        },
    }


class Liveness(msgspec.Struct):
    status: str


class CloudLinkState(msgspec.Struct):
    """``unpaired``, ``online`` (the last round worked) or ``offline`` (it failed; the venue
    goes on serving its gates from what it holds)."""

    state: str
    last_sync_age_seconds: float | None
    failures: int


class Readiness(msgspec.Struct):
    status: str
    store: str
    cloud: CloudLinkState


@get("/health/live", sync_to_thread=False, tags=["ops"], opt={"access": Access.PUBLIC})
def health_live() -> Liveness:
    """The process runs and answers."""
    return Liveness(status="ok")


@get("/health/ready", sync_to_thread=True, tags=["ops"], opt={"access": Access.PUBLIC})
def health_ready(services: Services) -> Response[Readiness]:
    """Ready to serve gates when its database answers. Being offline from the cloud does not
    make it unready: gates must go on being served; the cloud's state is reported."""
    try:
        services.store.ping()
        store = "ok"
    except sqlite3.Error as exc:
        store = type(exc).__name__
    sync = services.status.snapshot()
    if not sync.paired:
        link = "unpaired"
    else:
        link = "online" if sync.last_success_at is not None and sync.failures == 0 else "offline"
    age = None if sync.last_success_at is None else services.clock() - sync.last_success_at
    body = Readiness(
        status="ok" if store == "ok" else "unavailable",
        store=store,
        cloud=CloudLinkState(
            state=link,
            last_sync_age_seconds=None if age is None else round(age, 3),
            failures=sync.failures,
        ),
    )
    return Response(body, status_code=200 if store == "ok" else 503)


@get(
    "/metrics",
    sync_to_thread=True,
    tags=["ops"],
    include_in_schema=False,
    opt={"access": Access.PUBLIC},
)
def metrics(services: Services) -> Response[bytes]:
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)


class VenueApp(Litestar):
    """The venue server's application; it also knows what to end when the server stops."""

    def begin_stop(self) -> None:
        """A stop has begun: end the responses that never finish by themselves (the live
        feed's streams) now, so the server does not wait out its graceful-shutdown timeout
        for them. Whoever runs the app calls this before waiting for open requests.

        The cloud sync is told too: the page or scan batch it is exchanging lands whole, and
        no other starts, so the stop waits for one batch, not a whole backlog."""
        live.end_streams(self)
        stop_sync: Callable[[], None] | None = self.state.get("stop_sync")
        if stop_sync is not None:
            stop_sync()


def create_app(
    settings: VenueSettings,
    *,
    store: VenueStore | None = None,
    sync: bool = True,
    client_factory: ClientFactory | None = None,
    clock: Callable[[], float] = time.time,
    announcer: VenueAnnouncer | None = None,
    throttle: LoginThrottle | None = None,
) -> VenueApp:
    """The venue server for ``settings``; ``store`` defaults to the one in its data dir.

    With ``sync`` the cloud sync job runs while the app does, if the venue is paired; each
    ticket change it pulls is announced on the live feed at once. An ``announcer`` announces
    the server on the LAN from startup until shutdown. ``throttle`` limits failed manager
    logins (default: 5 per address in 5 minutes). The live feed's hub comes with default
    settings; ``venue_server.live.install`` replaces it before the app serves.
    """
    owns_store = store is None
    venue_store = store if store is not None else VenueStore(settings.db_path)
    status = SyncStatus()
    status.mark_paired(venue_store.cloud_link() is not None)
    services = VenueServices(
        settings=settings,
        store=venue_store,
        status=status,
        metrics=VenueMetrics(venue_store, status, clock),
        clock=clock,
        throttle=throttle or LoginThrottle(),
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Serving (again): a stop that ended the live streams is over.
        live.hub_of(app).reopen()
        scheduler: SyncScheduler | None = None
        if sync and venue_store.cloud_link() is not None:
            runner = SyncRunner(
                venue_store,
                settings,
                status,
                client_factory=client_factory,
                wall=clock,
                # Looked up at each change, so a hub installed after create_app is the one told.
                tickets_changed=lambda: live.hub_of(app).manifest_changed(),
            )
            scheduler = SyncScheduler(runner, settings.sync_interval)
            app.state.stop_sync = runner.stop_after_batch
            scheduler.start()
        if announcer is not None:
            await anyio.to_thread.run_sync(announcer.start)
        try:
            yield
        finally:
            if announcer is not None:
                # First, so gates stop being offered a server that is going away.
                await anyio.to_thread.run_sync(announcer.stop)
            if scheduler is not None:
                # Waits for a round in flight, so its page lands whole before we close.
                await anyio.to_thread.run_sync(scheduler.stop)
            if owns_store:
                venue_store.close()

    app = VenueApp(
        route_handlers=[
            ScannerController,
            live.live_feed,
            health,
            health_live,
            health_ready,
            metrics,
            dashboard_router(),
        ],
        template_config=template_config(),
        dependencies={"services": Provide(provide_services, sync_to_thread=False)},
        exception_handlers={VenueError: _error_response, ProtocolError: _error_response},
        lifespan=[lifespan],
        state=State({"services": services}),
        openapi_config=OpenAPIConfig(
            title="Bilten venue server",
            version="1",
            description="Scanner API of the Bilten venue server (sync protocol v1).",
            path="/schema",
            openapi_router=Router(path="/schema", route_handlers=[], opt={"access": Access.PUBLIC}),
        ),
        # `bilten venue serve` sets logging up (venue_server.logs); Litestar's would replace it.
        logging_config=None,
        # Unexpected errors with their traceback; the venue's own errors are answers.
        after_exception=[failure_logger(deliberate=(BiltenError,))],
    )
    # In front of everything the app answers, unknown paths included. The venue LAN has no
    # reverse proxy, so every request gets an id of its own.
    app.asgi_handler = RequestLog(app.asgi_handler, observe=services.metrics.observe_request)
    # Now, on this thread: the sync job's thread and the first stream must find one hub.
    live.install(app)
    return app
