"""Approving organisations: with BILTEN_APPROVE_ORGANISATIONS a new organisation prepares
its events as drafts and publishes none until a platform admin approves it; organisations
from before count as approved; every approval is in the audit log."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from cloud.app import create_app
from cloud.settings import CloudSettings
from tests.cloud.admin.support import admin_headers
from tests.cloud.conftest import Api

EVENT = {
    "name": "Night of Brass",
    "starts_at": "2030-06-01T19:00:00Z",
    "ends_at": "2030-06-01T23:00:00Z",
}


@pytest.fixture
def settings(settings: CloudSettings) -> CloudSettings:
    return dataclasses.replace(settings, approve_organisations=True)


@pytest.fixture
def client(settings: CloudSettings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_new_organisation_publishes_only_once_approved(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    org = api.signup("new@example.org")
    venue_id, _ = api.venue(org)
    at_once = client.post(
        "/api/v1/events",
        json={**EVENT, "venue_id": venue_id, "published": True},
        headers=org.headers,
    )
    draft = client.post("/api/v1/events", json={**EVENT, "venue_id": venue_id}, headers=org.headers)
    event_id = draft.json()["event_id"]
    early = client.post(f"/api/v1/events/{event_id}/publish", headers=org.headers)
    admin = admin_headers(client, settings)
    pending = client.get("/api/v1/admin/orgs", params={"state": "pending"}, headers=admin).json()

    approved = client.post(f"/api/v1/admin/orgs/{pending[0]['org_id']}/approve", headers=admin)
    later = client.post(f"/api/v1/events/{event_id}/publish", headers=org.headers)

    assert at_once.status_code == 403 and "waiting for approval" in at_once.json()["detail"]
    assert draft.status_code == 201
    assert early.status_code == 403
    assert [(o["name"], o["state"]) for o in pending] == [("Org", "pending")]
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert later.status_code == 200
    assert client.get(f"/api/v1/shop/events/{event_id}").status_code == 200
    assert client.get("/api/v1/admin/orgs", params={"state": "pending"}, headers=admin).json() == []
    log = client.get("/api/v1/admin/audit", params={"action": "org"}, headers=admin).json()
    assert [e["action"] for e in log["entries"]] == ["org.approved", "org.created"]
    assert "waiting for approval" in log["entries"][1]["summary"]
    assert log["entries"][0]["actor"] == "root@example.org"


def test_approving_is_for_admins_and_unknown_organisations_are_404(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    org = api.signup()
    [mine] = client.get("/api/v1/orgs", headers=org.headers).json()
    admin = admin_headers(client, settings)

    own = client.post(f"/api/v1/admin/orgs/{mine['org_id']}/approve", headers=org.headers)
    missing = client.post("/api/v1/admin/orgs/999/approve", headers=admin)
    bad_filter = client.get("/api/v1/admin/orgs", params={"state": "lost"}, headers=admin)

    assert own.status_code == 403
    assert missing.status_code == 404
    assert bad_filter.status_code == 400
    states = client.get("/api/v1/admin/orgs", headers=admin).json()
    assert [o["state"] for o in states] == ["pending"]
