"""The platform's figures, the outbox's dead letters and the audit log through the admin
API."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.notifications.outbox import enqueue_email, mark_dead
from cloud.settings import CloudSettings
from cloud.timestamps import to_datetime
from tests.cloud.admin.support import admin_headers
from tests.cloud.conftest import Api


def _buy(client: TestClient[Any], event_id: int, type_id: int, quantity: int) -> dict[str, Any]:
    hold = client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": event_id,
            "buyer_email": "bob@example.org",
            "buyer_name": "Bob",
            "items": [{"type_id": type_id, "quantity": quantity}],
        },
    )
    assert hold.status_code == 201, hold.text
    order = client.post(f"/api/v1/shop/holds/{hold.json()['hold_token']}/checkout")
    assert order.status_code == 201, order.text
    body: dict[str, Any] = order.json()
    return body


def test_figures_show_todays_sales_events_on_sale_and_venue_servers_seen(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    priced = client.post(
        f"/api/v1/events/{setup.event_id}/ticket-types",
        json={"name": "Seated", "capacity": 50, "price": 2500, "currency": "EUR"},
        headers=setup.organizer.headers,
    ).json()["type_id"]
    _buy(client, setup.event_id, priced, 2)
    refunded = _buy(client, setup.event_id, priced, 1)
    client.post(
        f"/api/v1/events/{setup.event_id}/orders/{refunded['reference']}/refund",
        headers=setup.organizer.headers,
    )
    admin = admin_headers(client, settings)
    before = client.get("/api/v1/admin/figures", params={"days": 7}, headers=admin).json()
    client.get("/api/v1/venue/manifest", headers=setup.venue_headers)

    figures = client.get("/api/v1/admin/figures", params={"days": 7}, headers=admin).json()

    today = to_datetime(now_s()).date().isoformat()
    assert [d["day"] for d in figures["days"]][-1] == today and len(figures["days"]) == 7
    assert figures["days"][-1]["revenue"] == {"EUR": 5000}
    assert (figures["orders"], figures["tickets"], figures["refunds"]) == (1, 2, 1)
    assert figures["revenue"] == {"EUR": 5000}
    assert figures["active_events"] == 1
    assert [(e["event_id"], e["sold"]) for e in figures["top_events"]] == [(setup.event_id, 2)]
    assert (figures["users"], figures["organisations"], figures["pending_organisations"]) == (
        2,
        1,
        0,
    )
    assert [(v["venue_id"], v["online"]) for v in before["venues"]] == [(setup.venue_id, False)]
    [venue] = figures["venues"]
    assert venue["online"] is True and venue["last_seen_at"] >= now_s() - 60
    assert client.get("/api/v1/admin/figures", params={"days": 0}, headers=admin).status_code == 400
    assert client.get("/api/v1/admin/figures", headers=setup.organizer.headers).status_code == 403


def test_a_dead_message_is_listed_and_queued_again_once(
    client: TestClient[Any], settings: CloudSettings
) -> None:
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        enqueue_email(
            session,
            to="gone@example.org",
            template="verify_email",
            context={"name": "Ada", "verify_url": "https://shop.example/v"},
            idempotency_key="dead-one",
        )
        session.commit()
    admin = admin_headers(client, settings)
    [queued] = client.get("/api/v1/admin/outbox", headers=admin).json()
    with make_session_factory(engine)() as session:
        mark_dead(session, queued["message_id"], error="550 5.1.1 No such user here")
    engine.dispose()
    retry = f"/api/v1/admin/outbox/{queued['message_id']}/retry"

    [dead] = client.get("/api/v1/admin/outbox", params={"dead": True}, headers=admin).json()
    by_organizer = client.post(retry, headers={"Authorization": "Bearer nonsense"})
    first = client.post(retry, headers=admin)
    second = client.post(retry, headers=admin)
    unknown = client.post("/api/v1/admin/outbox/not-a-message/retry", headers=admin)

    assert (dead["status"], dead["last_error"]) == ("dead", "550 5.1.1 No such user here")
    assert by_organizer.status_code == 401
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["attempts"]) == ("queued", 0)
    assert second.status_code == 409 and "only dead messages" in second.json()["detail"]
    assert unknown.status_code == 404
    assert client.get("/api/v1/admin/outbox", params={"dead": True}, headers=admin).json() == []
    log = client.get("/api/v1/admin/audit", params={"action": "message"}, headers=admin).json()
    [entry] = log["entries"]
    assert entry["target_id"] == queued["message_id"] and entry["actor"] == "root@example.org"


def test_the_audit_log_is_searched_and_paged_by_admins_only(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    org = api.signup("ada@example.org")
    for _ in range(3):
        client.post(
            "/api/v1/auth/login", json={"email": "ada@example.org", "password": "nope nope"}
        )
    admin = admin_headers(client, settings)
    audit = "/api/v1/admin/audit"

    first = client.get(audit, params={"action": "login.failed", "limit": 2}, headers=admin).json()
    rest = client.get(
        audit,
        params={"action": "login.failed", "limit": 2, "before": first["next_before"]},
        headers=admin,
    ).json()
    mine = client.get(audit, params={"actor_id": org.user_id}, headers=admin).json()

    assert len(first["entries"]) == 2 and len(rest["entries"]) == 1
    assert rest["next_before"] is None
    assert {e["action"] for e in mine["entries"]} == {"login.failed", "org.created"}
    assert client.get(audit, headers=org.headers).status_code == 403
    assert client.get(audit).status_code == 401
    assert client.get(audit, params={"action": "x'; drop"}, headers=admin).status_code == 400
    assert client.get(audit, params={"limit": 501}, headers=admin).status_code == 400
    # Numbers past what the database holds are refused, not a database error.
    for huge in ({"before": 2**63}, {"actor_id": 2**31}, {"org_id": 10**30}):
        assert client.get(audit, params=huge, headers=admin).status_code == 400, huge
