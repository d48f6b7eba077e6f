from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.cloud.conftest import Organizer
from tests.cloud.orders.conftest import shop  # noqa: F401


class Vouchers:
    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client

    def try_create(self, org: Organizer, event_id: int, **fields: Any) -> Any:
        return self.client.post(
            f"/api/v1/events/{event_id}/vouchers", json=fields, headers=org.headers
        )

    def create(self, org: Organizer, event_id: int, **fields: Any) -> dict[str, Any]:
        r = self.try_create(org, event_id, **fields)
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def listed(self, org: Organizer, event_id: int) -> list[dict[str, Any]]:
        r = self.client.get(f"/api/v1/events/{event_id}/vouchers", headers=org.headers)
        assert r.status_code == 200, r.text
        body: list[dict[str, Any]] = r.json()
        return body


@pytest.fixture
def vouchers(client: TestClient[Any]) -> Vouchers:
    return Vouchers(client)
