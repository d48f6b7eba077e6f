"""A buyer and an organizer on the cloud's JSON API, for the sales tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.cloud.conftest import Api, Organizer


@dataclass
class Sale:
    """An organizer's event with priced ticket types on sale."""

    organizer: Organizer
    venue_headers: dict[str, str]
    event_id: int
    types: dict[str, int]


class Shop:
    def __init__(self, client: TestClient[Any], api: Api) -> None:
        self.client = client
        self.api = api

    def sale(self, **types: dict[str, Any]) -> Sale:
        """An event with one ticket type per keyword, e.g. ``general={"capacity": 5}``."""
        organizer = self.api.signup()
        venue_id, venue_headers = self.api.venue(organizer)
        event_id: int = self.api.event(organizer, venue_id)["event_id"]
        made = {}
        for name, fields in types.items():
            r = self.client.post(
                f"/api/v1/events/{event_id}/ticket-types",
                json={"name": name.title(), "capacity": 100, "price": 2500, **fields},
                headers=organizer.headers,
            )
            assert r.status_code == 201, r.text
            made[name] = r.json()["type_id"]
        return Sale(organizer, venue_headers, event_id, made)

    def try_hold(
        self,
        event_id: int,
        items: dict[int, int],
        email: str = "ada@example.org",
        name: str = "Ada Lovelace",
    ) -> Any:
        return self.client.post(
            "/api/v1/shop/holds",
            json={
                "event_id": event_id,
                "buyer_email": email,
                "buyer_name": name,
                "items": [{"type_id": t, "quantity": n} for t, n in items.items()],
            },
        )

    def hold(self, event_id: int, items: dict[int, int], **buyer: str) -> dict[str, Any]:
        r = self.try_hold(event_id, items, **buyer)
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def checkout(self, hold_token: str) -> dict[str, Any]:
        r = self.client.post(f"/api/v1/shop/holds/{hold_token}/checkout")
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def buy(self, event_id: int, items: dict[int, int], **buyer: str) -> tuple[str, dict[str, Any]]:
        """Hold and check out; returns the buyer's token and the order."""
        token = self.hold(event_id, items, **buyer)["hold_token"]
        return token, self.checkout(token)

    def available(self, event_id: int) -> dict[int, int]:
        r = self.client.get(f"/api/v1/shop/events/{event_id}")
        assert r.status_code == 200, r.text
        return {t["type_id"]: t["available"] for t in r.json()["ticket_types"]}


@pytest.fixture
def shop(client: TestClient[Any], api: Api) -> Shop:
    return Shop(client, api)
