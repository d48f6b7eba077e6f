"""Request dependencies: the database session, the settings and who is calling."""

from __future__ import annotations

from collections.abc import Iterator

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.orm import Session, sessionmaker

from cloud.errors import Unauthorized
from cloud.settings import CloudSettings
from cloud.users.security import read_access_token
from cloud.venues.keys import find_venue_by_key
from cloud.venues.models import Venue

# Handler and provider parameters filled by name from the providers in cloud.app.
Db = NamedDependency[Session]
Settings = NamedDependency[CloudSettings]
OrganizerId = NamedDependency[int]
CurrentVenue = NamedDependency[Venue]


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
