"""Platform admins: see every account and organisation, suspend and restore them, act in any
organisation as owner; nobody else may."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from cloud.settings import CloudSettings
from tests.cloud.admin.support import admin_headers
from tests.cloud.conftest import Api


def _login(client: TestClient[Any], email: str) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": "correct horse"})


def test_only_admins_reach_the_admin_api(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    org = api.signup("org@example.org")
    admin = admin_headers(client, settings)

    for path in ("/api/v1/admin/users", "/api/v1/admin/orgs"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=org.headers).status_code == 403
    assert (
        client.post(f"/api/v1/admin/users/{org.user_id}/suspend", headers=org.headers).status_code
        == 403
    )

    users = client.get("/api/v1/admin/users", headers=admin).json()
    orgs = client.get("/api/v1/admin/orgs", params={"q": "ORG"}, headers=admin).json()
    assert [(u["email"], u["is_admin"]) for u in users] == [
        ("org@example.org", False),
        ("root@example.org", True),
    ]
    assert [(o["name"], o["members"], o["suspended"]) for o in orgs] == [("Org", 1, False)]
    found = client.get("/api/v1/admin/users", params={"q": "root"}, headers=admin).json()
    assert [u["email"] for u in found] == ["root@example.org"]
    bad = client.get("/api/v1/admin/users", params={"limit": 0}, headers=admin)
    assert bad.status_code == 400


def test_a_suspended_user_is_out_at_once_until_restored(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    org = api.signup("sus@example.org")
    refresh = _login(client, "sus@example.org").json()["refresh_token"]
    admin = admin_headers(client, settings)

    r = client.post(f"/api/v1/admin/users/{org.user_id}/suspend", headers=admin)

    assert r.status_code == 200 and r.json()["suspended"] is True
    assert client.get("/api/v1/venues", headers=org.headers).status_code == 401
    assert client.get("/api/v1/auth/me", headers=org.headers).status_code == 401
    login = _login(client, "sus@example.org")
    assert login.status_code == 403
    assert "suspended" in login.json()["detail"]
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": refresh}).status_code == 401

    restored = client.post(f"/api/v1/admin/users/{org.user_id}/unsuspend", headers=admin)
    assert restored.json()["suspended"] is False
    assert _login(client, "sus@example.org").status_code == 200
    assert client.get("/api/v1/venues", headers=org.headers).status_code == 200
    assert client.post("/api/v1/admin/users/9999/suspend", headers=admin).status_code == 404


def test_a_suspended_organisation_answers_403_to_its_members(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    admin = admin_headers(client, settings)
    [org] = client.get("/api/v1/orgs", headers=setup.organizer.headers).json()

    r = client.post(f"/api/v1/admin/orgs/{org['org_id']}/suspend", headers=admin)

    assert r.status_code == 200 and r.json()["suspended"] is True
    refused = client.get(
        f"/api/v1/events/{setup.event_id}/ticket-types", headers=setup.organizer.headers
    )
    assert refused.status_code == 403
    assert "suspended" in refused.json()["detail"]
    # Platform staff can still look into it.
    looked = client.get(
        f"/api/v1/events/{setup.event_id}/ticket-types",
        headers={**admin, "Bilten-Organisation": str(org["org_id"])},
    )
    assert looked.status_code == 200
    client.post(f"/api/v1/admin/orgs/{org['org_id']}/unsuspend", headers=admin)
    back = client.get(
        f"/api/v1/events/{setup.event_id}/ticket-types", headers=setup.organizer.headers
    )
    assert back.status_code == 200


def test_a_suspended_organisation_stops_selling_and_its_sold_tickets_stay_valid(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    [sold] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    admin = admin_headers(client, settings)
    [org] = client.get("/api/v1/orgs", headers=setup.organizer.headers).json()
    hold = {
        "event_id": setup.event_id,
        "buyer_email": "ada@example.org",
        "buyer_name": "Ada",
        "items": [{"type_id": setup.type_id, "quantity": 1}],
    }

    client.post(f"/api/v1/admin/orgs/{org['org_id']}/suspend", headers=admin)

    assert client.get(f"/api/v1/shop/events/{setup.event_id}").status_code == 404
    assert client.get("/api/v1/shop/events").json() == []
    refused = client.post("/api/v1/shop/holds", json=hold)
    assert refused.status_code == 409 and "not on sale" in refused.json()["detail"]
    manifest = client.get("/api/v1/venue/manifest", headers=setup.venue_headers).json()
    assert [(t["ticket_id"], t["revoked"]) for t in manifest["tickets"]] == [
        (sold["ticket_id"], False)
    ]

    client.post(f"/api/v1/admin/orgs/{org['org_id']}/unsuspend", headers=admin)
    assert client.post("/api/v1/shop/holds", json=hold).status_code == 201


def test_an_admin_acts_in_any_organisation_it_names(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    admin = admin_headers(client, settings)
    [org] = client.get("/api/v1/orgs", headers=setup.organizer.headers).json()
    acting = {**admin, "Bilten-Organisation": str(org["org_id"])}

    unnamed = client.get("/api/v1/events", headers=admin)
    events = client.get("/api/v1/events", headers=acting)
    members = client.get(f"/api/v1/orgs/{org['org_id']}/members", headers=admin)

    assert unnamed.status_code == 403
    assert [e["event_id"] for e in events.json()] == [setup.event_id]
    assert [m["email"] for m in members.json()] == [
        client.get("/api/v1/auth/me", headers=setup.organizer.headers).json()["email"]
    ]
    missing = client.get("/api/v1/events", headers={**admin, "Bilten-Organisation": "999"})
    assert missing.status_code == 404


def test_an_admin_cannot_suspend_itself(client: TestClient[Any], settings: CloudSettings) -> None:
    admin = admin_headers(client, settings)
    me = client.get("/api/v1/auth/me", headers=admin).json()
    assert me["is_admin"] is True

    r = client.post(f"/api/v1/admin/users/{me['user_id']}/suspend", headers=admin)

    assert r.status_code == 409
