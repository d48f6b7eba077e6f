"""Organisations and roles on the organizer API: who may read, who may change, who manages the
members, and which organisation a request acts for."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.cloud.conftest import Api, Organizer

EVENT = {
    "name": "Late show",
    "starts_at": "2030-06-01T19:00:00Z",
    "ends_at": "2030-06-01T23:00:00Z",
}


def _org_id(client: TestClient[Any], org: Organizer) -> int:
    [mine] = client.get("/api/v1/orgs", headers=org.headers).json()
    org_id: int = mine["org_id"]
    return org_id


def _join(client: TestClient[Any], owner: Organizer, email: str, role: str) -> Any:
    org_id = _org_id(client, owner)
    return client.post(
        f"/api/v1/orgs/{org_id}/members", json={"email": email, "role": role}, headers=owner.headers
    )


def _buyer(client: TestClient[Any], email: str) -> Organizer:
    r = client.post(
        "/api/v1/auth/signup", json={"email": email, "password": "correct horse", "name": email}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return Organizer(body["user_id"], {"Authorization": f"Bearer {body['access_token']}"})


def test_a_viewer_reads_but_cannot_change_and_a_manager_creates_events(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()
    viewer = _buyer(client, "vic@example.org")
    manager = _buyer(client, "meg@example.org")
    assert _join(client, setup.organizer, "vic@example.org", "viewer").status_code == 201
    assert _join(client, setup.organizer, "MEG@example.org", "manager").status_code == 201

    seen = client.get("/api/v1/events", headers=viewer.headers)
    refused = client.post(
        "/api/v1/events", json={**EVENT, "venue_id": setup.venue_id}, headers=viewer.headers
    )
    created = client.post(
        "/api/v1/events", json={**EVENT, "venue_id": setup.venue_id}, headers=manager.headers
    )

    assert seen.status_code == 200
    assert [e["event_id"] for e in seen.json()] == [setup.event_id]
    assert refused.status_code == 403
    assert "needs the manager role" in refused.json()["detail"]
    assert created.status_code == 201, created.text
    listed = client.get("/api/v1/events", headers=setup.organizer.headers).json()
    assert {e["event_id"] for e in listed} == {setup.event_id, created.json()["event_id"]}
    # Managers run events but do not manage people.
    org_id = _org_id(client, setup.organizer)
    r = client.post(
        f"/api/v1/orgs/{org_id}/members",
        json={"email": "vic@example.org", "role": "owner"},
        headers=manager.headers,
    )
    assert r.status_code == 403


def test_another_organisations_event_is_not_found(api: Api, client: TestClient[Any]) -> None:
    ours = api.setup()
    theirs = api.signup()

    r = client.get(f"/api/v1/events/{ours.event_id}/ticket-types", headers=theirs.headers)
    issue = client.post(
        f"/api/v1/events/{ours.event_id}/tickets",
        json={"type_id": ours.type_id, "holder_name": "Mallory"},
        headers=theirs.headers,
    )

    assert r.status_code == 404
    assert issue.status_code == 404


def test_the_organisation_header_chooses_among_several(api: Api, client: TestClient[Any]) -> None:
    org = api.signup()
    first_id = _org_id(client, org)
    venue_id, _ = api.venue(org, "First hall")
    second = client.post("/api/v1/orgs", json={"name": "Side project"}, headers=org.headers)
    assert second.status_code == 201
    second_id = second.json()["org_id"]

    ambiguous = client.get("/api/v1/venues", headers=org.headers)
    first = client.get(
        "/api/v1/venues", headers={**org.headers, "Bilten-Organisation": str(first_id)}
    )
    other = client.get(
        "/api/v1/venues", headers={**org.headers, "Bilten-Organisation": str(second_id)}
    )
    stranger = client.get("/api/v1/venues", headers={**org.headers, "Bilten-Organisation": "999"})
    garbage = client.get("/api/v1/venues", headers={**org.headers, "Bilten-Organisation": "abc"})

    assert ambiguous.status_code == 400
    assert "Bilten-Organisation" in ambiguous.json()["detail"]
    assert [v["venue_id"] for v in first.json()] == [venue_id]
    assert other.status_code == 200 and other.json() == []
    assert stranger.status_code == 403
    assert garbage.status_code == 400
    mine = client.get("/api/v1/orgs", headers=org.headers).json()
    assert [(o["name"], o["role"]) for o in mine] == [("Org", "owner"), ("Side project", "owner")]


def test_owners_manage_members_and_one_owner_always_remains(
    api: Api, client: TestClient[Any]
) -> None:
    owner = api.signup()
    org_id = _org_id(client, owner)
    vic = _buyer(client, "vic@example.org")
    members = f"/api/v1/orgs/{org_id}/members"

    assert _join(client, owner, "nobody@example.org", "viewer").status_code == 404
    assert _join(client, owner, "vic@example.org", "viewer").status_code == 201
    assert _join(client, owner, "vic@example.org", "manager").status_code == 409
    assert _join(client, owner, "vic@example.org", "boss").status_code == 400
    assert client.get(members, headers=vic.headers).status_code == 200
    assert (
        client.patch(f"{members}/{vic.user_id}", json={"role": "owner"}, headers=vic.headers)
    ).status_code == 403

    # The only owner can neither step down nor leave.
    alone = client.patch(
        f"{members}/{owner.user_id}", json={"role": "viewer"}, headers=owner.headers
    )
    assert alone.status_code == 409
    assert "at least one owner" in alone.json()["detail"]
    assert client.delete(f"{members}/{owner.user_id}", headers=owner.headers).status_code == 409

    promoted = client.patch(
        f"{members}/{vic.user_id}", json={"role": "owner"}, headers=owner.headers
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "owner"
    # With a second owner, the first may leave; then they can act for it no more.
    assert client.delete(f"{members}/{owner.user_id}", headers=owner.headers).status_code == 204
    assert client.get("/api/v1/venues", headers=owner.headers).status_code == 403
    listed = client.get(members, headers=vic.headers).json()
    assert [(m["email"], m["role"]) for m in listed] == [("vic@example.org", "owner")]
    assert client.delete(f"{members}/12345", headers=vic.headers).status_code == 404


def test_a_stranger_cannot_see_or_change_an_organisations_members(
    api: Api, client: TestClient[Any]
) -> None:
    owner = api.signup()
    org_id = _org_id(client, owner)
    stranger = api.signup()

    assert client.get(f"/api/v1/orgs/{org_id}/members", headers=stranger.headers).status_code == 403
    r = client.post(
        f"/api/v1/orgs/{org_id}/members",
        json={"email": "x@example.org", "role": "owner"},
        headers=stranger.headers,
    )
    assert r.status_code == 403
    assert client.get("/api/v1/orgs").status_code == 401
