"""Errors on pages become pages: a CloudError or an HTTP error raised while rendering one is
shown as an HTML page with its message (the JSON API keeps its JSON answers), and a page that
needs an account redirects to the login form."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap

from cloud.errors import CloudError
from cloud.ratelimit import RateLimited
from cloud.web.deps import LoginRequired, login_url
from cloud.web.security import security_headers
from cloud.web.templating import render

log = logging.getLogger("bilten.cloud.web")
# Paths whose clients read JSON, never pages.
JSON_PREFIXES = ("/api/", "/schema", "/metrics", "/health", "/media/", "/static/")

_HEADINGS = {
    400: "Please check what you entered",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "That did not work",
    410: "No longer available",
    429: "Too many attempts",
    502: "Payment service unavailable",
    503: "Temporarily unavailable",
}


def error_page(
    request: Request[Any, Any, Any],
    status_code: int,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    heading = _HEADINGS.get(status_code, "Something went wrong")
    body = render(request, "error.html", heading=heading, message=message)
    return Response(body, status_code=status_code, media_type=MediaType.HTML, headers=headers)


def _cloud_error(request: Request[Any, Any, Any], exc: CloudError) -> Response[str]:
    headers = None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": exc.decision.retry_after_header}
    if exc.status_code >= 500:
        message = "Something went wrong on our side. Please try again in a moment."
        if exc.status_code in (502, 503):
            message = exc.detail
        return error_page(request, exc.status_code, message, headers)
    return error_page(request, exc.status_code, exc.detail, headers)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[str]:
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        message = (
            "This form expired or was sent from another site. Go back, reload the page and "
            "send it again."
        )
        return error_page(request, 403, message)
    if isinstance(exc, ValidationException):
        return error_page(request, 400, "Some of the form's fields are missing or invalid.")
    if exc.status_code >= 500:
        return error_page(request, exc.status_code, "Something went wrong on our side.")
    return error_page(request, exc.status_code, str(exc.detail))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    # The handler's name, not the path: paths of carts and orders carry the buyer's token.
    log.error("page %s failed", request.route_handler.handler_name, exc_info=exc)
    return error_page(request, 500, "Something went wrong on our side. Please try again.")


def _login_required(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    del request
    return Redirect(login_url(exc.next_path), status_code=303)


def not_found(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
    """The app's answer for a path that matches no route: an HTML page for browsers, the
    API's JSON for its clients."""
    if request.url.path.startswith(JSON_PREFIXES):
        body = {"status_code": exc.status_code, "detail": exc.detail}
        return Response(body, status_code=exc.status_code)
    # Outside every page route, so the pages' security headers are added here.
    headers = security_headers(request.app.state.settings)
    return error_page(request, 404, "There is no page at this address.", headers)


PAGE_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    CloudError: _cloud_error,
    HTTPException: _http_error,
    LoginRequired: _login_required,
    Exception: _unexpected,
}
