from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.cloud.conftest import Api


def test_revocation_reaches_the_venue_on_its_next_pull(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    tickets = api.issue(setup.organizer, setup.event_id, setup.type_id, count=3)
    first = client.get("/api/v1/venue/manifest", headers=setup.venue_headers).json()
    assert not first["has_more"]
    assert {t["ticket_id"]: t["revoked"] for t in first["tickets"]} == {
        t["ticket_id"]: False for t in tickets
    }

    r = client.post(
        f"/api/v1/tickets/{tickets[1]['ticket_id']}/revoke", headers=setup.organizer.headers
    )
    assert r.status_code == 200
    assert r.json() == {"ticket_id": tickets[1]["ticket_id"], "revoked": True}

    nxt = client.get(
        "/api/v1/venue/manifest",
        params={"cursor": first["next_cursor"]},
        headers=setup.venue_headers,
    ).json()
    assert [(t["ticket_id"], t["revoked"]) for t in nxt["tickets"]] == [
        (tickets[1]["ticket_id"], True)
    ]
    # Revoking again changes nothing, so the venue has nothing new to pull.
    client.post(
        f"/api/v1/tickets/{tickets[1]['ticket_id']}/revoke", headers=setup.organizer.headers
    )
    last = client.get(
        "/api/v1/venue/manifest", params={"cursor": nxt["next_cursor"]}, headers=setup.venue_headers
    ).json()
    assert last["tickets"] == []


def test_revoking_an_unknown_ticket_is_404(api: Api, client: TestClient[Any]) -> None:
    org = api.signup()
    r = client.post("/api/v1/tickets/AAAAAAAAAAAAAAAAAAAA/revoke", headers=org.headers)
    assert r.status_code == 404
