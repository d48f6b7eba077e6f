"""The real cloud application on a loopback port, and an organizer who sets up venues, events
and tickets through its JSON API, the way the web pages do. Used by every test that needs a
cloud on the other end of the wire (venue server, end-to-end chain)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.app import create_app
from cloud.db import make_engine
from cloud.migrate import upgrade
from cloud.settings import CloudSettings
from tests.support import ServerThread, free_port

# Small manifest pages, so a handful of tickets already spans several of them.
PAGE_MAX = 2


@dataclass
class Cloud:
    """A cloud server that a test can stop and start again on the same port."""

    settings: CloudSettings
    port: int = field(default_factory=free_port)
    server: ServerThread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = ServerThread(create_app(self.settings), self.port).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@dataclass(frozen=True)
class CloudVenue:
    """What the organizer set up: a venue (and its API key) holding one event on sale."""

    venue_id: int
    name: str
    api_key: str
    event_id: int
    key_id: int
    type_id: int


class Organizer:
    """A signed-up organizer talking to the cloud's JSON API."""

    def __init__(self, cloud: Cloud) -> None:
        self.http = httpx.Client(base_url=cloud.url, timeout=10)
        answer = self.http.post(
            "/api/v1/auth/signup",
            json={
                "email": f"org-{secrets.token_hex(4)}@example.org",
                "password": "correct horse",
                "name": "Org",
                "organisation": "Org",
            },
        )
        assert answer.status_code == 201, answer.text
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def close(self) -> None:
        self.http.close()

    def _created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(path, json=body)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    def venue(self, name: str = "Main Hall") -> CloudVenue:
        """A new venue with an event starting in an hour and a ticket type of 100 places."""
        venue = self._created("/api/v1/venues", {"name": name})
        now = datetime.now(UTC)
        event = self._created(
            "/api/v1/events",
            {
                "name": "Concert",
                "venue_id": venue["venue_id"],
                "starts_at": (now + timedelta(hours=1)).isoformat(),
                "ends_at": (now + timedelta(hours=4)).isoformat(),
                "published": True,
            },
        )
        kind = self._created(
            f"/api/v1/events/{event['event_id']}/ticket-types",
            {"name": "Standing", "capacity": 100},
        )
        return CloudVenue(
            venue_id=venue["venue_id"],
            name=venue["name"],
            api_key=venue["api_key"],
            event_id=event["event_id"],
            key_id=event["key_id"],
            type_id=kind["type_id"],
        )

    def ticket_type(
        self,
        venue: CloudVenue,
        name: str,
        capacity: int = 100,
        max_entries: int = 1,
        reentry: bool = False,
    ) -> int:
        """Another kind of ticket for the venue's event; returns its type id."""
        kind = self._created(
            f"/api/v1/events/{venue.event_id}/ticket-types",
            {"name": name, "capacity": capacity, "max_entries": max_entries, "reentry": reentry},
        )
        type_id: int = kind["type_id"]
        return type_id

    def issue(
        self,
        venue: CloudVenue,
        count: int = 1,
        holder: str = "Ada",
        type_id: int | None = None,
        **extra: Any,
    ) -> list[dict[str, Any]]:
        """Issue tickets of ``type_id`` (default: the venue's first type); ``extra`` passes
        holder_email, order_ref or a validity window."""
        body = {
            "type_id": type_id or venue.type_id,
            "holder_name": holder,
            "count": count,
            **extra,
        }
        tickets: list[dict[str, Any]] = self._created(
            f"/api/v1/events/{venue.event_id}/tickets", body
        )["tickets"]
        return tickets

    def revoke(self, ticket_id: str) -> None:
        answer = self.http.post(f"/api/v1/tickets/{ticket_id}/revoke")
        assert answer.status_code == 200, answer.text

    def keys(self, venue: CloudVenue) -> list[dict[str, Any]]:
        answer = self.http.get(f"/api/v1/events/{venue.event_id}/keys")
        assert answer.status_code == 200, answer.text
        keys: list[dict[str, Any]] = answer.json()["keys"]
        return keys

    def scans(self, venue: CloudVenue) -> list[dict[str, Any]]:
        """The scans the cloud holds for the venue's event, as the organizer sees them."""
        answer = self.http.get(f"/api/v1/events/{venue.event_id}/scans")
        assert answer.status_code == 200, answer.text
        scans: list[dict[str, Any]] = answer.json()["scans"]
        return scans

    def scan_ids(self, venue: CloudVenue) -> list[str]:
        return [s["scan_id"] for s in self.scans(venue)]

    def conflicts(self, venue: CloudVenue) -> list[dict[str, Any]]:
        """The admissions the cloud flagged for the venue's event, as the organizer sees them."""
        answer = self.http.get(f"/api/v1/events/{venue.event_id}/conflicts")
        assert answer.status_code == 200, answer.text
        conflicts: list[dict[str, Any]] = answer.json()["conflicts"]
        return conflicts


class Wire(httpx.HTTPTransport):
    """Real HTTP that notes each request on the way, and runs ``after`` on each answer."""

    def __init__(self, after: Callable[[httpx.Request], None] | None = None) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []
        self._after = after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = super().handle_request(request)
        response.read()
        if self._after is not None:
            self._after(request)
        return response

    def manifest_cursors(self) -> list[str]:
        return [
            r.url.params.get("cursor", "")
            for r in self.requests
            if r.url.path == "/api/v1/venue/manifest"
        ]


def migrated(settings: CloudSettings) -> CloudSettings:
    """``settings`` after bringing its database to the newest schema."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    return settings


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    running = Cloud(
        migrated(
            CloudSettings(
                database_url=f"sqlite:///{tmp_path / 'cloud.db'}",
                master_key=secrets.token_bytes(32),
                jwt_secret=secrets.token_urlsafe(48),
                data_dir=tmp_path / "cloud",
                manifest_page_max=PAGE_MAX,
            )
        )
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture
def organizer(cloud: Cloud) -> Iterator[Organizer]:
    org = Organizer(cloud)
    yield org
    org.close()


@pytest.fixture
def cloud_venue(organizer: Organizer) -> CloudVenue:
    return organizer.venue()
