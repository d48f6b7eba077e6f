"""The cloud's logs: the request log in front of the app, and the log set-up of its commands.

See ``shared.logs`` for the line format and how secrets are kept out, and
``shared.request_log`` for request ids and the access line.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from litestar import Litestar

from cloud.errors import CloudError
from cloud.ratelimit import is_trusted, parse_networks, scope_client_ip
from cloud.settings import CloudSettings
from cloud.web.errors import JSON_PREFIXES
from shared.logs import configure_logging
from shared.request_log import RequestLog, Scope, failure_logger


def install_request_log(app: Litestar, settings: CloudSettings) -> None:
    """Put the request log in front of everything the app answers, unknown paths included
    (Litestar's own middleware only sees requests that matched a route)."""
    trusted = parse_networks(settings.trusted_proxies)

    def trusted_peer(host: str) -> bool:
        return is_trusted(host, trusted)

    def client_of(scope: Scope) -> str:
        return scope_client_ip(scope, trusted)

    app.asgi_handler = RequestLog(app.asgi_handler, trusted_peer=trusted_peer, client_of=client_of)


def log_failures() -> Callable[[Exception, Scope], Awaitable[None]]:
    """Unexpected errors of the API written with their traceback; the pages log their own
    (cloud.web.errors), and domain errors are answers, not failures."""

    def page(scope: Scope) -> bool:
        return not str(scope.get("path", "")).startswith(JSON_PREFIXES)

    return failure_logger(deliberate=(CloudError,), logged_elsewhere=page)


def configure_cloud_logging(settings: CloudSettings) -> None:
    """JSON or text lines at the configured level, without the secrets in ``settings``."""
    configure_logging(
        json_lines=settings.log_json, level=settings.log_level, secrets=secret_values(settings)
    )


def secret_values(settings: CloudSettings) -> list[str]:
    """Every secret the cloud was started with, in the forms it could be printed in."""
    values = [
        settings.jwt_secret,
        base64.b64encode(settings.master_key).decode("ascii"),
        settings.master_key.hex(),
        settings.stripe_secret_key or "",
        settings.stripe_webhook_secret or "",
    ]
    if settings.smtp is not None and settings.smtp.password:
        values.append(settings.smtp.password)
    if settings.sms is not None:
        values.append(settings.sms.token)
    for url in (settings.database_url, settings.redis_url or ""):
        password = urlsplit(url).password
        if password:
            values.append(password)
    return [value for value in values if value]
