"""The one factory that assembles the cloud application from explicit settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Request, Response, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from cloud.db import make_engine, make_session_factory
from cloud.deps import provide_db, provide_organizer_id, provide_settings, provide_venue
from cloud.errors import CloudError
from cloud.events.controllers import EventController
from cloud.ops.health import HealthController
from cloud.scans.controllers import EventScansController
from cloud.settings import CloudSettings
from cloud.sync.controllers import VenueSyncController
from cloud.tickets.controllers import IssueController, TicketController
from cloud.users.controllers import AuthController
from cloud.venues.controllers import VenueController


class MetricsController(PrometheusController):
    path = "/metrics"


def _cloud_error(request: Request, exc: CloudError) -> Response[dict[str, object]]:
    del request
    return Response(
        {"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code
    )


def create_app(settings: CloudSettings) -> Litestar:
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.dispose()

    organizer_api = Router(
        path="/",
        route_handlers=[
            VenueController,
            EventController,
            IssueController,
            TicketController,
            EventScansController,
        ],
        dependencies={"organizer_id": Provide(provide_organizer_id, sync_to_thread=False)},
    )
    venue_api = Router(
        path="/",
        route_handlers=[VenueSyncController],
        dependencies={"venue": Provide(provide_venue, sync_to_thread=True)},
    )
    return Litestar(
        route_handlers=[
            AuthController,
            organizer_api,
            venue_api,
            HealthController,
            MetricsController,
        ],
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "session_factory": make_session_factory(engine),
            }
        ),
        exception_handlers={CloudError: _cloud_error},
        middleware=[PrometheusConfig(app_name="bilten_cloud", prefix="bilten_cloud").middleware],
        openapi_config=OpenAPIConfig(title="Bilten cloud API", version="1.0.0", path="/schema"),
        lifespan=[lifespan],
    )
