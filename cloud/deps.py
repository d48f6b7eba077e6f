"""Request dependencies: the database session, the settings, who is calling, and the rate
limiter and page cache shared by the app's handlers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.orm import Session, sessionmaker

from cloud.cache import Cache
from cloud.errors import Unauthorized
from cloud.ratelimit import RateLimiter, client_ip
from cloud.settings import CloudSettings
from cloud.users.security import read_access_token
from cloud.venues.keys import find_venue_by_key
from cloud.venues.models import Venue

# Handler and provider parameters filled by name from the providers in cloud.app.
Db = NamedDependency[Session]
Settings = NamedDependency[CloudSettings]
OrganizerId = NamedDependency[int]
CurrentVenue = NamedDependency[Venue]
Limiter = NamedDependency[RateLimiter]
ClientIp = NamedDependency[str]
PageCache = NamedDependency[Cache]


def provide_db(state: State) -> Iterator[Session]:
    factory: sessionmaker[Session] = state.session_factory
    session = factory()
    try:
        yield session
    finally:
        session.close()


def provide_settings(state: State) -> CloudSettings:
    settings: CloudSettings = state.settings
    return settings


def provide_rate_limiter(state: State) -> RateLimiter:
    limiter: RateLimiter = state.rate_limiter
    return limiter


def provide_client_ip(request: Request[Any, Any, Any], state: State) -> str:
    """The caller's address, believing X-Forwarded-For only from trusted proxies."""
    return client_ip(request, state.trusted_proxies)


def provide_cache(state: State) -> Cache:
    cache: Cache = state.cache
    return cache


def _bearer(request: Request) -> str:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthorized("missing 'Authorization: Bearer ...' header")
    return credential.strip()


def provide_organizer_id(request: Request, settings: Settings) -> int:
    return read_access_token(_bearer(request), settings.jwt_secret)


def provide_venue(request: Request, db: Db) -> Venue:
    venue = find_venue_by_key(db, _bearer(request))
    if venue is None:
        raise Unauthorized("unknown venue API key")
    return venue
