"""Cloud fixtures: a migrated database on SQLite and on PostgreSQL, and a client speaking the
JSON API the way a browser or a venue server would."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from cloud.app import create_app
from cloud.settings import CloudSettings
from tests.conftest import CloudSchemas

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, cloud_schemas: CloudSchemas
) -> Iterator[str]:
    """A database with the newest cloud schema, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield cloud_schemas.sqlite_copy(tmp_path / "cloud.db")
    else:
        with cloud_schemas.postgres_copy() as url:
            yield url


@pytest.fixture
def sqlite_database_url(tmp_path: Path, cloud_schemas: CloudSchemas) -> str:
    """The newest cloud schema on SQLite only."""
    return cloud_schemas.sqlite_copy(tmp_path / "cloud.db")


@pytest.fixture
def postgres_database_url(cloud_schemas: CloudSchemas) -> Iterator[str]:
    """The newest cloud schema on PostgreSQL only."""
    with cloud_schemas.postgres_copy() as url:
        yield url


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, for the tests of the migrations themselves."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cloud.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> CloudSettings:
    return CloudSettings(
        database_url=database_url,
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=tmp_path,
        # The tests read the seats left right after changing them; the storefront's
        # one-second memory has tests of its own (tests/cloud/orders/test_storefront_cache.py).
        storefront_cache_s=0.0,
    )


@dataclass
class Organizer:
    user_id: int
    headers: dict[str, str]


@dataclass
class Setup:
    """An organizer with a venue, an event and a ticket type, ready to issue."""

    organizer: Organizer
    venue_id: int
    venue_headers: dict[str, str]
    event_id: int
    key_id: int
    type_id: int


class Api:
    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client

    def signup(self, email: str | None = None, password: str = "correct horse") -> Organizer:
        email = email or f"org-{secrets.token_hex(4)}@example.org"
        r = self.client.post(
            "/api/v1/auth/signup",
            json={"email": email, "password": password, "name": "Org", "organisation": "Org"},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        return Organizer(body["user_id"], {"Authorization": f"Bearer {body['access_token']}"})

    def venue(self, org: Organizer, name: str = "Main Hall") -> tuple[int, dict[str, str]]:
        r = self.client.post("/api/v1/venues", json={"name": name}, headers=org.headers)
        assert r.status_code == 201, r.text
        body = r.json()
        return body["venue_id"], {"Authorization": f"Bearer {body['api_key']}"}

    def event(self, org: Organizer, venue_id: int, name: str = "Concert") -> dict[str, Any]:
        r = self.client.post(
            "/api/v1/events",
            json={
                "name": name,
                "venue_id": venue_id,
                "starts_at": "2030-06-01T19:00:00Z",
                "ends_at": "2030-06-01T23:00:00+00:00",
                "published": True,
            },
            headers=org.headers,
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def ticket_type(
        self, org: Organizer, event_id: int, name: str = "General", capacity: int = 1000
    ) -> int:
        r = self.client.post(
            f"/api/v1/events/{event_id}/ticket-types",
            json={"name": name, "capacity": capacity},
            headers=org.headers,
        )
        assert r.status_code == 201, r.text
        type_id: int = r.json()["type_id"]
        return type_id

    def issue(
        self, org: Organizer, event_id: int, type_id: int, count: int = 1, **extra: Any
    ) -> list[dict[str, Any]]:
        r = self.client.post(
            f"/api/v1/events/{event_id}/tickets",
            json={"type_id": type_id, "holder_name": "Ada", "count": count, **extra},
            headers=org.headers,
        )
        assert r.status_code == 201, r.text
        tickets: list[dict[str, Any]] = r.json()["tickets"]
        return tickets

    def setup(self) -> Setup:
        org = self.signup()
        venue_id, venue_headers = self.venue(org)
        event = self.event(org, venue_id)
        type_id = self.ticket_type(org, event["event_id"])
        return Setup(org, venue_id, venue_headers, event["event_id"], event["key_id"], type_id)


@pytest.fixture
def client(settings: CloudSettings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient[Any]) -> Api:
    return Api(client)


# Redis for the rate-limit and cache tests: skipped loudly without it, failing under CI=true.
from tests.cloud.redis_support import redis_client, redis_prefix, redis_url  # noqa: E402, F401

# localstripe for the payment tests: skipped loudly without it, failing under CI=true.
from tests.cloud.stripe_support import localstripe, stripe_shop  # noqa: E402, F401
