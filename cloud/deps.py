"""Request dependencies: the database session, the settings, who is calling, and the rate
limiter and page cache shared by the app's handlers.

Organizer endpoints receive ``organizer_id: OrganizerId``, the id of the organisation the
caller acts for: the one the ``Bilten-Organisation`` header names, or the caller's only one.
The caller's role there must be at least viewer to read (GET, HEAD) and manager to change
anything, unless the handler asks for more with ``opt={"min_role": "owner"}``. Handlers that
need the person too take ``member: CurrentMember`` (a ``cloud.orgs.access.Member``: org_id,
user_id, role); ``api_user: CurrentUser`` is the account alone, ``admin: AdminUser`` a
platform admin (403 for anyone else)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.orm import Session, sessionmaker

from cloud.audit.actor import Actor, attach
from cloud.cache import Cache
from cloud.clock import now_s
from cloud.errors import Forbidden, Unauthorized
from cloud.orgs.access import ORG_HEADER, Member, acting_member, active_user, parse_org_header
from cloud.orgs.models import Role
from cloud.ratelimit import RateLimiter, client_ip
from cloud.settings import CloudSettings
from cloud.users.models import User
from cloud.users.security import read_access_token
from cloud.venues.keys import find_venue_by_key
from cloud.venues.models import Venue
from cloud.venues.service import mark_seen

# Handler and provider parameters filled by name from the providers in cloud.app.
Db = NamedDependency[Session]
Settings = NamedDependency[CloudSettings]
OrganizerId = NamedDependency[int]
CurrentMember = NamedDependency[Member]
CurrentUser = NamedDependency[User]
AdminUser = NamedDependency[User]
CurrentVenue = NamedDependency[Venue]
Limiter = NamedDependency[RateLimiter]
ClientIp = NamedDependency[str]
# Any: Litestar cannot check a value against a Protocol such as cloud.cache.Cache.
PageCache = NamedDependency[Any]


async def provide_db(state: State, request: Request[Any, Any, Any]) -> AsyncIterator[Session]:
    """A session for the request. Handlers use it in their worker thread and close it there
    (``with db:``), handing the connection back to the pool at once. Made and closed on the
    event loop, not in a worker thread: then a request's clean-up can never wait for a free
    thread while every thread waits for a connection, and a request costs one thread hop, not
    two. Closing a session its handler closed already does nothing."""
    factory: sessionmaker[Session] = state.session_factory
    session = factory()
    # Audit entries written through this session say where the request came from.
    attach(session, ip=client_ip(request, state.trusted_proxies))
    try:
        yield session
    finally:
        session.close()


@dataclass(frozen=True, slots=True)
class ShopContext:
    """What the buyer's busiest endpoints (holds, checkout) need, as one
    dependency: Litestar resolves a handler's several dependencies concurrently, one task
    each, and every buyer of an on-sale calls these."""

    db: Session
    settings: CloudSettings
    rate_limiter: RateLimiter
    client_ip: str


Shop = NamedDependency[ShopContext]


async def provide_shop(request: Request[Any, Any, Any], state: State) -> AsyncIterator[ShopContext]:
    """Like ``provide_db``, with the session in a :class:`ShopContext`."""
    factory: sessionmaker[Session] = state.session_factory
    session = factory()
    try:
        yield ShopContext(
            session,
            state.settings,
            state.rate_limiter,
            client_ip(request, state.trusted_proxies),
        )
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


def _bearer(request: Request[Any, Any, Any]) -> str:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthorized("missing 'Authorization: Bearer ...' header")
    return credential.strip()


_READS = frozenset({"GET", "HEAD"})


def _needed_role(request: Request[Any, Any, Any]) -> Role:
    asked = request.route_handler.opt.get("min_role")
    if asked is not None:
        return Role(asked)
    return Role.VIEWER if request.method in _READS else Role.MANAGER


def provide_user(request: Request[Any, Any, Any], db: Db, settings: Settings) -> User:
    """The account the Bearer access token names; 401 when missing, invalid or suspended."""
    user = active_user(db, read_access_token(_bearer(request), settings.jwt_secret))
    attach(db, actor=Actor.account(user.id, user.email))
    # End the read transaction (SQLite's immediate one holds the write lock); a commit, not a
    # rollback, keeps the loaded user (expire_on_commit is off).
    db.commit()
    return user


def provide_admin(api_user: CurrentUser) -> User:
    if not api_user.is_admin:
        raise Forbidden("only platform admins may do this")
    return api_user


def provide_member(request: Request[Any, Any, Any], db: Db, api_user: CurrentUser) -> Member:
    org_id = parse_org_header(request.headers.get(ORG_HEADER))
    try:
        return acting_member(db, api_user, org_id, _needed_role(request))
    finally:
        db.commit()


def provide_organizer_id(member: CurrentMember) -> int:
    # The existing controllers take the acting organisation as ``organizer_id``.
    return member.org_id


def provide_venue(request: Request[Any, Any, Any], db: Db) -> Venue:
    venue = find_venue_by_key(db, _bearer(request))
    # End the read's transaction, as provide_user does: on SQLite it holds the write lock,
    # and a venue's upload still arriving on a slow line would hold it for everyone.
    db.commit()
    if venue is None:
        raise Unauthorized("unknown venue API key")
    mark_seen(db, venue, now_s())
    return venue


# The providers by the names handlers ask for; the app puts them on the routers that need them.
USER_DEPENDENCIES = {"api_user": Provide(provide_user, sync_to_thread=True)}
ADMIN_DEPENDENCIES = {**USER_DEPENDENCIES, "admin": Provide(provide_admin, sync_to_thread=False)}
ORGANIZER_DEPENDENCIES = {
    **USER_DEPENDENCIES,
    "member": Provide(provide_member, sync_to_thread=True),
    "organizer_id": Provide(provide_organizer_id, sync_to_thread=False),
}
