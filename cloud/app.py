"""The one factory that assembles the cloud application from explicit settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Request, Response, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.prometheus import PrometheusConfig

from cloud.access import Access
from cloud.admin.controllers import (
    AdminController,
    AdminEventsController,
    AdminPlatformController,
)
from cloud.analytics.controllers import EventReportsController, OrganisationReportsController
from cloud.cache import Cache, MemoryCache, RedisCache
from cloud.db import MAX_ROW_ID, make_engine, make_session_factory
from cloud.deps import (
    ORGANIZER_DEPENDENCIES,
    provide_cache,
    provide_client_ip,
    provide_db,
    provide_rate_limiter,
    provide_settings,
    provide_shop,
    provide_venue,
)
from cloud.errors import CloudError, InvalidInput, NotFound
from cloud.events.controllers import EventController, StorefrontController, storefront_reader
from cloud.events.storefront import StorefrontCache
from cloud.media.controllers import MediaController
from cloud.notifications.controllers import HolderMessagesController
from cloud.ops.health import HealthController
from cloud.ops.logs import install_request_log, log_failures
from cloud.ops.metrics import MetricsController, RouteMetrics, app_registry
from cloud.orders.controllers import EventOrdersController, ShopController
from cloud.orders.webhooks import PaymentWebhookController
from cloud.orgs.controllers import OrganisationController
from cloud.ratelimit import (
    DEFAULT_RULES,
    RateLimited,
    RateLimiter,
    parse_networks,
    rate_limited_response,
)
from cloud.redis_client import connect as connect_redis
from cloud.scans.controllers import EventScansController
from cloud.settings import CloudSettings
from cloud.sync.controllers import VenueSyncController
from cloud.tickets.controllers import IssueController, TicketController
from cloud.users.controllers import AuthController
from cloud.venues.controllers import VenueController
from cloud.vouchers.controllers import VoucherController
from cloud.web.errors import not_found
from cloud.web.routes import web_handlers
from cloud.web.security import csrf_config
from cloud.web.templating import template_config
from shared.request_log import header


def _cloud_error(request: Request, exc: CloudError) -> Response[dict[str, object]]:
    del request
    return Response(
        {"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code
    )


async def _storable_input(request: Request) -> None:
    """Refuse, before any query runs, what no database column can hold: an id in the path
    that no row can have (negative, or past the database's integer) is a 404 like any other
    unknown id; a NUL character in the path, the query, a JSON body or a form (PostgreSQL
    text cannot hold one) is a 400. Uploaded files (multipart) may hold any byte."""
    scope = request.scope
    for name, value in scope["path_params"].items():
        if isinstance(value, int) and not 0 <= value <= MAX_ROW_ID:
            raise NotFound(f"no such {name.removesuffix('_id')}")
        if isinstance(value, str) and "\x00" in value:
            raise InvalidInput(f"{name} must not contain a NUL character")
    # Read from the raw query only when it could hold one (most requests have no query).
    query = scope["query_string"]
    if b"%00" in query or b"\x00" in query:
        for name, value in request.query_params.multi_items():
            if "\x00" in value:
                raise InvalidInput(f"{name} must not contain a NUL character")
    kind = (header(scope, b"content-type") or "").partition(";")[0].strip().lower()
    nul = _NUL_IN_BODY.get("json" if kind.endswith(("/json", "+json")) else kind)
    if nul is not None and nul in await request.body():
        raise InvalidInput("text must not contain a NUL character")


# How a NUL character is spelled in the bodies that carry text.
_NUL_IN_BODY = {"json": b"\\u0000", "application/x-www-form-urlencoded": b"%00"}


def create_app(settings: CloudSettings) -> Litestar:
    engine = make_engine(settings.database_url, pool=settings.database_pool)
    redis = connect_redis(settings.redis_url) if settings.redis_url else None
    cache: Cache = RedisCache(redis, settings.redis_prefix) if redis is not None else MemoryCache()
    sessions = make_session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.dispose()
            if redis is not None:
                redis.close()

    organizer_api = Router(
        path="/",
        route_handlers=[
            VenueController,
            EventController,
            IssueController,
            TicketController,
            EventScansController,
            EventOrdersController,
            VoucherController,
            HolderMessagesController,
            EventReportsController,
            OrganisationReportsController,
        ],
        dependencies=ORGANIZER_DEPENDENCIES,
    )
    venue_api = Router(
        path="/",
        route_handlers=[VenueSyncController],
        dependencies={"venue": Provide(provide_venue, sync_to_thread=True)},
    )
    app = Litestar(
        route_handlers=[
            AuthController,
            OrganisationController,
            AdminController,
            AdminEventsController,
            AdminPlatformController,
            StorefrontController,
            MediaController,
            ShopController,
            PaymentWebhookController,
            organizer_api,
            venue_api,
            HealthController,
            MetricsController,
            *web_handlers(settings),
        ],
        dependencies={
            "db": Provide(provide_db),
            "shop": Provide(provide_shop),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "rate_limiter": Provide(provide_rate_limiter, sync_to_thread=False),
            "client_ip": Provide(provide_client_ip, sync_to_thread=False),
            "cache": Provide(provide_cache, sync_to_thread=False),
        },
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "session_factory": sessions,
                "metrics_registry": app_registry(sessions),
                "rate_limiter": RateLimiter(
                    {**DEFAULT_RULES, **settings.rate_limits}, redis, settings.redis_prefix
                ),
                "trusted_proxies": parse_networks(settings.trusted_proxies),
                "cache": cache,
                "storefronts": StorefrontCache(
                    storefront_reader(sessions, settings), settings.storefront_cache_s
                ),
                # For the readiness check; None when Redis is not configured.
                "redis": redis,
            }
        ),
        before_request=_storable_input,
        exception_handlers={
            CloudError: _cloud_error,
            RateLimited: rate_limited_response,
            NotFoundException: not_found,
        },
        # group_path: requests are counted by route ("/api/v1/shop/holds/{token}"), not by
        # the path asked for, which would make a new time series of every buyer's token.
        middleware=[
            PrometheusConfig(
                app_name="bilten_cloud",
                prefix="bilten_cloud",
                group_path=True,
                middleware_class=RouteMetrics,
            ).middleware
        ],
        template_config=template_config(),
        csrf_config=csrf_config(settings),
        openapi_config=OpenAPIConfig(
            title="Bilten cloud API",
            version="1.0.0",
            path="/schema",
            openapi_router=Router(path="/schema", route_handlers=[], opt={"access": Access.PUBLIC}),
        ),
        lifespan=[lifespan],
        # The commands set logging up (cloud.ops.logs); Litestar's default would replace it.
        logging_config=None,
        after_exception=[log_failures()],
    )
    install_request_log(app, settings)
    return app
