"""Event moderation: an admin takes an event off sale with a reason; the shop stops showing
and selling it, its owners and managers are emailed the reason and see it on the event, it
cannot be published again until an admin restores it; tickets already sold stay valid."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from cloud.db import make_engine, make_session_factory
from cloud.notifications.outbox import waiting
from cloud.settings import CloudSettings
from tests.cloud.admin.support import admin_headers
from tests.cloud.conftest import Api

REASON = "The listing copies another organiser's event; please contact support."


def _emails(settings: CloudSettings, template: str) -> list[tuple[str, dict[str, Any]]]:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            return [
                (m.recipient, dict(m.context)) for m in waiting(session) if m.template == template
            ]
    finally:
        engine.dispose()


def test_a_hidden_event_leaves_the_shop_and_comes_back_only_when_restored(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    organizer = setup.organizer.headers
    [ticket] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    admin = admin_headers(client, settings)
    event = f"/api/v1/admin/events/{setup.event_id}"

    hidden = client.post(f"{event}/hide", json={"reason": REASON}, headers=admin)

    assert hidden.status_code == 200
    assert (hidden.json()["state"], hidden.json()["hidden_reason"]) == ("hidden", REASON)
    assert client.get(f"/api/v1/shop/events/{setup.event_id}").status_code == 404
    assert client.get("/api/v1/shop/events").json() == []
    hold = client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": setup.event_id,
            "buyer_email": "bob@example.org",
            "buyer_name": "Bob",
            "items": [{"type_id": setup.type_id, "quantity": 1}],
        },
    )
    assert hold.status_code in (404, 409)
    seen = client.get(f"/api/v1/events/{setup.event_id}", headers=organizer).json()
    assert seen["hidden_reason"] == REASON and seen["published_at"] is None
    again = client.post(f"/api/v1/events/{setup.event_id}/publish", headers=organizer)
    assert again.status_code == 409 and REASON in again.json()["detail"]
    [(to, context)] = _emails(settings, "event_hidden")
    assert to.startswith("org-") and context["reason"] == REASON
    # Tickets already sold still reach the venue as valid.
    manifest = client.get("/api/v1/venue/manifest", headers=setup.venue_headers).json()
    assert [(t["ticket_id"], t["revoked"]) for t in manifest["tickets"]] == [
        (ticket["ticket_id"], False)
    ]

    restored = client.post(f"{event}/restore", headers=admin)
    published = client.post(f"/api/v1/events/{setup.event_id}/publish", headers=organizer)

    assert restored.status_code == 200 and restored.json()["state"] == "draft"
    assert published.status_code == 200
    assert client.get(f"/api/v1/shop/events/{setup.event_id}").status_code == 200
    assert len(_emails(settings, "event_restored")) == 1
    log = client.get("/api/v1/admin/audit", params={"action": "event"}, headers=admin).json()
    assert [e["action"] for e in log["entries"]] == [
        "event.restored",
        "event.hidden",
        "event.key_created",
    ]
    assert log["entries"][1]["detail"] == {"reason": REASON}


def test_hiding_needs_an_admin_and_a_reason(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    admin = admin_headers(client, settings)
    hide = f"/api/v1/admin/events/{setup.event_id}/hide"

    by_organizer = client.post(hide, json={"reason": REASON}, headers=setup.organizer.headers)
    blank = client.post(hide, json={"reason": "   "}, headers=admin)
    missing = client.post(hide, json={}, headers=admin)
    too_long = client.post(hide, json={"reason": "x" * 501}, headers=admin)
    unknown = client.post("/api/v1/admin/events/999/hide", json={"reason": REASON}, headers=admin)

    assert by_organizer.status_code == 403
    assert (blank.status_code, missing.status_code, too_long.status_code) == (400, 400, 400)
    assert unknown.status_code == 404
    listed = client.get("/api/v1/admin/events", params={"state": "published"}, headers=admin)
    assert [e["event_id"] for e in listed.json()] == [setup.event_id]
    assert (
        client.get("/api/v1/admin/events", params={"state": "hidden"}, headers=admin).json() == []
    )
