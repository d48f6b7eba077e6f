"""An organizer emails a paid order's tickets to its buyer again, to a corrected address
when the buyer mistyped it: the order and its tickets then carry the new one, the door's
search finds it, and the audit log keeps the old."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy import select

from cloud.audit.models import AuditEntry
from cloud.db import make_engine, make_session_factory
from cloud.settings import CloudSettings
from tests.cloud.analytics.test_reports_api import _member
from tests.cloud.orders.conftest import Sale, Shop
from tests.cloud.users.support import emails


def _audited(settings: CloudSettings, reference: str) -> list[AuditEntry]:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            return list(
                session.scalars(select(AuditEntry).where(AuditEntry.target_id == reference))
            )
    finally:
        engine.dispose()


def _sold(shop: Shop, tickets: int, email: str) -> tuple[Sale, dict[str, Any], str]:
    """A sale, a paid order of ``tickets`` bought with ``email``, and its email-again route."""
    sale = shop.sale(general={"capacity": 10})
    _, order = shop.buy(sale.event_id, {sale.types["general"]: tickets}, email=email, name="Ada")
    return sale, order, f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/email"


def test_a_mistyped_address_is_corrected_and_the_tickets_go_there(
    shop: Shop, client: TestClient[Any], settings: CloudSettings
) -> None:
    sale, order, path = _sold(shop, 2, "ada@exmaple.org")

    answer = client.post(path, json={"email": "ada@example.org"}, headers=sale.organizer.headers)

    assert answer.status_code == 202, answer.text
    assert answer.json()["buyer_email"] == "ada@example.org"
    [sent] = emails(settings, "ada@example.org", "order_confirmation")
    assert sent["again"] and len(sent["tickets"]) == 2
    assert sent["order_url"]
    # The door's search finds the tickets under the new address at the next pull.
    manifest = client.get("/api/v1/venue/manifest", headers=sale.venue_headers)
    assert manifest.status_code == 200, manifest.text
    assert manifest.content.count(b"ada@example.org") == 2
    assert b"exmaple" not in manifest.content
    [entry] = [
        e for e in _audited(settings, order["reference"]) if e.action == "order.email_corrected"
    ]
    assert "from ada@exmaple.org to ada@example.org" in entry.summary
    # Find my tickets now answers the corrected address, and the next send within ten
    # minutes to the same address adds nothing.
    again = client.post(path, json={}, headers=sale.organizer.headers)
    assert again.status_code == 202
    assert len(emails(settings, "ada@example.org", "order_confirmation")) == 1


def test_only_the_events_managers_send_and_a_cancelled_order_has_nothing_to_send(
    shop: Shop, client: TestClient[Any], settings: CloudSettings
) -> None:
    sale, order, path = _sold(shop, 1, "bo@example.org")
    viewer = _member(client, shop.api, sale.organizer, "viewer")
    assert client.post(path, json={}, headers=viewer).status_code == 403
    stranger = shop.api.signup()
    assert client.post(path, json={}, headers=stranger.headers).status_code == 404
    bad = client.post(path, json={"email": "not an address"}, headers=sale.organizer.headers)
    assert bad.status_code == 400
    # Refused requests sent nothing.
    assert not [m for m in emails(settings, "bo@example.org", "order_confirmation") if "again" in m]

    cancel = f"/api/v1/events/{sale.event_id}/orders/{order['reference']}/cancel"
    assert client.post(cancel, headers=sale.organizer.headers).status_code == 200
    refused = client.post(path, json={"email": "bo2@example.org"}, headers=sale.organizer.headers)
    assert refused.status_code == 409
    assert "no valid tickets" in refused.json()["detail"]
    # Refused: the address stayed as it was.
    orders = client.get(f"/api/v1/events/{sale.event_id}/orders", headers=sale.organizer.headers)
    assert [o["buyer_email"] for o in orders.json()] == ["bo@example.org"]
