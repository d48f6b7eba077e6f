"""Every page route, assembled for cloud.app: the buyer's storefront and account, the
organizer's and the platform admins' pages and the static files, all behind the pages'
security headers and error pages."""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.static_files import create_static_files_router

from cloud.access import Access
from cloud.settings import CloudSettings
from cloud.web.account import AccountPages
from cloud.web.admin import ADMIN_PAGE_HANDLERS
from cloud.web.cart import CartPages
from cloud.web.deps import provide_current_user
from cloud.web.errors import PAGE_EXCEPTION_HANDLERS
from cloud.web.orders import OrderPages
from cloud.web.organizer import ORGANIZER_HANDLERS
from cloud.web.phone import AccountPhonePages
from cloud.web.security import SecurityHeaders, security_headers
from cloud.web.shop import StorefrontPages
from cloud.web.templating import STATIC_DIR, STATIC_PATH
from cloud.web.tickets import TicketPages

# Static URLs carry a content hash (templating.static_url), so a day is safe.
STATIC_MAX_AGE_S = 86_400


def web_handlers(settings: CloudSettings) -> list[Any]:
    # An organisation's pages check the visitor's membership first (cloud.web.organizer.access).
    organizer = Router(path="/", route_handlers=ORGANIZER_HANDLERS, opt={"access": Access.MEMBER})
    # The admin pages are the platform admins' alone (cloud.web.admin checks first).
    admin = Router(path="/", route_handlers=ADMIN_PAGE_HANDLERS, opt={"access": Access.ADMIN})
    pages = Router(
        path="/",
        route_handlers=[
            StorefrontPages,
            CartPages,
            OrderPages,
            TicketPages,
            AccountPages,
            AccountPhonePages,
            organizer,
            admin,
        ],
        dependencies={"current_user": Provide(provide_current_user, sync_to_thread=True)},
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        middleware=[DefineMiddleware(SecurityHeaders, headers=security_headers(settings))],
        include_in_schema=False,
    )
    static = create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE_S, public=True),
        opt={"access": Access.PUBLIC},
        middleware=[
            DefineMiddleware(SecurityHeaders, headers={"X-Content-Type-Options": "nosniff"})
        ],
    )
    return [pages, static]
