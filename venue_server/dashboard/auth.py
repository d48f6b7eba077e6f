"""The dashboard's gate: every route behind a manager session, unsafe methods behind CSRF.

One guard sits on the whole dashboard router, so a route added later is protected unless it
says otherwise (``opt={"public": True}`` for the login form, ``{"assets": True}`` for CSS and
JS). Errors become HTTP answers in :func:`dashboard_error`: a page sends the browser to the
login form, the JSON API answers with a status and a ``detail``.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect, Template

from venue_server import managers
from venue_server.dashboard.devices import UnknownDevice
from venue_server.errors import BadRequest, PairingRefused, VenueError
from venue_server.managers import (
    CsrfRefused,
    LoginRequired,
    LoginThrottled,
    NoManagerPassword,
    WeakPassword,
)

SESSION_COOKIE = "bilten_manager"
LOGIN_COOKIE = "bilten_login"
CSRF_HEADER = "x-csrf-token"
BASE = "/dashboard"
LOGIN_PATH = f"{BASE}/login"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_STATUS: dict[type[VenueError], int] = {
    BadRequest: 400,
    WeakPassword: 400,
    LoginRequired: 401,
    CsrfRefused: 403,
    PairingRefused: 403,
    UnknownDevice: 404,
    LoginThrottled: 429,
    NoManagerPassword: 503,
}


def services_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
    return connection.app.state.services


def session_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return connection.cookies.get(SESSION_COOKIE)


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


def session_cookie(connection: ASGIConnection[Any, Any, Any, Any], token: str) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path=BASE,
        max_age=managers.SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=connection.url.scheme == "https",
    )


def expired_cookie(key: str, path: str) -> Cookie:
    return Cookie(key=key, value="", path=path, max_age=0, httponly=True, samesite="strict")


def _check(connection: ASGIConnection[Any, Any, Any, Any], opt: dict[str, Any]) -> None:
    services = services_of(connection)
    store = services.store
    if store.manager_password_hash() is None:
        raise NoManagerPassword
    if opt.get("public"):
        return
    token = session_token(connection)
    if not managers.session_active(store, token, services.now()):
        raise LoginRequired("log in to the venue dashboard first")
    if connection.scope.get("method", "GET") in _SAFE_METHODS or opt.get("csrf") == "form":
        return
    if not managers.csrf_matches(str(token), connection.headers.get(CSRF_HEADER)):
        raise CsrfRefused(
            "this request lacks the page's CSRF token (X-CSRF-Token); reload the dashboard"
        )


async def manager_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Refuse anything but a logged-in manager (and the login form, and static assets)."""
    if handler.opt.get("assets"):
        return
    # The store is SQLite behind a lock the sync job may hold for a moment: not on the loop.
    await anyio.to_thread.run_sync(_check, connection, handler.opt)


def _status(exc: VenueError) -> int:
    return next((_STATUS[k] for k in type(exc).__mro__ if k in _STATUS), 500)


def dashboard_error(request: Request[Any, Any, Any], exc: VenueError) -> Response[Any]:
    """The dashboard's single mapping from errors to answers."""
    status = _status(exc)
    page = bool(request.route_handler.opt.get("page"))
    if isinstance(exc, NoManagerPassword) and page:
        return Template("setup.html", context={"message": str(exc)}, status_code=status)
    if isinstance(exc, LoginRequired) and page:
        return Redirect(LOGIN_PATH, status_code=303)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, LoginThrottled) else None
    return Response(
        {"status_code": status, "detail": str(exc)},
        status_code=status,
        headers=headers,
        media_type=MediaType.JSON,
    )
