"""The request log both servers put in front of their application (plain ASGI, no framework).

Each HTTP request gets an id: the ``X-Request-ID`` a trusted reverse proxy sent (nginx sends
its ``$request_id``), else a new one. The id is returned in the response's ``X-Request-ID``
header and is on every log line written while the request is served, so one request can be
followed from the proxy through the API process into the database errors it caused.

When the response is done one access line is written (logger ``bilten.access``) with the
method, the path, the status, the duration and the client. Paths carry secrets (a buyer's
hold and order tokens are in the URL, reset links carry theirs in the query), so the line
never shows the raw path: a routed request shows its route with the secret parameters left
as ``{token}``, an unrouted one has every token-like segment masked, and of the query only
the names are kept, with the values of a few harmless ones (``cursor``, ``limit``, ``page``).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import structlog

from shared.logs import REDACTED

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = "X-Request-ID"
_HEADER_KEY = b"x-request-id"
# What a proxy's id may look like: nginx's is 32 hex digits. Anything else is replaced, so a
# client cannot write arbitrary text (or a fake second line) into the log.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Path parameters that are credentials: a hold's or order's token.
SECRET_PATH_PARAMS = frozenset({"token", "key", "secret", "code"})
# Query parameters whose values are worth keeping; all others show their name only.
PLAIN_QUERY_PARAMS = frozenset({"cursor", "limit", "page"})
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
# A path segment that might be a token: long and made of token characters.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{20,}")
# Line breaks and other control characters in a (percent-decoded) path would fake log lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_LOGGED_PATH = 1000

log = logging.getLogger("bilten.access")
errors = logging.getLogger("bilten.errors")


# Called after each request with (method, route, status, seconds); the route is the path
# template (``/api/v1/scans``), or UNMATCHED, so labels stay few and carry no token.
Observer = Callable[[str, str, int, float], None]
UNMATCHED = "unmatched"


def _always_false(_host: str) -> bool:
    return False


class RequestLog:
    """ASGI middleware: a request id for every request, and one access line after it.

    ``trusted_peer(host)`` says whether the connection's peer is a reverse proxy whose
    ``X-Request-ID`` is believed (default: none is); ``client_of(scope)`` names the client
    for the access line (default: the peer's address); ``observe`` hears of every finished
    request, for a latency metric.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_peer: Callable[[str], bool] = _always_false,
        client_of: Callable[[Scope], str] | None = None,
        observe: Observer | None = None,
    ) -> None:
        self.app = app
        self._trusted_peer = trusted_peer
        self._client_of = client_of or peer_host
        self._observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        started = time.perf_counter()
        status = 500  # what the server answers if the application fails before answering

        logged = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, logged
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [h for h in message.get("headers", ()) if h[0].lower() != _HEADER_KEY]
                headers.append((_HEADER_KEY, request_id.encode("ascii")))
                message["headers"] = headers
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Before the last bytes go out: a client that has its answer finds the line
                # written (and the metric counted).
                logged = True
                self._log(scope, status, started)
            await send(message)

        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if not logged:
                self._log(scope, status, started)
            structlog.contextvars.reset_contextvars(**bound)

    def _request_id(self, scope: Scope) -> str:
        given = header(scope, _HEADER_KEY)
        if given and _VALID_ID.fullmatch(given) and self._trusted_peer(peer_host(scope)):
            return given
        return os.urandom(16).hex()

    def _log(self, scope: Scope, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        method = str(scope.get("method", ""))
        if self._observe is not None:
            template = scope.get("path_template")
            route = template if isinstance(template, str) and template else UNMATCHED
            self._observe(method, route, status, seconds)
        path = loggable_path(scope)
        log.info(
            "%s %s %d",
            method,
            path,
            status,
            extra={
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "client": self._client_of(scope),
            },
        )


def failure_logger(
    *,
    deliberate: tuple[type[BaseException], ...] = (),
    logged_elsewhere: Callable[[Scope], bool] = lambda _scope: False,
) -> Callable[[Exception, Scope], Awaitable[None]]:
    """A hook for the application's exceptions (Litestar's ``after_exception``): an error
    that becomes a 500 without anyone having meant it is written, with its traceback, to
    ``bilten.errors``, under the request's id. Errors of the ``deliberate`` kinds (the
    servers' own, answered on purpose), anything answered below 500, and requests whose
    failures ``logged_elsewhere`` are left alone."""

    async def log_failure(exc: Exception, scope: Scope) -> None:
        status = getattr(exc, "status_code", 500)
        if isinstance(exc, deliberate) or not isinstance(status, int) or status < 500:
            return
        if logged_elsewhere(scope):
            return
        method = str(scope.get("method", ""))
        errors.error(
            "%s %s failed: %s", method, loggable_path(scope), type(exc).__name__, exc_info=exc
        )

    return log_failure


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            text: str = value.decode("latin-1")
            return text
    return None


def peer_host(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def loggable_path(scope: Scope, secret_params: Collection[str] = SECRET_PATH_PARAMS) -> str:
    """The request's path and query as the access log may show them (see the module doc)."""
    template = scope.get("path_template")
    params = scope.get("path_params") or {}
    raw = str(scope.get("path", ""))
    if isinstance(template, str) and template:

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in secret_params or name not in params:
                return "{" + name + "}"
            return _mask_segment(str(params[name]))

        # A mount's parameter (static files) starts with the slash the template ends with.
        path = _PARAM.sub(fill, template).replace("//", "/")
    else:
        path = "/".join(_mask_segment(segment) for segment in raw.split("/"))
    query = scope.get("query_string") or b""
    if query:
        path += "?" + _loggable_query(query.decode("latin-1"))
    return _CONTROL.sub("?", path[:MAX_LOGGED_PATH])


def _mask_segment(segment: str) -> str:
    return REDACTED if _TOKEN_LIKE.search(segment) else segment


def _loggable_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(
        f"{name}={value}" if name in PLAIN_QUERY_PARAMS else f"{name}={REDACTED}"
        for name, value in pairs
    )
