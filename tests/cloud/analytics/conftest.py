"""An organizer's event with a sale that happened at chosen moments, and scans uploaded by
its venue: the real sale services (holds, checkout with the local provider, cancel and
refund) called with the times a test names, and the venue's upload endpoint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.db import make_engine, make_session_factory
from cloud.orders.checkout import checkout
from cloud.orders.holds import HoldLine, create_hold
from cloud.orders.payments import LocalProvider
from cloud.orders.service import cancel_order
from cloud.settings import CloudSettings
from shared.messages import ScanBatch, ScanRecord, encode
from tests.cloud.conftest import Api, Organizer


def _email(buyer: str) -> str:
    """``Bea Buyer`` writes from bea@example.org."""
    first = re.sub(r"[^a-z0-9]", "", buyer.split(maxsplit=1)[0].lower())
    return f"{first or 'buyer'}@example.org"


def at(text: str) -> int:
    """Unix seconds of a UTC moment written ``2030-05-01 10:15``."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


@dataclass
class Shop:
    """One organizer's event with priced ticket types, sold through the real services."""

    client: TestClient[Any]
    sessions: sessionmaker[Session]
    master_key: bytes
    organizer: Organizer
    venue_id: int
    venue_headers: dict[str, str]
    event_id: int
    types: dict[str, int] = field(default_factory=dict)

    def add_type(self, name: str, price: int, capacity: int = 100, currency: str = "EUR") -> int:
        r = self.client.post(
            f"/api/v1/events/{self.event_id}/ticket-types",
            json={"name": name, "capacity": capacity, "price": price, "currency": currency},
            headers=self.organizer.headers,
        )
        assert r.status_code == 201, r.text
        self.types[name] = r.json()["type_id"]
        return self.types[name]

    def hold(self, when: int, buyer: str = "Bea Buyer", **quantities: int) -> str:
        with self.sessions() as session:
            return create_hold(
                session,
                event_id=self.event_id,
                lines=[HoldLine(self.types[name], n) for name, n in quantities.items()],
                email=_email(buyer),
                name=buyer,
                hold_seconds=600,
                now=when,
            ).token

    def buy(self, when: int, buyer: str = "Bea Buyer", **quantities: int) -> str:
        """A paid order of ``quantities`` per type name; returns its reference."""
        token = self.hold(when, buyer, **quantities)
        with self.sessions() as session:
            return checkout(session, self.master_key, token, LocalProvider(), when).order.reference

    def give_up(self, reference: str, when: int, *, refund: bool) -> None:
        with self.sessions() as session:
            cancel_order(
                session,
                self.organizer_org(),
                self.event_id,
                reference,
                refund=refund,
                providers=lambda _name: LocalProvider(),
                now=when,
            )

    def organizer_org(self) -> int:
        r = self.client.get("/api/v1/orgs", headers=self.organizer.headers)
        org_id: int = r.json()[0]["org_id"]
        return org_id

    def comp(self, type_name: str, count: int = 1, holder: str = "Guest") -> list[dict[str, Any]]:
        r = self.client.post(
            f"/api/v1/events/{self.event_id}/tickets",
            json={"type_id": self.types[type_name], "holder_name": holder, "count": count},
            headers=self.organizer.headers,
        )
        assert r.status_code == 201, r.text
        tickets: list[dict[str, Any]] = r.json()["tickets"]
        return tickets

    def tickets(self, reference: str) -> list[str]:
        """The ticket ids of an order, as the organizer's attendee list shows them."""
        r = self.client.get(
            f"/api/v1/events/{self.event_id}/attendees",
            params={"q": reference, "status": "all"},
            headers=self.organizer.headers,
        )
        assert r.status_code == 200, r.text
        return [row["ticket_id"] for row in r.json()["attendees"]]

    def upload(self, *scans: ScanRecord) -> None:
        r = self.client.post(
            "/api/v1/venue/scans",
            content=encode(ScanBatch(scans=list(scans))),
            headers=self.venue_headers,
        )
        assert r.status_code == 200, r.text

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(
            f"/api/v1/events/{self.event_id}{path}", params=params, headers=self.organizer.headers
        )
        assert r.status_code == 200, r.text
        return r


@pytest.fixture
def sessions(settings: CloudSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def shop(
    api: Api, client: TestClient[Any], sessions: sessionmaker[Session], settings: CloudSettings
) -> Shop:
    organizer = api.signup()
    venue_id, venue_headers = api.venue(organizer)
    event_id = api.event(organizer, venue_id)["event_id"]
    return Shop(client, sessions, settings.master_key, organizer, venue_id, venue_headers, event_id)
